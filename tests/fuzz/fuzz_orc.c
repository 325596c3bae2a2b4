// SPDX-License-Identifier: GPL-2.0
/*
 * The ORC tables and the stack are guest memory. Input: nine
 * little-endian u32 (offsets into the rest of the input of .orc_unwind_ip,
 * its entry count, .orc_unwind, orc_lookup and its entry count
 * (0: none); the walk's start ip, sp and bp as offsets; flags: bit 0
 * signal, bit 1 the start has registers (the input's first 168 bytes),
 * bit 2 the text's bounds are unknown, bit 3 reads stay within the
 * 8 KiB around sp, as a sleeping task's stack), then the bytes a guest kernel
 * would hold at virtual address BASE, which are also its text. Reads
 * outside the input fail like an unmapped page.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "os/orc.h"

#define BASE 0xffffffff81000000ULL
#define HEADER 36
#define MAX_NR 65536 /* entries: enough, and quick to allocate */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct blob {
	const uint8_t *p;
	size_t n;
};

static int read_blob(void *opaque, uint64_t va, void *buf, size_t len)
{
	const struct blob *b = opaque;

	if (va < BASE || va - BASE > b->n || len > b->n - (va - BASE))
		return -14;
	memcpy(buf, b->p + (va - BASE), len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blob b = { data + HEADER, size - HEADER };
	struct orc_locations loc = { 0 };
	struct orc_start start = { 0 };
	struct orc_table t;
	struct backtrace bt;
	struct errmsg err;
	struct orc_entry e;
	const char *why;
	uint32_t h[9];
	int i;

	if (size < HEADER)
		return 0;
	memcpy(h, data, sizeof(h));
	loc.ip_start = BASE + h[0];
	loc.ip_stop = loc.ip_start + 4ULL * (h[1] % MAX_NR);
	loc.orc_start = BASE + h[2];
	loc.orc_stop =
		loc.orc_start + ORC_ENTRY_SIZE * (uint64_t)(h[1] % MAX_NR);
	if (h[4]) {
		loc.lookup = BASE + h[3];
		loc.lookup_end = loc.lookup + 4ULL * (h[4] % MAX_NR);
	}
	if (!(h[8] & 4)) {
		loc.text_start = BASE;
		loc.text_end = BASE + b.n;
	}
	if (orc_table_load(&loc, read_blob, &b, &t, &err))
		return 0;
	start.ip = BASE + h[5];
	start.sp = BASE + h[6];
	start.bp = BASE + h[7];
	start.signal = h[8] & 1;
	if ((h[8] & 2) && b.n >= sizeof(start.regs)) {
		start.have_regs = true;
		memcpy(start.regs, b.p, sizeof(start.regs));
	}
	if (h[8] & 8) { /* a sleeping task's bounds: sp's 8 KiB */
		start.stack_lo = start.sp & ~0x1fffULL;
		start.stack_hi = start.stack_lo + 0x2000;
	}
	orc_unwind(&t, read_blob, &b, &start, &bt);
	if (bt.nr < 1 || bt.nr > BT_MAX_FRAMES || !bt.stop)
		__builtin_trap();
	for (i = 0; i < bt.nr; i++)
		(void)orc_find(&t, bt.frames[i].pc, &e, &why);
	orc_table_free(&t);
	return 0;
}
