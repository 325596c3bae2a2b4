/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64 registers as gdb sees them: the register numbering, the byte
 * layout of the 'g'/'p' packets from and to KVM's kvm_regs, kvm_sregs and
 * kvm_fpu (plus MSR_KERNEL_GS_BASE), and the target description (XML)
 * generated from the same table. No vCPU access: the gdb stub reads and
 * writes the KVM structures and hands them here.
 */
#ifndef KVMSCOPE_ARCH_X86_GDB_REGS_H
#define KVMSCOPE_ARCH_X86_GDB_REGS_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define X86_MSR_KERNEL_GS_BASE 0xc0000102
#define X86_GDB_REG_MAX 16 /* bytes of the widest register (xmm) */

/* One vCPU's state as KVM gives it: what gdb's registers come from. */
struct x86_gdb_cpu {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	uint64_t kgsbase;
	bool have_kgsbase;
};

/* Which part of x86_gdb_cpu a register write changed. */
enum {
	X86_GDB_DIRTY_REGS = 1,
	X86_GDB_DIRTY_SREGS = 2,
	X86_GDB_DIRTY_FPU = 4,
	X86_GDB_DIRTY_MSR = 8,
};

/* Number of registers (gdb's register numbers are 0 .. count - 1). */
int x86_gdb_reg_count(void);
/* Bytes of register n in the packets. */
unsigned int x86_gdb_reg_size(int n);
/* Bytes of the 'g' packet: every register in order. */
size_t x86_gdb_regs_size(void);
/* Register n from s, little-endian, x86_gdb_reg_size(n) bytes. */
void x86_gdb_reg_get(const struct x86_gdb_cpu *s, int n, uint8_t *out);
/* Set register n in s; returns the X86_GDB_DIRTY_ bits it touched. */
unsigned int x86_gdb_reg_set(struct x86_gdb_cpu *s, int n, const uint8_t *in);
/* target.xml (malloc'ed, *len bytes), or NULL when out of memory. */
char *x86_gdb_target_xml(size_t *len);

#endif
