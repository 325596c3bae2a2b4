// SPDX-License-Identifier: GPL-2.0
/* ORC unwinding of guest kernel stacks; see orc.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/orc.h"

#define KERNEL_HALF 0xffff800000000000ULL
#define SEARCH_MAX 40 /* > log2(ORC_MAX_ENTRIES) + 1 */

static int bad(struct errmsg *err, const struct orc_locations *loc,
	       const char *why)
{
	return errmsg_set(err, EINVAL, "ORC tables at 0x%llx are not valid: %s",
			  (unsigned long long)loc->ip_start, why);
}

void orc_table_free(struct orc_table *t)
{
	free(t->ip);
	free(t->orc);
	free(t->lookup);
	memset(t, 0, sizeof(*t));
}

static void decode_entry(const uint8_t *p, struct orc_entry *e)
{
	uint16_t bits = (uint16_t)(p[4] | p[5] << 8);

	e->sp_offset = (int16_t)(uint16_t)(p[0] | p[1] << 8);
	e->bp_offset = (int16_t)(uint16_t)(p[2] | p[3] << 8);
	e->sp_reg = bits & 0xf;
	e->bp_reg = (bits >> 4) & 0xf;
	e->type = (bits >> 8) & 3;
	e->end = (bits >> 10) & 1;
}

static int load_lookup(const struct orc_locations *loc, kallsyms_read_fn read,
		       void *opaque, struct orc_table *t, struct errmsg *err)
{
	uint64_t bytes = loc->lookup_end - loc->lookup;
	uint32_t i;

	if (!loc->lookup || !loc->lookup_end)
		return 0;
	if (loc->lookup_end <= loc->lookup || bytes % 4 ||
	    bytes / 4 > ORC_MAX_LOOKUP || bytes / 4 < 2)
		return bad(err, loc,
			   "orc_lookup..orc_lookup_end is not a table");
	t->lookup = malloc(bytes);
	if (!t->lookup)
		return errmsg_set(err, ENOMEM, "out of memory");
	if (read(opaque, loc->lookup, t->lookup, bytes))
		return errmsg_set(
			err, EFAULT,
			"ORC tables at 0x%llx are not valid: orc_lookup at 0x%llx cannot be read",
			(unsigned long long)loc->ip_start,
			(unsigned long long)loc->lookup);
	t->nr_lookup = (uint32_t)(bytes / 4);
	/*
	 * unwind_init() fills orc_lookup at boot: all zeros (a kernel caught
	 * before that) would send every ip to entry 0. Search it all then.
	 */
	for (i = 0; i < t->nr_lookup && !t->lookup[i]; i++)
		;
	if (i == t->nr_lookup && t->nr > 1) {
		free(t->lookup);
		t->lookup = NULL;
		t->nr_lookup = 0;
	}
	return 0;
}

static int load(const struct orc_locations *loc, kallsyms_read_fn read,
		void *opaque, struct orc_table *t, struct errmsg *err)
{
	uint64_t ip_bytes = loc->ip_stop - loc->ip_start;
	uint64_t orc_bytes = loc->orc_stop - loc->orc_start;
	uint8_t *raw;
	int32_t *rel;
	uint32_t i, n;

	if (!loc->ip_start || loc->ip_stop <= loc->ip_start || ip_bytes % 4)
		return bad(err, loc,
			   "__start/__stop_orc_unwind_ip is not a table");
	if (ip_bytes / 4 > ORC_MAX_ENTRIES)
		return bad(err, loc, "more entries than any kernel has");
	n = (uint32_t)(ip_bytes / 4);
	if (!loc->orc_start || loc->orc_stop <= loc->orc_start ||
	    orc_bytes != (uint64_t)n * ORC_ENTRY_SIZE)
		return bad(
			err, loc,
			".orc_unwind does not have one entry per .orc_unwind_ip entry");
	t->ip = malloc((size_t)n * sizeof(*t->ip));
	t->orc = malloc((size_t)n * sizeof(*t->orc));
	raw = malloc(orc_bytes);
	rel = malloc(ip_bytes);
	if (!t->ip || !t->orc || !raw || !rel) {
		free(raw);
		free(rel);
		return errmsg_set(err, ENOMEM, "out of memory");
	}
	if (read(opaque, loc->ip_start, rel, ip_bytes) ||
	    read(opaque, loc->orc_start, raw, orc_bytes)) {
		free(raw);
		free(rel);
		return errmsg_set(
			err, EFAULT,
			"ORC tables at 0x%llx are not valid: they cannot be read",
			(unsigned long long)loc->ip_start);
	}
	for (i = 0; i < n; i++) {
		t->ip[i] = loc->ip_start + 4 * (uint64_t)i +
			   (uint64_t)(int64_t)rel[i];
		decode_entry(raw + (size_t)i * ORC_ENTRY_SIZE, &t->orc[i]);
	}
	free(raw);
	free(rel);
	t->nr = n;
	for (i = 1; i < n; i++)
		if (t->ip[i] < t->ip[i - 1]) {
			char why[96];

			snprintf(why, sizeof(why),
				 ".orc_unwind_ip is not sorted (entry %u)", i);
			return bad(err, loc, why);
		}
	return load_lookup(loc, read, opaque, t, err);
}

