// SPDX-License-Identifier: GPL-2.0
/*
 * The input is an ELF vmlinux booted through PVH, with a fixed initrd and
 * command line. Failures must be explained and leave guest memory alone;
 * successes must produce a start_info whose pointers stay inside RAM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/layout.h"

#define RAM (32ULL << 20)
#define CANARY 0xa5

static struct guest_memory mem;
static uint8_t initrd[3000];
static const uint64_t watched[] = {
	LAYOUT_BOOT_INFO, LAYOUT_CMDLINE, LAYOUT_HIGH_MEM, 0x1000000, RAM - 1,
};

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
	uint64_t mod;
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

	si = at(LAYOUT_BOOT_INFO, 56);
	if (entry.mode != BOOT_CPU_PROTECTED32 || entry.rip < 0x100000 ||
	    entry.rip >= RAM || entry.rbx != LAYOUT_BOOT_INFO ||
	    boot_get_le32(si) != 0x336ec578 || boot_get_le32(si + 12) != 1)
		__builtin_trap();
	mod = boot_get_le64(si + 16);
	if (mod + 32 > LAYOUT_BOOT_INFO_END)
		__builtin_trap();
	if (boot_get_le64(at(mod, 32) + 8) != sizeof(initrd) ||
	    (boot_get_le64(at(mod, 32)) & 0xfff) ||
	    memcmp(at(boot_get_le64(at(mod, 32)), sizeof(initrd)), initrd,
		   sizeof(initrd)))
		__builtin_trap();
	return 0;
}
