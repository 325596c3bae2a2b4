// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI tables, read back the way an OS reads them: scan the BIOS area
 * for the RSDP, follow the XSDT (and RSDT), check every checksum and
 * length, then decode the FADT, MADT and the DSDT's AML. Offsets here come
 * from the ACPI 6.5 specification, not from acpi.c, so the two check each
 * other. Also: boot_set_rsdp and the GSI routing that the MADT promises.
 *
 * Set KVMSCOPE_ACPI_DUMP=<dir> to get the tables of a 2-CPU VM as files
 * (DSDT.dat, FACP.dat, ...) for "iasl -d".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/acpi.h"
#include "arch/x86/boot.h"
#include "arch/x86/irq_routing.h"
#include "arch/x86/layout.h"

#define MIB (1024ULL * 1024)
#define RAM (64 * MIB)

#define BIOS_START 0xe0000ULL
#define BIOS_END 0x100000ULL

static struct guest_memory mem;

static int setup(void **state)
{
	assert_int_equal(guest_memory_alloc(&mem, RAM), 0);
	return 0;
}

static int teardown(void **state)
{
	guest_memory_free(&mem);
	return 0;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* A table the OS found: host pointer to all of it, checked. */
static const uint8_t *table_at(uint64_t gpa, const char *sig)
{
	const uint8_t *t = guest_memory_ptr(&mem, gpa, 36);
	uint32_t len;

	assert_non_null(t);
	assert_memory_equal(t, sig, 4);
	len = le32(t + 4);
	assert_true(len >= 36);
	t = guest_memory_ptr(&mem, gpa, len);
	assert_non_null(t);
	assert_int_equal(sum(t, len), 0);
	/* OEM ID, OEM table ID */
	assert_memory_equal(t + 10, "KVMSCP", 6);
	assert_memory_equal(t + 16, "KVMSCOPE", 8);
	/* Everything we write lies in the reserved BIOS area. */
	assert_true(gpa >= BIOS_START && gpa + len <= BIOS_END);
	return t;
}

/* The legacy search: "RSD PTR " on a 16-byte boundary, checksum valid. */
static uint64_t scan_rsdp(void)
{
	uint64_t gpa;

	for (gpa = BIOS_START; gpa < BIOS_END; gpa += 16) {
		const uint8_t *p = guest_memory_ptr(&mem, gpa, 20);

		if (p && !memcmp(p, "RSD PTR ", 8) && sum(p, 20) == 0)
			return gpa;
	}
	return 0;
}

struct found {
	uint64_t rsdp;
	const uint8_t *xsdt, *rsdt, *fadt, *madt, *dsdt, *mcfg;
};

static void find_tables(struct found *f)
{
	const uint8_t *r;
	uint32_t xlen, rlen, i, n;

	memset(f, 0, sizeof(*f));
	f->rsdp = scan_rsdp();
	assert_int_not_equal(f->rsdp, 0);
	r = guest_memory_ptr(&mem, f->rsdp, 36);
	assert_non_null(r);
	assert_int_equal(r[15], 2); /* revision */
	assert_int_equal(le32(r + 20), 36); /* length */
	assert_int_equal(sum(r, 36), 0); /* extended checksum */
	assert_memory_equal(r + 9, "KVMSCP", 6);
	assert_int_equal(r[33] | r[34] | r[35], 0); /* reserved */

	f->xsdt = table_at(le64(r + 24), "XSDT");
	f->rsdt = table_at(le32(r + 16), "RSDT");
	xlen = le32(f->xsdt + 4);
	rlen = le32(f->rsdt + 4);
	assert_int_equal((xlen - 36) % 8, 0);
	assert_int_equal((rlen - 36) % 4, 0);
	n = (xlen - 36) / 8;
	assert_int_equal((rlen - 36) / 4, n);
	for (i = 0; i < n; i++) {
		uint64_t gpa = le64(f->xsdt + 36 + 8 * i);
		const uint8_t *h = guest_memory_ptr(&mem, gpa, 4);

		/* RSDT and XSDT list the same tables in the same order. */
		assert_int_equal(le32(f->rsdt + 36 + 4 * i), gpa);
		assert_non_null(h);
		if (!memcmp(h, "FACP", 4)) {
			assert_null(f->fadt);
			f->fadt = table_at(gpa, "FACP");
		} else if (!memcmp(h, "APIC", 4)) {
			assert_null(f->madt);
			f->madt = table_at(gpa, "APIC");
		} else if (!memcmp(h, "MCFG", 4)) {
			assert_null(f->mcfg);
			f->mcfg = table_at(gpa, "MCFG");
		} else {
			fail_msg("unexpected table %.4s in the XSDT", h);
		}
	}
	assert_non_null(f->fadt);
	assert_non_null(f->madt);
	assert_non_null(f->mcfg);
	f->dsdt = table_at(le64(f->fadt + 140), "DSDT");
}

static void build(int nr_cpus, struct found *f)
{
	struct acpi_params p = { .nr_cpus = nr_cpus };
	struct errmsg err = { "" };
	uint64_t rsdp = 0;

	/* Start from garbage, as if the area had held anything before. */
	memset(guest_memory_ptr(&mem, BIOS_START, BIOS_END - BIOS_START), 0xa5,
	       BIOS_END - BIOS_START);
	assert_int_equal(acpi_build(&mem, &p, &rsdp, &err), 0);
	assert_int_equal(rsdp % 16, 0);
	find_tables(f);
	assert_int_equal(f->rsdp, rsdp);
}

static void check_gas_io8(const uint8_t *g, uint16_t port)
{
	assert_int_equal(g[0], 1); /* system I/O */
	assert_int_equal(g[1], 8); /* bit width */
	assert_int_equal(g[2], 0); /* bit offset */
	assert_int_equal(g[3], 1); /* byte access */
	assert_int_equal(le64(g + 4), port);
}

static void test_fadt(void **state)
{
	struct found f;
	const uint8_t *t;
	uint32_t flags;
	uint16_t boot_arch;
	int off;

	build(1, &f);
	t = f.fadt;
	assert_int_equal(le32(t + 4), 276); /* ACPI 6.x length */
	assert_int_equal(t[8], 6);
	assert_int_equal(t[131], 5); /* minor version: 6.5 */

	/*
	 * The FACS in FIRMWARE_CTRL only (ACPI 5.0: X_FIRMWARE_CTRL 0 then);
	 * the DSDT's 32- and 64-bit copies agree.
	 */
	assert_int_not_equal(le32(t + 36), 0);
	assert_int_equal(le64(t + 132), 0);
	assert_int_equal(le32(t + 40), le64(t + 140));

	assert_int_equal(le16(t + 46), 9); /* SCI_INT */
	assert_int_equal(le32(t + 48), 0); /* SMI_CMD: always ACPI mode */
	/* PM1a event and control blocks, nothing else, 32- and 64-bit. */
	assert_int_equal(le32(t + 56), ACPI_PM1A_EVT_PORT);
	assert_int_equal(le32(t + 64), ACPI_PM1A_CNT_PORT);
	for (off = 60; off < 64; off++)
		assert_int_equal(t[off], 0); /* PM1b event */
	for (off = 68; off < 88; off++)
		assert_int_equal(t[off], 0); /* PM1b, PM2, PM timer, GPEs */
	assert_int_equal(t[88], 4); /* PM1_EVT_LEN */
	assert_int_equal(t[89], 2); /* PM1_CNT_LEN */
	assert_int_equal(t[90] | t[91] | t[92] | t[93], 0);
	assert_true(le16(t + 96) > 100); /* no C2 */
	assert_true(le16(t + 98) > 1000); /* no C3 */
	assert_int_equal(t[148], 1); /* X_PM1a_EVT_BLK: system I/O */
	assert_int_equal(t[149], 32);
	assert_int_equal(le64(t + 152), ACPI_PM1A_EVT_PORT);
	assert_int_equal(t[172], 1); /* X_PM1a_CNT_BLK */
	assert_int_equal(t[173], 16);
	assert_int_equal(le64(t + 176), ACPI_PM1A_CNT_PORT);
	for (off = 160; off < 172; off++)
		assert_int_equal(t[off], 0); /* X_PM1b_EVT_BLK */
	for (off = 184; off < 244; off++)
		assert_int_equal(t[off], 0);
	assert_int_equal(t[108], 0x32); /* CENTURY */

	boot_arch = le16(t + 109);
	assert_true(boot_arch & (1u << 0)); /* legacy devices */
	assert_false(boot_arch & (1u << 1)); /* no 8042 */
	assert_true(boot_arch & (1u << 2)); /* no VGA */
	assert_false(boot_arch & (1u << 3)); /* MSI works */
	assert_false(boot_arch & (1u << 5)); /* CMOS RTC present */

	flags = le32(t + 112);
	/* A full-hardware FADT: Linux's ACPICA maps the FACS only then. */
	assert_false(flags & (1u << 20)); /* HW_REDUCED_ACPI */
	assert_false(flags & (1u << 8)); /* FIXED_RTC: RTC_STS/RTC_EN exist */
	assert_true(flags & (1u << 10)); /* RESET_REG_SUP */
	assert_true(flags & (1u << 4)); /* PWR_BUTTON: none fixed */
	assert_true(flags & (1u << 5)); /* SLP_BUTTON: none fixed */

	check_gas_io8(t + 116, ACPI_PM_RESET_PORT);
	assert_int_equal(t[128], ACPI_PM_RESET_VALUE);
	assert_true(ACPI_PM_RESET_VALUE & ACPI_RESET_RST_CPU);
	/* The hardware-reduced sleep registers are not in a full FADT. */
	for (off = 244; off < 268; off++)
		assert_int_equal(t[off], 0);
	assert_memory_equal(t + 268, "KVMSCOPE", 8);
}

static void check_madt(int nr_cpus)
{
	struct found f;
	const uint8_t *t, *e, *end;
	int lapics = 0, ioapics = 0, isos = 0, nmis = 0;
	bool iso0 = false, iso9 = false;

	build(nr_cpus, &f);
	t = f.madt;
	assert_int_equal(t[8], 6);
	assert_int_equal(le32(t + 36), 0xfee00000);
	assert_int_equal(le32(t + 40), 1); /* PCAT_COMPAT */
	end = t + le32(t + 4);
	for (e = t + 44; e < end; e += e[1]) {
		assert_true(end - e >= 2);
		assert_true(e[1] >= 2 && e[1] <= end - e);
		switch (e[0]) {
		case 0: /* Processor Local APIC */
			assert_int_equal(e[1], 8);
			/* In order: UID = APIC ID = index, enabled. */
			assert_int_equal(e[2], lapics);
			assert_int_equal(e[3], lapics);
			assert_int_equal(le32(e + 4), 1);
			lapics++;
			break;
		case 1: /* I/O APIC */
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], nr_cpus);
			assert_int_equal(le32(e + 4), 0xfec00000);
			assert_int_equal(le32(e + 8), 0);
			ioapics++;
			break;
		case 2: /* Interrupt Source Override */
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0); /* ISA */
			if (e[3] == 0) {
				assert_int_equal(le32(e + 4), 2);
				assert_int_equal(le16(e + 8), 0x5);
				iso0 = true;
			} else if (e[3] == 9) {
				assert_int_equal(le32(e + 4), 9);
				assert_int_equal(le16(e + 8), 0xd);
				iso9 = true;
			} else {
				fail_msg("unexpected override of IRQ %u", e[3]);
			}
			isos++;
			break;
		case 4: /* Local APIC NMI */
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);
			assert_int_equal(e[5], 1);
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	assert_ptr_equal(e, end);
	assert_int_equal(lapics, nr_cpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_true(iso0 && iso9);
	assert_int_equal(nmis, 1);
}

