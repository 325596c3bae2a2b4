/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI tables for the guest, written into the BIOS area (layout.h) where
 * both a boot-loader-supplied pointer and the legacy RSDP scan find them.
 *
 * The platform is "hardware-reduced" ACPI (ACPI 6.5, section 4.1): no PM1
 * event/control blocks, no PM timer, no GPEs, no SCI, no FACS. Power-off
 * and reset go through the FADT's sleep control and reset registers, which
 * the acpi_pm device (devices/acpi_pm.c) implements at the ports below.
 *
 * Tables: RSDP -> RSDT and XSDT (same entries; 32-bit for ACPI 1.0-era
 * readers) -> FADT (-> DSDT) and MADT.
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
#define ACPI_PM_SLEEP_CTL_PORT 0x600 /* FADT SLEEP_CONTROL_REG, 8 bits */
#define ACPI_PM_SLEEP_STS_PORT 0x601 /* FADT SLEEP_STATUS_REG, 8 bits */
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
/* The SLP_TYP the DSDT's \_S5_ package gives for soft-off. */
#define ACPI_S5_SLP_TYP 5

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
};

/*
 * Write the tables into guest RAM and return the RSDP's guest-physical
 * address (16-byte aligned, inside 0xe0000-0xfffff). Returns 0 or -errno
 * with a message in err.
 */
int acpi_build(struct guest_memory *mem, const struct acpi_params *p,
	       uint64_t *rsdp_gpa, struct errmsg *err);

/*
 * Encode an AML PkgLength for an object body of the given size (the
 * length includes the encoding itself). Returns the number of bytes put
 * in enc (1-4), or 0 when the body is too large for AML. Exposed for tests.
 */
size_t acpi_aml_pkg_length(size_t body, uint8_t enc[4]);

#endif
