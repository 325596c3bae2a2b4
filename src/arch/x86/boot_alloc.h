/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a loader may put things: guest RAM below 3 GiB (the e820 RAM
 * ranges) minus the ranges marked so far. A loader marks the kernel image
 * first, so that the boot data it places afterwards never lands on it:
 *
 *   fixed  page 0 and the EBDA/VGA/BIOS area, marked by boot_alloc_init;
 *          a loader may add its own (the bzImage identity page tables).
 *          An image that overlaps one is refused with both ranges named.
 *   image  the kernel's segments (boot_alloc_image). They may overlap each
 *          other (the ELF check bounds that); the boot data may not.
 *   data   what boot_alloc_place chose: boot information, modules, initrd.
 *
 * The one allocator of all three loaders, so that they agree on what is
 * free and on where each kind of boot data goes (see enum boot_place).
 */
#ifndef KVMSCOPE_ARCH_X86_BOOT_ALLOC_H
#define KVMSCOPE_ARCH_X86_BOOT_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/e820.h"
#include "util/errmsg.h"
#include "vmm/memory.h"

/*
 * Fixed areas, image pieces (touching ones merge; kernels have a handful),
 * up to 16 modules or initrds and the boot information.
 */
#define BOOT_ALLOC_MAX_RANGES 64
#define BOOT_ALLOC_MAX_IMAGE 32 /* separate image pieces */

enum boot_range_kind {
	BOOT_RANGE_FIXED,
	BOOT_RANGE_IMAGE,
	BOOT_RANGE_DATA,
};

struct boot_range {
	uint64_t start;
	uint64_t end; /* exclusive */
	enum boot_range_kind kind;
	const char *what; /* fixed ranges: "page 0 (...)", for messages */
};

struct boot_alloc {
	const struct guest_memory *mem;
	struct e820_entry map[E820_MAX_ENTRIES];
	int nr_map;
	uint64_t ram_end; /* end of RAM below the MMIO hole */
	uint64_t image_lo; /* extent of the image ranges; lo >= hi: none */
	uint64_t image_hi;
	uint64_t after_end; /* end of the last BOOT_PLACE_AFTER_IMAGE block */
	int nr;
	int nr_image;
	struct boot_range r[BOOT_ALLOC_MAX_RANGES];
};

/*
 * How boot_alloc_place chooses, after the image is known.
 */
enum boot_place {
	/*
	 * Boot information (MBI, memory map, command line; hvm_start_info;
	 * the zero page): conventional memory below 1 MiB, where real-mode
	 * code can reach it and where QEMU puts the multiboot information
	 * (0x9000). Below the image first, bottom-up from 0x9000 then from
	 * 0x1000; then the rest of conventional memory top-down, 64 KiB or
	 * more past the image's end (a kernel linked low grows its heap up
	 * from there); only when that has no room, the highest free RAM.
	 */
	BOOT_PLACE_INFO,
	/*
	 * Multiboot modules: the first free pages from the end of the image
	 * (the next ones from the end of the previous module), as QEMU's and
	 * GRUB legacy's loaders place them (see multiboot.c); when nothing
	 * above the image has room, the highest free RAM above 1 MiB.
	 */
	BOOT_PLACE_AFTER_IMAGE,
};

/* Empty layout over mem's RAM with the fixed firmware areas marked. */
void boot_alloc_init(struct boot_alloc *a, const struct guest_memory *mem);

/* Mark [start, start + size) as fixed. -ENOSPC if the table is full. */
int boot_alloc_fixed(struct boot_alloc *a, uint64_t start, uint64_t size,
		     const char *what);

/*
 * Mark a piece of the kernel image after checking that it may go there:
 * guest RAM below 3 GiB (size 0 counts as 1) and no fixed range. what
 * names it in the message ("ELF segment 2"). -ERANGE with err set.
 */
int boot_alloc_image(struct boot_alloc *a, const char *what, uint64_t addr,
		     uint64_t size, struct errmsg *err);

/*
 * Choose size bytes (aligned to align, a power of two) by policy, mark
 * them and store the address in *addr. -ENOSPC with err set (naming what
 * and the image) when no free RAM has room.
 */
int boot_alloc_place(struct boot_alloc *a, const char *what, uint64_t size,
		     uint64_t align, enum boot_place policy, uint64_t *addr,
		     struct errmsg *err);

/*
 * The lowest (first_fit) or highest (last_fit) free block of size bytes
 * inside [lo, hi), aligned to align (a power of two; 0 counts as 1).
 * Nothing is marked; true when one was found.
 */
bool boot_alloc_first_fit(const struct boot_alloc *a, uint64_t size,
			  uint64_t align, uint64_t lo, uint64_t hi,
			  uint64_t *addr);
bool boot_alloc_last_fit(const struct boot_alloc *a, uint64_t size,
			 uint64_t align, uint64_t lo, uint64_t hi,
			 uint64_t *addr);

/* Mark [start, start + size) as boot data (after a *_fit). -ENOSPC: full. */
int boot_alloc_mark(struct boot_alloc *a, uint64_t start, uint64_t size);

/* True when [start, start + size) overlaps no marked range. */
bool boot_alloc_is_free(const struct boot_alloc *a, uint64_t start,
			uint64_t size);

#endif
