// SPDX-License-Identifier: GPL-2.0
/*
 * Tell the kernel where the ACPI RSDP is, through the boot information its
 * loader already wrote: boot_params.acpi_rsdp_addr (boot protocol 2.14+)
 * or hvm_start_info.rsdp_paddr. Kernels without either field, and
 * multiboot kernels, find the RSDP by scanning the BIOS area instead.
 */
#include <errno.h>

#include "arch/x86/boot.h"
#include "arch/x86/layout.h"

/* struct boot_params and its setup header. */
#define BP_SIZE 0x1000
#define BP_ACPI_RSDP_ADDR 0x070
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_MAGIC_VALUE 0x53726448U /* "HdrS" */
#define BOOT_PROTOCOL_RSDP 0x020e /* 2.14 added acpi_rsdp_addr */

/* struct hvm_start_info (version 0 already has rsdp_paddr). */
#define SI_MAGIC 0
#define SI_RSDP_PADDR 32
#define SI_RSDP_END 40
#define HVM_START_MAGIC 0x336ec578U

int boot_set_rsdp(struct guest_memory *mem, enum boot_format fmt,
		  uint64_t rsdp_gpa)
{
	uint8_t *p;

	switch (fmt) {
	case BOOT_FORMAT_BZIMAGE:
		p = guest_memory_ptr(mem, LAYOUT_ZERO_PAGE, BP_SIZE);
		if (!p)
			return -EFAULT;
		/* The loader copied the kernel's setup header here. */
		if (boot_get_le32(p + HDR_MAGIC) != HDR_MAGIC_VALUE)
			return -EINVAL;
		/* Older kernels own those bytes for something else. */
		if (boot_get_le16(p + HDR_VERSION) < BOOT_PROTOCOL_RSDP)
			return 0;
		boot_put_le64(p + BP_ACPI_RSDP_ADDR, rsdp_gpa);
		return 0;
	case BOOT_FORMAT_PVH:
		p = guest_memory_ptr(mem, LAYOUT_BOOT_INFO, SI_RSDP_END);
		if (!p)
			return -EFAULT;
		if (boot_get_le32(p + SI_MAGIC) != HVM_START_MAGIC)
			return -EINVAL;
		boot_put_le64(p + SI_RSDP_PADDR, rsdp_gpa);
		return 0;
	default:
		/* Multiboot v1 has no RSDP field. */
		return 0;
	}
}
