// SPDX-License-Identifier: GPL-2.0
/*
 * The frame-pointer unwinder on a synthetic kernel stack: a normal chain
 * to frame pointer 0, and each way a hostile or broken stack ends the
 * walk (misaligned, not moving up, too far, unreadable, a return address
 * outside text, a user frame pointer, a loop), always within the limit;
 * an encoded pt_regs (an interrupt) walked into, and its hostile forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "os/backtrace.h"

#define STACK_VA 0xffffc90000010000ULL
#define TEXT 0xffffffff81000000ULL

static uint64_t stack[1024];

static int rd(void *opaque, uint64_t va, void *buf, size_t len)
{
	if (va < STACK_VA || va - STACK_VA + len > sizeof(stack))
		return -14;
	memcpy(buf, (uint8_t *)stack + (va - STACK_VA), len);
	return 0;
}

static int text(void *opaque, uint64_t pc)
{
	return pc >= TEXT && pc < TEXT + 0x1000000;
}

/* Frame at slot i: [saved fp, return address]. */
static uint64_t frame(int i, uint64_t next_fp, uint64_t ret)
{
	stack[i] = next_fp;
	stack[i + 1] = ret;
	return STACK_VA + 8 * (uint64_t)i;
}

static void test_chain(void **state)
{
	struct backtrace bt;
	uint64_t f3, f2, f1;

	memset(stack, 0, sizeof(stack));
	f3 = frame(300, 0, TEXT + 0x300);
	f2 = frame(200, f3, TEXT + 0x200);
	f1 = frame(100, f2, TEXT + 0x100);
	bt_unwind(rd, NULL, TEXT + 0x42, f1, text, NULL, &bt);
	assert_int_equal(bt.nr, 4);
	assert_int_equal(bt.frames[0].pc, TEXT + 0x42);
	assert_int_equal(bt.frames[0].fp, 0);
	assert_int_equal(bt.frames[1].pc, TEXT + 0x100);
	assert_int_equal(bt.frames[1].fp, f1);
	assert_int_equal(bt.frames[3].pc, TEXT + 0x300);
	assert_string_equal(bt.stop, "the stack's end (frame pointer 0)");
}

static void test_stops(void **state)
{
	struct backtrace bt;
	uint64_t f1;

	memset(stack, 0, sizeof(stack));
	/* a loop: the frame points at itself */
	f1 = STACK_VA + 8 * 10;
	frame(10, f1, TEXT + 0x10);
	bt_unwind(rd, NULL, TEXT, f1, text, NULL, &bt);
	assert_int_equal(bt.nr, 2);
	assert_string_equal(bt.stop,
			    "a frame pointer that does not move up the stack");
	/* down the stack */
	frame(20, STACK_VA + 8 * 5, TEXT + 0x20);
	bt_unwind(rd, NULL, TEXT, STACK_VA + 8 * 20, text, NULL, &bt);
	assert_string_equal(bt.stop,
			    "a frame pointer that does not move up the stack");
	/* misaligned */
	bt_unwind(rd, NULL, TEXT, STACK_VA + 3, text, NULL, &bt);
	assert_int_equal(bt.nr, 1);
	assert_string_equal(bt.stop, "a misaligned frame pointer");
	/* a user address */
	bt_unwind(rd, NULL, TEXT, 0x7ffc0000, text, NULL, &bt);
	assert_string_equal(bt.stop,
			    "the entry from user space (a user frame pointer)");
	/* unreadable */
	bt_unwind(rd, NULL, TEXT, 0xffff888000000000ULL, text, NULL, &bt);
	assert_string_equal(bt.stop, "a frame pointer that cannot be read");
	/* returns into data */
	frame(30, 0, 0xffff888000001000ULL);
	bt_unwind(rd, NULL, TEXT, STACK_VA + 8 * 30, text, NULL, &bt);
	assert_int_equal(bt.nr, 1);
	assert_string_equal(bt.stop, "a return address outside kernel text");
	/* a return address of 0 ends the stack */
	frame(40, 0, 0);
	bt_unwind(rd, NULL, TEXT, STACK_VA + 8 * 40, text, NULL, &bt);
	assert_string_equal(bt.stop, "the stack's end (return address 0)");
}

