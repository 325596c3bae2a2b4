// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables for a hardware-reduced PC (ACPI 6.5): RSDP, RSDT, XSDT,
 * FADT, DSDT and MADT, packed from the start of the BIOS area.
 *
 * Choices that matter to Linux, the main guest:
 *  - HW_REDUCED_ACPI: no PM1/GPE blocks, PM timer, SCI or FACS to emulate.
 *    Linux then never programs the 8259 PIC and never starts the PIT as its
 *    tick; interrupts go through the IOAPIC only, so every ISA device that
 *    interrupts must be in the DSDT for Linux to map its IRQ to a GSI.
 *  - The 32-bit and 64-bit copies of every address (RSDT/XSDT, DSDT/X_DSDT)
 *    agree, so ACPICA never warns about a mismatch and old readers work.
 *  - IAPC_BOOT_ARCH leaves the 8042 flag clear: Linux then marks the i8042
 *    "firmware absent" and, finding no PS/2 device in the DSDT, skips the
 *    controller probe altogether (a kernel without PNP still probes it; the
 *    i8042 model answers fast). Reset keeps working through 0xcf9 and 0x64.
 *  - The CMOS RTC stays (flag clear, CENTURY at 0x32) and is in the DSDT
 *    without an IRQ, because the RTC model raises none.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "arch/x86/acpi.h"
#include "arch/x86/layout.h"

#define ACPI_OEM_ID "KVMSCP"
#define ACPI_OEM_TABLE_ID "KVMSCOPE"
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "KVMS"
#define ACPI_CREATOR_REVISION 1
#define ACPI_HYPERVISOR_ID "KVMSCOPE"

#define ACPI_TABLE_ALIGN 16

/* System description table header (5.2.6). */
#define HDR_LENGTH 4
#define HDR_REVISION 8
#define HDR_CHECKSUM 9
#define HDR_OEM_ID 10
#define HDR_OEM_TABLE_ID 16
#define HDR_OEM_REVISION 24
#define HDR_CREATOR_ID 28
#define HDR_CREATOR_REVISION 32
#define HDR_SIZE 36

/* Root System Description Pointer (5.2.5.3), revision 2. */
#define RSDP_CHECKSUM 8
#define RSDP_OEM_ID 9
#define RSDP_REVISION 15
#define RSDP_RSDT 16
#define RSDP_LENGTH 20
#define RSDP_XSDT 24
#define RSDP_XCHECKSUM 32
#define RSDP_V1_SIZE 20 /* what the first checksum covers */
#define RSDP_SIZE 36

#define RSDT_REVISION 1
#define XSDT_REVISION 1
#define NR_ROOT_ENTRIES 2 /* FADT, MADT */

/* Fixed ACPI Description Table (5.2.9), revision 6.5: 276 bytes. */
#define FADT_REVISION 6
#define FADT_MINOR_REVISION 5
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_SCI_INT 46
#define FADT_CENTURY 108
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VERSION 131
#define FADT_X_DSDT 140
#define FADT_SLEEP_CONTROL_REG 244
#define FADT_SLEEP_STATUS_REG 256
#define FADT_HYPERVISOR_ID 268
#define FADT_SIZE 276

#define IAPC_LEGACY_DEVICES (1u << 0) /* ISA devices: COM1, RTC, PIT */
#define IAPC_VGA_NOT_PRESENT (1u << 2)

#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PWR_BUTTON (1u << 4) /* set: no fixed power button */
#define FADT_F_SLP_BUTTON (1u << 5) /* set: no fixed sleep button */
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_HW_REDUCED_ACPI (1u << 20)

#define RTC_CENTURY_INDEX 0x32 /* CMOS register the RTC model implements */

/* Generic Address Structure (5.2.3.2). */
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_SIZE 12

/* Multiple APIC Description Table (5.2.12), revision 6 (ACPI 6.5). */
#define MADT_REVISION 6
#define MADT_LAPIC_ADDR 36
#define MADT_FLAGS 40
#define MADT_ENTRIES 44
#define MADT_PCAT_COMPAT 1u /* KVM's in-kernel irqchip has the two 8259s */

