// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "arch/x86/regs.h"

#define CR0_PE (1ULL << 0)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)

/* Descriptor: base 0, limit 4 GiB (G=1), present, DPL 0. */
#define GDT_CODE64 0x00af9b000000ffffULL /* L=1 */
#define GDT_DATA 0x00cf93000000ffffULL /* D/B=1 */
#define GDT_CODE32 0x00cf9b000000ffffULL /* D/B=1 */

static const uint64_t boot_gdt[] = {
	0,
	0,
	[BOOT_GDT_CS64 / 8] = GDT_CODE64,
	[BOOT_GDT_DS / 8] = GDT_DATA,
	[BOOT_GDT_CS32 / 8] = GDT_CODE32,
};

/* The hidden part of a segment register, matching its GDT descriptor. */
static void flat_segment(struct kvm_segment *seg, uint16_t sel, bool code,
			 bool long_mode)
{
	memset(seg, 0, sizeof(*seg));
	seg->selector = sel;
	seg->base = 0;
	seg->limit = 0xffffffff;
	seg->type = code ? 0xb : 0x3; /* execute/read accessed; rw accessed */
	seg->present = 1;
	seg->dpl = 0;
	seg->s = 1;
	seg->g = 1;
	seg->l = code && long_mode;
	seg->db = !(code && long_mode);
}

static int write_identity_tables(struct guest_memory *mem)
{
	uint64_t pml4[512] = { 0 }, pdpt[512] = { 0 }, pd[512];
	int i, j, r;

	pml4[0] = LAYOUT_PDPT | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096ULL) | PTE_P | PTE_RW;
	r = guest_memory_write(mem, LAYOUT_PML4, pml4, sizeof(pml4));
	if (!r)
		r = guest_memory_write(mem, LAYOUT_PDPT, pdpt, sizeof(pdpt));
	for (i = 0; i < 4 && !r; i++) {
		for (j = 0; j < 512; j++)
			pd[j] = (((uint64_t)i << 30) + ((uint64_t)j << 21)) |
				PTE_P | PTE_RW | PTE_PS;
		r = guest_memory_write(mem, LAYOUT_PD + i * 4096ULL, pd,
				       sizeof(pd));
	}
	return r;
}

int regs_boot_state(struct guest_memory *mem, const struct boot_entry *entry,
		    struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	bool lm = entry->mode == BOOT_CPU_LONG64;
	int r;

	r = guest_memory_write(mem, LAYOUT_BOOT_GDT, boot_gdt,
			       sizeof(boot_gdt));
	if (r)
		return r;
	if (lm) {
		r = write_identity_tables(mem);
		if (r)
			return r;
	}

	memset(regs, 0, sizeof(*regs));
	regs->rflags = 0x2; /* reserved bit 1; interrupts off */
	regs->rip = entry->rip;
	regs->rsp = entry->rsp;
	regs->rax = entry->rax;
	regs->rbx = entry->rbx;
	regs->rsi = entry->rsi;

	flat_segment(&sregs->cs, lm ? BOOT_GDT_CS64 : BOOT_GDT_CS32, true, lm);
	flat_segment(&sregs->ds, BOOT_GDT_DS, false, lm);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	sregs->gdt.base = LAYOUT_BOOT_GDT;
	sregs->gdt.limit = sizeof(boot_gdt) - 1;
	/* No IDT yet: every kernel entry protocol says the OS loads its own. */
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	sregs->cr0 = CR0_PE | CR0_ET | CR0_NE;
	sregs->cr4 = 0;
	sregs->efer = 0;
	if (lm) {
		sregs->cr3 = LAYOUT_PML4;
		sregs->cr4 |= CR4_PAE;
		sregs->cr0 |= CR0_PG;
		sregs->efer |= EFER_LME | EFER_LMA;
	}
	return 0;
}
