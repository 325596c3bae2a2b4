// SPDX-License-Identifier: GPL-2.0
/*
 * The ORC unwinder on synthetic tables and a synthetic stack in guest
 * memory (a read callback over two buffers): CALL chains, sp/bp based
 * frames, a pt_regs frame, an iret frame, registers from pt_regs, the
 * lookup table, and each way broken or hostile tables and stacks end the
 * walk: an unsorted ip table, counts that disagree, lookup entries past
 * the end, an sp that does not move, huge offsets, failing reads,
 * misaligned or user addresses, cycles, unknown registers and types.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "os/orc.h"

#define TABLE_VA 0xffffffff82000000ULL
#define IP_OFF 0x0
#define ORC_OFF 0x4000
#define LOOKUP_OFF 0x8000
#define STACK_VA 0xffffc90000010000ULL
#define TEXT 0xffffffff81000000ULL
#define TEXT_SIZE 0x1000ULL
#define NBLOCKS (TEXT_SIZE / ORC_LOOKUP_BLOCK + 1)

static uint8_t tables[0x10000];
static uint64_t stack[16384]; /* 128 KiB */
static uint64_t fail_va; /* a read covering it fails */

static int rd(void *opaque, uint64_t va, void *buf, size_t len)
{
	(void)opaque;
	if (fail_va && va <= fail_va && fail_va < va + len)
		return -14;
	if (va >= TABLE_VA && va - TABLE_VA <= sizeof(tables) &&
	    len <= sizeof(tables) - (va - TABLE_VA)) {
		memcpy(buf, tables + (va - TABLE_VA), len);
		return 0;
	}
	if (va >= STACK_VA && va - STACK_VA <= sizeof(stack) &&
	    len <= sizeof(stack) - (va - STACK_VA)) {
		memcpy(buf, (uint8_t *)stack + (va - STACK_VA), len);
		return 0;
	}
	return -14;
}

struct ent {
	uint64_t ip;
	int16_t sp_off, bp_off;
	uint8_t sp_reg, bp_reg, type, end;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static size_t rightmost(const struct ent *e, size_t n, uint64_t ip)
{
	size_t i, found = 0;

	for (i = 0; i < n; i++)
		if (e[i].ip <= ip)
			found = i;
	return found;
}

/* Lay out n entries (given sorted, or not) and fill loc. */
static void build(const struct ent *e, size_t n, bool with_lookup,
		  struct orc_locations *loc)
{
	size_t i;

