// SPDX-License-Identifier: GPL-2.0-only
/*
 * realmode: a kernel that goes back to real mode finds what firmware
 * leaves (kvmscope's BIOS environment for multiboot kernels, SeaBIOS under
 * QEMU): the BIOS data area, an IVT whose entries return, the master PIC
 * at vector base 0x08 with IRQ 0 ticking from the PIT and the BIOS's
 * handler counting ticks in the BDA and sending EOI (without it only one
 * tick would ever arrive). realmode.S does the real-mode part.
 */
#include "kernel.h"

#define REALMODE_OK	42
#define RM_TICKS	3
#define RM_TIMEOUT_S	5
#define FLAGS_CF	0x0001
#define FLAGS_IF	0x0200

/* realmode.S's results block, in the copy at REALMODE_BASE. */
struct rm_results {
	u16 hooked, hooked_wait, ticks, hooked_hlt, ticks_hlt, timeouts, isr;
	u16 ax_1c, bx_1c, flags_1c;
	u16 bx_60, flags_60, ip_60, cs_60, fl_60_in, ret_60;
	u16 hooked0c, isr4;
} __attribute__((packed));

extern char rm_blob_start[], rm_blob_end[], rm_results[];
void realmode_run(void);

/* Low physical memory, identity-mapped; never a C null dereference. */
static u64 low_read(u64 addr, unsigned int size)
{
	asm volatile("" : "+r"(addr));
	if (size == 1)
		return *(volatile u8 *)addr;
	if (size == 2)
		return *(volatile u16 *)addr;
	return *(volatile u32 *)addr;
}

static void print_ivt(void)
{
	u32 v08 = low_read(0x08 * 4, 4), v1c = low_read(0x1c * 4, 4);

	printf("realmode: ivt 08 -> %04x:%04x, 1c -> %04x:%04x\n", v08 >> 16,
	       v08 & 0xffff, v1c >> 16, v1c & 0xffff);
}

static void print_bda(void)
{
	u16 com1 = low_read(0x400, 2), ebda = low_read(0x40e, 2);
	u16 equip = low_read(0x410, 2), base_kib = low_read(0x413, 2);
	u8 ebda_kib = low_read((u64)ebda << 4, 1);

	printf("realmode: bda com1 0x%x, base memory %u KiB, ebda at 0x%x (%u KiB), %u serial port(s), x87 %s\n",
	       com1, base_kib, ebda, ebda_kib, (equip >> 9) & 7,
	       equip & 2 ? "yes" : "no");
}

int scenario_realmode(int argc, char **argv)
{
	struct rm_results *r = (struct rm_results *)(REALMODE_BASE +
		(rm_results - rm_blob_start));

	print_bda();
	print_ivt();
	printf("realmode: pic masks at boot 0x%04x\n", boot_pic_masks);

	memcpy((void *)REALMODE_BASE, rm_blob_start,
	       rm_blob_end - rm_blob_start);
	realmode_run();
	printf("realmode: back from real mode\n");

	if (r->hooked < RM_TICKS) {
		printf("realmode: only %u IRQ 0 ticks on vector 0x08 in %u s (BDA counter +%u)\n",
		       r->hooked, RM_TIMEOUT_S, r->ticks);
		return 1;
	}
	printf("realmode: irq0 on vector 0x08: %u ticks, bda counter +%u\n",
	       r->hooked_wait, r->ticks);
	printf("realmode: hlt woke on the next tick: %u ticks, bda counter +%u, pic isr 0x%02x\n",
	       r->hooked_hlt, r->ticks_hlt, r->isr);
	printf("realmode: irq4 (com1 thr empty) on vector 0x0c: %u arrival(s), pic isr 0x%02x after the bios handler\n",
	       r->hooked0c, r->isr4);
	printf("realmode: int 0x1c (bios entry) returned ax 0x%04x bx 0x%04x cf %u\n",
	       r->ax_1c, r->bx_1c, r->flags_1c & FLAGS_CF);
	printf("realmode: int 0x60 (own entry) returned bx 0x%04x, frame %04x:%s, if %u inside, %u after\n",
	       r->bx_60, r->cs_60, r->ip_60 == r->ret_60 ? "next insn" : "wrong ip",
	       !!(r->fl_60_in & FLAGS_IF), !!(r->flags_60 & FLAGS_IF));
	if (r->hooked_wait != RM_TICKS || r->ticks != RM_TICKS ||
	    r->hooked_hlt != RM_TICKS + 1 || r->ticks_hlt != RM_TICKS + 1 ||
	    r->isr || r->hooked0c != 1 || r->isr4 || r->ax_1c != 0x1234 || r->bx_1c != 0x5678 ||
	    !(r->flags_1c & FLAGS_CF) || r->bx_60 != 0xeeee || r->cs_60 ||
	    r->ip_60 != r->ret_60 || (r->fl_60_in & FLAGS_IF) ||
	    !(r->flags_60 & FLAGS_IF))
		return 1;
	return REALMODE_OK;
}
