// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables for a small PC (ACPI 6.5): RSDP, RSDT, XSDT, FADT, FACS,
 * DSDT and MADT, packed from the start of the BIOS area. The FADT and
 * FACS are built in acpi_fadt.c.
 *
 * Choices that matter to Linux, the main guest:
 *  - A full-hardware FADT with the least fixed hardware ACPI allows (PM1a
 *    blocks and SCI, nothing else): the FACS, and so S3, needs it; see
 *    acpi_fadt.c. Every ISA device that interrupts is in the DSDT, so
 *    Linux maps its IRQ to a GSI.
 *  - The 32-bit and 64-bit copies of every address (RSDT/XSDT, DSDT/X_DSDT)
 *    agree, so ACPICA never warns about a mismatch and old readers work.
 *  - IAPC_BOOT_ARCH leaves the 8042 flag clear: Linux then marks the i8042
 *    "firmware absent" and, finding no PS/2 device in the DSDT, skips the
 *    controller probe altogether (a kernel without PNP still probes it; the
 *    i8042 model answers fast). Reset keeps working through 0xcf9 and 0x64.
 *  - The CMOS RTC stays (flag clear, CENTURY at 0x32) and is in the DSDT
 *    as PNP0B00 with IRQ 8, which its alarm raises: rtc-cmos binds to it.
 *  - S3: a FACS for the waking vector, \_S3_ for PM1a control's SLP_TYP.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "arch/x86/acpi.h"
#include "arch/x86/acpi_table.h"
#include "arch/x86/acpi_pci.h"
#include "arch/x86/aml.h"
#include "arch/x86/layout.h"

#define ACPI_OEM_ID "KVMSCP"
#define ACPI_OEM_TABLE_ID "KVMSCOPE"
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "KVMS"
#define ACPI_CREATOR_REVISION 1

#define ACPI_TABLE_ALIGN 16

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
#define NR_ROOT_ENTRIES 3 /* FADT, MADT, MCFG */

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
#define DSDT_MAX 4096 /* grow when the DSDT does; overruns are caught */

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