#define MADT_TYPE_LAPIC 0
#define MADT_TYPE_IOAPIC 1
#define MADT_TYPE_ISO 2
#define MADT_TYPE_LAPIC_NMI 4
#define MADT_LAPIC_SIZE 8
#define MADT_IOAPIC_SIZE 12
#define MADT_ISO_SIZE 10
#define MADT_LAPIC_NMI_SIZE 6
#define MADT_NR_ISO 2
#define MADT_LAPIC_ENABLED 1u
#define MADT_ALL_CPUS 0xff

/* MPS INTI flags: polarity in bits 0-1, trigger mode in bits 2-3. */
#define INTI_ACTIVE_HIGH 0x1
#define INTI_EDGE 0x4
#define INTI_LEVEL 0xc

#define DSDT_REVISION 2 /* 64-bit AML integers */
#define DSDT_MAX 1024 /* grow when the DSDT does; overruns are caught */

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* The byte that makes p[0..len) sum to zero, with p[at] counted as 0. */
static void set_checksum(uint8_t *p, size_t len, size_t at)
{
	uint8_t sum = 0;
	size_t i;

	p[at] = 0;
	for (i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	p[at] = (uint8_t)-sum;
}

static void put_header(uint8_t *t, const char *sig, uint32_t len,
		       uint8_t revision)
{
	memcpy(t, sig, 4);
	put_le32(t + HDR_LENGTH, len);
	t[HDR_REVISION] = revision;
	memcpy(t + HDR_OEM_ID, ACPI_OEM_ID, 6);
	memcpy(t + HDR_OEM_TABLE_ID, ACPI_OEM_TABLE_ID, 8);
	put_le32(t + HDR_OEM_REVISION, ACPI_OEM_REVISION);
	memcpy(t + HDR_CREATOR_ID, ACPI_CREATOR_ID, 4);
	put_le32(t + HDR_CREATOR_REVISION, ACPI_CREATOR_REVISION);
}

/* Last step of every table: the checksum covers all of its bytes. */
static void finish_table(uint8_t *t, uint32_t len)
{
	set_checksum(t, len, HDR_CHECKSUM);
}

/*
 * A small AML encoder (ACPI 6.5, chapter 20). Objects that carry a
 * PkgLength are opened, filled and closed; the close inserts the length
 * in front of the body once its size is known, so nothing is measured by
 * hand. Any misuse or overflow sets failed and the result is discarded.
 */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR 0x5c
#define AML_NULL_NAME 0x00

#define AML_MAX_DEPTH 8

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t open[AML_MAX_DEPTH]; /* body start of each open object */
	int depth;
	bool failed;
};

static void aml_init(struct aml *a, uint8_t *buf, size_t cap, size_t skip)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
	if (skip > cap)
		a->failed = true;
	else
		a->len = skip;
}

static void aml_byte(struct aml *a, uint8_t v)
{
	if (a->len >= a->cap) {
		a->failed = true;
		return;
	}
	a->buf[a->len++] = v;
}

static void aml_bytes(struct aml *a, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		aml_byte(a, p[i]);
}

static bool aml_name_char(char c, bool lead)
{
	return (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!lead && c >= '0' && c <= '9');
}

/* One NameSeg: 1-4 characters, padded with '_' as ASL does. */
static void aml_nameseg(struct aml *a, const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 4) {
		a->failed = true;
		return;
	}
	for (i = 0; i < 4; i++) {
		char c = i < n ? s[i] : '_';

		if (!aml_name_char(c, i == 0))
			a->failed = true;
		aml_byte(a, (uint8_t)c);
	}
}

/* NameString: an optional leading '\' and dot-separated segments. */
static void aml_name(struct aml *a, const char *path)
{
	const char *p = path;
	size_t segs = 1;
	const char *q;

	if (*p == '\\') {
		aml_byte(a, AML_ROOT_CHAR);
		p++;
		if (!*p) {
			aml_byte(a, AML_NULL_NAME);
			return;
		}
	}
	for (q = p; *q; q++)
		segs += *q == '.';
	if (segs == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (segs > 2) {
		if (segs > 255) {
			a->failed = true;
			return;
		}
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)segs);
	}
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		aml_nameseg(a, p, n);
		if (!dot)
			break;
		p = dot + 1;
	}
}

/* The shortest encoding of an integer constant. */
static void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t b[8];

	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_byte(a, (uint8_t)v);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		put_le16(b, (uint16_t)v);
		aml_bytes(a, b, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		put_le32(b, (uint32_t)v);
		aml_bytes(a, b, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		put_le64(b, v);
		aml_bytes(a, b, 8);
	}
}

