/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the ACPI table builders share (acpi.c: RSDP, RSDT/XSDT, DSDT, MADT;
 * acpi_fadt.c: FADT, FACS): little-endian stores, the common header.
 */
#ifndef KVMSCOPE_ARCH_X86_ACPI_TABLE_H
#define KVMSCOPE_ARCH_X86_ACPI_TABLE_H

#include <stdint.h>

#include "util/le.h"

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

#define ACPI_FADT_SIZE 276 /* revision 6.5 */
#define ACPI_FACS_ALIGN 64

/* The header with kvmscope's OEM fields; the checksum comes last. */
void acpi_put_header(uint8_t *t, const char *sig, uint32_t len,
		     uint8_t revision);
/* Last step of every table: the checksum covers all of its bytes. */
void acpi_finish_table(uint8_t *t, uint32_t len);

/* ACPI_FADT_SIZE bytes at t, pointing at the FACS and DSDT. */
void acpi_build_fadt(uint8_t *t, uint64_t facs, uint64_t dsdt);
/* ACPI_FACS_SIZE bytes at f. */
void acpi_build_facs(uint8_t *f);

#endif
