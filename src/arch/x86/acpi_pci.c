// SPDX-License-Identifier: GPL-2.0
/*
 * PCI in ACPI: the host bridge \_SB.PCI0 (PNP0A08, PCI Express with
 * ECAM) with its resource windows and interrupt routing, a motherboard
 * resource device that reserves the ECAM range (Linux uses MMCONFIG only
 * when a PNP0C01/PNP0C02 _CRS covers it), and the MCFG table naming that
 * range for bus 0. The windows and routing are devices/pci.h's.
 */
#include <string.h>

#include "arch/x86/acpi_pci.h"
#include "arch/x86/acpi_table.h"
#include "arch/x86/aml.h"
#include "devices/pci.h"

/* Large resource descriptors (ACPI 6.5, 6.4.3). */
#define RES_MEM32_FIXED 0x86
#define RES_DWORD 0x87
#define RES_WORD 0x88
#define RES_QWORD 0x8a
#define RES_IO 0x47
#define RES_END_TAG 0x79
#define RES_TYPE_MEM 0
#define RES_TYPE_IO 1
#define RES_TYPE_BUS 2
/* General flags: producer, decode positive, min and max fixed. */
#define RES_FLAGS_WINDOW 0x0c
#define RES_MEM_RW 0x01
#define RES_IO_ENTIRE 0x03

#define MCFG_ENTRIES_OFF 44
#define MCFG_ENTRY_SIZE 16

static size_t put_word(uint8_t *p, uint8_t type, uint8_t tflags, uint16_t min,
		       uint16_t max)
{
	p[0] = RES_WORD;
	put_le16(p + 1, 13);
	p[3] = type;
	p[4] = RES_FLAGS_WINDOW;
	p[5] = tflags;
	put_le16(p + 6, 0); /* granularity */
	put_le16(p + 8, min);
	put_le16(p + 10, max);
	put_le16(p + 12, 0); /* translation */
	put_le16(p + 14, (uint16_t)(max - min + 1));
	return 16;
}

static size_t put_dword(uint8_t *p, uint32_t min, uint32_t len)
{
	p[0] = RES_DWORD;
	put_le16(p + 1, 23);
	p[3] = RES_TYPE_MEM;
	p[4] = RES_FLAGS_WINDOW;
	p[5] = RES_MEM_RW;
	put_le32(p + 6, 0);
	put_le32(p + 10, min);
	put_le32(p + 14, min + len - 1);
	put_le32(p + 18, 0);
	put_le32(p + 22, len);
	return 26;
}

static size_t put_qword(uint8_t *p, uint64_t min, uint64_t len)
{
	p[0] = RES_QWORD;
	put_le16(p + 1, 43);
	p[3] = RES_TYPE_MEM;
	p[4] = RES_FLAGS_WINDOW;
	p[5] = RES_MEM_RW;
	put_le64(p + 6, 0);
	put_le64(p + 14, min);
	put_le64(p + 22, min + len - 1);
	put_le64(p + 30, 0);
	put_le64(p + 38, len);
	return 46;
}

/* _PRT entry: Package { address (slot << 16 | 0xffff), pin, 0, GSI }. */
static void prt_entry(struct aml *a, unsigned int slot, unsigned int pin)
{
	aml_package_open(a, 4);
	aml_integer(a, (uint64_t)slot << 16 | 0xffff);
	aml_integer(a, pin);
	aml_integer(a, 0);
	aml_integer(a, (uint64_t)pci_intx_gsi((int)slot, (int)pin + 1));
	aml_close(a);
}

void acpi_dsdt_pci(struct aml *a, uint64_t high_ram_size)
{
	uint8_t crs[160];
	size_t n = 0;
	unsigned int slot, pin;

	/* Bus 0, the config ports, the I/O and both memory windows. */
	n += put_word(crs + n, RES_TYPE_BUS, 0, 0, 0);
	crs[n++] = RES_IO;
	crs[n++] = 0x01; /* 16-bit decode */
	put_le16(crs + n, PCI_CONFIG_ADDRESS_PORT);
	put_le16(crs + n + 2, PCI_CONFIG_ADDRESS_PORT);
	crs[n + 4] = 1;
	crs[n + 5] = 8;
	n += 6;
	n += put_word(crs + n, RES_TYPE_IO, RES_IO_ENTIRE, PCI_IO_BASE,
		      PCI_IO_BASE + PCI_IO_SIZE - 1);
	n += put_dword(crs + n, (uint32_t)PCI_MMIO32_BASE,
		       (uint32_t)PCI_MMIO32_SIZE);
	n += put_qword(crs + n, pci_mmio64_base(high_ram_size),
		       PCI_MMIO64_SIZE);
	crs[n++] = RES_END_TAG;
	crs[n++] = 0;

	aml_device_open(a, "PCI0");
	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0A08");
	aml_name_decl(a, "_CID");
	aml_eisaid(a, "PNP0A03");
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	aml_name_decl(a, "_SEG");
	aml_integer(a, 0);
	aml_name_decl(a, "_BBN");
	aml_integer(a, 0);
	aml_name_decl(a, "_CRS");
	aml_buffer(a, crs, n);
	aml_name_decl(a, "_PRT");
	aml_package_open(a, (PCI_MAX_SLOTS - 1) * 4);
	for (slot = 1; slot < PCI_MAX_SLOTS; slot++)
		for (pin = 0; pin < 4; pin++)
			prt_entry(a, slot, pin);
	aml_close(a);
	aml_close(a);

	/* The ECAM range as a motherboard resource. */
	n = 0;
	crs[n++] = RES_MEM32_FIXED;
	put_le16(crs + n, 9);
	n += 2;
	crs[n++] = RES_MEM_RW;
	put_le32(crs + n, (uint32_t)PCI_ECAM_BASE);
	put_le32(crs + n + 4, (uint32_t)PCI_ECAM_SIZE);
	n += 8;
	crs[n++] = RES_END_TAG;
	crs[n++] = 0;
	aml_device_open(a, "MRES");
	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0C02");
	aml_name_decl(a, "_UID");
	aml_integer(a, 1);
	aml_name_decl(a, "_CRS");
	aml_buffer(a, crs, n);
	aml_close(a);
}

size_t acpi_mcfg_size(void)
{
	return MCFG_ENTRIES_OFF + MCFG_ENTRY_SIZE;
}

void acpi_build_mcfg(uint8_t *t)
{
	uint8_t *e = t + MCFG_ENTRIES_OFF;

	memset(t, 0, acpi_mcfg_size());
	put_le64(e, PCI_ECAM_BASE);
	put_le16(e + 8, 0); /* segment */
	e[10] = 0; /* start bus */
	e[11] = 0; /* end bus */
	acpi_put_header(t, "MCFG", (uint32_t)acpi_mcfg_size(), 1);
	acpi_finish_table(t, (uint32_t)acpi_mcfg_size());
}
