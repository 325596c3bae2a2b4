/* SPDX-License-Identifier: GPL-2.0 */
/* The guest's physical memory map, as e820 / multiboot / PVH tables see it. */
#ifndef KVMSCOPE_ARCH_X86_E820_H
#define KVMSCOPE_ARCH_X86_E820_H

#include <stdint.h>

#include "vmm/memory.h"

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_MAX_ENTRIES 8

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/*
 * Fill out[] (at least E820_MAX_ENTRIES) from the RAM layout; returns the
 * number of entries, sorted by address, non-overlapping.
 */
int e820_build(const struct guest_memory *mem, struct e820_entry *out);

#endif