static void test_madt_1(void **state)
{
	check_madt(1);
}

static void test_madt_2(void **state)
{
	check_madt(2);
}

static void test_madt_8(void **state)
{
	check_madt(8);
}

static void test_madt_max(void **state)
{
	check_madt(ACPI_MAX_CPUS);
}

/*
 * An AML reader for the subset the DSDT uses. Every object must end
 * exactly where its PkgLength says; anything unknown fails the test.
 */
#define MAX_OBJS 64
#define MAX_ELEMS 128
#define MAX_SUB 4

struct aml_obj {
	char path[64];
	enum { OBJ_INT, OBJ_PKG, OBJ_BUF, OBJ_DEVICE, OBJ_STR } kind;
	uint64_t value; /* OBJ_INT */
	uint64_t elems[MAX_ELEMS]; /* OBJ_PKG, integer elements */
	/* OBJ_PKG of packages (_PRT): each element's integers */
	uint64_t sub[MAX_ELEMS][MAX_SUB];
	int sub_n[MAX_ELEMS];
	int nr_elems;
	const uint8_t *buf; /* OBJ_BUF; OBJ_STR: the NUL-terminated text */
	size_t buf_len;
};

static struct aml_obj objs[MAX_OBJS];
static int nr_objs;

/* Decode a PkgLength at p; returns its size in bytes (0: malformed). */
static size_t pkg_length(const uint8_t *p, const uint8_t *end, size_t *value)
{
	size_t follow, i;

	if (p >= end)
		return 0;
	follow = p[0] >> 6;
	if ((size_t)(end - p) < follow + 1)
		return 0;
	if (!follow) {
		*value = p[0] & 0x3f;
		return 1;
	}
	if (p[0] & 0x30) /* must be zero in a multi-byte encoding */
		return 0;
	*value = p[0] & 0x0f;
	for (i = 1; i <= follow; i++)
		*value |= (size_t)p[i] << (4 + 8 * (i - 1));
	return follow + 1;
}