static void aml_open(struct aml *a)
{
	if (a->depth >= AML_MAX_DEPTH) {
		a->failed = true;
		return;
	}
	a->open[a->depth++] = a->len;
}

/*
 * PkgLength (20.2.4) counts its own bytes: one byte holds up to 63; longer
 * lengths put the count of following bytes in bits 6-7 of the lead byte,
 * the low 4 bits of the length in its bits 0-3, and the rest in the
 * following bytes, least significant first.
 */
size_t acpi_aml_pkg_length(size_t body, uint8_t enc[4])
{
	size_t n, i, total;

	for (n = 1; n <= 4; n++) {
		size_t limit = n == 1 ? 0x3f :
					((size_t)1 << (4 + 8 * (n - 1))) - 1;

		if (body <= limit - n)
			break;
	}
	if (n > 4)
		return 0;
	total = body + n;
	if (n == 1) {
		enc[0] = (uint8_t)total;
		return 1;
	}
	enc[0] = (uint8_t)((n - 1) << 6 | (total & 0x0f));
	for (i = 1; i < n; i++)
		enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	return n;
}

/* Put the PkgLength in front of the innermost open object's body. */
static void aml_close(struct aml *a)
{
	uint8_t enc[4];
	size_t start, body, n;

	if (a->depth == 0) {
		a->failed = true;
		return;
	}
	start = a->open[--a->depth];
	if (a->failed)
		return;
	body = a->len - start;
	n = acpi_aml_pkg_length(body, enc);
	if (!n || a->cap - a->len < n) {
		a->failed = true;
		return;
	}
	memmove(a->buf + start + n, a->buf + start, body);
	memcpy(a->buf + start, enc, n);
	a->len += n;
}

/* Name(name, ...): the value follows. */
static void aml_name_decl(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_name(a, name);
}

static void aml_scope_open(struct aml *a, const char *name)
{
	aml_byte(a, AML_SCOPE_OP);
	aml_open(a);
	aml_name(a, name);
}

static void aml_device_open(struct aml *a, const char *name)
{
	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	aml_open(a);
	aml_name(a, name);
}

static void aml_package_open(struct aml *a, uint8_t nr_elements)
{
	aml_byte(a, AML_PACKAGE_OP);
	aml_open(a);
	aml_byte(a, nr_elements);
}

static void aml_buffer(struct aml *a, const uint8_t *data, size_t n)
{
	aml_byte(a, AML_BUFFER_OP);
	aml_open(a);
	aml_integer(a, n);
	aml_bytes(a, data, n);
	aml_close(a);
}

/* A NUL-terminated ASCII string, e.g. an ACPI ID ("QEMU0001"). */
static void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, (const uint8_t *)s, strlen(s) + 1);
}

/*
 * EisaId("PNP0501"): three letters in 5 bits each, then four hex digits,
 * as a DWord whose bytes are in that order.
 */
static void aml_eisaid(struct aml *a, const char *id)
{
	uint8_t b[4];
	uint32_t digits = 0;
	int i;

	if (strlen(id) != 7) {
		a->failed = true;
		return;
	}
	for (i = 0; i < 3; i++)
		if (id[i] < 'A' || id[i] > 'Z')
			a->failed = true;
	for (i = 3; i < 7; i++) {
		char c = id[i];
		unsigned int d;

		if (c >= '0' && c <= '9') {
			d = (unsigned int)(c - '0');
		} else if (c >= 'A' && c <= 'F') {
			d = (unsigned int)(c - 'A' + 10);
		} else {
			a->failed = true;
			d = 0;
		}
		digits = digits << 4 | d;
	}
	b[0] = (uint8_t)((id[0] - 0x40) << 2 | (id[1] - 0x40) >> 3);
	b[1] = (uint8_t)(((id[1] - 0x40) & 7) << 5 | (id[2] - 0x40));
	b[2] = (uint8_t)(digits >> 8);
	b[3] = (uint8_t)digits;
	aml_byte(a, AML_DWORD_PREFIX);
	aml_bytes(a, b, 4);
}

