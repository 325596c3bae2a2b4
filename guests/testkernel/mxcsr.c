// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mxcsr scenario: LDMXCSR/STMXCSR in kernel mode through every
 * addressing form a VMM's decoder must get right (on hosts without
 * VMX/SVM kvmscope completes them itself, see src/vmm/fallback.c), then a
 * round trip through user mode, where they run natively, so a wrong
 * KVM_GET_FPU/KVM_SET_FPU would show.
 *
 * Each form loads a distinct value that a reference form (the stack slot
 * Linux uses in kernel_fpu_begin_mask) reads back, and stores a value the
 * reference form loaded. Only control bits 7-15 change, so the result
 * does not depend on MXCSR_MASK (DAZ) and matches QEMU exactly.
 */
#include "kernel.h"

#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101

#define PTE_A (1 << 5)
#define PTE_D (1 << 6)
#define PTE_ADDR 0x000ffffffffff000ULL
/* A 2 MiB page nothing else uses, so its A/D bits are ours to watch. */
#define AD_PAGE 0x800000UL

#define MXCSR_CONTROL 0xff80 /* exception masks, RC, FZ */
#define KERNEL_VALUE 0x7f80 /* round toward zero, all masked */
#define USER_VALUE 0x9f80 /* flush to zero, round to nearest */

/* Global, so the asm below can name it whatever the compiler does. */
u32 mxcsr_global;
static u32 fs_area[4] __aligned(16);
static u32 gs_area[32] __aligned(16);
static u8 split_page[8192] __aligned(4096);
static u32 user_area[2];
static u8 user_stack[4096] __aligned(16);
static u32 failures;

extern char mxcsr_user[], mxcsr_user_end[];
int scenario_mxcsr(int argc, char **argv);

/* Ring 3: report the MXCSR the kernel left, load another, back via #UD. */
asm(".pushsection .text\n"
    ".globl mxcsr_user, mxcsr_user_end\n"
    "mxcsr_user:\n\t"
    "stmxcsr (%rcx)\n\t"
    "ldmxcsr 4(%rcx)\n"
    "mxcsr_user_end:\n\t"
    "ud2\n"
    ".popsection");

static inline void wrmsr(u32 msr, u64 val)
{
	asm volatile("wrmsr"
		     :
		     : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32))
		     : "memory");
}

/* The reference: `0f ae 5c 24 04` / `0f ae 54 24 04`, as in Linux. */
static u32 stack_store(void)
{
	u32 v;

	asm volatile("sub $16, %%rsp\n\t"
		     "stmxcsr 4(%%rsp)\n\t"
		     "mov 4(%%rsp), %0\n\t"
		     "add $16, %%rsp"
		     : "=r"(v)
		     :
		     : "memory");
	return v;
}

static void stack_load(u32 v)
{
	asm volatile("sub $16, %%rsp\n\t"
		     "mov %0, 4(%%rsp)\n\t"
		     "ldmxcsr 4(%%rsp)\n\t"
		     "add $16, %%rsp"
		     :
		     : "r"(v)
		     : "memory");
}

static u32 rip_store(void)
{
	asm volatile("stmxcsr mxcsr_global(%%rip)" : : : "memory");
	return mxcsr_global;
}

static void rip_load(u32 v)
{
	mxcsr_global = v;
	asm volatile("ldmxcsr mxcsr_global(%%rip)" : : : "memory");
}

/* No base, no index: SIB with base 101b and mod 00, disp32. */
static u32 abs_store(void)
{
	asm volatile("stmxcsr mxcsr_global" : : : "memory");
	return mxcsr_global;
}

static void abs_load(u32 v)
{
	mxcsr_global = v;
	asm volatile("ldmxcsr mxcsr_global" : : : "memory");
}

/* FS base (set up by the scenario) plus disp32. */
static u32 fs_store(void)
{
	asm volatile("stmxcsr %%fs:8" : : : "memory");
	return fs_area[2];
}

static void fs_load(u32 v)
{
	fs_area[2] = v;
	asm volatile("ldmxcsr %%fs:8" : : : "memory");
}

/* GS base + r13 + r14 * 4 + disp8: REX.B and REX.X together. */
static u32 gs_store(void)
{
	asm volatile("mov %0, %%r13\n\t"
		     "mov %1, %%r14\n\t"
		     "stmxcsr %%gs:0x10(%%r13, %%r14, 4)"
		     :
		     : "r"(0x20ULL), "r"(2ULL)
		     : "r13", "r14", "memory");
	return gs_area[0x38 / 4];
}

static void gs_load(u32 v)
{
	gs_area[0x38 / 4] = v;
	asm volatile("mov %0, %%r13\n\t"
		     "mov %1, %%r14\n\t"
		     "ldmxcsr %%gs:0x10(%%r13, %%r14, 4)"
		     :
		     : "r"(0x20ULL), "r"(2ULL)
		     : "r13", "r14", "memory");
}

/* 0x67: only EBX counts, the garbage in RBX's upper half must not. */
static u64 addr32_reg(void *p)
{
	return 0xdead00000000ULL | (u32)(u64)p;
}

static u32 addr32_store(void)
{
	asm volatile("stmxcsr (%%ebx)"
		     :
		     : "b"(addr32_reg(&mxcsr_global))
		     : "memory");
	return mxcsr_global;
}

static void addr32_load(u32 v)
{
	mxcsr_global = v;
	asm volatile("ldmxcsr (%%ebx)"
		     :
		     : "b"(addr32_reg(&mxcsr_global))
		     : "memory");
}

/* R12 as base needs a SIB byte; disp32 because 0x100 > 127. */
static u32 r12_store(void)
{
	u32 *p = &fs_area[1];

	asm volatile("mov %0, %%r12\n\t"
		     "stmxcsr 0x100(%%r12)"
		     :
		     : "r"((u64)p - 0x100)
		     : "r12", "memory");
	return *p;
}