int orc_table_load(const struct orc_locations *loc, kallsyms_read_fn read,
		   void *opaque, struct orc_table *t, struct errmsg *err)
{
	int r;

	memset(t, 0, sizeof(*t));
	t->loc = *loc;
	r = load(loc, read, opaque, t, err);
	if (r)
		orc_table_free(t);
	return r;
}

static bool in_range(uint64_t x, uint64_t start, uint64_t end)
{
	return start < end && x >= start && x < end;
}

static bool text_known(const struct orc_table *t)
{
	return t->loc.text_start < t->loc.text_end;
}

static bool in_text(const struct orc_table *t, uint64_t pc)
{
	if (!text_known(t))
		return pc >= KERNEL_HALF;
	return in_range(pc, t->loc.text_start, t->loc.text_end) ||
	       in_range(pc, t->loc.init_start, t->loc.init_end);
}

int orc_find(const struct orc_table *t, uint64_t ip, struct orc_entry *e,
	     const char **why)
{
	uint64_t lo = 0, hi = t->nr, found = UINT64_MAX;
	int steps;

	*why = ORC_STOP_NO_ENTRY;
	if (!t->nr)
		return -ENOENT;
	if (text_known(t) && in_range(ip, t->loc.text_start, t->loc.text_end) &&
	    t->lookup) {
		uint64_t idx = (ip - t->loc.text_start) / ORC_LOOKUP_BLOCK;
		uint64_t start, stop;

		*why = ORC_STOP_BAD_LOOKUP;
		if (idx >= (uint64_t)t->nr_lookup - 1)
			return -ENOENT;
		start = t->lookup[idx];
		stop = (uint64_t)t->lookup[idx + 1] + 1;
		if (start >= t->nr || stop > t->nr || start >= stop)
			return -ENOENT;
		lo = start;
		hi = stop;
		*why = ORC_STOP_NO_ENTRY;
	} else if (text_known(t) && !in_text(t, ip)) {
		return -ENOENT;
	}
	/* The rightmost entry at or below ip in [lo, hi). */
	for (steps = 0; lo < hi && steps < SEARCH_MAX; steps++) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (t->ip[mid] <= ip) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (found == UINT64_MAX)
		return -ENOENT;
	*e = t->orc[found];
	return 0;
}

/* The walk's state: unwind_orc.c's struct unwind_state, in host memory. */
struct walk {
	kallsyms_read_fn read;
	void *opaque;
	uint64_t ip, sp, bp;
	bool signal;
	enum { REGS_NONE, REGS_FULL, REGS_IRET } regs_kind;
	uint64_t regs[PT_WORDS];
	bool have_prev; /* the full pt_regs before an iret frame */
	uint64_t prev[PT_WORDS];
	uint64_t stack_lo, stack_hi;
	const char *why;
};

/* An aligned read of kernel stack memory; false with w->why set. */
static bool stack_read(struct walk *w, uint64_t va, void *buf, size_t len)
{
	if (va < KERNEL_HALF || va + len < va) {
		w->why = ORC_STOP_USER_ADDR;
		return false;
	}
	if (va & 7) {
		w->why = ORC_STOP_MISALIGNED;
		return false;
	}
	if (w->stack_hi && (va < w->stack_lo || va + len > w->stack_hi)) {
		w->why = ORC_STOP_OFF_STACK;
		return false;
	}
	if (w->read(w->opaque, va, buf, len)) {
		w->why = ORC_STOP_UNREADABLE;
		return false;
	}
	return true;
}