/* Small resource descriptors (6.4.2). */
#define RES_IO 0x47 /* I/O port descriptor, 7 bytes follow */
#define RES_IO_DECODE16 0x01
#define RES_IRQ_NOFLAGS 0x22 /* IRQ descriptor, 2 bytes: edge, high */
#define RES_END_TAG 0x79 /* checksum byte follows; 0 = none */
#define RES_MAX 32
#define NO_IRQ (-1)

/*
 * An ISA device at fixed ports: _HID (a 7-character EISA ID, or an
 * 8-character ACPI ID as a string), _UID and a _CRS with one I/O range
 * and, when irq >= 0, one edge-triggered active-high ISA IRQ.
 */
static void aml_isa_device(struct aml *a, const char *name, const char *hid,
			   unsigned int uid, uint16_t port, uint8_t nr_ports,
			   int irq)
{
	uint8_t res[RES_MAX];
	size_t n = 0;

	res[n++] = RES_IO;
	res[n++] = RES_IO_DECODE16;
	put_le16(res + n, port); /* minimum base */
	put_le16(res + n + 2, port); /* maximum base */
	n += 4;
	res[n++] = 1; /* alignment */
	res[n++] = nr_ports;
	if (irq >= 0 && irq < 16) {
		res[n++] = RES_IRQ_NOFLAGS;
		put_le16(res + n, (uint16_t)(1u << irq));
		n += 2;
	}
	res[n++] = RES_END_TAG;
	res[n++] = 0;

	aml_device_open(a, name);
	aml_name_decl(a, "_HID");
	if (strlen(hid) == 8)
		aml_string(a, hid);
	else
		aml_eisaid(a, hid);
	aml_name_decl(a, "_UID");
	aml_integer(a, uid);
	aml_name_decl(a, "_CRS");
	aml_buffer(a, res, n);
	aml_close(a);
}

/* The DSDT's AML; returns its total length or 0 when it did not fit. */
static size_t build_dsdt(uint8_t *buf, size_t cap)
{
	struct aml a;

	aml_init(&a, buf, cap, HDR_SIZE);

	/*
	 * \_S5_ (7.4.2.1): element 0 is the SLP_TYP that OSPM writes to the
	 * sleep control register to power off; the PM1b value is unused
	 * on a hardware-reduced platform; the last two are reserved.
	 */
	aml_name_decl(&a, "_S5_");
	aml_package_open(&a, 4);
	aml_integer(&a, ACPI_S5_SLP_TYP);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_close(&a);

	aml_scope_open(&a, "\\_SB_");
	/* QEMU's pvpanic: Linux's pvpanic driver binds to QEMU0001. */
	aml_isa_device(&a, "PEVT", "QEMU0001", 0, ACPI_PVPANIC_PORT, 1, NO_IRQ);
	aml_isa_device(&a, "COM1", "PNP0501", 1, 0x3f8, 8, 4);
	/* Add IRQ 8 here once the RTC model raises it. */
	aml_isa_device(&a, "RTC_", "PNP0B00", 0, 0x70, 2, NO_IRQ);
	aml_close(&a);

	if (a.failed || a.depth != 0)
		return 0;
	put_header(buf, "DSDT", (uint32_t)a.len, DSDT_REVISION);
	finish_table(buf, (uint32_t)a.len);
	return a.len;
}

static void put_gas_io8(uint8_t *g, uint16_t port)
{
	g[0] = GAS_SYSTEM_IO;
	g[1] = 8; /* register bit width */
	g[2] = 0; /* bit offset */
	g[3] = GAS_ACCESS_BYTE;
	put_le64(g + 4, port);
}

