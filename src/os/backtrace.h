/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel stack walking through frame pointers (CONFIG_FRAME_POINTER /
 * UNWINDER_FRAME_POINTER on x86-64): each frame is [rbp] = the caller's
 * rbp and [rbp + 8] = the return address into the caller. A sleeping
 * task's walk starts from the frame __switch_to_asm left at thread.sp
 * (struct inactive_task_frame: bp, then ret_addr). An odd frame pointer is
 * a pt_regs address + 1 (the entry code's ENCODE_FRAME_POINTER): the walk
 * goes on from the interrupted RIP and RBP saved there (a BT_FRAME_REGS
 * frame), across the hop from an IRQ stack to the interrupted stack, and
 * ends at a pt_regs of user mode.
 *
 * The stack is guest memory: the walk stops at the first frame pointer
 * that is a user address (the entry from user space), is not 8-byte
 * aligned, does not move up the stack, jumps by more
 * than a stack's size, cannot be read, or returns to an address outside
 * the kernel's text; at most BT_MAX_FRAMES frames.
 */
#ifndef KVMSCOPE_OS_BACKTRACE_H
#define KVMSCOPE_OS_BACKTRACE_H

#include <stdint.h>

#include "os/kallsyms.h"

/* struct pt_regs (x86-64) as u64 words. */
enum {
	PT_R15,
	PT_R14,
	PT_R13,
	PT_R12,
	PT_BP,
	PT_BX,
	PT_R11,
	PT_R10,
	PT_R9,
	PT_R8,
	PT_AX,
	PT_CX,
	PT_DX,
	PT_SI,
	PT_DI,
	PT_ORIG_AX,
	PT_IP,
	PT_CS,
	PT_FLAGS,
	PT_SP,
	PT_SS,
	PT_WORDS
};

#define BT_MAX_FRAMES 64
#define BT_MAX_STACK_SWITCHES 8 /* hops through an encoded pt_regs */
#define BT_MAX_FRAME_SIZE \
	(64U << 10) /* a frame within a 16 KiB stack,
					    or a hop to the IRQ stack's caller */

/* What a frame's pc is (frame-pointer walks: EXACT, then RETURN). */
enum bt_frame_kind {
	BT_FRAME_EXACT, /* where the CPU is (a vCPU's RIP) */
	BT_FRAME_RETURN, /* a return address: named by pc - 1 */
	BT_FRAME_REGS, /* the interrupted RIP of a pt_regs on the stack */
	BT_FRAME_IRET, /* the RIP of an iret frame on the stack */
};

struct bt_frame {
	uint64_t pc;
	uint64_t fp; /* the frame pointer that gave pc (0: the first pc) */
	uint64_t sp; /* ORC: the stack pointer at pc (0: unknown) */
	enum bt_frame_kind kind;
};

struct backtrace {
	struct bt_frame frames[BT_MAX_FRAMES];
	int nr;
	const char *stop; /* why the walk ended */
};

/*
 * Walk from pc with frame pointer fp. in_text(pc) says whether an address
 * is kernel code (NULL: anything non-zero is). Fills bt; never fails.
 */
void bt_unwind(kallsyms_read_fn read, void *opaque, uint64_t pc, uint64_t fp,
	       int (*in_text)(void *opaque, uint64_t pc), void *text_opaque,
	       struct backtrace *bt);

#endif
