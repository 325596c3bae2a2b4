// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cacheline scenario: CLWB, CLFLUSHOPT and INVPCID at CPL 0, checked
 * against the SDM: #UD where the CPUID does not offer them, otherwise
 * their faults (#GP(0) for non-canonical addresses, bad INVPCID types
 * and descriptors) and their effect (INVPCID: a remapped page reads its
 * new contents). Each line says what the CPUID offers, so the expected
 * output follows from --cpu-features.
 */
#include "kernel.h"
#include "layout.h"

#define PT_ENTRIES	512
#define TEST_VA		0x0000710000000000ULL
#define NONCANONICAL	0x8000000000000000ULL

typedef u64 table_t[PT_ENTRIES] __aligned(4096);

static table_t pml4, pdpt, pd, pt;
static u8 page_a[4096] __aligned(4096), page_b[4096] __aligned(4096);

static volatile u64 faults, fault_vector, fault_error, fault_rip, skip;

static void count_fault(struct trap_frame *f)
{
	faults++;
	fault_vector = f->vector;
	fault_error = f->error;
	fault_rip = f->rip;
	f->rip += skip;
}

static bool has_feature(int bit)
{
	u32 a = 7, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (b >> bit) & 1;
}

/*
 * What the instruction at insn (len bytes) did: "ok", "#UD", "#GP(0)"...
 * The instruction sequences are labelled so the faulting RIP is checked.
 */
static const char *outcome(u64 before, const char *insn)
{
	if (faults == before)
		return "ok";
	if (faults != before + 1 || fault_rip != (u64)insn)
		return "wrong fault count or RIP";
	if (fault_vector == 6)
		return "#UD";
	if (fault_vector == 13 && fault_error == 0)
		return "#GP(0)";
	return "unexpected vector";
}

extern char clwb_ok[], clwb_nc[], clflushopt_ok[], clflushopt_nc[],
	invpcid_at[];

static void cache_insns(void)
{
	static volatile u64 line;
	const char *r1, *r2;
	u64 before;

	skip = 4;
	before = faults;
	asm volatile(".globl clwb_ok\nclwb_ok: .byte 0x66, 0x0f, 0xae, 0x30"
		     : : "a"(&line) : "memory");
	r1 = outcome(before, clwb_ok);
	before = faults;
	asm volatile(".globl clwb_nc\nclwb_nc: .byte 0x66, 0x0f, 0xae, 0x30"
		     : : "a"(NONCANONICAL) : "memory");
	r2 = outcome(before, clwb_nc);
	printf("cacheline: clwb %s: mapped %s, non-canonical %s\n",
	       has_feature(24) ? "offered" : "hidden", r1, r2);

	before = faults;
	asm volatile(".globl clflushopt_ok\n"
		     "clflushopt_ok: .byte 0x66, 0x0f, 0xae, 0x38"
		     : : "a"(&line) : "memory");
	r1 = outcome(before, clflushopt_ok);
	before = faults;
	asm volatile(".globl clflushopt_nc\n"
		     "clflushopt_nc: .byte 0x66, 0x0f, 0xae, 0x38"
		     : : "a"(NONCANONICAL) : "memory");
	r2 = outcome(before, clflushopt_nc);
	printf("cacheline: clflushopt %s: mapped %s, non-canonical %s\n",
	       has_feature(23) ? "offered" : "hidden", r1, r2);
}

/* invpcid rax, [rcx] (66 0f 38 82 01) with type and a descriptor. */
static const char *invpcid(u64 type, u64 pcid, u64 addr)
{
	static u64 desc[2] __aligned(16);
	u64 before = faults;

	desc[0] = pcid;
	desc[1] = addr;
	skip = 5;
	asm volatile(".globl invpcid_at\n"
		     "invpcid_at: .byte 0x66, 0x0f, 0x38, 0x82, 0x01"
		     : : "a"(type), "c"(desc) : "memory");
	return outcome(before, invpcid_at);
}

/*
 * Map TEST_VA to page_a through tables of our own (the identity map
 * copied from the boot tables), read it so the TLB holds it, point the
 * PTE at page_b, invalidate with type 0 and read again.
 */
static const char *invpcid_remaps(void)
{
	u64 *boot = (u64 *)(read_cr3() & ~0xfffULL);
	u64 old_cr3 = read_cr3(), seen_a, seen_b;
	unsigned int i;

	for (i = 0; i < PT_ENTRIES; i++)
		pml4[i] = boot[i];
	pml4[(TEST_VA >> 39) & 511] = (u64)pdpt | PTE_P | PTE_RW;
	pdpt[(TEST_VA >> 30) & 511] = (u64)pd | PTE_P | PTE_RW;
	pd[(TEST_VA >> 21) & 511] = (u64)pt | PTE_P | PTE_RW;
	pt[(TEST_VA >> 12) & 511] = (u64)page_a | PTE_P | PTE_RW;
	page_a[0] = 0xa;
	page_b[0] = 0xb;
	write_cr3((u64)pml4);
	seen_a = *(volatile u8 *)TEST_VA;
	pt[(TEST_VA >> 12) & 511] = (u64)page_b | PTE_P | PTE_RW;
	if (invpcid(0, 0, TEST_VA)[0] != 'o') {
		write_cr3(old_cr3);
		return "type 0 faulted";
	}
	seen_b = *(volatile u8 *)TEST_VA;
	write_cr3(old_cr3);
	if (seen_a != 0xa || seen_b != 0xb)
		return "stale translation";
	return "new page seen";
}

int scenario_cacheline(int argc, char **argv)
{
	bool offered = has_feature(10);

	set_trap_handler(6, count_fault);
	set_trap_handler(13, count_fault);
	cache_insns();
	if (!offered) {
		printf("cacheline: invpcid hidden: %s\n", invpcid(0, 0, 0));
	} else {
		printf("cacheline: invpcid offered: types 0-3 %s %s %s %s\n",
		       invpcid(0, 0, TEST_VA), invpcid(1, 0, 0),
		       invpcid(2, 0, 0), invpcid(3, 0, 0));
		printf("cacheline: invpcid type 4 %s, descriptor bit 12 %s, type 0 non-canonical %s, pcid 1 without PCIDE %s\n",
		       invpcid(4, 0, 0), invpcid(0, 1ULL << 12, 0),
		       invpcid(0, 0, NONCANONICAL), invpcid(1, 1, 0));
		printf("cacheline: invpcid after remapping: %s\n",
		       invpcid_remaps());
	}
	set_trap_handler(6, NULL);
	set_trap_handler(13, NULL);
	printf("cacheline: done\n");
	return 0;
}