static void build_fadt(uint8_t *t, uint64_t dsdt)
{
	put_header(t, "FACP", FADT_SIZE, FADT_REVISION);
	/* No FACS: allowed when HW_REDUCED_ACPI is set (FIRMWARE_CTRL 0). */
	put_le32(t + FADT_DSDT, (uint32_t)dsdt);
	put_le64(t + FADT_X_DSDT, dsdt);
	put_le16(t + FADT_SCI_INT, ACPI_SCI_IRQ);
	t[FADT_CENTURY] = RTC_CENTURY_INDEX;
	put_le16(t + FADT_IAPC_BOOT_ARCH,
		 IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT);
	put_le32(t + FADT_FLAGS,
		 FADT_F_WBINVD | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON |
			 FADT_F_RESET_REG_SUP | FADT_F_HW_REDUCED_ACPI);
	put_gas_io8(t + FADT_RESET_REG, ACPI_PM_RESET_PORT);
	t[FADT_RESET_VALUE] = ACPI_PM_RESET_VALUE;
	t[FADT_MINOR_VERSION] = FADT_MINOR_REVISION;
	put_gas_io8(t + FADT_SLEEP_CONTROL_REG, ACPI_PM_SLEEP_CTL_PORT);
	put_gas_io8(t + FADT_SLEEP_STATUS_REG, ACPI_PM_SLEEP_STS_PORT);
	memcpy(t + FADT_HYPERVISOR_ID, ACPI_HYPERVISOR_ID, 8);
	finish_table(t, FADT_SIZE);
}

static size_t madt_size(int nr_cpus)
{
	return MADT_ENTRIES + (size_t)nr_cpus * MADT_LAPIC_SIZE +
	       MADT_IOAPIC_SIZE + MADT_NR_ISO * MADT_ISO_SIZE +
	       MADT_LAPIC_NMI_SIZE;
}

static uint8_t *madt_iso(uint8_t *e, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	e[0] = MADT_TYPE_ISO;
	e[1] = MADT_ISO_SIZE;
	e[2] = 0; /* bus: ISA */
	e[3] = irq;
	put_le32(e + 4, gsi);
	put_le16(e + 8, flags);
	return e + MADT_ISO_SIZE;
}

static void build_madt(uint8_t *t, size_t len, int nr_cpus)
{
	uint8_t *e = t + MADT_ENTRIES;
	int i;

	put_header(t, "APIC", (uint32_t)len, MADT_REVISION);
	put_le32(t + MADT_LAPIC_ADDR, ACPI_LAPIC_ADDR);
	put_le32(t + MADT_FLAGS, MADT_PCAT_COMPAT);

	/* ACPI processor UID = APIC ID = vCPU index, as cpuid.c reports. */
	for (i = 0; i < nr_cpus; i++) {
		e[0] = MADT_TYPE_LAPIC;
		e[1] = MADT_LAPIC_SIZE;
		e[2] = (uint8_t)i;
		e[3] = (uint8_t)i;
		put_le32(e + 4, MADT_LAPIC_ENABLED);
		e += MADT_LAPIC_SIZE;
	}

	/* An ID no CPU uses, as 32-bit kernels insist on a unique one. */
	e[0] = MADT_TYPE_IOAPIC;
	e[1] = MADT_IOAPIC_SIZE;
	e[2] = (uint8_t)nr_cpus;
	e[3] = 0;
	put_le32(e + 4, ACPI_IOAPIC_ADDR);
	put_le32(e + 8, 0); /* GSI base */
	e += MADT_IOAPIC_SIZE;

	/*
	 * The PIT's IRQ 0 reaches IOAPIC pin 2 (irq_routing.c routes GSI 0
	 * there); the (unused) SCI is level-triggered, active high.
	 */
	e = madt_iso(e, 0, 2, INTI_ACTIVE_HIGH | INTI_EDGE);
	e = madt_iso(e, ACPI_SCI_IRQ, ACPI_SCI_IRQ,
		     INTI_ACTIVE_HIGH | INTI_LEVEL);

	/* LINT1 is NMI on every processor, as vm.c programs it. */
	e[0] = MADT_TYPE_LAPIC_NMI;
	e[1] = MADT_LAPIC_NMI_SIZE;
	e[2] = MADT_ALL_CPUS;
	put_le16(e + 3, INTI_ACTIVE_HIGH | INTI_EDGE);
	e[5] = 1; /* LINT1 */

	finish_table(t, (uint32_t)len);
}

static void build_rsdt(uint8_t *t, const uint64_t *entries, size_t n)
{
	uint32_t len = (uint32_t)(HDR_SIZE + 4 * n);
	size_t i;

	put_header(t, "RSDT", len, RSDT_REVISION);
	for (i = 0; i < n; i++)
		put_le32(t + HDR_SIZE + 4 * i, (uint32_t)entries[i]);
	finish_table(t, len);
}