/* Object body [*pp + pkg, start + length): returns the end pointer. */
static const uint8_t *pkg_end(const uint8_t **pp, const uint8_t *end)
{
	const uint8_t *start = *pp;
	size_t len = 0, n = pkg_length(start, end, &len);

	assert_int_not_equal(n, 0);
	assert_true(len >= n);
	assert_true(len <= (size_t)(end - start));
	*pp = start + n;
	return start + len;
}

static bool lead_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static void name_seg(const uint8_t **pp, const uint8_t *end, char *out)
{
	const uint8_t *p = *pp;
	int i;

	assert_true(end - p >= 4);
	assert_true(lead_char(p[0]));
	for (i = 0; i < 4; i++) {
		assert_true(lead_char(p[i]) || (p[i] >= '0' && p[i] <= '9'));
		out[i] = (char)p[i];
	}
	out[4] = '\0';
	*pp = p + 4;
}

/* NameString -> absolute path, given the enclosing scope. */
static void name_string(const uint8_t **pp, const uint8_t *end,
			const char *scope, char *out, size_t size)
{
	const uint8_t *p = *pp;
	char seg[5];
	int nr_segs = 1, i;

	assert_true(p < end);
	if (*p == '\\') {
		snprintf(out, size, "\\");
		p++;
	} else {
		snprintf(out, size, "%s", scope);
	}
	assert_true(p < end);
	if (*p == 0x2e) {
		nr_segs = 2;
		p++;
	} else if (*p == 0x2f) {
		assert_true(end - p >= 2);
		nr_segs = p[1];
		p += 2;
	} else if (*p == 0x00) {
		*pp = p + 1;
		return;
	}
	for (i = 0; i < nr_segs; i++) {
		size_t len = strlen(out);

		name_seg(&p, end, seg);
		snprintf(out + len, size - len, "%s%s",
			 out[len - 1] == '\\' ? "" : ".", seg);
	}
	*pp = p;
}

