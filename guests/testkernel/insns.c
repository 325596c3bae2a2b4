// SPDX-License-Identifier: GPL-2.0
/*
 * Instructions a host whose KVM emulates guest kernel code may drop
 * (kvm_pvm: no VMX/SVM), checked for their architectural result in kernel
 * mode: kvmscope completes them (see README "Hosts without VMX/SVM"), and
 * QEMU on real hardware runs them natively, with the same output.
 */
#include "kernel.h"

static volatile u64 int_rip, int_vector, int_rflags, int_cs, int_count;
static volatile u64 int_rbx;

static void int_handler(struct trap_frame *f)
{
	int_count++;
	int_rip = f->rip;
	int_vector = f->vector;
	int_cs = f->cs;
	/* the flags inside the handler: an interrupt gate clears IF */
	asm volatile("pushfq; popq %0" : "=r"(int_rflags));
	int_rbx = f->rbx;
	f->rbx = 0x5a5a5a5a;
}

extern char intn_return_80[], intn_return_21[], into_insn[], int1_return[];

static volatile u64 ud_rip, db_rip, db_count, ud_count;

/* #UD is a fault: step over the one-byte instruction that raised it. */
static void ud_skip_handler(struct trap_frame *f)
{
	ud_count++;
	ud_rip = f->rip;
	f->rip += 1;
}

/* #DB from INT1 is a trap: the frame's RIP is already past it. */
static void db_handler(struct trap_frame *f)
{
	db_count++;
	db_rip = f->rip;
}

/*
 * INT n from CPL 0 through a 64-bit interrupt gate: the frame's RIP is the
 * instruction after INT n, CS the kernel's, no error code, IF clear in
 * the handler and back after IRETQ, registers as the handler left them.
 */
int scenario_intn(int argc, char **argv)
{
	u64 rbx = 0x1234, flags_before, flags_after;

	set_trap_handler(0x80, int_handler);
	set_trap_handler(0x21, int_handler);
	asm volatile("sti; pushfq; popq %0" : "=r"(flags_before));
	asm volatile("int $0x80\n"
		     ".globl intn_return_80\n"
		     "intn_return_80:"
		     : "+b"(rbx)
		     :
		     : "memory");
	asm volatile("pushfq; popq %0; cli" : "=r"(flags_after));
	if (int_count != 1 || int_vector != 0x80 ||
	    int_rip != (u64)intn_return_80 || (int_cs & 3) != 0 ||
	    int_rbx != 0x1234 || rbx != 0x5a5a5a5a || (int_rflags & 0x200) ||
	    !(flags_before & 0x200) || !(flags_after & 0x200)) {
		printf("intn: int 0x80 wrong: count %lu vector 0x%lx rip 0x%lx "
		       "(want 0x%lx) cs 0x%lx rbx 0x%lx/0x%lx flags 0x%lx "
		       "0x%lx 0x%lx\n",
		       int_count, int_vector, int_rip, (u64)intn_return_80,
		       int_cs, int_rbx, rbx, int_rflags, flags_before,
		       flags_after);
		return 1;
	}
	/* a vector the CPU uses for nothing, with interrupts off */
	rbx = 0x77;
	asm volatile("int $0x21\n"
		     ".globl intn_return_21\n"
		     "intn_return_21:"
		     : "+b"(rbx)
		     :
		     : "memory");
	if (int_count != 2 || int_vector != 0x21 ||
	    int_rip != (u64)intn_return_21 || int_rbx != 0x77) {
		printf("intn: int 0x21 wrong: count %lu vector 0x%lx rip 0x%lx\n",
		       int_count, int_vector, int_rip);
		return 1;
	}
	/* INTO is invalid in 64-bit mode: #UD at the instruction */
	set_trap_handler(6, ud_skip_handler);
	asm volatile(".globl into_insn\n"
		     "into_insn: .byte 0xce" : : : "memory");
	set_trap_handler(6, NULL);
	if (ud_count != 1 || ud_rip != (u64)into_insn) {
		printf("intn: into: #UD count %lu at 0x%lx, want 1 at 0x%lx\n",
		       ud_count, ud_rip, (u64)into_insn);
		return 1;
	}
	printf("intn: int 0x80 and int 0x21 delivered, frames ok\n");
	printf("intn: into #UD ok\n");
	return 0;
}

/*
 * INT1 (ICEBP, f1): #DB as a trap, RIP after the instruction. Not in the
 * QEMU comparison: QEMU on a host without VMX/SVM delivers #UD for it.
 */
