/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest kernel's log, decoded from its printk ring buffer (Linux 5.10+,
 * kernel/printk/printk_ringbuffer.[ch]) with the layout its VMCOREINFO
 * publishes (SYMBOL(prb), SIZE()/OFFSET() of printk_ringbuffer,
 * prb_desc_ring, prb_desc, prb_data_blk_lpos, printk_info, prb_data_ring),
 * the way crash and makedumpfile read it from a dump: no vmlinux needed.
 *
 * The ring:
 *  - prb points at a printk_ringbuffer: a desc_ring (count_bits, descs[],
 *    infos[], head_id, tail_id) and a text_data_ring (size_bits, data[]).
 *  - Records are the ids tail_id..head_id; id's descriptor is
 *    descs[id & (2^count_bits - 1)]. Its state_var holds the id in bits
 *    0..61 (a different id: overwritten) and the state in bits 62..63
 *    (1 committed, 2 finalized: readable).
 *  - infos[] at the same index: seq, ts_nsec, text_len, caller_id.
 *  - text_blk_lpos {begin, next} are logical positions in data[]; the
 *    block at begin starts with the id (an unsigned long) and then the
 *    text; a block that would wrap is stored at data[0] instead. Both
 *    lpos odd: a data-less record (3, 3: an empty line; 1, 1: lost).
 *
 * Every value comes from guest RAM: sizes are capped, every index is
 * masked or checked, a text never runs past its block, and a record whose
 * state or positions do not add up is skipped (and counted), never read.
 */
#ifndef KVMSCOPE_OS_PRINTK_H
#define KVMSCOPE_OS_PRINTK_H

#include <stddef.h>
#include <stdint.h>

#include "os/kallsyms.h"
#include "os/vmcoreinfo.h"
#include "util/errmsg.h"

#define PRINTK_MAX_COUNT_BITS 20 /* descriptors: 1M records */
#define PRINTK_MAX_SIZE_BITS 25 /* text: 32 MiB (LOG_BUF_SHIFT max is 25) */
#define PRINTK_MAX_STRUCT 512 /* any of the structures' sizes */

/* The ring buffer's layout, from VMCOREINFO. */
struct printk_layout {
	uint64_t prb; /* address of the pointer `prb` */
	uint32_t rb_size, rb_desc_ring, rb_text_data_ring;
	uint32_t dr_count_bits, dr_descs, dr_infos, dr_head_id, dr_tail_id;
	uint32_t desc_size, desc_state_var, desc_text_blk_lpos;
	uint32_t lpos_begin, lpos_next;
	uint32_t info_size, info_seq, info_ts_nsec, info_text_len,
		info_caller_id;
	uint32_t data_size_bits, data_data;
};

/*
 * Fill l from VMCOREINFO: 0, or -ENOENT with err naming the first missing
 * key (a kernel before 5.10 or without CRASH_CORE), -EINVAL for a value
 * out of range.
 */
int printk_layout_from_vmcoreinfo(const struct vmcoreinfo *vi,
				  struct printk_layout *l, struct errmsg *err);

struct printk_record {
	uint64_t seq;
	uint64_t ts_nsec;
	uint32_t caller_id; /* bit 31: CPU, else a thread id */
	uint32_t text; /* offset into printk_log.text */
	uint32_t len;
};

struct printk_log {
	struct printk_record *recs; /* in seq order */
	size_t nr;
	char *text; /* the records' texts, each NUL-terminated */
	size_t text_len;
	size_t skipped; /* ids overwritten, not yet committed or malformed */
	uint64_t ring_bytes; /* the text ring's size */
};

/*
 * Read the log through read (kernel virtual addresses). 0 with log filled
 * (free with printk_log_free), -EFAULT when a structure cannot be read,
 * -EINVAL with err when the ring's header is not a ring (counts out of
 * range, tail after head, pointers that do not point), -ENOMEM.
 */
int printk_read(const struct printk_layout *l, kallsyms_read_fn read,
		void *opaque, struct printk_log *log, struct errmsg *err);
void printk_log_free(struct printk_log *log);

/*
 * One record as dmesg prints it: "[%5u.%06u] text", the text's control
 * characters other than tab and its non-ASCII bytes escaped as \xNN
 * (guest text must not drive the user's terminal, and the line is always
 * valid UTF-8), each embedded newline starting a new line with the same
 * prefix. Returns the length written (truncated to size - 1,
 * always NUL-terminated when size > 0).
 */
size_t printk_format(const struct printk_log *log,
		     const struct printk_record *r, char *buf, size_t size);

#endif