static bool integer(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	size_t n, i;

	assert_true(p < end);
	switch (*p) {
	case 0x00:
		*v = 0;
		*pp = p + 1;
		return true;
	case 0x01:
		*v = 1;
		*pp = p + 1;
		return true;
	case 0xff:
		*v = ~0ULL;
		*pp = p + 1;
		return true;
	case 0x0a:
		n = 1;
		break;
	case 0x0b:
		n = 2;
		break;
	case 0x0c:
		n = 4;
		break;
	case 0x0e:
		n = 8;
		break;
	default:
		return false;
	}
	assert_true((size_t)(end - p) >= n + 1);
	/* Little-endian bytes p[1..n]. */
	*v = 0;
	for (i = n; i > 0; i--)
		*v = *v << 8 | p[i];
	*pp = p + 1 + n;
	return true;
}

static void data_object(const uint8_t **pp, const uint8_t *end,
			struct aml_obj *o)
{
	const uint8_t *p = *pp, *body_end;
	uint64_t v;
	int i;

	if (integer(&p, end, &v)) {
		o->kind = OBJ_INT;
		o->value = v;
	} else if (*p == 0x12) { /* Package */
		p++;
		body_end = pkg_end(&p, end);
		assert_true(p < body_end);
		o->kind = OBJ_PKG;
		o->nr_elems = *p++;
		assert_true(o->nr_elems <= MAX_ELEMS);
		for (i = 0; i < o->nr_elems; i++) {
			const uint8_t *sub_end;
			int k;

			if (integer(&p, body_end, &o->elems[i]))
				continue;
			/* A package of integers inside (a _PRT entry). */
			assert_int_equal(*p, 0x12);
			p++;
			sub_end = pkg_end(&p, body_end);
			o->sub_n[i] = *p++;
			assert_true(o->sub_n[i] <= MAX_SUB);
			for (k = 0; k < o->sub_n[i]; k++)
				assert_true(integer(&p, sub_end,
						    &o->sub[i][k]));
			assert_ptr_equal(p, sub_end);
		}
		assert_ptr_equal(p, body_end);
	} else if (*p == 0x11) { /* Buffer */
		p++;
		body_end = pkg_end(&p, end);
		assert_true(integer(&p, body_end, &v));
		assert_int_equal(v, body_end - p);
		o->kind = OBJ_BUF;
		o->buf = p;
		o->buf_len = (size_t)v;
		p = body_end;
	} else if (*p == 0x0d) { /* String: ASCII up to a NUL */
		o->kind = OBJ_STR;
		o->buf = ++p;
		while (p < end && *p)
			assert_true(*p++ < 0x80);
		assert_true(p < end);
		o->buf_len = (size_t)(p++ - o->buf);
	} else {
		fail_msg("unexpected data object opcode 0x%02x", *p);
	}
	*pp = p;
}

static struct aml_obj *new_obj(const char *path)
{
	struct aml_obj *o;

	assert_true(nr_objs < MAX_OBJS);
	o = &objs[nr_objs++];
	memset(o, 0, sizeof(*o));
	snprintf(o->path, sizeof(o->path), "%s", path);
	return o;
}

static void term_list(const uint8_t *p, const uint8_t *end, const char *scope)
{
	char path[64];

	while (p < end) {
		const uint8_t *body_end;

		if (*p == 0x08) { /* Name */
			p++;
			name_string(&p, end, scope, path, sizeof(path));
			data_object(&p, end, new_obj(path));
		} else if (*p == 0x10) { /* Scope */
			p++;
			body_end = pkg_end(&p, end);
			name_string(&p, body_end, scope, path, sizeof(path));
			term_list(p, body_end, path);
			p = body_end;
		} else if (end - p >= 2 && p[0] == 0x5b && p[1] == 0x82) {
			p += 2; /* Device */
			body_end = pkg_end(&p, end);
			name_string(&p, body_end, scope, path, sizeof(path));
			new_obj(path)->kind = OBJ_DEVICE;
			term_list(p, body_end, path);
			p = body_end;
		} else {
			fail_msg("unexpected AML opcode 0x%02x", *p);
		}
	}
	assert_ptr_equal(p, end);
}

static const struct aml_obj *obj(const char *path)
{
	int i;

	for (i = 0; i < nr_objs; i++)
		if (!strcmp(objs[i].path, path))
			return &objs[i];
	fail_msg("no AML object %s", path);
	return NULL;
}

static void eisa_id(uint64_t v, char out[8])
{
	uint8_t b0 = (uint8_t)v, b1 = (uint8_t)(v >> 8);
	uint8_t b2 = (uint8_t)(v >> 16), b3 = (uint8_t)(v >> 24);
	static const char hex[] = "0123456789ABCDEF";

	out[0] = (char)('@' + ((b0 >> 2) & 0x1f));
	out[1] = (char)('@' + (((b0 & 3) << 3) | (b1 >> 5)));
	out[2] = (char)('@' + (b1 & 0x1f));
	out[3] = hex[b2 >> 4];
	out[4] = hex[b2 & 15];
	out[5] = hex[b3 >> 4];
	out[6] = hex[b3 & 15];
	out[7] = '\0';
}