	memset(tables, 0, sizeof(tables));
	memset(loc, 0, sizeof(*loc));
	for (i = 0; i < n; i++) {
		uint64_t at = TABLE_VA + IP_OFF + 4 * i;
		int32_t rel = (int32_t)(int64_t)(e[i].ip - at);
		uint8_t *o = tables + ORC_OFF + ORC_ENTRY_SIZE * i;

		memcpy(tables + IP_OFF + 4 * i, &rel, 4);
		put16(o, (uint16_t)e[i].sp_off);
		put16(o + 2, (uint16_t)e[i].bp_off);
		put16(o + 4, (uint16_t)(e[i].sp_reg | e[i].bp_reg << 4 |
					e[i].type << 8 | e[i].end << 10));
	}
	loc->ip_start = TABLE_VA + IP_OFF;
	loc->ip_stop = loc->ip_start + 4 * n;
	loc->orc_start = TABLE_VA + ORC_OFF;
	loc->orc_stop = loc->orc_start + ORC_ENTRY_SIZE * n;
	loc->text_start = TEXT;
	loc->text_end = TEXT + TEXT_SIZE;
	if (with_lookup) {
		uint32_t *lk = (uint32_t *)(tables + LOOKUP_OFF);

		for (i = 0; i < NBLOCKS - 1; i++)
			lk[i] = (uint32_t)rightmost(
				e, n, TEXT + ORC_LOOKUP_BLOCK * i);
		lk[NBLOCKS - 1] = (uint32_t)rightmost(e, n, TEXT + TEXT_SIZE);
		loc->lookup = TABLE_VA + LOOKUP_OFF;
		loc->lookup_end = loc->lookup + 4 * NBLOCKS;
	}
}

#define CALL_SP(at, off)                                        \
	{                                                       \
		(at), (off), 0, ORC_REG_SP, 0, ORC_TYPE_CALL, 0 \
	}
#define END(at)                                                    \
	{                                                          \
		(at), 0, 0, ORC_REG_UNDEFINED, 0, ORC_TYPE_CALL, 1 \
	}

/* The functions of the synthetic text, and their entries. */
static const struct ent funcs[] = {
	CALL_SP(TEXT + 0x000, 8), /* 0: a leaf-less start */
	CALL_SP(TEXT + 0x100, 24), /* A: sp + 24, bp kept */
	/* B: sp + 16, bp saved at CFA - 16 */
	{ TEXT + 0x200, 16, -16, ORC_REG_SP, ORC_REG_PREV_SP, ORC_TYPE_CALL,
	  0 },
	END(TEXT + 0x300), /* C: the stack's end */
	/* E: a full pt_regs at sp */
	{ TEXT + 0x400, 0, 0, ORC_REG_SP, ORC_REG_UNDEFINED, ORC_TYPE_REGS, 0 },
	/* F: a frame-pointer frame: CFA = bp + 16, bp at bp */
	{ TEXT + 0x500, 16, -16, ORC_REG_BP, ORC_REG_PREV_SP, ORC_TYPE_CALL,
	  0 },
	/* G: an iret frame at sp + 8 */
	{ TEXT + 0x600, 8, 0, ORC_REG_SP, ORC_REG_UNDEFINED,
	  ORC_TYPE_REGS_PARTIAL, 0 },
	/* H: the caller's sp in rdi (a stack switch) */
	{ TEXT + 0x700, 0, 0, ORC_REG_DI, ORC_REG_UNDEFINED, ORC_TYPE_CALL, 0 },
	/* I: the caller's sp at [sp] (call_on_stack's IRQ stack switch) */
	{ TEXT + 0x800, 0, 0, ORC_REG_SP_INDIRECT, 0, ORC_TYPE_CALL, 0 },
	CALL_SP(TEXT + 0x900, 16), /* K: recursion */
	CALL_SP(TEXT + 0xa00, 0), /* L: an sp that does not move */
	{ TEXT + 0xb00, 0, 0, ORC_REG_UNDEFINED, 0, ORC_TYPE_CALL, 0 }, /* M */
	{ TEXT + 0xc00, 8, 0, ORC_REG_SP, 0, 3, 0 }, /* N: unknown type */
	{ TEXT + 0xd00, 8, 0, 12, 0, ORC_TYPE_CALL, 0 }, /* O: sp reg 12 */
	{ TEXT + 0xe00, 8, 0, ORC_REG_SP, 9, ORC_TYPE_CALL, 0 }, /* P: bp 9 */
	/* Q: the caller's sp in r10 */
	{ TEXT + 0xf00, 0, 0, ORC_REG_R10, ORC_REG_UNDEFINED, ORC_TYPE_CALL,
	  0 },
	CALL_SP(TEXT + 0xf80, 0x7fff), /* R: a huge offset */
};
#define NFUNCS (sizeof(funcs) / sizeof(funcs[0]))

static struct orc_table table;

static int setup(void **state)
{
	struct orc_locations loc;
	struct errmsg err;

	(void)state;
	fail_va = 0;
	memset(stack, 0, sizeof(stack));
	build(funcs, NFUNCS, true, &loc);
	assert_int_equal(orc_table_load(&loc, rd, NULL, &table, &err), 0);
	assert_int_equal(table.nr, NFUNCS);
	assert_int_equal(table.nr_lookup, NBLOCKS);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	orc_table_free(&table);
	return 0;
}

static uint64_t sva(int slot)
{
	return STACK_VA + 8 * (uint64_t)slot;
}

static void walk(uint64_t ip, uint64_t sp, uint64_t bp, bool signal,
		 struct backtrace *bt)
{
	struct orc_start s = { .ip = ip, .sp = sp, .bp = bp, .signal = signal };

