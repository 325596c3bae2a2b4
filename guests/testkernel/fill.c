// SPDX-License-Identifier: GPL-2.0
/*
 * fill [MiB]: populate guest RAM for the dump benchmark (bench/guest-os),
 * then idle with interrupts enabled, so a VMM can dump a guest whose
 * memory is all data. The writing runs at CPL 3: user code runs natively
 * on every host, where this host's emulated CPL 0 would take minutes per
 * GiB. Each 8-byte word gets its own address (no page is all zeros and
 * no two pages are alike), from 16 MiB up to the end of the first RAM
 * range below 3 GiB (the identity map covers 4 GiB), or MiB of it.
 */
#include "kernel.h"

#define FILL_START 0x1000000ULL /* 16 MiB: above the image and its data */
#define FILL_LIMIT 0xc0000000ULL /* the MMIO hole */

u64 fill_start, fill_qwords;
static u8 fill_stack[4096] __aligned(16);

void user_fill(void);
void user_fill_end(void);
asm(".globl user_fill\n"
    "user_fill:\n\t"
    "movq fill_start(%rip), %rdi\n\t"
    "movq fill_qwords(%rip), %rcx\n"
    "1:\tmovq %rdi, (%rdi)\n\t"
    "addq $8, %rdi\n\t"
    "decq %rcx\n\t"
    "jnz 1b\n"
    ".globl user_fill_end\n"
    "user_fill_end:\n\t"
    "ud2\n");

static void fill_done(struct trap_frame *f)
{
	if ((f->cs & 3) != 3 || f->rip != (u64)user_fill_end) {
		printf("fill: unexpected #UD at rip 0x%lx\n", f->rip);
		debug_exit(1);
	}
	printf("fill: wrote %lu MiB at 0x%lx; idle\n", fill_qwords >> 17,
	       fill_start);
	for (;;)
		asm volatile("sti; hlt" : : : "memory");
}

int scenario_fill(int argc, char **argv)
{
	u64 end;
	u64 mib;

	/* mem_upper counts KiB above 1 MiB: RAM ends at 1 MiB + that. */
	end = 0x100000ULL + ((u64)boot_info.mem_upper << 10);
	if (end > FILL_LIMIT)
		end = FILL_LIMIT;
	if (!(boot_info.flags & MBI_FLAG_MEM) || end <= FILL_START + 0x100000) {
		printf("fill: no RAM above 16 MiB\n");
		return 2;
	}
	if (argc > 1) {
		if (!parse_u64(argv[1], &mib) || !mib) {
			printf("fill: bad size '%s' (MiB, at least 1)\n",
			       argv[1]);
			return 2;
		}
		if (FILL_START + (mib << 20) < end)
			end = FILL_START + (mib << 20);
	}
	fill_start = FILL_START;
	fill_qwords = (end - FILL_START) / 8;
	tss_init();
	set_trap_handler(6, fill_done);
	enter_user((u64)user_fill, (u64)fill_stack + sizeof(fill_stack), 0);
}