/* A register from the last pt_regs (get_reg in unwind_orc.c). */
static bool get_reg(const struct walk *w, int reg, uint64_t *val)
{
	if (w->regs_kind == REGS_FULL) {
		*val = w->regs[reg];
		return true;
	}
	if (w->regs_kind == REGS_IRET && reg >= PT_IP) {
		*val = w->regs[reg];
		return true;
	}
	if (w->regs_kind == REGS_IRET && w->have_prev) {
		*val = w->prev[reg];
		return true;
	}
	return false;
}

/* The caller's stack pointer (the CFA); false with w->why set. */
static bool prev_sp(struct walk *w, const struct orc_entry *e, uint64_t *sp)
{
	static const int reg_of[16] = {
		[ORC_REG_R10] = PT_R10,
		[ORC_REG_R13] = PT_R13,
		[ORC_REG_DI] = PT_DI,
		[ORC_REG_DX] = PT_DX,
	};

	switch (e->sp_reg) {
	case ORC_REG_SP:
		*sp = w->sp + (uint64_t)(int64_t)e->sp_offset;
		return true;
	case ORC_REG_BP:
		*sp = w->bp + (uint64_t)(int64_t)e->sp_offset;
		return true;
	case ORC_REG_SP_INDIRECT:
		if (!stack_read(w, w->sp, sp, 8))
			return false;
		*sp += (uint64_t)(int64_t)e->sp_offset;
		return true;
	case ORC_REG_BP_INDIRECT:
		return stack_read(w, w->bp + (uint64_t)(int64_t)e->sp_offset,
				  sp, 8);
	case ORC_REG_R10:
	case ORC_REG_R13:
	case ORC_REG_DI:
	case ORC_REG_DX:
		if (get_reg(w, reg_of[e->sp_reg], sp))
			return true;
		w->why = ORC_STOP_NO_REG;
		return false;
	default:
		w->why = ORC_STOP_BAD_SP_REG;
		return false;
	}
}

static bool user_cs(uint64_t cs)
{
	return (cs & 3) == 3;
}

/*
 * One step from w's frame to its caller's: false with w->why set when
 * the walk ends here. *kind is what the new w->ip is.
 */
static bool step(struct walk *w, const struct orc_table *t,
		 enum bt_frame_kind *kind, bool *switched)
{
	/* A call through a NULL pointer: unwind_orc.c's null_orc_entry. */
	static const struct orc_entry null_entry = { .sp_offset = 8,
						     .sp_reg = ORC_REG_SP,
						     .type = ORC_TYPE_CALL };
	uint64_t sp, bp = w->bp, new_regs[PT_WORDS];
	struct orc_entry e;

	if (w->signal && w->ip == 0)
		e = null_entry;
	else if (orc_find(t, w->signal ? w->ip : w->ip - 1, &e, &w->why))
		return false;
	if (e.sp_reg == ORC_REG_UNDEFINED) {
		w->why = e.end ? ORC_STOP_END : ORC_STOP_UNDEFINED;
		return false;
	}
	if (!prev_sp(w, &e, &sp))
		return false;
	/* Where the kernel switches stacks: not sp or bp plus an offset. */
	*switched = (e.sp_reg != ORC_REG_SP && e.sp_reg != ORC_REG_BP) ||
		    e.type != ORC_TYPE_CALL;

