// SPDX-License-Identifier: GPL-2.0
/*
 * The frame-pointer unwinder on a synthetic kernel stack: a normal chain
 * to frame pointer 0, and each way a hostile or broken stack ends the
 * walk (misaligned, not moving up, too far, unreadable, a return address
 * outside text, a user frame pointer, a loop), always within the limit.
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
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
