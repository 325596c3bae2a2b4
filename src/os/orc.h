/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ORC unwinding of guest kernel stacks (CONFIG_UNWINDER_ORC, the x86-64
 * default of distribution kernels, which have no frame pointers).
 *
 * The format (arch/x86/include/asm/orc_types.h, orc_lookup.h and
 * arch/x86/kernel/unwind_orc.c of Linux 6.1):
 *  - .orc_unwind_ip (__start_orc_unwind_ip..__stop_orc_unwind_ip): s32
 *    per entry, relative to its own address (ip = &entry + entry), sorted
 *    by ip at build time (scripts/sorttable);
 *  - .orc_unwind (__start_orc_unwind..__stop_orc_unwind): the same count
 *    of 6-byte struct orc_entry: s16 sp_offset, s16 bp_offset, then a
 *    little-endian u16 of bitfields sp_reg:4 bp_reg:4 type:2 end:1;
 *  - orc_lookup..orc_lookup_end: u32 per 256-byte block of _stext.._etext,
 *    the index of the entry covering the block's start (filled at boot);
 *    the entries of block i are lookup[i]..lookup[i + 1] inclusive
 *    (all zeros before unwind_init() ran: the whole table is searched).
 * An entry says where the caller's stack pointer is (sp_reg + sp_offset,
 * SP_INDIRECT: [sp] + offset, BP_INDIRECT: [bp + offset], R10/R13/DI/DX:
 * a register saved in the last pt_regs), what is there (type CALL: a
 * return address below it; REGS: a full pt_regs at it; REGS_PARTIAL: an
 * iret frame at it) and where the caller's bp was saved (bp_reg).
 *
 * Everything is guest-controlled: the tables are checked when loaded
 * (sizes, counts, sorted ips), every lookup index and table index is
 * checked at use, the binary search is bounded, every stack read is an
 * aligned kernel address read through the callback (within a sleeping
 * task's own stack when the start gives its bounds), the stack pointer
 * must move up the stack (a jump is allowed only where the kernel
 * switches stacks: an indirect sp or a pt_regs/iret frame, a few times),
 * a frame seen before is a cycle, and there are at most BT_MAX_FRAMES
 * frames. Each way the walk ends is one of the ORC_STOP_* reasons.
 */
#ifndef KVMSCOPE_OS_ORC_H
#define KVMSCOPE_OS_ORC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os/backtrace.h"
#include "os/kallsyms.h"
#include "util/errmsg.h"

#define ORC_REG_UNDEFINED 0
#define ORC_REG_PREV_SP 1
#define ORC_REG_DX 2
#define ORC_REG_DI 3
#define ORC_REG_BP 4
#define ORC_REG_SP 5
#define ORC_REG_R10 6
#define ORC_REG_R13 7
#define ORC_REG_BP_INDIRECT 8
#define ORC_REG_SP_INDIRECT 9

#define ORC_TYPE_CALL 0
#define ORC_TYPE_REGS 1
#define ORC_TYPE_REGS_PARTIAL 2

#define ORC_ENTRY_SIZE 6
#define ORC_MAX_ENTRIES (1U << 22) /* a distro kernel has ~100k */
#define ORC_LOOKUP_BLOCK 256
#define ORC_MAX_LOOKUP (1U << 22) /* 1 GiB of text */
#define ORC_MAX_STACK_SWITCHES 8 /* task, IRQ, exception, entry stacks */

#define ORC_IRET_OFFSET (PT_IP * 8) /* the iret frame within pt_regs */
#define ORC_IRET_SIZE ((PT_WORDS - PT_IP) * 8)

/* Why a walk ended. */
#define ORC_STOP_END "the stack's end (an ORC end marker)"
#define ORC_STOP_USER "the entry from user space (pt_regs of user mode)"
#define ORC_STOP_LIMIT "the frame limit"
#define ORC_STOP_NO_ENTRY "an address with no ORC entry"
#define ORC_STOP_UNDEFINED "an ORC entry with an undefined stack pointer"
#define ORC_STOP_BAD_LOOKUP "an orc_lookup entry outside the ORC tables"
#define ORC_STOP_BAD_SP_REG "an ORC entry with an unknown sp register"
#define ORC_STOP_BAD_BP_REG "an ORC entry with an unknown bp register"
#define ORC_STOP_BAD_TYPE "an ORC entry of an unknown type"
#define ORC_STOP_NO_REG "an sp register that no pt_regs on the stack saved"
#define ORC_STOP_USER_ADDR "a stack address outside the kernel's half"
#define ORC_STOP_MISALIGNED "a misaligned stack address"
#define ORC_STOP_UNREADABLE "a stack address that cannot be read"
#define ORC_STOP_OFF_STACK "a stack address outside the task's stack"
#define ORC_STOP_NO_PROGRESS "a stack pointer that does not move up the stack"
#define ORC_STOP_CYCLE "a cycle (a frame seen before)"
#define ORC_STOP_RET_TEXT "a return address outside kernel text"
#define ORC_STOP_REGS_TEXT "an interrupted address outside kernel text"

struct orc_entry {
	int16_t sp_offset, bp_offset;
	uint8_t sp_reg, bp_reg, type, end;
};

/* Kernel virtual addresses of the tables and of the text they cover. */
struct orc_locations {
	uint64_t ip_start, ip_stop; /* __start/__stop_orc_unwind_ip */
	uint64_t orc_start, orc_stop; /* __start/__stop_orc_unwind */
	uint64_t lookup, lookup_end; /* orc_lookup, orc_lookup_end; 0: none */
	uint64_t text_start, text_end; /* _stext, _etext; 0: unknown */
	uint64_t init_start, init_end; /* _sinittext, _einittext; 0: none */
};

struct orc_table {
	struct orc_locations loc;
	uint64_t *ip; /* absolute, sorted */
	struct orc_entry *orc;
	uint32_t nr;
	uint32_t *lookup; /* NULL: search the whole table */
	uint32_t nr_lookup;
};

/*
 * Read and check the tables at loc: 0 with t filled (free with
 * orc_table_free), -EINVAL/-EFAULT with err "ORC tables at 0x... are not
 * valid: <why>", -ENOMEM.
 */
int orc_table_load(const struct orc_locations *loc, kallsyms_read_fn read,
		   void *opaque, struct orc_table *t, struct errmsg *err);
void orc_table_free(struct orc_table *t);

/* The entry for ip: 0, or -ENOENT with *why one of the ORC_STOP_*. */
int orc_find(const struct orc_table *t, uint64_t ip, struct orc_entry *e,
	     const char **why);

/* Where a walk starts. */
struct orc_start {
	uint64_t ip, sp, bp;
	/* ip is where the CPU was (a vCPU's RIP, ret_from_fork), not a
	 * return address: it is looked up as is and named as is. */
	bool signal;
	bool have_regs; /* regs holds every register (a vCPU's) */
	uint64_t regs[PT_WORDS];
	/* A sleeping task's stack: every read within [lo, hi) (0: any). */
	uint64_t stack_lo, stack_hi;
};

/*
 * Walk from start through t, reading the stack through read. Frame 0 is
 * start.ip; a pt_regs frame is BT_FRAME_REGS, an iret frame
 * BT_FRAME_IRET. Fills bt (bt->stop: an ORC_STOP_*); never fails.
 */
void orc_unwind(const struct orc_table *t, kallsyms_read_fn read, void *opaque,
		const struct orc_start *start, struct backtrace *bt);

#endif