void acpi_put_header(uint8_t *t, const char *sig, uint32_t len,
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
void acpi_finish_table(uint8_t *t, uint32_t len)
{
	set_checksum(t, len, HDR_CHECKSUM);
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
static size_t build_dsdt(uint8_t *buf, size_t cap, uint64_t high_ram_size)
{
	struct aml a;

	aml_init(&a, buf, cap, HDR_SIZE);

	/*
	 * \_S5_ (7.4.2.1): element 0 is the SLP_TYP that OSPM writes to
	 * PM1a control (or the sleep control register) to power off; the
	 * PM1b value is unused (no PM1b block); the last two are reserved.
	 */
	aml_name_decl(&a, "_S5_");
	aml_package_open(&a, 4);
	aml_integer(&a, ACPI_S5_SLP_TYP);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_close(&a);

	/*
	 * \_S3_ (suspend to RAM): the SLP_TYP that acpi_pm takes as S3
	 * (devices/acpi_pm.c); the waking vector is in the FACS.
	 */
	aml_name_decl(&a, "_S3_");
	aml_package_open(&a, 4);
	aml_integer(&a, ACPI_S3_SLP_TYP);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_close(&a);

	aml_scope_open(&a, "\\_SB_");
	/* QEMU's pvpanic: Linux's pvpanic driver binds to QEMU0001. */
	aml_isa_device(&a, "PEVT", "QEMU0001", 0, ACPI_PVPANIC_PORT, 1, NO_IRQ);
	aml_isa_device(&a, "COM1", "PNP0501", 1, 0x3f8, 8, 4);
	/* IRQ 8: the alarm (devices/rtc.c), also an S3 wake source. */
	aml_isa_device(&a, "RTC_", "PNP0B00", 0, 0x70, 2, 8);
	acpi_dsdt_pci(&a, high_ram_size);
	aml_close(&a);

	if (a.failed || a.depth != 0)
		return 0;
	acpi_put_header(buf, "DSDT", (uint32_t)a.len, DSDT_REVISION);
	acpi_finish_table(buf, (uint32_t)a.len);
	return a.len;
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

	acpi_put_header(t, "APIC", (uint32_t)len, MADT_REVISION);
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

	acpi_finish_table(t, (uint32_t)len);
}

static void build_rsdt(uint8_t *t, const uint64_t *entries, size_t n)
{
	uint32_t len = (uint32_t)(HDR_SIZE + 4 * n);
	size_t i;

	acpi_put_header(t, "RSDT", len, RSDT_REVISION);
	for (i = 0; i < n; i++)
		put_le32(t + HDR_SIZE + 4 * i, (uint32_t)entries[i]);
	acpi_finish_table(t, len);
}

static void build_xsdt(uint8_t *t, const uint64_t *entries, size_t n)
{
	uint32_t len = (uint32_t)(HDR_SIZE + 8 * n);
	size_t i;

	acpi_put_header(t, "XSDT", len, XSDT_REVISION);
	for (i = 0; i < n; i++)
		put_le64(t + HDR_SIZE + 8 * i, entries[i]);
	acpi_finish_table(t, len);
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

static size_t align_to(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static size_t align_up(size_t v)
{
	return align_to(v, ACPI_TABLE_ALIGN);
}

/* The fixed-size tables come first, so the FACS never moves. */
#define OFF_RSDT align_up(RSDP_SIZE)
#define OFF_XSDT align_up(OFF_RSDT + HDR_SIZE + 4 * NR_ROOT_ENTRIES)
#define OFF_FADT align_up(OFF_XSDT + HDR_SIZE + 8 * NR_ROOT_ENTRIES)
#define OFF_FACS align_to(OFF_FADT + ACPI_FADT_SIZE, ACPI_FACS_ALIGN)

uint64_t acpi_facs_gpa(void)
{
	return LAYOUT_BIOS + OFF_FACS;
}

int acpi_build(struct guest_memory *mem, const struct acpi_params *p,
	       uint64_t *rsdp_gpa, struct errmsg *err)
{
	uint8_t dsdt[DSDT_MAX];
	size_t dsdt_len, madt_len;
	size_t off_rsdt, off_xsdt, off_fadt, off_facs, off_dsdt, off_madt;
	size_t off_mcfg;
	size_t end;
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
	dsdt_len = build_dsdt(dsdt, sizeof(dsdt), p->high_ram_size);
	if (!dsdt_len)
		return errmsg_set(
			err, EOVERFLOW,
			"internal error: the DSDT does not fit its %d-byte buffer",
			DSDT_MAX);
	madt_len = madt_size(p->nr_cpus);

	/* The RSDP comes first, at the 16-byte-aligned start of the area. */
	off_rsdt = OFF_RSDT;
	off_xsdt = OFF_XSDT;
	off_fadt = OFF_FADT;
	off_facs = OFF_FACS;
	off_dsdt = align_up(off_facs + ACPI_FACS_SIZE);
	off_madt = align_up(off_dsdt + dsdt_len);
	off_mcfg = align_up(off_madt + madt_len);
	end = off_mcfg + acpi_mcfg_size();
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
	acpi_build_facs(area + off_facs);
	acpi_build_fadt(area + off_fadt, LAYOUT_BIOS + off_facs,
			LAYOUT_BIOS + off_dsdt);
	memcpy(area + off_dsdt, dsdt, dsdt_len);
	build_madt(area + off_madt, madt_len, p->nr_cpus);
	acpi_build_mcfg(area + off_mcfg);
	roots[0] = LAYOUT_BIOS + off_fadt;
	roots[1] = LAYOUT_BIOS + off_madt;
	roots[2] = LAYOUT_BIOS + off_mcfg;
	build_rsdt(area + off_rsdt, roots, NR_ROOT_ENTRIES);
	build_xsdt(area + off_xsdt, roots, NR_ROOT_ENTRIES);
	build_rsdp(area, LAYOUT_BIOS + off_rsdt, LAYOUT_BIOS + off_xsdt);

	*rsdp_gpa = LAYOUT_BIOS;
	return 0;
}
