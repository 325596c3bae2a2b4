// SPDX-License-Identifier: GPL-2.0
/* Frame-pointer unwinding of guest kernel stacks; see backtrace.h. */
#include <string.h>

#include "os/backtrace.h"

void bt_unwind(kallsyms_read_fn read, void *opaque, uint64_t pc, uint64_t fp,
	       int (*in_text)(void *opaque, uint64_t pc), void *text_opaque,
	       struct backtrace *bt)
{
	memset(bt, 0, sizeof(*bt));
	bt->frames[bt->nr].pc = pc;
	bt->frames[bt->nr++].fp = 0;
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
		bt->frames[bt->nr].pc = frame[1];
		bt->frames[bt->nr].kind = BT_FRAME_RETURN;
		bt->frames[bt->nr++].fp = fp;
		if (frame[0] &&
		    (frame[0] <= fp || frame[0] - fp > BT_MAX_FRAME_SIZE)) {
			bt->stop =
				"a frame pointer that does not move up the stack";
			return;
		}
		fp = frame[0];
	}
}
