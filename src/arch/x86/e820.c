// SPDX-License-Identifier: GPL-2.0
#include "arch/x86/e820.h"
#include "arch/x86/layout.h"

static void add(struct e820_entry *out, int *n, uint64_t addr, uint64_t size,
		uint32_t type)
{
	if (size == 0)
		return;
	out[*n].addr = addr;
	out[*n].size = size;
	out[*n].type = type;
	(*n)++;
}

int e820_build(const struct guest_memory *mem, struct e820_entry *out)
{
	uint64_t low = guest_memory_low_end(mem);
	uint64_t high = guest_memory_high_size(mem);
	int n = 0;

	/* Conventional memory stops where a PC's EBDA starts. */
	add(out, &n, 0, low < LAYOUT_EBDA ? low : LAYOUT_EBDA, E820_RAM);
	/*
	 * The EBDA and BIOS area are reported even when RAM is tiny: they are
	 * never usable, and guests look for the RSDP in the BIOS area.
	 */
	add(out, &n, LAYOUT_EBDA, LAYOUT_VGA_HOLE - LAYOUT_EBDA, E820_RESERVED);
	add(out, &n, LAYOUT_BIOS, LAYOUT_HIGH_MEM - LAYOUT_BIOS, E820_RESERVED);
	if (low > LAYOUT_HIGH_MEM)
		add(out, &n, LAYOUT_HIGH_MEM, low - LAYOUT_HIGH_MEM, E820_RAM);
	add(out, &n, GUEST_HIGH_RAM_START, high, E820_RAM);
	return n;
}
