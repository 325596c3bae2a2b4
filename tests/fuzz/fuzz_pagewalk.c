// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile page tables through the walker and the mappings enumerator.
 *
 * Input: a 32-byte header choosing the paging context and the addresses,
 * then the first bytes of a 1 MiB guest RAM (the rest is zero), so tables
 * near gpa 0 are under the fuzzer's control and pointers beyond the input
 * land in zeroed RAM or outside RAM altogether.
 *
 * Header:
 *   0      CR bits: PG PAE LME LA57 PSE NXE WP gbpages (bit 0 upwards)
 *   1      SMEP SMAP PKE PKS PCIDE, bit 5: fill paging_ctx directly
 *          (any mode or MAXPHYADDR, valid or not), bit 6: keep CR3 as is
 *          instead of folding it into RAM
 *   2      MAXPHYADDR (0 = default)
 *   3      enumerator budget / 64
 *   4      stop the enumeration after this many ranges (0 = never)
 *   8-15   CR3
 *   16-23  gva
 *   24-31  a second gva
 *
 * Besides "no crash, no hang", the results must agree with each other:
 * every step lies in RAM, a translation keeps the page offset, and every
 * range the enumerator reports translates back, page for page at both
 * ends, to the same physical addresses and permissions.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/pagewalk.h"

#define RAM (1ULL << 20)
#define HDR 32
#define MAX_CHECKED 32 /* ranges cross-checked with pagewalk per input */

static struct guest_memory mem;
static size_t dirty; /* bytes of RAM the previous input wrote */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Allocated once: mapping RAM per input would dominate. */
	if (guest_memory_alloc(&mem, RAM))
		abort();
	return 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void check_text(const char *s, size_t cap, bool want_empty)
{
	size_t len = strnlen(s, cap);

	if (len == cap || strchr(s, '\n'))
		__builtin_trap();
	if (want_empty != (len == 0))
		__builtin_trap();
}

static bool valid_page_size(uint64_t size)
{
	return size == 1ULL << 12 || size == 1ULL << 21 || size == 1ULL << 22 ||
	       size == 1ULL << 30;
}

static void check_walk(const struct paging_ctx *ctx, uint64_t gva,
		       struct walk_result *res)
{
	int ret = pagewalk(&mem, ctx, gva, res);
	int levels = paging_levels(ctx->mode);
	unsigned int es = ctx->mode == PAGING_32BIT ? 4 : 8;
	char buf[64], tiny[3];
	int i;

	switch (res->status) {
	case WALK_OK:
	case WALK_NO_PAGING:
		if (ret != 0)
			__builtin_trap();
		break;
	case WALK_INVALID_CTX:
		if (ret != -EINVAL)
			__builtin_trap();
		return;
	default:
		if (ret != -EFAULT)
			__builtin_trap();
	}
	check_text(res->why, sizeof(res->why), ret == 0);
	check_text(res->notes, sizeof(res->notes), res->notes[0] == '\0');
	if (res->nr_steps < 0 || res->nr_steps > levels)
		__builtin_trap();

	for (i = 0; i < res->nr_steps; i++) {
		const struct walk_step *s = &res->steps[i];
		size_t n;

		if (s->level != levels - i || !s->name || !s->name[0])
			__builtin_trap();
		if (s->entry_gpa != s->table_gpa + (uint64_t)s->index * es)
			__builtin_trap();
		/* The walker read it, so it must be guest RAM. */
		if (!guest_memory_ptr(&mem, s->entry_gpa, es))
			__builtin_trap();
		if (es == 4 && s->entry > 0xffffffffULL)
			__builtin_trap();
		if (s->leaf !=
		    (res->status == WALK_OK && i == res->nr_steps - 1))
			__builtin_trap();
		n = pagewalk_flags_str(s->entry, s->level, ctx->mode, buf,
				       sizeof(buf));
		if (n != strlen(buf) || !n)
			__builtin_trap();
		if (pagewalk_flags_str(s->entry, s->level, ctx->mode, tiny,
				       sizeof(tiny)) != n ||
		    strlen(tiny) > 2 || strncmp(tiny, buf, strlen(tiny)))
			__builtin_trap();
	}

	if (res->status == WALK_OK) {
		if (!res->nr_steps || !valid_page_size(res->page_size) ||
		    res->fault_level)
			__builtin_trap();
		if ((res->gpa ^ gva) & (res->page_size - 1))
			__builtin_trap();
	} else if (res->status == WALK_NO_PAGING) {
		if (res->gpa != gva || res->nr_steps)
			__builtin_trap();
	} else if (res->status == WALK_NOT_PRESENT ||
		   res->status == WALK_RESERVED_BIT) {
		/* The offending entry is the last step. */
		if (!res->nr_steps ||
		    res->fault_level != res->steps[res->nr_steps - 1].level)
			__builtin_trap();
		if ((res->status == WALK_RESERVED_BIT) != (res->rsvd_bits != 0))
			__builtin_trap();
	} else if (res->status == WALK_TABLE_OUTSIDE_RAM) {
		if (res->fault_level != levels - res->nr_steps)
			__builtin_trap();
	}
}

