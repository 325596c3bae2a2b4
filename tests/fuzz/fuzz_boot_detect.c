// SPDX-License-Identifier: GPL-2.0
/*
 * Arbitrary bytes through format detection and the boot_load dispatch,
 * including the messages that explain why a file is not a kernel.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot.h"

#define RAM (32ULL << 20)

static struct guest_memory mem;
static uint8_t initrd[512];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Allocated once: mapping 32 MiB per input would dominate. */
	if (guest_memory_alloc(&mem, RAM))
		abort();
	memset(initrd, 0x42, sizeof(initrd));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_request req = {
		.kernel = { "fuzz-input", data, size },
		.initrd = { { "initrd", initrd, sizeof(initrd) } },
		.nr_initrd = 1,
		.cmdline = "quiet",
	};
	enum boot_format fmt = boot_detect(data, size);
	struct boot_entry entry;
	struct errmsg err;
	int ret;

	if (fmt != BOOT_FORMAT_UNKNOWN && fmt != BOOT_FORMAT_BZIMAGE &&
	    fmt != BOOT_FORMAT_PVH && fmt != BOOT_FORMAT_MULTIBOOT)
		__builtin_trap();
	if (!boot_format_name(fmt)[0])
		__builtin_trap();
	/* Detection must not depend on anything but the bytes. */
	if (boot_detect(data, size) != fmt)
		__builtin_trap();

	err.text[0] = '\0';
	ret = boot_load(&mem, &req, &entry, &err);
	if (ret && (ret > 0 || !err.text[0] || strchr(err.text, '\n')))
		__builtin_trap();
	if (!ret && fmt == BOOT_FORMAT_UNKNOWN)
		__builtin_trap();
	return 0;
}