static void build_xsdt(uint8_t *t, const uint64_t *entries, size_t n)
{
	uint32_t len = (uint32_t)(HDR_SIZE + 8 * n);
	size_t i;

	put_header(t, "XSDT", len, XSDT_REVISION);
	for (i = 0; i < n; i++)
		put_le64(t + HDR_SIZE + 8 * i, entries[i]);
	finish_table(t, len);
}

static void build_rsdp(uint8_t *r, uint64_t rsdt, uint64_t xsdt)
{
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + RSDP_OEM_ID, ACPI_OEM_ID, 6);
	r[RSDP_REVISION] = 2;
	put_le32(r + RSDP_RSDT, (uint32_t)rsdt);
	put_le32(r + RSDP_LENGTH, RSDP_SIZE);
	put_le64(r + RSDP_XSDT, xsdt);
	set_checksum(r, RSDP_V1_SIZE, RSDP_CHECKSUM);
	set_checksum(r, RSDP_SIZE, RSDP_XCHECKSUM);
}

static size_t align_up(size_t v)
{
	return (v + ACPI_TABLE_ALIGN - 1) & ~(size_t)(ACPI_TABLE_ALIGN - 1);
}

int acpi_build(struct guest_memory *mem, const struct acpi_params *p,
	       uint64_t *rsdp_gpa, struct errmsg *err)
{
	uint8_t dsdt[DSDT_MAX];
	size_t dsdt_len, madt_len;
	size_t off_rsdt, off_xsdt, off_fadt, off_dsdt, off_madt, end;
	uint64_t roots[NR_ROOT_ENTRIES];
	uint8_t *area;

	if (!mem || !p || !rsdp_gpa)
		return errmsg_set(err, EINVAL, "acpi_build: missing argument");
	if (p->nr_cpus < 1 || p->nr_cpus > ACPI_MAX_CPUS)
		return errmsg_set(
			err, EINVAL,
			"cannot describe %d vCPUs in the ACPI MADT: kvmscope supports 1 to %d",
			p->nr_cpus, ACPI_MAX_CPUS);

	memset(dsdt, 0, sizeof(dsdt));
	dsdt_len = build_dsdt(dsdt, sizeof(dsdt));
	if (!dsdt_len)
		return errmsg_set(
			err, EOVERFLOW,
			"internal error: the DSDT does not fit its %d-byte buffer",
			DSDT_MAX);
	madt_len = madt_size(p->nr_cpus);

	/* The RSDP comes first, at the 16-byte-aligned start of the area. */
	off_rsdt = align_up(RSDP_SIZE);
	off_xsdt = align_up(off_rsdt + HDR_SIZE + 4 * NR_ROOT_ENTRIES);
	off_fadt = align_up(off_xsdt + HDR_SIZE + 8 * NR_ROOT_ENTRIES);
	off_dsdt = align_up(off_fadt + FADT_SIZE);
	off_madt = align_up(off_dsdt + dsdt_len);
	end = off_madt + madt_len;
	if (end > LAYOUT_BIOS_STUB - LAYOUT_BIOS)
		return errmsg_set(
			err, E2BIG,
			"internal error: ACPI tables need %zu bytes, more than the BIOS area's %llu",
			end,
			(unsigned long long)(LAYOUT_BIOS_STUB - LAYOUT_BIOS));
	area = guest_memory_ptr(mem, LAYOUT_BIOS, end);
	if (!area)
		return errmsg_set(
			err, EFAULT,
			"guest RAM (%llu KiB) does not reach the BIOS area at 0x%llx where the ACPI tables go: increase --mem",
			(unsigned long long)(mem->ram_size >> 10),
			(unsigned long long)LAYOUT_BIOS);

	memset(area, 0, end);
	build_fadt(area + off_fadt, LAYOUT_BIOS + off_dsdt);
	memcpy(area + off_dsdt, dsdt, dsdt_len);
	build_madt(area + off_madt, madt_len, p->nr_cpus);
	roots[0] = LAYOUT_BIOS + off_fadt;
	roots[1] = LAYOUT_BIOS + off_madt;
	build_rsdt(area + off_rsdt, roots, NR_ROOT_ENTRIES);
	build_xsdt(area + off_xsdt, roots, NR_ROOT_ENTRIES);
	build_rsdp(area, LAYOUT_BIOS + off_rsdt, LAYOUT_BIOS + off_xsdt);

	*rsdp_gpa = LAYOUT_BIOS;
	return 0;
}