/* A _CRS with one fixed 16-bit I/O range and at most one ISA IRQ. */
static void check_crs(const struct aml_obj *crs, uint16_t port,
		      uint8_t nr_ports, int irq)
{
	const uint8_t *r = crs->buf;
	size_t n = crs->buf_len, want = 8 + (irq >= 0 ? 3 : 0) + 2;

	assert_int_equal(crs->kind, OBJ_BUF);
	assert_int_equal(n, want);
	assert_int_equal(r[0], 0x47);
	assert_int_equal(r[1], 0x01); /* 16-bit decode */
	assert_int_equal(le16(r + 2), port);
	assert_int_equal(le16(r + 4), port);
	assert_int_equal(r[7], nr_ports);
	r += 8;
	if (irq >= 0) {
		assert_int_equal(r[0], 0x22);
		assert_int_equal(le16(r + 1), 1u << irq);
		r += 3;
	}
	assert_int_equal(r[0], 0x79);
	assert_int_equal(r[1], 0);
}

/*
 * The FACS (ACPI 6.5, 5.2.10): found through FIRMWARE_CTRL, 64-byte
 * aligned, 64 bytes long, version 2, no checksum of its own (the FADT's
 * covers the pointer), both waking vectors 0 until the OS sets them, no
 * 64-bit wake support offered, where the resume path looks for it.
 */
static void test_facs(void **state)
{
	struct found f;
	const uint8_t *facs;
	uint64_t gpa;
	int i;

	build(2, &f);
	gpa = le32(f.fadt + 36);
	assert_int_equal(gpa, acpi_facs_gpa());
	assert_int_equal(gpa % 64, 0);
	assert_true(gpa >= BIOS_START && gpa + 64 <= BIOS_END);
	facs = guest_memory_ptr(&mem, gpa, 64);
	assert_non_null(facs);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(le32(facs + 4), 64); /* length */
	assert_int_equal(le32(facs + 8), 0); /* hardware signature */
	assert_int_equal(le32(facs + 12), 0); /* firmware waking vector */
	assert_int_equal(le32(facs + ACPI_FACS_WAKING_VECTOR), 0);
	assert_int_equal(le32(facs + 16), 0); /* global lock */
	assert_int_equal(le32(facs + 20), 0); /* flags: no S4BIOS, no 64-bit wake */
	assert_int_equal(le64(facs + 24), 0); /* X_FIRMWARE_WAKING_VECTOR */
	assert_int_equal(ACPI_FACS_X_WAKING_VECTOR, 24);
	assert_int_equal(facs[32], 2); /* version */
	assert_int_equal(le32(facs + 36), 0); /* OSPM flags */
	for (i = 40; i < 64; i++)
		assert_int_equal(facs[i], 0); /* reserved */
	/* Not overlapping the FADT before it or the DSDT after it. */
	assert_true(f.fadt + 276 <= facs);
	assert_true(facs + 64 <= f.dsdt);
	/* The FADT's checksum covers the pointer to it. */
	assert_int_equal(sum(f.fadt, 276), 0);
}

/* \_SB.PCI0: PCIe host bridge, its windows, INTx routing; MRES: ECAM. */
static void check_pci(const struct found *f)
{
	const struct aml_obj *crs, *prt, *mres;
	char id[8];
	int i;

	(void)f;
	assert_int_equal(obj("\\_SB_.PCI0")->kind, OBJ_DEVICE);
	eisa_id(obj("\\_SB_.PCI0._HID")->value, id);
	assert_string_equal(id, "PNP0A08");
	eisa_id(obj("\\_SB_.PCI0._CID")->value, id);
	assert_string_equal(id, "PNP0A03");
	assert_int_equal(obj("\\_SB_.PCI0._BBN")->value, 0);
	assert_int_equal(obj("\\_SB_.PCI0._SEG")->value, 0);
	crs = obj("\\_SB_.PCI0._CRS");
	assert_int_equal(crs->kind, OBJ_BUF);
	/* word bus 0-0, I/O 0xcf8 x8, word I/O window, dword and qword
	 * memory windows, end tag */
	assert_int_equal(crs->buf_len, 16 + 8 + 16 + 26 + 46 + 2);
	assert_int_equal(crs->buf[0], 0x88);
	assert_int_equal(crs->buf[3], 2); /* bus number */
	assert_int_equal(le16(crs->buf + 8) | le16(crs->buf + 10), 0);
	assert_int_equal(crs->buf[16], 0x47);
	assert_int_equal(le16(crs->buf + 18), 0xcf8);
	assert_int_equal(crs->buf[23], 8);
	assert_int_equal(le16(crs->buf + 24 + 8), 0xc000); /* I/O min */
	assert_int_equal(le16(crs->buf + 24 + 10), 0xffff); /* I/O max */
	assert_int_equal(crs->buf[40], 0x87);
	assert_int_equal(le32(crs->buf + 40 + 10), 0xc0000000U);
	assert_int_equal(le32(crs->buf + 40 + 14), 0xdfffffffU);
	assert_int_equal(crs->buf[66], 0x8a);
	assert_int_equal(le64(crs->buf + 66 + 14), 0x100000000ULL);
	prt = obj("\\_SB_.PCI0._PRT");
	assert_int_equal(prt->kind, OBJ_PKG);
	assert_int_equal(prt->nr_elems, 31 * 4);
	for (i = 0; i < prt->nr_elems; i++) {
		uint64_t slot = prt->sub[i][0] >> 16, pin = prt->sub[i][1];

		assert_int_equal(prt->sub_n[i], 4);
		assert_int_equal(prt->sub[i][0] & 0xffff, 0xffff);
		assert_int_equal(slot, 1 + i / 4);
		assert_int_equal(pin, i % 4);
		assert_int_equal(prt->sub[i][2], 0); /* a GSI, not a link */
		assert_int_equal(prt->sub[i][3], 16 + (slot + pin) % 4);
	}
	mres = obj("\\_SB_.MRES._CRS");
	eisa_id(obj("\\_SB_.MRES._HID")->value, id);
	assert_string_equal(id, "PNP0C02");
	assert_int_equal(mres->buf[0], 0x86); /* Memory32Fixed */
	assert_int_equal(le32(mres->buf + 4), 0xe0000000U);
	assert_int_equal(le32(mres->buf + 8), 0x100000U);
}