	switch (e.type) {
	case ORC_TYPE_CALL:
		if (!stack_read(w, sp - 8, &w->ip, 8))
			return false;
		if (!in_text(t, w->ip)) {
			w->why = ORC_STOP_RET_TEXT;
			return false;
		}
		w->sp = sp;
		w->regs_kind = REGS_NONE;
		w->have_prev = false;
		w->signal = false;
		*kind = BT_FRAME_RETURN;
		break;
	case ORC_TYPE_REGS:
		if (!stack_read(w, sp, new_regs, sizeof(new_regs)))
			return false;
		if (user_cs(new_regs[PT_CS])) {
			w->why = ORC_STOP_USER;
			return false;
		}
		if (!in_text(t, new_regs[PT_IP])) {
			w->why = ORC_STOP_REGS_TEXT;
			return false;
		}
		memcpy(w->regs, new_regs, sizeof(new_regs));
		w->regs_kind = REGS_FULL;
		w->have_prev = false;
		w->ip = new_regs[PT_IP];
		w->sp = new_regs[PT_SP];
		w->signal = true;
		*kind = BT_FRAME_REGS;
		break;
	case ORC_TYPE_REGS_PARTIAL:
		memset(new_regs, 0, sizeof(new_regs));
		if (!stack_read(w, sp, &new_regs[PT_IP], ORC_IRET_SIZE))
			return false;
		if (user_cs(new_regs[PT_CS])) {
			w->why = ORC_STOP_USER;
			return false;
		}
		if (!in_text(t, new_regs[PT_IP])) {
			w->why = ORC_STOP_REGS_TEXT;
			return false;
		}
		w->have_prev = w->regs_kind == REGS_FULL;
		if (w->have_prev)
			memcpy(w->prev, w->regs, sizeof(w->prev));
		memcpy(w->regs, new_regs, sizeof(new_regs));
		w->regs_kind = REGS_IRET;
		w->ip = new_regs[PT_IP];
		w->sp = new_regs[PT_SP];
		w->signal = true;
		*kind = BT_FRAME_IRET;
		break;
	default:
		w->why = ORC_STOP_BAD_TYPE;
		return false;
	}

	switch (e.bp_reg) {
	case ORC_REG_UNDEFINED:
		get_reg(w, PT_BP, &w->bp);
		return true;
	case ORC_REG_PREV_SP:
		return stack_read(w, sp + (uint64_t)(int64_t)e.bp_offset,
				  &w->bp, 8);
	case ORC_REG_BP:
		return stack_read(w, bp + (uint64_t)(int64_t)e.bp_offset,
				  &w->bp, 8);
	default:
		w->why = ORC_STOP_BAD_BP_REG;
		return false;
	}
}

static bool seen(const struct backtrace *bt, uint64_t pc, uint64_t sp)
{
	int i;

	for (i = 0; i < bt->nr; i++)
		if (bt->frames[i].pc == pc && bt->frames[i].sp == sp)
			return true;
	return false;
}

void orc_unwind(const struct orc_table *t, kallsyms_read_fn read, void *opaque,
		const struct orc_start *start, struct backtrace *bt)
{
	struct walk w = {
		.read = read,
		.opaque = opaque,
		.ip = start->ip,
		.sp = start->sp,
		.bp = start->bp,
		.signal = start->signal,
		.regs_kind = start->have_regs ? REGS_FULL : REGS_NONE,
		.stack_lo = start->stack_lo,
		.stack_hi = start->stack_hi,
	};
	int switches = 0;

	memset(bt, 0, sizeof(*bt));
	if (start->have_regs)
		memcpy(w.regs, start->regs, sizeof(w.regs));
	bt->frames[0].pc = start->ip;
	bt->frames[0].sp = start->sp;
	bt->frames[0].kind = start->signal ? BT_FRAME_EXACT : BT_FRAME_RETURN;
	bt->nr = 1;
	for (;;) {
		enum bt_frame_kind kind = BT_FRAME_RETURN;
		bool switched = false;
		uint64_t old_sp = w.sp;
		struct bt_frame *f;

		if (bt->nr >= BT_MAX_FRAMES) {
			bt->stop = ORC_STOP_LIMIT;
			return;
		}
		if (!step(&w, t, &kind, &switched)) {
			bt->stop = w.why;
			return;
		}
		/* Up the stack by less than a frame's bound, or a switch. */
		if ((w.sp <= old_sp || w.sp - old_sp > BT_MAX_FRAME_SIZE) &&
		    (!switched || ++switches > ORC_MAX_STACK_SWITCHES)) {
			bt->stop = ORC_STOP_NO_PROGRESS;
			return;
		}
		if (seen(bt, w.ip, w.sp)) {
			bt->stop = ORC_STOP_CYCLE;
			return;
		}
		f = &bt->frames[bt->nr++];
		f->pc = w.ip;
		f->sp = w.sp;
		f->kind = kind;
	}
}