static void r12_load(u32 v)
{
	u32 *p = &fs_area[1];

	*p = v;
	asm volatile("mov %0, %%r12\n\t"
		     "ldmxcsr 0x100(%%r12)"
		     :
		     : "r"((u64)p - 0x100)
		     : "r12", "memory");
}

/* Two bytes on each side of a page boundary. */
static u32 split_store(void)
{
	u8 *p = split_page + 4094;

	asm volatile("stmxcsr (%0)" : : "r"(p) : "memory");
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static void split_load(u32 v)
{
	u8 *p = split_page + 4094;

	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
	asm volatile("ldmxcsr (%0)" : : "r"(p) : "memory");
}

/* Redundant DS override and REX.W, neither of which changes anything. */
static u32 prefixed_store(void)
{
	asm volatile(".byte 0x3e, 0x48, 0x0f, 0xae, 0x18 /* stmxcsr (%%rax) */"
		     :
		     : "a"(&mxcsr_global)
		     : "memory");
	return mxcsr_global;
}

static void prefixed_load(u32 v)
{
	mxcsr_global = v;
	asm volatile(".byte 0x3e, 0x48, 0x0f, 0xae, 0x10 /* ldmxcsr (%%rax) */"
		     :
		     : "a"(&mxcsr_global)
		     : "memory");
}

struct form {
	const char *name;
	u32 (*store)(void);
	void (*load)(u32 v);
};

static const struct form forms[] = {
	{ "stack", stack_store, stack_load },
	{ "rip-relative", rip_store, rip_load },
	{ "absolute", abs_store, abs_load },
	{ "fs", fs_store, fs_load },
	{ "gs+index", gs_store, gs_load },
	{ "addr32", addr32_store, addr32_load },
	{ "r12+disp32", r12_store, r12_load },
	{ "page-split", split_store, split_load },
	{ "ds+rex.w", prefixed_store, prefixed_load },
};

static void check(const char *form, const char *what, u32 got, u32 want)
{
	if (got == want)
		return;
	printf("mxcsr: %s %s mismatch: got 0x%x expected 0x%x\n", form, what,
	       got, want);
	failures++;
}

/*
 * The CPU sets the Accessed bit of the entries it walks and, for a write,
 * the Dirty bit of the leaf; so must whatever completes these for it.
 */
static void check_accessed_dirty(void)
{
	u64 *pml4 = (u64 *)(read_cr3() & PTE_ADDR);
	u64 *pdpt = (u64 *)(pml4[0] & PTE_ADDR);
	u64 *pd = (u64 *)(pdpt[0] & PTE_ADDR);
	volatile u64 *pde = &pd[AD_PAGE >> 21];
	u32 *slot = (u32 *)(AD_PAGE + 0x40);

	*slot = stack_store();
	*pde &= ~(u64)(PTE_A | PTE_D);
	asm volatile("invlpg (%0)" : : "r"(slot) : "memory");
	asm volatile("ldmxcsr (%0)" : : "r"(slot) : "memory");
	check("2M page", "ldmxcsr A/D bits", *pde & (PTE_A | PTE_D), PTE_A);
	asm volatile("stmxcsr (%0)" : : "r"(slot) : "memory");
	check("2M page", "stmxcsr A/D bits", *pde & (PTE_A | PTE_D),
	      PTE_A | PTE_D);
}

static void user_return_handler(struct trap_frame *f)
{
	u32 back;

	if ((f->cs & 3) != 3 || f->rip != (u64)mxcsr_user_end) {
		printf("unexpected exception 6 at rip 0x%lx error 0x0\n",
		       f->rip);
		debug_exit(3);
	}
	/* What user mode saw natively, what it left for the kernel. */
	check("user", "stmxcsr", user_area[0], KERNEL_VALUE);
	back = stack_store();
	check("kernel", "stmxcsr after user ldmxcsr", back, USER_VALUE);
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_GS_BASE, 0);
	if (failures)
		debug_exit(1);
	printf("mxcsr: ldmxcsr/stmxcsr ok 0x%x\n", back);
	debug_exit(0);
}

int scenario_mxcsr(int argc, char **argv)
{
	u64 cr0 = read_cr0(), cr4;
	u32 orig, v;
	size_t i;

	/* SSE state on: OSFXSR, no emulation, no lazy-switch trap. */
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	asm volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
	cr0 |= CR0_MP;
	cr0 &= ~(u64)(CR0_TS | CR0_EM);
	write_cr0(cr0);
	wrmsr(MSR_FS_BASE, (u64)fs_area);
	wrmsr(MSR_GS_BASE, (u64)gs_area);

	orig = stack_store();
	for (i = 0; i < ARRAY_SIZE(forms); i++) {
		const struct form *f = &forms[i];

		/* A different control pattern per form, flags untouched. */
		v = (orig & ~MXCSR_CONTROL) |
		    ((((u32)i * 0x25 + 0x41) << 7) & MXCSR_CONTROL);
		f->load(v);
		check(f->name, "ldmxcsr", stack_store(), v);
		v ^= 0x6000;
		stack_load(v);
		check(f->name, "stmxcsr", f->store(), v);
	}
	check_accessed_dirty();
	if (failures)
		return 1;
	printf("mxcsr: %u kernel-mode forms ok\n", (u32)ARRAY_SIZE(forms));

	stack_load(KERNEL_VALUE);
	user_area[0] = 0;
	user_area[1] = USER_VALUE;
	set_trap_handler(6, user_return_handler);
	tss_init();
	enter_user((u64)mxcsr_user, (u64)user_stack + sizeof(user_stack),
		   (u64)user_area);
}