static void test_dsdt(void **state)
{
	struct found f;
	const struct aml_obj *s5, *s3;
	char id[8];
	uint32_t len;

	build(2, &f);
	len = le32(f.dsdt + 4);
	assert_int_equal(f.dsdt[8], 2); /* revision: 64-bit integers */

	nr_objs = 0;
	term_list(f.dsdt + 36, f.dsdt + len, "\\");

	s5 = obj("\\_S5_");
	assert_int_equal(s5->kind, OBJ_PKG);
	assert_int_equal(s5->nr_elems, 4);
	assert_int_equal(s5->elems[0], ACPI_S5_SLP_TYP);

	/* \_S3_: what Linux's acpi_sleep_state_supported(3) looks for. */
	s3 = obj("\\_S3_");
	assert_int_equal(s3->kind, OBJ_PKG);
	assert_int_equal(s3->nr_elems, 4);
	assert_int_equal(s3->elems[0], ACPI_S3_SLP_TYP);
	assert_int_equal(s3->elems[0], 1);
	assert_int_equal(s3->elems[1], 0);
	assert_int_not_equal(ACPI_S3_SLP_TYP, ACPI_S5_SLP_TYP);
	/* Both fit the 3-bit SLP_TYP field of the sleep control register. */
	assert_int_equal((ACPI_S3_SLP_TYP << ACPI_SLP_TYP_SHIFT) &
				 ~ACPI_SLP_TYP_MASK, 0);

	assert_int_equal(obj("\\_SB_.COM1")->kind, OBJ_DEVICE);
	eisa_id(obj("\\_SB_.COM1._HID")->value, id);
	assert_string_equal(id, "PNP0501");
	check_crs(obj("\\_SB_.COM1._CRS"), 0x3f8, 8, 4);

	assert_int_equal(obj("\\_SB_.RTC_")->kind, OBJ_DEVICE);
	eisa_id(obj("\\_SB_.RTC_._HID")->value, id);
	assert_string_equal(id, "PNP0B00");
	/* IRQ 8: rtc-cmos takes its alarm interrupt from here. */
	check_crs(obj("\\_SB_.RTC_._CRS"), 0x70, 2, 8);

	/* pvpanic as QEMU describes it: an ACPI ID string, one port */
	assert_int_equal(obj("\\_SB_.PEVT")->kind, OBJ_DEVICE);
	assert_int_equal(obj("\\_SB_.PEVT._HID")->kind, OBJ_STR);
	assert_string_equal((const char *)obj("\\_SB_.PEVT._HID")->buf,
			    "QEMU0001");
	check_crs(obj("\\_SB_.PEVT._CRS"), 0x505, 1, -1);

	check_pci(&f);
}

static void test_pkg_length_decoder(void **state)
{
	/* The decoder the DSDT test relies on, on the spec's encodings. */
	static const uint8_t one[] = { 0x3f };
	static const uint8_t two[] = { 0x4a, 0x12 }; /* 0x12a */
	static const uint8_t four[] = { 0xc1, 0x23, 0x45, 0x67 };
	static const uint8_t bad[] = { 0x70, 0x00 };
	size_t v = 0;

	assert_int_equal(pkg_length(one, one + 1, &v), 1);
	assert_int_equal(v, 0x3f);
	assert_int_equal(pkg_length(two, two + 2, &v), 2);
	assert_int_equal(v, 0x12a);
	assert_int_equal(pkg_length(four, four + 4, &v), 4);
	assert_int_equal(v, 0x6745231);
	assert_int_equal(pkg_length(bad, bad + 2, &v), 0);
	assert_int_equal(pkg_length(two, two + 1, &v), 0);
}

/* acpi.c's encoder against the decoder above, at every size boundary. */
static void test_pkg_length_encoder(void **state)
{
	static const struct {
		size_t body;
		size_t bytes;
	} cases[] = {
		{ 0, 1 },	{ 62, 1 },	{ 63, 2 },
		{ 64, 2 },	{ 0xffd, 2 },	{ 0xffe, 3 },
		{ 0xffffc, 3 }, { 0xffffd, 4 }, { 0xffffffb, 4 },
	};
	uint8_t enc[4];
	size_t i, n, v;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = acpi_aml_pkg_length(cases[i].body, enc);
		assert_int_equal(n, cases[i].bytes);
		v = 0;
		assert_int_equal(pkg_length(enc, enc + n, &v), n);
		/* The length covers the body and the encoding itself. */
		assert_int_equal(v, cases[i].body + n);
	}
	/* 28 bits is all AML has. */
	assert_int_equal(acpi_aml_pkg_length(0xffffffc, enc), 0);
}

