/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI tables for the guest, written into the BIOS area (layout.h) where
 * both a boot-loader-supplied pointer and the legacy RSDP scan find them.
 *
 * The fixed hardware is PM1a event and control blocks with an SCI, and
 * nothing more (no PM timer, no GPEs; acpi_fadt.c says why it is not a
 * "hardware-reduced" platform). Power-off, S3 and reset go through PM1a
 * control and the reset register, which the acpi_pm device
 * (devices/acpi_pm.c) implements at the ports below, with the
 * hardware-reduced sleep control/status registers kvmscope had before.
 *
 * Tables: RSDP -> RSDT and XSDT (same entries; 32-bit for ACPI 1.0-era
 * readers) -> FADT (-> FACS, DSDT) and MADT.
 */
#ifndef KVMSCOPE_ARCH_X86_ACPI_H
#define KVMSCOPE_ARCH_X86_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"
#include "vmm/memory.h"

/*
 * Shared with the acpi_pm device. 0x600 is above the ISA range and below
 * the PCI configuration ports; 0xcf9 is the PC's reset control register,
 * so the same device also serves guests that reset without ACPI.
 */
#define ACPI_PM_SLEEP_CTL_PORT 0x600 /* sleep control register, 8 bits */
#define ACPI_PM_SLEEP_STS_PORT 0x601 /* sleep status register, 8 bits */
#define ACPI_PM1A_EVT_PORT 0x604 /* FADT PM1a_EVT_BLK: status, enable */
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1A_CNT_PORT 0x608 /* FADT PM1a_CNT_BLK */
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_RESET_PORT 0xcf9 /* FADT RESET_REG, 8 bits */
#define ACPI_PM_RESET_VALUE 0x06 /* FADT RESET_VALUE: CPU reset + system */
/* QEMU's ISA pvpanic port, the DSDT's QEMU0001 device (devices/pvpanic.c) */
#define ACPI_PVPANIC_PORT 0x505

/* Sleep control register (ACPI 6.5, 4.8.3.7). */
#define ACPI_SLP_TYP_SHIFT 2
#define ACPI_SLP_TYP_MASK 0x1c
#define ACPI_SLP_EN 0x20
/* Sleep status register (ACPI 6.5, 4.8.3.8). */
#define ACPI_WAK_STS 0x80
/*
 * PM1 registers (4.8.3.1-2), 16 bits. The high byte of PM1 control is
 * laid out as the sleep control register (SLP_TYP in bits 10-12, SLP_EN
 * bit 13) and WAK_STS is bit 15 of PM1 status, bit 7 of its high byte.
 */
#define ACPI_PM1_STS_RTC 0x0400 /* RTC_STS / RTC_EN */
#define ACPI_PM1_STS_WAK 0x8000
#define ACPI_PM1_STS_W1C 0xc731 /* the status bits PM1 status has */
#define ACPI_PM1_EN_BITS 0x4721 /* TMR, GBL, PWRBTN, SLPBTN, RTC, PCIEXP */
#define ACPI_PM1_CNT_SCI_EN 0x0001
#define ACPI_PM1_CNT_GBL_RLS 0x0004 /* write-only */
#define ACPI_PM1_CNT_SLP_EN 0x2000 /* write-only */
/* The SLP_TYPs the DSDT's \_S3_ and \_S5_ packages give. */
#define ACPI_S3_SLP_TYP 1
#define ACPI_S5_SLP_TYP 5

/* FACS fields (ACPI 6.5, 5.2.10) the resume path reads. */
#define ACPI_FACS_SIZE 64
#define ACPI_FACS_WAKING_VECTOR 12 /* 32 bits: real-mode entry, seg:off */
#define ACPI_FACS_X_WAKING_VECTOR 24 /* 64 bits: protected-mode entry */
#define ACPI_FACS_OSPM_FLAGS 36
#define ACPI_FACS_64BIT_WAKE_F 0x2 /* OSPM flag: wake in 64-bit mode */

/* Reset control register bits (0xcf9 on PC chipsets). */
#define ACPI_RESET_SYS_RST 0x02
#define ACPI_RESET_RST_CPU 0x04 /* writing it set resets the machine */
#define ACPI_RESET_FULL_RST 0x08

/* One Local APIC entry per vCPU, with 8-bit xAPIC IDs. */
#define ACPI_MAX_CPUS 255

#define ACPI_IOAPIC_ADDR 0xfec00000U
#define ACPI_LAPIC_ADDR 0xfee00000U
#define ACPI_IOAPIC_PINS 24
#define ACPI_SCI_IRQ 9

struct acpi_params {
	int nr_cpus; /* 1..ACPI_MAX_CPUS; APIC IDs are 0..nr_cpus-1 */
	uint64_t high_ram_size; /* RAM above 4 GiB: PCI's 64-bit window follows */
};

/*
 * Write the tables into guest RAM and return the RSDP's guest-physical
 * address (16-byte aligned, inside 0xe0000-0xfffff). Returns 0 or -errno
 * with a message in err.
 */
int acpi_build(struct guest_memory *mem, const struct acpi_params *p,
	       uint64_t *rsdp_gpa, struct errmsg *err);

/* Where acpi_build puts the FACS (fixed: the tables before it are). */
uint64_t acpi_facs_gpa(void);

/*
 * Encode an AML PkgLength for an object body of the given size (the
 * length includes the encoding itself). Returns the number of bytes put
 * in enc (1-4), or 0 when the body is too large for AML. Exposed for tests.
 */
size_t acpi_aml_pkg_length(size_t body, uint8_t enc[4]);

#endif
