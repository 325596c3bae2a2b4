// SPDX-License-Identifier: GPL-2.0
/*
 * The input is a multiboot v1 kernel (ELF or a.out kludge), loaded with two
 * fixed modules and a command line. Failures must be explained and leave
 * guest memory alone; successes must give an MBI whose pieces and modules
 * lie off page 0, off the image and off each other (boot_oracle.h), with
 * the modules page-aligned and intact, the MBI below 1 MiB when
 * the image leaves conventional memory free.
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
static uint8_t mod0[3000], mod1[5000];
static const uint64_t watched[] = {
	0x1000, LAYOUT_BOOT_DATA, 0x30000, LAYOUT_HIGH_MEM, RAM - 1,
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

/* The image the header describes (the load succeeded: it is valid). */
static void image_ranges(const uint8_t *data, size_t size)
{
	long hoff = boot_find_multiboot(data, size);
	const uint8_t *h = data + hoff;
	uint32_t header_addr, load_addr, load_end, bss_end;
	uint64_t end;

	oracle_init(&oracle, RAM);
	if (!(get_le32(h + 4) & (1U << 16))) {
		oracle_elf(&oracle, data, size);
		return;
	}
	header_addr = get_le32(h + 12);
	load_addr = get_le32(h + 16);
	load_end = get_le32(h + 20);
	bss_end = get_le32(h + 24);
	if (bss_end)
		end = bss_end;
	else if (load_end)
		end = load_end;
	else
		end = load_addr + (size - (hoff - (header_addr - load_addr)));
	oracle_image(&oracle, load_addr, end);
}

static void check_module(const uint8_t *m, const uint8_t *want, size_t len)
{
	uint32_t start = get_le32(m), end = get_le32(m + 4);

	if ((start & 0xfff) || end - start != len ||
	    memcmp(at(start, len), want, len))
		__builtin_trap();
	oracle_data(&oracle, start, len);
	oracle_data(&oracle, get_le32(m + 8), 5); /* "modN" */
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
	uint32_t cmd;
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

	image_ranges(data, size);
	mbi = at(entry.rbx, 116);
	if (entry.mode != BOOT_CPU_PROTECTED32 || entry.rax != 0x2badb002 ||
	    entry.rbx != entry.boot_info || entry.rip < 0x1000 ||
	    entry.rip >= RAM || get_le32(mbi) != 0x24d ||
	    get_le32(mbi + 20) != 2)
		__builtin_trap();
	/* Conventional memory is free below a 1 MiB image: the MBI is there. */
	if (oracle.image_lo >= LAYOUT_HIGH_MEM && entry.rbx >= LAYOUT_EBDA)
		__builtin_trap();
	oracle_data(&oracle, entry.rbx, 116);
	cmd = get_le32(mbi + 16);
	if (strcmp((char *)at(cmd, 22), "fuzz-kernel arg1 arg2"))
		__builtin_trap();
	oracle_data(&oracle, cmd, 22);
	oracle_data(&oracle, get_le32(mbi + 48), get_le32(mbi + 44));
	oracle_data(&oracle, get_le32(mbi + 64), 9);
	oracle_data(&oracle, get_le32(mbi + 24), 32);
	mods = at(get_le32(mbi + 24), 32);
	check_module(mods, mod0, sizeof(mod0));
	check_module(mods + 16, mod1, sizeof(mod1));
	return 0;
}
