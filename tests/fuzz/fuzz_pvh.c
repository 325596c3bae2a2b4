// SPDX-License-Identifier: GPL-2.0
/*
 * The input is an ELF vmlinux booted through PVH, with a fixed initrd and
 * command line. Failures must be explained and leave guest memory alone;
 * successes must produce a start_info whose pieces (memory map, module
 * list, command line) and initrd lie inside RAM, off page 0, off the
 * image and off each other (boot_oracle.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/layout.h"
#include "boot_oracle.h"

#define RAM (32ULL << 20)
#define CANARY 0xa5

static struct guest_memory mem;
static uint8_t initrd[3000];
static const uint64_t watched[] = {
	0x1000, LAYOUT_BOOT_DATA, LAYOUT_HIGH_MEM, 0x1000000, RAM - 1,
};
static struct oracle oracle;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	/* Allocated once: mapping 32 MiB per input would dominate. */
	if (guest_memory_alloc(&mem, RAM))
		abort();
	for (i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 7);
	return 0;
}

static uint8_t *at(uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_memory_ptr(&mem, gpa, len);

	if (!p)
		__builtin_trap();
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_request req = {
		.kernel = { "fuzz-vmlinux", data, size },
		.initrd = { { "initrd.cpio", initrd, sizeof(initrd) } },
		.nr_initrd = 1,
		.cmdline = "console=ttyS0 panic=-1",
	};
	struct boot_entry entry;
	struct errmsg err;
	uint64_t mod, cmd, rd;
	uint8_t *si;
	size_t i;
	int ret;

	/* Loaders never read guest RAM, so only the canaries need resetting. */
	for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		*at(watched[i], 1) = CANARY;
	err.text[0] = '\0';
	ret = pvh_load(&mem, &req, &entry, &err);
	if (ret) {
		if (ret > 0 || !err.text[0] || strchr(err.text, '\n'))
			__builtin_trap();
		for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
			if (*at(watched[i], 1) != CANARY)
				__builtin_trap();
		return 0;
	}

	oracle_init(&oracle, RAM);
	oracle_elf(&oracle, data, size);
	si = at(entry.rbx, 56);
	if (entry.mode != BOOT_CPU_PROTECTED32 || entry.rip < 0x1000 ||
	    entry.rip >= RAM || entry.rbx != entry.boot_info ||
	    get_le32(si) != 0x336ec578 || get_le32(si + 12) != 1)
		__builtin_trap();
	if (oracle.image_lo >= LAYOUT_HIGH_MEM && entry.rbx >= LAYOUT_EBDA)
		__builtin_trap();
	oracle_data(&oracle, entry.rbx, 56);
	oracle_data(&oracle, get_le64(si + 40),
		    24ULL * get_le32(si + 48));
	cmd = get_le64(si + 24);
	if (strcmp((char *)at(cmd, sizeof("console=ttyS0 panic=-1")),
		   "console=ttyS0 panic=-1"))
		__builtin_trap();
	oracle_data(&oracle, cmd, sizeof("console=ttyS0 panic=-1"));
	mod = get_le64(si + 16);
	oracle_data(&oracle, mod, 32);
	rd = get_le64(at(mod, 32));
	if (get_le64(at(mod, 32) + 8) != sizeof(initrd) || (rd & 0xfff) ||
	    memcmp(at(rd, sizeof(initrd)), initrd, sizeof(initrd)))
		__builtin_trap();
	oracle_data(&oracle, rd, sizeof(initrd));
	return 0;
}