	orc_unwind(&table, rd, NULL, &s, bt);
}

static void test_decode_and_find(void **state)
{
	struct orc_entry e;
	const char *why;

	(void)state;
	assert_int_equal(orc_find(&table, TEXT + 0x210, &e, &why), 0);
	assert_int_equal(e.sp_offset, 16);
	assert_int_equal(e.bp_offset, -16);
	assert_int_equal(e.sp_reg, ORC_REG_SP);
	assert_int_equal(e.bp_reg, ORC_REG_PREV_SP);
	assert_int_equal(e.type, ORC_TYPE_CALL);
	assert_int_equal(e.end, 0);
	assert_int_equal(orc_find(&table, TEXT + 0x3ff, &e, &why), 0);
	assert_int_equal(e.end, 1);
	assert_int_equal(orc_find(&table, TEXT + 0x600, &e, &why), 0);
	assert_int_equal(e.type, ORC_TYPE_REGS_PARTIAL);
	/* the last entry covers the rest of the text */
	assert_int_equal(orc_find(&table, TEXT + 0xfff, &e, &why), 0);
	assert_int_equal(e.sp_offset, 0x7fff);
	/* outside the text: nothing */
	assert_int_equal(orc_find(&table, TEXT + TEXT_SIZE, &e, &why), -ENOENT);
	assert_string_equal(why, ORC_STOP_NO_ENTRY);
	assert_int_equal(orc_find(&table, TEXT - 1, &e, &why), -ENOENT);
}

/* A -> B -> C: sp-based frames, bp restored from the stack, the end. */
static void test_call_chain(void **state)
{
	struct backtrace bt;

	(void)state;
	stack[2] = TEXT + 0x250; /* A's return address, at CFA(A) - 8 */
	stack[3] = 0xffffc900000100f0ULL; /* B saved bp at CFA(B) - 16 */
	stack[4] = TEXT + 0x350; /* B's return address */
	walk(TEXT + 0x150, sva(0), 0x1234, true, &bt);
	assert_int_equal(bt.nr, 3);
	assert_int_equal(bt.frames[0].pc, TEXT + 0x150);
	assert_int_equal(bt.frames[0].kind, BT_FRAME_EXACT);
	assert_int_equal(bt.frames[0].sp, sva(0));
	assert_int_equal(bt.frames[1].pc, TEXT + 0x250);
	assert_int_equal(bt.frames[1].sp, sva(3));
	assert_int_equal(bt.frames[1].kind, BT_FRAME_RETURN);
	assert_int_equal(bt.frames[2].pc, TEXT + 0x350);
	assert_int_equal(bt.frames[2].sp, sva(5));
	assert_string_equal(bt.stop, ORC_STOP_END);

	/* a return address is looked up at pc - 1: 0x300 is still B's */
	stack[4] = TEXT + 0x300;
	stack[6] = TEXT + 0x350;
	walk(TEXT + 0x150, sva(0), 0, true, &bt);
	assert_int_equal(bt.nr, 4);
	assert_int_equal(bt.frames[2].pc, TEXT + 0x300);
	assert_int_equal(bt.frames[3].pc, TEXT + 0x350);
	assert_string_equal(bt.stop, ORC_STOP_END);

	/* without the lookup table, the whole-table search says the same */
	{
		struct orc_locations loc;
		struct orc_table t2;
		struct errmsg err;
		struct orc_start s = { .ip = TEXT + 0x150,
				       .sp = sva(0),
				       .signal = true };

		build(funcs, NFUNCS, false, &loc);
		assert_int_equal(orc_table_load(&loc, rd, NULL, &t2, &err), 0);
		assert_null(t2.lookup);
		orc_unwind(&t2, rd, NULL, &s, &bt);
		assert_int_equal(bt.nr, 4);
		assert_int_equal(bt.frames[3].pc, TEXT + 0x350);
		orc_table_free(&t2);
	}
}

/*
 * An interrupt: E's pt_regs at sp (interrupted in F, which uses bp as a
 * frame pointer), then F's frame through bp, then the end in C.
 */
static void test_regs_frame(void **state)
{
	struct backtrace bt;
	uint64_t *regs = &stack[10];

	(void)state;
	regs[PT_IP] = TEXT + 0x520;
	regs[PT_CS] = 0x10;
	regs[PT_SP] = sva(40);
	regs[PT_BP] = sva(60); /* F's frame pointer */
	regs[PT_FLAGS] = 0x2;
	stack[60] = 0xffffc900000102a0ULL; /* F's caller's bp */
	stack[61] = TEXT + 0x350; /* F's return address */
	walk(TEXT + 0x410, sva(10), 0, true, &bt);
	assert_int_equal(bt.nr, 3);
	assert_int_equal(bt.frames[1].pc, TEXT + 0x520);
	assert_int_equal(bt.frames[1].kind, BT_FRAME_REGS);
	assert_int_equal(bt.frames[1].sp, sva(40));
	assert_int_equal(bt.frames[2].pc, TEXT + 0x350);
	assert_int_equal(bt.frames[2].kind, BT_FRAME_RETURN);
	assert_int_equal(bt.frames[2].sp, sva(62));
	assert_string_equal(bt.stop, ORC_STOP_END);

	/* the same pt_regs from user mode: the walk ends there */
	regs[PT_CS] = 0x33;
	walk(TEXT + 0x410, sva(10), 0, true, &bt);
	assert_int_equal(bt.nr, 1);
	assert_string_equal(bt.stop, ORC_STOP_USER);

	/* interrupted outside the kernel's text */
	regs[PT_CS] = 0x10;
	regs[PT_IP] = 0xffffffffa0000000ULL;
	walk(TEXT + 0x410, sva(10), 0, true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_REGS_TEXT);
}

/* An iret frame at sp + 8, interrupting A; then A's frame. */
static void test_iret_frame(void **state)
{
	struct backtrace bt;
	uint64_t *iret = &stack[21];

	(void)state;
	iret[0] = TEXT + 0x180; /* ip */
	iret[1] = 0x10; /* cs */
	iret[2] = 0x2; /* flags */
	iret[3] = sva(30); /* sp */
	iret[4] = 0x18; /* ss */
	stack[32] = TEXT + 0x350; /* A: CFA = sp + 24 */
	walk(TEXT + 0x610, sva(20), 0, true, &bt);
	assert_int_equal(bt.nr, 3);
	assert_int_equal(bt.frames[1].pc, TEXT + 0x180);
	assert_int_equal(bt.frames[1].kind, BT_FRAME_IRET);
	assert_int_equal(bt.frames[1].sp, sva(30));
	assert_int_equal(bt.frames[2].pc, TEXT + 0x350);
	assert_string_equal(bt.stop, ORC_STOP_END);
	/* an iret frame that cannot be read whole */
	fail_va = sva(24);
	walk(TEXT + 0x610, sva(20), 0, true, &bt);
	assert_int_equal(bt.nr, 1);
	assert_string_equal(bt.stop, ORC_STOP_UNREADABLE);
}

/* sp from rdi of the vCPU's registers; from r10 with no pt_regs left. */
static void test_register_sp(void **state)
{
	struct orc_start s = { .ip = TEXT + 0x710,
			       .sp = sva(100),
			       .signal = true,
			       .have_regs = true };
	struct backtrace bt;

	(void)state;
	s.regs[PT_DI] = sva(8); /* a switch to a lower stack */
	stack[7] = TEXT + 0xf10; /* into Q, whose caller's sp is r10 */
	orc_unwind(&table, rd, NULL, &s, &bt);
	assert_int_equal(bt.nr, 2);
	assert_int_equal(bt.frames[1].pc, TEXT + 0xf10);
	assert_int_equal(bt.frames[1].sp, sva(8));
	assert_string_equal(bt.stop, ORC_STOP_NO_REG);
	/* without registers, rdi is not known either */
	s.have_regs = false;
	orc_unwind(&table, rd, NULL, &s, &bt);
	assert_int_equal(bt.nr, 1);
	assert_string_equal(bt.stop, ORC_STOP_NO_REG);
}

/* A sleeping task's walk stays within the stack bounds it is given. */
static void test_stack_bounds(void **state)
{
	struct orc_start s = { .ip = TEXT + 0x150,
			       .sp = sva(0),
			       .signal = true,
			       .stack_lo = sva(0),
			       .stack_hi = sva(5) };
	struct backtrace bt;

	(void)state;
	stack[2] = TEXT + 0x250;
	stack[4] = TEXT + 0x350;
	orc_unwind(&table, rd, NULL, &s, &bt);
	assert_int_equal(bt.nr, 3);
	assert_string_equal(bt.stop, ORC_STOP_END);
	/* B's return address (sva(4)) would end past the stack */
	s.stack_hi = sva(4) + 4;
	orc_unwind(&table, rd, NULL, &s, &bt);
	assert_int_equal(bt.nr, 2);
	assert_string_equal(bt.stop, ORC_STOP_OFF_STACK);
	/* the lowest read is A's return address at sva(2) */
	s.stack_hi = sva(5);
	s.stack_lo = sva(2);
	orc_unwind(&table, rd, NULL, &s, &bt);
	assert_int_equal(bt.nr, 3);
	assert_string_equal(bt.stop, ORC_STOP_END);
	s.stack_lo = sva(3);
	orc_unwind(&table, rd, NULL, &s, &bt);
	assert_int_equal(bt.nr, 1);
	assert_string_equal(bt.stop, ORC_STOP_OFF_STACK);
}

static void test_null_call(void **state)
{
	struct backtrace bt;

	(void)state;
	/* a call through a NULL pointer: the caller's return at [sp] */
	stack[0] = TEXT + 0x350;
	walk(0, sva(0), 0, true, &bt);
	assert_int_equal(bt.nr, 2);
	assert_int_equal(bt.frames[1].pc, TEXT + 0x350);
	assert_string_equal(bt.stop, ORC_STOP_END);
}

static void test_stops(void **state)
{
	struct backtrace bt;
	int i;

	(void)state;
	/* L: CFA = sp, so the same sp again */
	stack[99] = TEXT + 0xa10;
	walk(TEXT + 0xa10, sva(100), 0, true, &bt);
	assert_int_equal(bt.nr, 1);
	assert_string_equal(bt.stop, ORC_STOP_NO_PROGRESS);
	/* M: undefined, not an end */
	walk(TEXT + 0xb10, sva(100), 0, true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_UNDEFINED);
	walk(TEXT + 0xc10, sva(100), 0, true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_BAD_TYPE);
	walk(TEXT + 0xd10, sva(100), 0, true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_BAD_SP_REG);
	stack[100] = TEXT + 0x350;
	walk(TEXT + 0xe10, sva(100), 0, true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_BAD_BP_REG);
	/* R: sp + 0x7fff is past the stack, and misaligned */
	walk(TEXT + 0xf90, sva(100), 0, true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_MISALIGNED);
	walk(TEXT + 0xf90, sva(16000) + 1, 0, true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_UNREADABLE);
	/* F with bp 0: CFA 16, a user address; with bp near 2^64: wraps */
	walk(TEXT + 0x510, sva(100), 0, true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_USER_ADDR);
	walk(TEXT + 0x510, sva(100), UINT64_MAX - 7, true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_USER_ADDR);
	/* F with bp below sp: the frame goes down the stack */
	stack[51] = TEXT + 0x350;
	walk(TEXT + 0x510, sva(100), sva(50), true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_NO_PROGRESS);
	/* F with bp far above: more than a frame's bound */
	stack[9001] = TEXT + 0x350;
	walk(TEXT + 0x510, sva(0), sva(9000), true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_NO_PROGRESS);
	/* a return address outside the text, or in no entry's range */
	stack[2] = 0xffffffff90000000ULL;
	walk(TEXT + 0x150, sva(0), 0, true, &bt);
	assert_int_equal(bt.nr, 1);
	assert_string_equal(bt.stop, ORC_STOP_RET_TEXT);
	walk(TEXT + TEXT_SIZE + 0x10, sva(0), 0, true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_NO_ENTRY);
	/* a stack that cannot be read */
	stack[2] = TEXT + 0x250;
	fail_va = sva(2);
	walk(TEXT + 0x150, sva(0), 0, true, &bt);
	assert_string_equal(bt.stop, ORC_STOP_UNREADABLE);
	fail_va = 0;
	/* recursion in K: 16 bytes a frame, to the frame limit */
	for (i = 0; i < 200; i += 2)
		stack[300 + i + 1] = TEXT + 0x910;
	walk(TEXT + 0x910, sva(300), 0, true, &bt);
	assert_int_equal(bt.nr, BT_MAX_FRAMES);
	assert_string_equal(bt.stop, ORC_STOP_LIMIT);
}

/* I: [sp] is the caller's sp; pointing at itself, then always lower. */
static void test_cycles_and_switches(void **state)
{
	struct backtrace bt;
	int k;

	(void)state;
	stack[500] = sva(500); /* CFA = sp: the same frame */
	stack[499] = TEXT + 0x810;
	walk(TEXT + 0x810, sva(500), 0, false, &bt);
	assert_int_equal(bt.nr, 1);
	assert_string_equal(bt.stop, ORC_STOP_CYCLE);
	/* ever lower stacks: a few switches are allowed, then no more */
	for (k = 0; k < 20; k++) {
		uint64_t s = 1000 - 16 * k;

		stack[s] = sva((int)(s - 16));
		stack[s - 17] = TEXT + 0x810;
	}
	walk(TEXT + 0x810, sva(1000), 0, false, &bt);
	assert_int_equal(bt.nr, 1 + ORC_MAX_STACK_SWITCHES);
	assert_string_equal(bt.stop, ORC_STOP_NO_PROGRESS);
}

static void test_bad_lookup(void **state)
{
	uint32_t *lk = (uint32_t *)(tables + LOOKUP_OFF);
	struct orc_locations loc;
	struct orc_table t;
	struct orc_entry e;
	struct errmsg err;
	const char *why;

	(void)state;
	build(funcs, NFUNCS, true, &loc);
	lk[3] = 1000; /* block 3 starts past the end */
	lk[6] = 9; /* block 6 ends (lk[7] + 1 = 8) before it starts */
	assert_int_equal(orc_table_load(&loc, rd, NULL, &t, &err), 0);
	assert_int_equal(orc_find(&t, TEXT + 0x310, &e, &why), -ENOENT);
	assert_string_equal(why, ORC_STOP_BAD_LOOKUP);
	assert_int_equal(orc_find(&t, TEXT + 0x210, &e, &why), -ENOENT);
	assert_string_equal(why, ORC_STOP_BAD_LOOKUP);
	assert_int_equal(orc_find(&t, TEXT + 0x610, &e, &why), -ENOENT);
	assert_string_equal(why, ORC_STOP_BAD_LOOKUP);
	assert_int_equal(orc_find(&t, TEXT + 0x510, &e, &why), 0);
	assert_int_equal(orc_find(&t, TEXT + 0x110, &e, &why), 0);
	orc_table_free(&t);
	/* not filled yet (before unwind_init): the whole table is searched */
	build(funcs, NFUNCS, true, &loc);
	memset(lk, 0, 4 * NBLOCKS);
	assert_int_equal(orc_table_load(&loc, rd, NULL, &t, &err), 0);
	assert_null(t.lookup);
	assert_int_equal(orc_find(&t, TEXT + 0x610, &e, &why), 0);
	assert_int_equal(e.type, ORC_TYPE_REGS_PARTIAL);
	orc_table_free(&t);
	/* a lookup table shorter than the text */
	build(funcs, NFUNCS, true, &loc);
	loc.lookup_end = loc.lookup + 4 * 4;
	assert_int_equal(orc_table_load(&loc, rd, NULL, &t, &err), 0);
	assert_int_equal(orc_find(&t, TEXT + 0x210, &e, &why), 0);
	assert_int_equal(orc_find(&t, TEXT + 0x310, &e, &why), -ENOENT);
	assert_string_equal(why, ORC_STOP_BAD_LOOKUP);
	orc_table_free(&t);
}

static void test_bad_tables(void **state)
{
	struct ent unsorted[NFUNCS];
	struct orc_locations loc;
	struct orc_table t;
	struct errmsg err;

	(void)state;
	memcpy(unsorted, funcs, sizeof(funcs));
	unsorted[2].ip = TEXT + 0x50;
	build(unsorted, NFUNCS, false, &loc);
	assert_int_equal(orc_table_load(&loc, rd, NULL, &t, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"ORC tables at 0xffffffff82000000 are not valid: .orc_unwind_ip is not sorted (entry 2)");
	assert_null(t.ip);

	build(funcs, NFUNCS, false, &loc);
	loc.orc_stop -= ORC_ENTRY_SIZE;
	assert_int_equal(orc_table_load(&loc, rd, NULL, &t, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"ORC tables at 0xffffffff82000000 are not valid: .orc_unwind does not have one entry per .orc_unwind_ip entry");
	build(funcs, NFUNCS, false, &loc);
	loc.ip_stop = loc.ip_start + 4ULL * ORC_MAX_ENTRIES + 4;
	assert_int_equal(orc_table_load(&loc, rd, NULL, &t, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"ORC tables at 0xffffffff82000000 are not valid: more entries than any kernel has");
	build(funcs, NFUNCS, false, &loc);
	loc.ip_stop = loc.ip_start + 3;
	assert_int_equal(orc_table_load(&loc, rd, NULL, &t, &err), -EINVAL);
	build(funcs, NFUNCS, false, &loc);
	loc.ip_stop = loc.ip_start;
	assert_int_equal(orc_table_load(&loc, rd, NULL, &t, &err), -EINVAL);
	/* tables that cannot be read */
	build(funcs, NFUNCS, false, &loc);
	fail_va = loc.orc_start + 8;
	assert_int_equal(orc_table_load(&loc, rd, NULL, &t, &err), -EFAULT);
	assert_string_equal(
		err.text,
		"ORC tables at 0xffffffff82000000 are not valid: they cannot be read");
	fail_va = 0;
	/* a lookup table that is not one */
	build(funcs, NFUNCS, true, &loc);
	loc.lookup_end = loc.lookup + 6;
	assert_int_equal(orc_table_load(&loc, rd, NULL, &t, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"ORC tables at 0xffffffff82000000 are not valid: orc_lookup..orc_lookup_end is not a table");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decode_and_find, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_call_chain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_regs_frame, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_iret_frame, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_sp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stack_bounds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_null_call, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycles_and_switches, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_lookup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_tables, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