static void test_tables_stay_put(void **state)
{
	struct found a, b;

	/* Same input, same bytes: nothing depends on earlier contents. */
	build(4, &a);
	build(4, &b);
	assert_int_equal(a.rsdp, b.rsdp);
	assert_ptr_equal(a.madt, b.madt);
	/* The RSDP is where the legacy scan looks first. */
	assert_int_equal(a.rsdp, BIOS_START);
}

static void test_bad_params(void **state)
{
	struct acpi_params p = { .nr_cpus = 0 };
	struct errmsg err = { "" };
	struct guest_memory small;
	uint64_t rsdp = 0;

	assert_int_equal(acpi_build(&mem, &p, &rsdp, &err), -EINVAL);
	assert_non_null(strstr(err.text, "vCPUs"));
	p.nr_cpus = ACPI_MAX_CPUS + 1;
	assert_int_equal(acpi_build(&mem, &p, &rsdp, &err), -EINVAL);
	assert_int_equal(rsdp, 0);

	/* 512 KiB of RAM does not reach the BIOS area. */
	p.nr_cpus = 1;
	assert_int_equal(guest_memory_alloc(&small, 512 * 1024), 0);
	assert_int_equal(acpi_build(&small, &p, &rsdp, &err), -EFAULT);
	assert_non_null(strstr(err.text, "--mem"));
	guest_memory_free(&small);
}

static void dump_table(const char *dir, const char *name, const uint8_t *t)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(t, 1, le32(t + 4), fp), le32(t + 4));
	fclose(fp);
}