int scenario_int1(int argc, char **argv)
{
	/* INT1 (ICEBP): #DB as a trap, RIP after the instruction */
	set_trap_handler(1, db_handler);
	asm volatile(".byte 0xf1\n"
		     ".globl int1_return\n"
		     "int1_return:" : : : "memory");
	set_trap_handler(1, NULL);
	if (db_count != 1 || db_rip != (u64)int1_return) {
		printf("intn: int1: #DB count %lu at 0x%lx, want 1 at 0x%lx\n",
		       db_count, db_rip, (u64)int1_return);
		return 1;
	}
	printf("int1: #DB delivered, return rip ok\n");
	return 0;
}

static void cpuid_count(u32 fn, u32 idx, u32 *a, u32 *b, u32 *c, u32 *d)
{
	asm volatile("cpuid"
		     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "a"(fn), "c"(idx));
}

static bool cpuid_bit(u32 fn, u32 idx, int reg, int bit)
{
	u32 r[4], max;

	cpuid_count(fn & 0x80000000, 0, &max, &r[1], &r[2], &r[3]);
	if (fn > max)
		return false;
	cpuid_count(fn, idx, &r[0], &r[1], &r[2], &r[3]);
	return (r[reg] >> bit) & 1;
}

static u64 read_cr4(void)
{
	u64 v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void write_cr4(u64 v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static volatile u64 fault_count, fault_rip, fault_error, fault_skip;

/* A fault: the frame's RIP is the instruction; step over fault_skip bytes. */
static void skip_handler(struct trap_frame *f)
{
	fault_count++;
	fault_rip = f->rip;
	fault_error = f->error;
	f->rip += fault_skip;
}

extern char stac_insn[], xgetbv_ud_insn[], xgetbv_gp_insn[], movbe_insn[],
	rdpru_insn[];

/* Expect exactly one #UD (vector 6) at insn, len bytes long. */
static int expect_fault(const char *what, u64 count_before, char *insn)
{
	if (fault_count != count_before + 1 || fault_rip != (u64)insn) {
		printf("insns: %s: %lu faults at 0x%lx, want one at 0x%lx\n",
		       what, fault_count - count_before, fault_rip, (u64)insn);
		return 1;
	}
	return 0;
}

/*
 * Instructions whose result follows from CPUID and control registers:
 * STAC/CLAC, XGETBV, and #UD for forms or features the CPU does not have.
 * The output does not depend on which features the CPUID offers.
 */
int scenario_insns(int argc, char **argv)
{
	u64 flags, before, cr4 = read_cr4(), rax, rdx;
	int bad = 0;

	set_trap_handler(6, skip_handler);
	set_trap_handler(13, skip_handler);

	/* STAC / CLAC: RFLAGS.AC, or #UD without SMAP */
	before = fault_count;
	fault_skip = 3;
	asm volatile(".globl stac_insn\nstac_insn: stac\n"
		     "pushfq; popq %0; clac" : "=r"(flags) : : "memory");
	if (cpuid_bit(7, 0, 1, 20)) {
		asm volatile("pushfq; popq %0" : "=r"(before));
		if (!(flags & (1UL << 18)) || (before & (1UL << 18))) {
			printf("insns: stac/clac: AC 0x%lx then 0x%lx\n", flags,
			       before);
			bad++;
		}
	} else {
		/* stac and clac both raise #UD */
		if (fault_count != before + 2 || (flags & (1UL << 18))) {
			printf("insns: stac/clac: %lu faults, want 2 (#UD)\n",
			       fault_count - before);
			bad++;
		}
	}
	if (!bad)
		printf("insns: stac/clac ok\n");

	/* XGETBV: #UD with CR4.OSXSAVE clear */
	write_cr4(cr4 & ~(1UL << 18));
	before = fault_count;
	fault_skip = 3;
	asm volatile(".globl xgetbv_ud_insn\nxgetbv_ud_insn: xgetbv"
		     : : "c"(0) : "rax", "rdx", "memory");
	if (expect_fault("xgetbv without OSXSAVE", before, xgetbv_ud_insn))
		bad++;
	else if (cpuid_bit(1, 0, 2, 26)) {
		write_cr4(cr4 | (1UL << 18));
		rax = 0xdead0000dead0000UL;
		rdx = 0xbeef0000beef0000UL;
		asm volatile("xgetbv" : "+a"(rax), "+d"(rdx) : "c"(0));
		/* x87 is always enabled; the upper halves are cleared */
		if (!(rax & 1) || (rax >> 32) || (rdx >> 32)) {
			printf("insns: xgetbv 0: rax 0x%lx rdx 0x%lx\n", rax,
			       rdx);
			bad++;
		}
		before = fault_count;
		asm volatile(".globl xgetbv_gp_insn\nxgetbv_gp_insn: xgetbv"
			     : : "c"(5) : "rax", "rdx", "memory");
		if (expect_fault("xgetbv 5", before, xgetbv_gp_insn) ||
		    fault_error != 0)
			bad++;
		write_cr4(cr4);
	}
	if (!bad)
		printf("insns: xgetbv ok\n");

	/* MOVBE has no register form: #UD */
	before = fault_count;
	fault_skip = 4;
	asm volatile(".globl movbe_insn\nmovbe_insn: .byte 0x0f, 0x38, 0xf0, 0xc1"
		     : : : "rax", "memory");
	if (expect_fault("movbe register form", before, movbe_insn))
		bad++;
	else
		printf("insns: movbe register form #UD ok\n");

	/* RDPRU: #UD where the CPUID does not offer it (CLWB, CLFLUSHOPT and
	   INVPCID: cacheline.c) */
	if (!cpuid_bit(0x80000008, 0, 1, 4)) {
		before = fault_count;
		fault_skip = 3;
		asm volatile(".globl rdpru_insn\nrdpru_insn: .byte 0x0f, 0x01, 0xfd"
			     : : "c"(0) : "rax", "rdx", "memory");
		if (expect_fault("rdpru", before, rdpru_insn))
			bad++;
	}
	set_trap_handler(6, NULL);
	set_trap_handler(13, NULL);
	if (bad)
		return 1;
	printf("insns: rdpru ok\n");
	return 0;
}

/*
 * rdmsr/wrmsr of an MSR; returns whether it faulted (#GP), with
 * skip_handler stepping over the 2-byte instruction.
 */
static bool msr_faults(u32 msr, bool write, u64 value)
{
	u64 before = fault_count;
	u32 lo = (u32)value, hi = value >> 32;

	fault_skip = 2;
	if (write)
		asm volatile("wrmsr" : : "c"(msr), "a"(lo), "d"(hi) : "memory");
	else
		asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return fault_count != before;
}

/*
 * MSRs exist when the CPUID says their feature does: SPEC_CTRL (IBRS,
 * SSBD; AMD IBRS), PRED_CMD (IBPB), FLUSH_CMD (L1D_FLUSH),
 * ARCH_CAPABILITIES. Where the feature is absent every access is #GP.
 */
int scenario_msrs(int argc, char **argv)
{
	bool spec = cpuid_bit(7, 0, 3, 26) || cpuid_bit(7, 0, 3, 31) ||
		    cpuid_bit(0x80000008, 0, 1, 14);
	bool ibpb = cpuid_bit(7, 0, 3, 26) || cpuid_bit(0x80000008, 0, 1, 12);
	bool l1d = cpuid_bit(7, 0, 3, 28);
	bool arch_caps = cpuid_bit(7, 0, 3, 29);
	int bad = 0;

	set_trap_handler(13, skip_handler);
	if (msr_faults(0x48, false, 0) == spec ||
	    msr_faults(0x48, true, 0) == spec) {
		printf("msrs: SPEC_CTRL %s but access %s\n",
		       spec ? "in CPUID" : "hidden", spec ? "faults" : "works");
		bad++;
	}
	if (msr_faults(0x49, true, 0) == ibpb) {
		printf("msrs: PRED_CMD %s but write %s\n",
		       ibpb ? "in CPUID" : "hidden", ibpb ? "faults" : "works");
		bad++;
	}
	if (msr_faults(0x10b, true, 0) == l1d) {
		printf("msrs: FLUSH_CMD %s but write %s\n",
		       l1d ? "in CPUID" : "hidden", l1d ? "faults" : "works");
		bad++;
	}
	if (msr_faults(0x10a, false, 0) == arch_caps) {
		printf("msrs: ARCH_CAPABILITIES %s but read %s\n",
		       arch_caps ? "in CPUID" : "hidden",
		       arch_caps ? "faults" : "works");
		bad++;
	}
	set_trap_handler(13, NULL);
	if (bad)
		return 1;
	printf("msrs: SPEC_CTRL PRED_CMD FLUSH_CMD ARCH_CAPABILITIES follow CPUID\n");
	return 0;
}
