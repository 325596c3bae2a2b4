// SPDX-License-Identifier: GPL-2.0
/*
 * The input is a multiboot v1 kernel (ELF or a.out kludge), loaded with two
 * fixed modules and a command line. Failures must be explained and leave
 * guest memory alone; successes must give an MBI whose modules are
 * page-aligned, top-down, inside RAM and intact.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/layout.h"

#define RAM (32ULL << 20)
#define CANARY 0xa5

static struct guest_memory mem;
static uint8_t mod0[3000], mod1[5000];
static const uint64_t watched[] = {
	LAYOUT_BOOT_INFO, LAYOUT_CMDLINE, 0x30000, LAYOUT_HIGH_MEM, RAM - 1,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	/* Allocated once: mapping 32 MiB per input would dominate. */
	if (guest_memory_alloc(&mem, RAM))
		abort();
	for (i = 0; i < sizeof(mod0); i++)
		mod0[i] = (uint8_t)(i * 7);
	for (i = 0; i < sizeof(mod1); i++)
		mod1[i] = (uint8_t)(i * 11 + 3);
	return 0;
}

static uint8_t *at(uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_memory_ptr(&mem, gpa, len);

	if (!p)
		__builtin_trap();
	return p;
}

static void check_module(const uint8_t *m, const uint8_t *want, size_t len,
			 uint64_t below)
{
	uint32_t start = boot_get_le32(m), end = boot_get_le32(m + 4);

	if ((start & 0xfff) || end - start != len || end > below ||
	    start < LAYOUT_HIGH_MEM || memcmp(at(start, len), want, len))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_request req = {
		.kernel = { "fuzz-kernel", data, size },
		.initrd = { { "mod0", mod0, sizeof(mod0) },
			    { "mod1", mod1, sizeof(mod1) } },
		.nr_initrd = 2,
		.cmdline = "arg1 arg2",
	};
	struct boot_entry entry;
	struct errmsg err;
	uint8_t *mbi, *mods;
	uint32_t mods_addr;
	size_t i;
	int ret;

	/* Loaders never read guest RAM, so only the canaries need resetting. */
	for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		*at(watched[i], 1) = CANARY;
	err.text[0] = '\0';
	ret = multiboot_load(&mem, &req, &entry, &err);
	if (ret) {
		if (ret > 0 || !err.text[0] || strchr(err.text, '\n'))
			__builtin_trap();
		for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
			if (*at(watched[i], 1) != CANARY)
				__builtin_trap();
		return 0;
	}

	mbi = at(LAYOUT_BOOT_INFO, 116);
	if (entry.mode != BOOT_CPU_PROTECTED32 || entry.rax != 0x2badb002 ||
	    entry.rbx != LAYOUT_BOOT_INFO || entry.rip < 0x30000 ||
	    entry.rip >= RAM || boot_get_le32(mbi + 20) != 2)
		__builtin_trap();
	if (strcmp((char *)at(LAYOUT_CMDLINE, 22), "fuzz-kernel arg1 arg2"))
		__builtin_trap();
	mods_addr = boot_get_le32(mbi + 24);
	if (mods_addr < LAYOUT_BOOT_INFO ||
	    mods_addr + 32 > LAYOUT_BOOT_INFO_END)
		__builtin_trap();
	mods = at(mods_addr, 32);
	check_module(mods, mod0, sizeof(mod0), RAM);
	check_module(mods + 16, mod1, sizeof(mod1), boot_get_le32(mods));
	return 0;
}
