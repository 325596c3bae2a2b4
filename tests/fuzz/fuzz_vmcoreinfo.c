// SPDX-License-Identifier: GPL-2.0
/*
 * VMCOREINFO text and the guest-kernel probe are guest-controlled. The
 * input is parsed as text, then placed in a small guest RAM behind a
 * "VMCOREINFO" note header and probed as a whole: the scan, candidate
 * scoring (init_uts_ns), the banner fallback, page-table translation
 * through a swapper_pg_dir the input may name, and kallsyms decoding at
 * the locations it may give.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "os/guest_kernel.h"

#define RAM (4U << 20)
#define NOTE_GPA 0x1000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_memory mem;
static struct vmcoreinfo vi;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t h[3] = { 11, (uint32_t)size, 0 };
	struct guest_kernel gk;
	struct kallsyms ks;
	struct errmsg err;
	uint64_t gpa;

	vmcoreinfo_parse((const char *)data, size, &vi, &err);
	if (!mem.base && guest_memory_alloc(&mem, RAM))
		return 0;
	if (size > RAM - NOTE_GPA - 24)
		return 0;
	guest_memory_fill(&mem, 0, 0, RAM);
	guest_memory_write(&mem, NOTE_GPA, h, 12);
	guest_memory_write(&mem, NOTE_GPA + 12, "VMCOREINFO\0\0", 12);
	guest_memory_write(&mem, NOTE_GPA + 24, data, size);
	/* The same bytes again as they would start a page. */
	if (size <= 0x10000)
		guest_memory_write(&mem, 0x100000, data, size);
	if (guest_kernel_probe(&mem, NULL, 0, &gk, &err))
		return 0;
	guest_kernel_kva_to_gpa(&mem, &gk, 0xffffffff81000000ULL, &gpa, &err);
	if (!guest_kernel_load_kallsyms(&mem, &gk, &ks, &err))
		kallsyms_free(&ks);
	guest_kernel_free(&gk);
	return 0;
}
