// SPDX-License-Identifier: GPL-2.0
/* Frame-pointer unwinding of guest kernel stacks; see backtrace.h. */
#include <string.h>

#include "os/backtrace.h"

static void add(struct backtrace *bt, uint64_t pc, uint64_t fp,
		enum bt_frame_kind kind)
{
	bt->frames[bt->nr].pc = pc;
	bt->frames[bt->nr].kind = kind;
	bt->frames[bt->nr++].fp = fp;
}

/*
 * fp is an encoded pt_regs (ENCODE_FRAME_POINTER: its address + 1, set
 * by the entry code of every interrupt and exception): the interrupted
 * RIP is the next frame and its RBP the next frame pointer, as the
 * kernel's own frame-pointer unwinder decodes it. 0: go on from *fp.
 */
static int regs_frame(kallsyms_read_fn read, void *opaque, uint64_t *fp,
		      int (*in_text)(void *opaque, uint64_t pc),
		      void *text_opaque, struct backtrace *bt)
{
	uint64_t regs = *fp - 1, r[PT_WORDS];

	if (regs & 7) {
		bt->stop = "a misaligned frame pointer";
		return -1;
	}
	if (read(opaque, regs, r, sizeof(r))) {
		bt->stop = "a pt_regs that cannot be read";
		return -1;
	}
	if (r[PT_CS] & 3) {
		bt->stop = "the entry from user space (pt_regs of user mode)";
		return -1;
	}
	if (in_text && !in_text(text_opaque, r[PT_IP])) {
		bt->stop = "an interrupted address outside kernel text";
		return -1;
	}
	add(bt, r[PT_IP], *fp, BT_FRAME_REGS);
	*fp = r[PT_BP];
	return 0;
}

void bt_unwind(kallsyms_read_fn read, void *opaque, uint64_t pc, uint64_t fp,
	       int (*in_text)(void *opaque, uint64_t pc), void *text_opaque,
	       struct backtrace *bt)
{
	int switches = 0;

	memset(bt, 0, sizeof(*bt));
	add(bt, pc, 0, BT_FRAME_EXACT);
	bt->stop = "the stack's end (frame pointer 0)";
	while (fp) {
		uint64_t frame[2];

		if (bt->nr >= BT_MAX_FRAMES) {
			bt->stop = "the frame limit";
			return;
		}
		/* x86-64 kernel addresses have the top bit set. */
		if ((int64_t)fp >= 0) {
			bt->stop =
				"the entry from user space (a user frame pointer)";
			return;
		}
		if (fp & 1) {
			if (regs_frame(read, opaque, &fp, in_text, text_opaque,
				       bt))
				return;
			continue;
		}
		if (fp & 7) {
			bt->stop = "a misaligned frame pointer";
			return;
		}
		if (read(opaque, fp, frame, sizeof(frame))) {
			bt->stop = "a frame pointer that cannot be read";
			return;
		}
		if (!frame[1] || (in_text && !in_text(text_opaque, frame[1]))) {
			bt->stop =
				frame[1] ?
					"a return address outside kernel text" :
					"the stack's end (return address 0)";
			return;
		}
		add(bt, frame[1], fp, BT_FRAME_RETURN);
		/*
		 * The chain moves up one stack, or hops to another one only
		 * through an encoded pt_regs (an IRQ stack's bottom frame
		 * holds the interrupted task's): a bounded number of times.
		 */
		if (frame[0] & 1) {
			if (++switches > BT_MAX_STACK_SWITCHES) {
				bt->stop = "too many stack switches";
				return;
			}
		} else if (frame[0] && (frame[0] <= fp ||
					frame[0] - fp > BT_MAX_FRAME_SIZE)) {
			bt->stop =
				"a frame pointer that does not move up the stack";
			return;
		}
		fp = frame[0];
	}
}
