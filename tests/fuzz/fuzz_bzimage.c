// SPDX-License-Identifier: GPL-2.0
/*
 * The input is a bzImage, loaded with a fixed initrd and command line.
 * Besides not crashing, the loader must explain every failure, leave guest
 * memory alone when it fails and describe a sane zero page when it works:
 * zero page and command line in conventional memory off page 0 and the
 * identity page tables, the initrd above the kernel.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/layout.h"

#define RAM (32ULL << 20)
#define CANARY 0xa5
#define CMDLINE "console=ttyS0 panic=-1"

static struct guest_memory mem;
static uint8_t initrd[3000];
static const uint64_t watched[] = {
	LAYOUT_BOOT_DATA + 0x210,
	LAYOUT_BOOT_DATA + 0x1000,
	LAYOUT_KERNEL_LOAD,
	RAM - 1,
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
		.kernel = { "fuzz-bzImage", data, size },
		.initrd = { { "initrd.cpio", initrd, sizeof(initrd) } },
		.nr_initrd = 1,
		.cmdline = CMDLINE,
	};
	struct boot_entry entry;
	struct errmsg err;
	uint32_t rd, rd_size, cmd;
	uint8_t *bp;
	size_t i;
	int ret;

	/* Loaders never read guest RAM, so only the canaries need resetting. */
	for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		*at(watched[i], 1) = CANARY;
	err.text[0] = '\0';
	ret = bzimage_load(&mem, &req, &entry, &err);
	if (ret) {
		if (ret > 0 || !err.text[0] || strchr(err.text, '\n'))
			__builtin_trap();
		for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
			if (*at(watched[i], 1) != CANARY)
				__builtin_trap();
		return 0;
	}

	bp = at(entry.rsi, 4096);
	rd = get_le32(bp + 0x218);
	rd_size = get_le32(bp + 0x21c);
	cmd = get_le32(bp + 0x228);
	if (entry.mode != BOOT_CPU_LONG64 || entry.rip != 0x100200 ||
	    entry.rsi != entry.boot_info ||
	    entry.rsi < LAYOUT_PAGE_TABLES_END || bp[0x210] != 0xff ||
	    !(bp[0x211] & 0x80) || cmd != entry.rsi + 0x1000 ||
	    cmd + sizeof(CMDLINE) > LAYOUT_EBDA ||
	    strcmp((char *)at(cmd, sizeof(CMDLINE)), CMDLINE))
		__builtin_trap();
	if (rd_size != sizeof(initrd) || (rd & 0xfff) || rd < 0x100000 ||
	    memcmp(at(rd, rd_size), initrd, rd_size))
		__builtin_trap();
	return 0;
}