/*
 * An interrupt: the handler's chain on an IRQ stack ends in a frame whose
 * saved fp is the encoded pt_regs (address + 1) on the task's stack,
 * below the IRQ stack; the interrupted RIP and RBP go on from there.
 */
static void test_pt_regs(void **state)
{
	struct backtrace bt;
	uint64_t regs = STACK_VA + 8 * 100, f_task, f_irq;

	memset(stack, 0, sizeof(stack));
	f_task = frame(200, 0, TEXT + 0x200); /* the interrupted caller */
	stack[100 + 4] = f_task; /* pt_regs.bp */
	stack[100 + 16] = TEXT + 0x160; /* pt_regs.ip: the interrupted RIP */
	stack[100 + 17] = 0x10; /* pt_regs.cs: kernel */
	f_irq = frame(900, regs + 1, TEXT + 0x900);
	bt_unwind(rd, NULL, TEXT + 0x42, f_irq, text, NULL, &bt);
	assert_string_equal(bt.stop, "the stack's end (frame pointer 0)");
	assert_int_equal(bt.nr, 4);
	assert_int_equal(bt.frames[1].pc, TEXT + 0x900);
	assert_int_equal(bt.frames[1].kind, BT_FRAME_RETURN);
	assert_int_equal(bt.frames[2].pc, TEXT + 0x160);
	assert_int_equal(bt.frames[2].kind, BT_FRAME_REGS);
	assert_int_equal(bt.frames[2].fp, regs + 1);
	assert_int_equal(bt.frames[3].pc, TEXT + 0x200);
	/* from user mode: the walk ends at the pt_regs */
	stack[100 + 17] = 0x33;
	bt_unwind(rd, NULL, TEXT + 0x42, f_irq, text, NULL, &bt);
	assert_int_equal(bt.nr, 2);
	assert_string_equal(bt.stop,
			    "the entry from user space (pt_regs of user mode)");
	/* an interrupted RIP outside text, a pt_regs past readable memory */
	stack[100 + 17] = 0x10;
	stack[100 + 16] = 0xffff888000001000ULL;
	bt_unwind(rd, NULL, TEXT, f_irq, text, NULL, &bt);
	assert_string_equal(bt.stop,
			    "an interrupted address outside kernel text");
	frame(910, STACK_VA + 8 * 1020 + 1, TEXT + 0x910);
	bt_unwind(rd, NULL, TEXT, STACK_VA + 8 * 910, text, NULL, &bt);
	assert_string_equal(bt.stop, "a pt_regs that cannot be read");
	/* a pt_regs whose bp is itself: bounded by the frame limit */
	stack[100 + 16] = TEXT + 0x160;
	stack[100 + 4] = regs + 1;
	bt_unwind(rd, NULL, TEXT, regs + 1, text, NULL, &bt);
	assert_int_equal(bt.nr, BT_MAX_FRAMES);
	assert_string_equal(bt.stop, "the frame limit");
	/* stack switches through encoded frames are bounded too */
	memset(stack, 0, sizeof(stack));
	stack[100 + 16] = TEXT + 0x160;
	stack[100 + 4] = STACK_VA + 8 * 300;
	frame(300, regs + 1, TEXT + 0x300); /* back to the same pt_regs */
	bt_unwind(rd, NULL, TEXT, regs + 1, text, NULL, &bt);
	assert_string_equal(bt.stop, "too many stack switches");
	assert_int_equal(bt.nr, 1 + 2 * (BT_MAX_STACK_SWITCHES + 1));
}

static void test_limit(void **state)
{
	struct backtrace bt;
	int i;

	/* 100 frames up the stack, each 8 slots apart */
	memset(stack, 0, sizeof(stack));
	for (i = 0; i < 100; i++)
		frame(8 * i, STACK_VA + 8 * 8 * (uint64_t)(i + 1),
		      TEXT + (uint64_t)i);
	bt_unwind(rd, NULL, TEXT, STACK_VA, text, NULL, &bt);
	assert_int_equal(bt.nr, BT_MAX_FRAMES);
	assert_string_equal(bt.stop, "the frame limit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_stops),
		cmocka_unit_test(test_pt_regs),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
