/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the loader fuzz targets hold every successful load to: each piece
 * of boot data lies in guest RAM, off page 0, off every range of the
 * kernel image and off every other piece. The image ranges come from the
 * input itself (its PT_LOAD segments, or the a.out kludge fields).
 */
#ifndef KVMSCOPE_TESTS_FUZZ_BOOT_ORACLE_H
#define KVMSCOPE_TESTS_FUZZ_BOOT_ORACLE_H

#include <stdint.h>

#include "arch/x86/elf.h"

#define ORACLE_MAX 128

struct oracle {
	uint64_t ram;
	int nr_image, nr_data;
	uint64_t image[ORACLE_MAX][2];
	uint64_t data[ORACLE_MAX][2];
	uint64_t image_lo; /* lowest image address */
};

static inline void oracle_init(struct oracle *o, uint64_t ram)
{
	o->ram = ram;
	o->nr_image = o->nr_data = 0;
	o->image_lo = UINT64_MAX;
}

static inline void oracle_image(struct oracle *o, uint64_t start, uint64_t end)
{
	if (o->nr_image == ORACLE_MAX)
		__builtin_trap(); /* more pieces than the loader accepts */
	o->image[o->nr_image][0] = start;
	o->image[o->nr_image++][1] = end;
	if (start < o->image_lo)
		o->image_lo = start;
}

/* The PT_LOAD segments of an ELF file the loader accepted. */
static inline void oracle_elf(struct oracle *o, const uint8_t *data,
			      size_t size)
{
	struct elf_file elf;
	struct elf_phdr ph;
	uint32_t i;

	if (elf_parse(&elf, data, size, NULL))
		__builtin_trap();
	for (i = 0; i < elf.phnum; i++) {
		elf_get_phdr(&elf, i, &ph);
		if (ph.type == ELF_PT_LOAD && ph.memsz)
			oracle_image(o, ph.paddr, ph.paddr + ph.memsz);
	}
}

static inline int oracle_overlap(const uint64_t (*r)[2], int n, uint64_t start,
				 uint64_t end)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i][0] < end && start < r[i][1])
			return 1;
	return 0;
}

/* A piece of boot data at [start, start + len): check it, record it. */
static inline void oracle_data(struct oracle *o, uint64_t start, uint64_t len)
{
	uint64_t end = start + (len ? len : 1);

	if (start < 0x1000 || end > o->ram || end < start ||
	    oracle_overlap(o->image, o->nr_image, start, end) ||
	    oracle_overlap(o->data, o->nr_data, start, end) ||
	    o->nr_data == ORACLE_MAX)
		__builtin_trap();
	o->data[o->nr_data][0] = start;
	o->data[o->nr_data++][1] = end;
}

#endif