static void test_dump(void **state)
{
	const char *dir = getenv("KVMSCOPE_ACPI_DUMP");
	struct found f;
	FILE *fp;
	char path[512];

	if (!dir)
		skip();
	build(2, &f);
	dump_table(dir, "XSDT", f.xsdt);
	dump_table(dir, "RSDT", f.rsdt);
	dump_table(dir, "FACP", f.fadt);
	dump_table(dir, "APIC", f.madt);
	dump_table(dir, "DSDT", f.dsdt);
	snprintf(path, sizeof(path), "%s/RSDP.dat", dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	fwrite(guest_memory_ptr(&mem, f.rsdp, 36), 1, 36, fp);
	fclose(fp);
}

/* boot_set_rsdp: the field is in the boot information at entry.boot_info */

#define ZERO_PAGE 0x7000ULL
#define START_INFO 0x9000ULL
static const struct boot_entry bz_entry = { .boot_info = ZERO_PAGE };
static const struct boot_entry pvh_entry = { .boot_info = START_INFO };

static uint8_t *zero_page(uint16_t version)
{
	uint8_t *bp = guest_memory_ptr(&mem, ZERO_PAGE, 0x1000);

	assert_non_null(bp);
	memset(bp, 0, 0x1000);
	memcpy(bp + 0x202, "HdrS", 4);
	bp[0x206] = (uint8_t)version;
	bp[0x207] = (uint8_t)(version >> 8);
	return bp;
}

static void test_rsdp_bzimage(void **state)
{
	uint8_t *bp;

	bp = zero_page(0x020f);
	assert_int_equal(boot_set_rsdp(&mem, BOOT_FORMAT_BZIMAGE, &bz_entry,
				       0xe0000),
			 0);
	assert_int_equal(le64(bp + 0x070), 0xe0000);

	/* Exactly 2.14 has the field. */
	bp = zero_page(0x020e);
	assert_int_equal(boot_set_rsdp(&mem, BOOT_FORMAT_BZIMAGE, &bz_entry,
				       0xe0040),
			 0);
	assert_int_equal(le64(bp + 0x070), 0xe0040);

	/* 2.13 does not: the bytes are left alone. */
	bp = zero_page(0x020d);
	memset(bp + 0x070, 0x5a, 8);
	assert_int_equal(boot_set_rsdp(&mem, BOOT_FORMAT_BZIMAGE, &bz_entry,
				       0xe0000),
			 0);
	assert_int_equal(le64(bp + 0x070), 0x5a5a5a5a5a5a5a5aULL);

	/* No setup header: the loader has not run. */
	bp = zero_page(0x020f);
	memset(bp + 0x202, 0, 4);
	assert_int_equal(boot_set_rsdp(&mem, BOOT_FORMAT_BZIMAGE, &bz_entry,
				       0xe0000),
			 -EINVAL);
	assert_int_equal(le64(bp + 0x070), 0);
}

static void test_rsdp_pvh(void **state)
{
	uint8_t *si = guest_memory_ptr(&mem, START_INFO, 56);

	assert_non_null(si);
	memset(si, 0, 56);
	assert_int_equal(boot_set_rsdp(&mem, BOOT_FORMAT_PVH, &pvh_entry,
				       0xe0000),
			 -EINVAL);
	assert_int_equal(le64(si + 32), 0);

	si[0] = 0x78; /* hvm_start_info magic 0x336ec578 */
	si[1] = 0xc5;
	si[2] = 0x6e;
	si[3] = 0x33;
	assert_int_equal(
		boot_set_rsdp(&mem, BOOT_FORMAT_PVH, &pvh_entry, 0xe0000), 0);
	assert_int_equal(le64(si + 32), 0xe0000);
	/* Neighbouring fields untouched. */
	assert_int_equal(le64(si + 24), 0);
	assert_int_equal(le64(si + 40), 0);
}

static void test_rsdp_multiboot(void **state)
{
	uint8_t *bp = zero_page(0x020f);
	uint8_t *si = guest_memory_ptr(&mem, START_INFO, 56);
	uint8_t before[56];

	memcpy(before, si, sizeof(before));
	assert_int_equal(boot_set_rsdp(&mem, BOOT_FORMAT_MULTIBOOT, &pvh_entry,
				       0xe0000),
			 0);
	assert_int_equal(le64(bp + 0x070), 0);
	assert_memory_equal(si, before, sizeof(before));
}

static void test_rsdp_no_ram(void **state)
{
	struct guest_memory tiny;

	/* 16 KiB: the zero page (0x7000) and boot info (0x9000) are beyond. */
	assert_int_equal(guest_memory_alloc(&tiny, 16 * 1024), 0);
	assert_int_equal(boot_set_rsdp(&tiny, BOOT_FORMAT_BZIMAGE, &bz_entry,
				       0xe0000),
			 -EFAULT);
	assert_int_equal(boot_set_rsdp(&tiny, BOOT_FORMAT_PVH, &pvh_entry,
				       0xe0000),
			 -EFAULT);
	guest_memory_free(&tiny);
}

/* The routing must deliver what the MADT's overrides promise. */
static void test_irq_routing(void **state)
{
	struct kvm_irq_routing_entry e[IRQ_ROUTING_NR_ENTRIES + 4];
	bool pic[16] = { false }, ioapic[24] = { false };
	int n, i;

	assert_int_equal(irq_routing_fill(e, IRQ_ROUTING_NR_ENTRIES - 1),
			 -ENOSPC);
	n = irq_routing_fill(e, sizeof(e) / sizeof(e[0]));
	assert_int_equal(n, IRQ_ROUTING_NR_ENTRIES);
	assert_int_equal(n, 38);
	for (i = 0; i < n; i++) {
		unsigned int gsi = e[i].gsi, pin = e[i].u.irqchip.pin;

		assert_int_equal(e[i].type, KVM_IRQ_ROUTING_IRQCHIP);
		assert_int_not_equal(gsi, 2); /* the cascade: no route */
		switch (e[i].u.irqchip.irqchip) {
		case KVM_IRQCHIP_PIC_MASTER:
			assert_true(gsi < 8);
			assert_int_equal(pin, gsi);
			assert_false(pic[gsi]);
			pic[gsi] = true;
			break;
		case KVM_IRQCHIP_PIC_SLAVE:
			assert_true(gsi >= 8 && gsi < 16);
			assert_int_equal(pin, gsi - 8);
			assert_false(pic[gsi]);
			pic[gsi] = true;
			break;
		case KVM_IRQCHIP_IOAPIC:
			assert_true(gsi < 24);
			/* MADT: ISA IRQ 0 -> GSI 2; the rest identity. */
			assert_int_equal(pin, gsi == 0 ? 2 : gsi);
			assert_false(ioapic[gsi]);
			ioapic[gsi] = true;
			break;
		default:
			fail_msg("unexpected irqchip %u",
				 e[i].u.irqchip.irqchip);
		}
	}
	for (i = 0; i < 24; i++) {
		assert_int_equal(ioapic[i], i != 2);
		if (i < 16)
			assert_int_equal(pic[i], i != 2);
	}
}

/* MCFG (PCI Firmware 3.2, 4.1.2): one allocation, bus 0 at the ECAM. */
static void test_mcfg(void **state)
{
	struct found f;

	build(1, &f);
	assert_int_equal(le32(f.mcfg + 4), 44 + 16);
	assert_int_equal(le64(f.mcfg + 44), 0xe0000000ULL);
	assert_int_equal(f.mcfg[44 + 8] | f.mcfg[44 + 9], 0); /* segment */
	assert_int_equal(f.mcfg[44 + 10], 0); /* start bus */
	assert_int_equal(f.mcfg[44 + 11], 0); /* end bus */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcfg),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt_1),
		cmocka_unit_test(test_madt_2),
		cmocka_unit_test(test_madt_8),
		cmocka_unit_test(test_madt_max),
		cmocka_unit_test(test_pkg_length_decoder),
		cmocka_unit_test(test_pkg_length_encoder),
		cmocka_unit_test(test_dsdt),
		cmocka_unit_test(test_facs),
		cmocka_unit_test(test_tables_stay_put),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_rsdp_bzimage),
		cmocka_unit_test(test_rsdp_pvh),
		cmocka_unit_test(test_rsdp_multiboot),
		cmocka_unit_test(test_rsdp_no_ram),
		cmocka_unit_test(test_irq_routing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
