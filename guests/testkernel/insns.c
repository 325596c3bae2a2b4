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
