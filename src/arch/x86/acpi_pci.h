/* SPDX-License-Identifier: GPL-2.0 */
/* PCI's part of the ACPI tables (acpi_pci.c). */
#ifndef KVMSCOPE_ARCH_X86_ACPI_PCI_H
#define KVMSCOPE_ARCH_X86_ACPI_PCI_H

#include <stddef.h>
#include <stdint.h>

struct aml;

/* \_SB.PCI0 and the ECAM reservation, inside an open \_SB_ scope. */
void acpi_dsdt_pci(struct aml *a, uint64_t high_ram_size);
size_t acpi_mcfg_size(void);
/* acpi_mcfg_size() bytes at t. */
void acpi_build_mcfg(uint8_t *t);

#endif