struct enum_check {
	const struct paging_ctx *ctx;
	unsigned int calls, stop_after;
	bool have_prev;
	uint64_t prev_end; /* va + size of the previous range, 0 = 2^64 */
};

static void same_translation(const struct paging_ctx *ctx, uint64_t va,
			     uint64_t pa, const struct mapping *m)
{
	struct walk_result res;

	check_walk(ctx, va, &res);
	if (res.status != WALK_OK && res.status != WALK_NO_PAGING)
		__builtin_trap();
	if (res.gpa != pa || res.writable != m->writable ||
	    res.user != m->user || res.executable != m->executable)
		__builtin_trap();
	if (m->page_size && res.page_size != m->page_size)
		__builtin_trap();
}

static int enum_cb(void *opaque, const struct mapping *m)
{
	struct enum_check *c = opaque;
	uint64_t page = m->page_size ? m->page_size : 4096;

	if (!m->size || (m->size & 0xfff) || (m->va & 0xfff) || (m->pa & 0xfff))
		__builtin_trap();
	if (m->page_size &&
	    (!valid_page_size(m->page_size) || m->size % m->page_size ||
	     (m->va | m->pa) & (m->page_size - 1)))
		__builtin_trap();
	/* In VA order, no overlap, nothing after a range ending at 2^64. */
	if (c->have_prev && (c->prev_end == 0 || m->va < c->prev_end))
		__builtin_trap();
	if (m->va + m->size != 0 && m->va + m->size < m->va)
		__builtin_trap();
	c->have_prev = true;
	c->prev_end = m->va + m->size;

	if (c->calls < MAX_CHECKED) {
		same_translation(c->ctx, m->va, m->pa, m);
		/* The last byte: only true if coalescing was right. */
		if (m->size > page)
			same_translation(c->ctx, m->va + m->size - 1,
					 m->pa + m->size - 1, m);
	}
	c->calls++;
	return c->stop_after && c->calls == c->stop_after ? 7 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct paging_ctx ctx;
	struct walk_result res;
	struct mappings_stats st;
	struct enum_check c = { .ctx = &ctx };
	uint64_t cr0 = 1, cr4 = 0, efer = 0, cr3, budget;
	size_t len;
	uint8_t f0, f1;
	int ret;

	if (size < HDR)
		return 0;
	f0 = data[0];
	f1 = data[1];
	cr3 = le64(data + 8);
	if (!(f1 & 0x40))
		cr3 &= RAM - 1;
	budget = 1 + (uint64_t)data[3] * 64;
	c.stop_after = data[4];

	/* Fresh RAM: the input's bytes, zero beyond them. */
	len = size - HDR < RAM ? size - HDR : RAM;
	if (dirty > len)
		guest_memory_fill(&mem, len, 0, dirty - len);
	if (guest_memory_write(&mem, 0, data + HDR, len))
		__builtin_trap();
	dirty = len;

	if (f1 & 0x20) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.mode = (enum paging_mode)(f0 & 7);
		ctx.cr3 = cr3;
		ctx.nxe = f0 & 0x20;
		ctx.pse = f0 & 0x10;
		ctx.wp = f0 & 0x40;
		ctx.gbpages = f0 & 0x80;
		ctx.smep = f1 & 1;
		ctx.smap = f1 & 2;
		ctx.pke = f1 & 4;
		ctx.pks = f1 & 8;
		ctx.pcide = f1 & 0x10;
		ctx.maxphyaddr = data[2];
	} else {
		cr0 |= (f0 & 1 ? 1ULL << 31 : 0) | (f0 & 0x40 ? 1ULL << 16 : 0);
		cr4 |= (f0 & 2 ? 1ULL << 5 : 0) | (f0 & 8 ? 1ULL << 12 : 0) |
		       (f0 & 0x10 ? 1ULL << 4 : 0);
		cr4 |= (f1 & 1 ? 1ULL << 20 : 0) | (f1 & 2 ? 1ULL << 21 : 0) |
		       (f1 & 4 ? 1ULL << 22 : 0) | (f1 & 8 ? 1ULL << 24 : 0) |
		       (f1 & 0x10 ? 1ULL << 17 : 0);
		efer |= (f0 & 4 ? 1ULL << 8 : 0) | (f0 & 0x20 ? 1ULL << 11 : 0);
		if (paging_ctx_init(&ctx, cr0, cr3, cr4, efer, data[2],
				    f0 & 0x80))
			return 0;
	}

	check_walk(&ctx, le64(data + 16), &res);
	check_walk(&ctx, le64(data + 24), &res);

	ret = pagewalk_mappings(&mem, &ctx, budget, enum_cb, &c, &st);
	if (res.status == WALK_INVALID_CTX) {
		if (ret != -EINVAL || c.calls)
			__builtin_trap();
		return 0;
	}
	if (st.entries_visited > budget || st.mappings != c.calls)
		__builtin_trap();
	if (c.stop_after && c.calls == c.stop_after) {
		if (ret != 7)
			__builtin_trap();
	} else if (ret != 0 || (st.truncated && st.entries_visited != budget)) {
		__builtin_trap();
	}
	if (ctx.mode != PAGING_NONE && st.mappings > st.leaves)
		__builtin_trap();
	return 0;
}
