// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/pagewalk.h"

#define BIT(n) (1ULL << (n))

#define PTE_P BIT(0)
#define PTE_RW BIT(1)
#define PTE_US BIT(2)
#define PTE_PWT BIT(3)
#define PTE_PCD BIT(4)
#define PTE_A BIT(5)
#define PTE_D BIT(6)
#define PTE_PS BIT(7) /* PAT in a PTE */
#define PTE_G BIT(8)
#define PTE_PAT_LARGE BIT(12)
#define PTE_XD BIT(63)

#define CR0_WP BIT(16)
#define CR0_PG BIT(31)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_LA57 BIT(12)
#define CR4_PCIDE BIT(17)
#define CR4_SMEP BIT(20)
#define CR4_SMAP BIT(21)
#define CR4_PKE BIT(22)
#define CR4_PKS BIT(24)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

#define SIZE_4G (1ULL << 32)

/* Bits hi..lo inclusive; empty when lo > hi (e.g. MAXPHYADDR 52). */
static uint64_t genmask(unsigned int hi, unsigned int lo)
{
	if (lo > hi)
		return 0;
	return (~0ULL >> (63 - hi)) & (~0ULL << lo);
}

static void __attribute__((format(printf, 3, 4)))
fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;

	/* vsnprintf: truncation of a diagnostic is fine, never an overflow. */
	va_start(ap, f);
	vsnprintf(buf, size, f, ap);
	va_end(ap);
}

int paging_ctx_init(struct paging_ctx *ctx, uint64_t cr0, uint64_t cr3,
		    uint64_t cr4, uint64_t efer, unsigned int maxphyaddr,
		    bool gbpages)
{
	bool ia32e;

	memset(ctx, 0, sizeof(*ctx));
	if (!maxphyaddr)
		maxphyaddr = PAGING_DEFAULT_MAXPHYADDR;
	if (maxphyaddr < 32 || maxphyaddr > 52)
		return -EINVAL;

	/* With CR0.PG=1 the CPU sets LMA = LME; accept either. */
	ia32e = (cr0 & CR0_PG) && (efer & (EFER_LME | EFER_LMA));
	if (!(cr0 & CR0_PG))
		ctx->mode = PAGING_NONE;
	else if (ia32e && !(cr4 & CR4_PAE))
		return -EINVAL;
	else if (ia32e)
		ctx->mode = (cr4 & CR4_LA57) ? PAGING_5LEVEL : PAGING_4LEVEL;
	else if (cr4 & CR4_PAE)
		ctx->mode = PAGING_PAE;
	else
		ctx->mode = PAGING_32BIT;

	ctx->cr3 = cr3;
	ctx->nxe = efer & EFER_NXE;
	ctx->pse = cr4 & CR4_PSE;
	ctx->wp = cr0 & CR0_WP;
	ctx->smep = cr4 & CR4_SMEP;
	ctx->smap = cr4 & CR4_SMAP;
	/* Protection keys and PCIDs only exist in IA-32e mode. */
	ctx->pke = ia32e && (cr4 & CR4_PKE);
	ctx->pks = ia32e && (cr4 & CR4_PKS);
	ctx->pcide = ia32e && (cr4 & CR4_PCIDE);
	ctx->maxphyaddr = maxphyaddr;
	ctx->gbpages = gbpages;
	return 0;
}

const char *paging_mode_name(enum paging_mode mode)
{
	switch (mode) {
	case PAGING_NONE:
		return "none";
	case PAGING_32BIT:
		return "32-bit";
	case PAGING_PAE:
		return "PAE";
	case PAGING_4LEVEL:
		return "4-level";
	case PAGING_5LEVEL:
		return "5-level";
	}
	return "?";
}

int paging_levels(enum paging_mode mode)
{
	switch (mode) {
	case PAGING_NONE:
		return 0;
	case PAGING_32BIT:
		return 2;
	case PAGING_PAE:
		return 3;
	case PAGING_4LEVEL:
		return 4;
	case PAGING_5LEVEL:
		return 5;
	}
	return 0;
}

const char *walk_status_name(enum walk_status status)
{
	switch (status) {
	case WALK_OK:
		return "ok";
	case WALK_NOT_CANONICAL:
		return "non-canonical address";
	case WALK_NOT_PRESENT:
		return "not present";
	case WALK_RESERVED_BIT:
		return "reserved bit set";
	case WALK_TABLE_OUTSIDE_RAM:
		return "page table outside guest RAM";
	case WALK_NO_PAGING:
		return "paging disabled";
	case WALK_BAD_ADDRESS:
		return "address out of range";
	case WALK_INVALID_CTX:
		return "invalid paging context";
	}
	return "?";
}

static bool ctx_valid(const struct paging_ctx *ctx)
{
	if (!ctx || ctx->maxphyaddr < 32 || ctx->maxphyaddr > 52)
		return false;
	return ctx->mode >= PAGING_NONE && ctx->mode <= PAGING_5LEVEL;
}

static bool ia32e_mode(enum paging_mode mode)
{
	return mode == PAGING_4LEVEL || mode == PAGING_5LEVEL;
}

static const char *level_name(int level)
{
	static const char *const names[] = { "?",     "PTE",   "PDE",
					     "PDPTE", "PML4E", "PML5E" };

	return level >= 1 && level <= 5 ? names[level] : names[0];
}

static unsigned int level_shift(enum paging_mode mode, int level)
{
	if (mode == PAGING_32BIT)
		return level == 2 ? 22 : 12;
	return 12 + 9 * (unsigned int)(level - 1);
}

static unsigned int level_entries(enum paging_mode mode, int level)
{
	if (mode == PAGING_32BIT)
		return 1024;
	if (mode == PAGING_PAE && level == 3)
		return 4;
	return 512;
}

static unsigned int entry_size(enum paging_mode mode)
{
	return mode == PAGING_32BIT ? 4 : 8;
}

static uint64_t root_table(const struct paging_ctx *ctx)
{
	switch (ctx->mode) {
	case PAGING_32BIT:
		return ctx->cr3 & 0xfffff000ULL;
	case PAGING_PAE:
		/* The PDPT is only 32-byte aligned. */
		return ctx->cr3 & 0xffffffe0ULL;
	default:
		/*
		 * Above MAXPHYADDR live the LAM enables and the write-only
		 * no-flush bit, none of which are part of the address.
		 */
		return ctx->cr3 & genmask(ctx->maxphyaddr - 1, 12);
	}
}

/* One entry, little-endian, 4 or 8 bytes; -EFAULT if not all in RAM. */
static int read_entry(const struct guest_memory *mem, uint64_t gpa,
		      unsigned int size, uint64_t *entry)
{
	uint8_t b[8];
	uint64_t v = 0;
	unsigned int i;
	int ret;

	ret = guest_memory_read(mem, gpa, b, size);
	if (ret)
		return ret;
	for (i = size; i-- > 0;)
		v = v << 8 | b[i];
	*entry = v;
	return 0;
}

/* The bits that must be 0 in a present entry at this level. */
static uint64_t rsvd_mask(const struct paging_ctx *ctx, int level,
			  uint64_t entry)
{
	unsigned int m = ctx->maxphyaddr;
	uint64_t xd = ctx->nxe ? 0 : PTE_XD;
	bool ps = entry & PTE_PS;
	uint64_t r;

	switch (ctx->mode) {
	case PAGING_32BIT:
		if (level == 2 && ps && ctx->pse) {
			/*
			 * PSE-36: bits 20:13 hold physical bits 39:32, so
			 * those at or above MAXPHYADDR (capped at 40) are
			 * reserved, and so is bit 21.
			 */
			unsigned int m40 = m < 40 ? m : 40;

			return BIT(21) | genmask(20, m40 - 19);
		}
		return 0;
	case PAGING_PAE:
		if (level == 3)
			return genmask(63, m) | genmask(8, 5) | genmask(2, 1);
		/* No ignored high bits in PAE entries: all of 62:M count. */
		r = genmask(62, m) | xd;
		if (level == 2 && ps)
			r |= genmask(20, 13);
		return r;
	default:
		r = genmask(51, m) | xd;
		if (level >= 4)
			r |= PTE_PS;
		else if (level == 3 && ps)
			r |= ctx->gbpages ? genmask(29, 13) : PTE_PS;
		else if (level == 2 && ps)
			r |= genmask(20, 13);
		return r;
	}
}

/* Only for entries that passed rsvd_mask. */
static bool entry_is_leaf(const struct paging_ctx *ctx, int level,
			  uint64_t entry)
{
	if (level == 1)
		return true;
	if (!(entry & PTE_PS))
		return false;
	if (ctx->mode == PAGING_32BIT)
		return level == 2 && ctx->pse;
	return level == 2 || level == 3;
}

static uint64_t page_size_at(enum paging_mode mode, int level)
{
	return 1ULL << level_shift(mode, level);
}

/* Next table, or page frame for a leaf. */
static uint64_t entry_addr(enum paging_mode mode, int level, uint64_t entry,
			   bool leaf)
{
	if (mode == PAGING_32BIT) {
		/* PSE-36: bits 20:13 of a 4 MiB PDE are physical bits 39:32. */
		uint64_t high = (entry >> 13) & 0xff;

		if (leaf && level == 2)
			return (entry & 0xffc00000ULL) | high << 32;
		return entry & 0xfffff000ULL;
	}
	/* Bits above 51 are reserved or ignored, never address. */
	return entry & genmask(51, leaf ? level_shift(mode, level) : 12);
}

/* PAE PDPTEs carry no R/W, U/S or XD: they do not restrict access. */
static bool entry_has_perms(enum paging_mode mode, int level)
{
	return !(mode == PAGING_PAE && level == 3);
}

static bool entry_has_xd(enum paging_mode mode, int level)
{
	return mode != PAGING_32BIT && entry_has_perms(mode, level);
}

static void decode_step(const struct paging_ctx *ctx, struct walk_step *s)
{
	uint64_t e = s->entry;
	enum paging_mode mode = ctx->mode;
	bool ps_is_ps = s->level >= 2 && entry_has_perms(mode, s->level);

	s->present = e & PTE_P;
	s->rw = e & PTE_RW;
	s->us = e & PTE_US;
	s->pwt = e & PTE_PWT;
	s->pcd = e & PTE_PCD;
	s->accessed = e & PTE_A;
	s->ps = ps_is_ps && (e & PTE_PS);
	s->xd = entry_has_xd(mode, s->level) && (e & PTE_XD);
	s->pkey = -1;
	if (s->leaf) {
		s->dirty = e & PTE_D;
		s->global = e & PTE_G;
		s->pat = e & (s->level == 1 ? PTE_PS : PTE_PAT_LARGE);
		if (ia32e_mode(mode))
			s->pkey = (int)((e >> 59) & 0xf);
	}
}

static void rsvd_reason(const struct paging_ctx *ctx, int level,
			unsigned int bit, char *buf, size_t size)
{
	unsigned int m = ctx->maxphyaddr;

	if (ctx->mode == PAGING_PAE && level == 3) {
		if (bit >= m)
			fmt(buf, size, "at or above MAXPHYADDR %u", m);
		else
			fmt(buf, size, "reserved in PAE PDPTEs");
	} else if (bit == 63 && !ctx->nxe) {
		fmt(buf, size, "XD with EFER.NXE=0");
	} else if (ctx->mode == PAGING_32BIT) {
		if (bit == 21)
			fmt(buf, size, "reserved in 4 MiB PDEs");
		else
			fmt(buf, size,
			    "physical address bit %u at or above MAXPHYADDR %u",
			    bit + 19, m);
	} else if (bit == 7) {
		if (level >= 4)
			fmt(buf, size, "PS is reserved in %ss",
			    level_name(level));
		else
			fmt(buf, size, "1 GiB pages are not supported");
	} else if (bit >= m) {
		fmt(buf, size, "at or above MAXPHYADDR %u", m);
	} else {
		fmt(buf, size, "large page address not aligned to %s",
		    level == 3 ? "1 GiB" : "2 MiB");
	}
}

static void add_note(char *buf, size_t size, const char *note)
{
	size_t len = strlen(buf);

	if (len + 1 < size)
		fmt(buf + len, size - len, "%s%s", len ? "; " : "", note);
}

static void fill_notes(const struct paging_ctx *ctx, struct walk_result *res)
{
	char pk[48];

	if (!res->writable && !ctx->wp)
		add_note(res->notes, sizeof(res->notes),
			 "supervisor writes allowed (CR0.WP=0)");
	if (res->user && res->executable && ctx->smep)
		add_note(res->notes, sizeof(res->notes),
			 "no supervisor execution (SMEP)");
	if (res->user && ctx->smap)
		add_note(res->notes, sizeof(res->notes),
			 "supervisor data access needs EFLAGS.AC=1 (SMAP)");
	if (res->pkey >= 0) {
		fmt(pk, sizeof(pk), "protection key %d (%s)", res->pkey,
		    res->user ? "PKRU" : "PKRS");
		add_note(res->notes, sizeof(res->notes), pk);
	}
}

static bool canonical(enum paging_mode mode, uint64_t va)
{
	unsigned int unused = mode == PAGING_5LEVEL ? 7 : 16;

	/* Shift the sign bit to bit 63 and back: equal iff sign-extended. */
	return (uint64_t)((int64_t)(va << unused) >> unused) == va;
}

static uint64_t sign_extend(enum paging_mode mode, uint64_t va)
{
	unsigned int unused;

	if (!ia32e_mode(mode))
		return va;
	unused = mode == PAGING_5LEVEL ? 7 : 16;
	return (uint64_t)((int64_t)(va << unused) >> unused);
}

static int walk_fail(struct walk_result *res, enum walk_status status,
		     int level)
{
	res->status = status;
	res->fault_level = level;
	return status == WALK_INVALID_CTX ? -EINVAL : -EFAULT;
}

int pagewalk(const struct guest_memory *mem, const struct paging_ctx *ctx,
	     uint64_t gva, struct walk_result *res)
{
	enum paging_mode mode;
	unsigned int esize;
	uint64_t table, entry, rsvd;
	bool w = true, u = true, x = true;
	int level;

	memset(res, 0, sizeof(*res));
	res->pkey = -1;
	if (!ctx_valid(ctx)) {
		fmt(res->why, sizeof(res->why), "invalid paging context");
		return walk_fail(res, WALK_INVALID_CTX, 0);
	}
	mode = ctx->mode;

	if (ia32e_mode(mode) && !canonical(mode, gva)) {
		fmt(res->why, sizeof(res->why),
		    "gva 0x%" PRIx64
		    " is not canonical for %s paging (bits 63:%d differ)",
		    gva, paging_mode_name(mode),
		    mode == PAGING_5LEVEL ? 56 : 47);
		return walk_fail(res, WALK_NOT_CANONICAL, 0);
	}
	if (!ia32e_mode(mode) && gva >= SIZE_4G) {
		fmt(res->why, sizeof(res->why),
		    "gva 0x%" PRIx64 " is above 4 GiB, which %s cannot address",
		    gva,
		    mode == PAGING_NONE ? "unpaged mode" : "this paging mode");
		return walk_fail(res, WALK_BAD_ADDRESS, 0);
	}
	if (mode == PAGING_NONE) {
		res->status = WALK_NO_PAGING;
		res->gpa = gva;
		res->writable = res->user = res->executable = true;
		return 0;
	}

	esize = entry_size(mode);
	table = root_table(ctx);
	for (level = paging_levels(mode); level >= 1; level--) {
		struct walk_step *s = &res->steps[res->nr_steps];
		unsigned int shift = level_shift(mode, level);

		s->level = level;
		s->name = level_name(level);
		s->table_gpa = table;
		s->index = (unsigned int)(gva >> shift) &
			   (level_entries(mode, level) - 1);
		s->entry_gpa = table + (uint64_t)s->index * esize;
		if (read_entry(mem, s->entry_gpa, esize, &entry)) {
			if (res->nr_steps == 0) {
				fmt(res->why, sizeof(res->why),
				    "CR3 points to gpa 0x%" PRIx64
				    " outside guest RAM (%s at 0x%" PRIx64 ")",
				    table, s->name, s->entry_gpa);
			} else {
				const struct walk_step *p = s - 1;

				fmt(res->why, sizeof(res->why),
				    "%s 0x%" PRIx64 " at gpa 0x%" PRIx64
				    " points to gpa 0x%" PRIx64
				    " outside guest RAM",
				    p->name, p->entry, p->entry_gpa, table);
			}
			return walk_fail(res, WALK_TABLE_OUTSIDE_RAM, level);
		}
		res->nr_steps++;
		s->entry = entry;

		if (!(entry & PTE_P)) {
			decode_step(ctx, s);
			fmt(res->why, sizeof(res->why),
			    "%s 0x%" PRIx64 " at gpa 0x%" PRIx64
			    " is not present",
			    s->name, entry, s->entry_gpa);
			return walk_fail(res, WALK_NOT_PRESENT, level);
		}
		rsvd = entry & rsvd_mask(ctx, level, entry);
		if (rsvd) {
			unsigned int bit = (unsigned int)__builtin_ctzll(rsvd);
			char reason[80];

			decode_step(ctx, s);
			rsvd_reason(ctx, level, bit, reason, sizeof(reason));
			res->rsvd_bits = rsvd;
			fmt(res->why, sizeof(res->why),
			    "reserved bit %u set in %s 0x%" PRIx64
			    " at gpa 0x%" PRIx64 " (%s)",
			    bit, s->name, entry, s->entry_gpa, reason);
			return walk_fail(res, WALK_RESERVED_BIT, level);
		}

		s->leaf = entry_is_leaf(ctx, level, entry);
		s->addr = entry_addr(mode, level, entry, s->leaf);
		decode_step(ctx, s);
		if (entry_has_perms(mode, level)) {
			w = w && s->rw;
			u = u && s->us;
			x = x && !(ctx->nxe && s->xd);
		}
		if (s->leaf) {
			res->page_size = page_size_at(mode, level);
			res->gpa = s->addr | (gva & (res->page_size - 1));
			res->writable = w;
			res->user = u;
			res->executable = x;
			if (s->pkey >= 0 && (u ? ctx->pke : ctx->pks))
				res->pkey = s->pkey;
			res->status = WALK_OK;
			fill_notes(ctx, res);
			return 0;
		}
		table = s->addr;
	}
	/* Level 1 entries are always leaves. */
	fmt(res->why, sizeof(res->why), "internal error: walk ran off level 1");
	return walk_fail(res, WALK_INVALID_CTX, 0);
}

/* Append a space-separated token if it fits; out always stays terminated. */
static void add_token(char *out, size_t cap, size_t *len, const char *tok)
{
	size_t need = strlen(tok) + (*len ? 1 : 0);

	if (*len + need >= cap)
		return;
	if (*len)
		out[(*len)++] = ' ';
	memcpy(out + *len, tok, strlen(tok) + 1);
	*len += strlen(tok);
}

size_t pagewalk_flags_str(uint64_t entry, int level, enum paging_mode mode,
			  char *buf, size_t size)
{
	/* Longest: "P RW US PWT PCD A D PS G PAT XD PK=15". */
	char out[64], pk[8];
	size_t len = 0;
	bool pae_pdpte = mode == PAGING_PAE && level == 3;
	bool perms = !pae_pdpte;
	bool leaf;

	out[0] = '\0';
	if (!(entry & PTE_P)) {
		add_token(out, sizeof(out), &len, "not present");
		goto done;
	}
	/* PS is a page-size bit at level 2 and up, PAT at level 1. */
	leaf = level == 1 ||
	       (perms && (level == 2 || level == 3) && (entry & PTE_PS));
	add_token(out, sizeof(out), &len, "P");
	if (perms && (entry & PTE_RW))
		add_token(out, sizeof(out), &len, "RW");
	if (perms && (entry & PTE_US))
		add_token(out, sizeof(out), &len, "US");
	if (entry & PTE_PWT)
		add_token(out, sizeof(out), &len, "PWT");
	if (entry & PTE_PCD)
		add_token(out, sizeof(out), &len, "PCD");
	if (perms && (entry & PTE_A))
		add_token(out, sizeof(out), &len, "A");
	if (leaf && (entry & PTE_D))
		add_token(out, sizeof(out), &len, "D");
	if (perms && level >= 2 && (entry & PTE_PS))
		add_token(out, sizeof(out), &len, "PS");
	if (leaf && (entry & PTE_G))
		add_token(out, sizeof(out), &len, "G");
	if (leaf && (entry & (level == 1 ? PTE_PS : PTE_PAT_LARGE)))
		add_token(out, sizeof(out), &len, "PAT");
	if (perms && mode != PAGING_32BIT && (entry & PTE_XD))
		add_token(out, sizeof(out), &len, "XD");
	if (leaf && ia32e_mode(mode) && ((entry >> 59) & 0xf)) {
		fmt(pk, sizeof(pk), "PK=%u",
		    (unsigned int)((entry >> 59) & 0xf));
		add_token(out, sizeof(out), &len, pk);
	}
done:
	if (size)
		fmt(buf, size, "%s", out);
	return len;
}

/* One table being scanned by the enumerator. */
struct enum_level {
	uint64_t table;
	unsigned int index; /* next entry to read */
	unsigned int nr;
	uint64_t va; /* first address this table covers (not sign-extended) */
	bool w, u, x; /* permissions granted by the levels above */
};

struct enum_state {
	mapping_cb cb;
	void *opaque;
	struct mapping cur;
	bool have_cur;
	struct mappings_stats *st;
};

static int flush(struct enum_state *s)
{
	if (!s->have_cur)
		return 0;
	s->have_cur = false;
	s->st->mappings++;
	return s->cb(s->opaque, &s->cur);
}

static int emit(struct enum_state *s, uint64_t va, uint64_t pa, uint64_t size,
		bool w, bool u, bool x)
{
	struct mapping *c = &s->cur;
	int ret;

	s->st->leaves++;
	/* VA order means the previous range can only grow at its end. */
	if (s->have_cur && c->va + c->size == va && c->pa + c->size == pa &&
	    c->writable == w && c->user == u && c->executable == x) {
		c->size += size;
		if (c->page_size != size)
			c->page_size = 0;
		return 0;
	}
	ret = flush(s);
	if (ret)
		return ret;
	c->va = va;
	c->pa = pa;
	c->size = size;
	c->page_size = size;
	c->writable = w;
	c->user = u;
	c->executable = x;
	s->have_cur = true;
	return 0;
}

int pagewalk_mappings(const struct guest_memory *mem,
		      const struct paging_ctx *ctx,
		      uint64_t max_entries_visited, mapping_cb cb, void *opaque,
		      struct mappings_stats *stats)
{
	struct mappings_stats local;
	struct enum_state s = { .cb = cb, .opaque = opaque };
	struct enum_level lv[6];
	enum paging_mode mode;
	unsigned int esize;
	int level, top, ret = 0;

	s.st = stats ? stats : &local;
	memset(s.st, 0, sizeof(*s.st));
	if (!ctx_valid(ctx) || !cb)
		return -EINVAL;
	if (!max_entries_visited)
		max_entries_visited = PAGEWALK_DEFAULT_BUDGET;
	mode = ctx->mode;

	if (mode == PAGING_NONE) {
		s.cur = (struct mapping){
			.size = SIZE_4G,
			.writable = true,
			.user = true,
			.executable = true,
		};
		s.have_cur = true;
		return flush(&s);
	}

	esize = entry_size(mode);
	top = paging_levels(mode);
	lv[top] = (struct enum_level){
		.table = root_table(ctx),
		.nr = level_entries(mode, top),
		.w = true,
		.u = true,
		.x = true,
	};
	/*
	 * Depth-first without recursion: lv[level] is the table being
	 * scanned at each depth; finishing a table pops back to its parent.
	 */
	level = top;
	while (level <= top) {
		struct enum_level *t = &lv[level];
		uint64_t entry, va, addr;
		unsigned int idx;
		bool leaf, w, u, x;

		if (t->index >= t->nr) {
			level++;
			continue;
		}
		if (s.st->entries_visited >= max_entries_visited) {
			s.st->truncated = true;
			break;
		}
		idx = t->index++;
		s.st->entries_visited++;
		if (read_entry(mem, t->table + (uint64_t)idx * esize, esize,
			       &entry)) {
			/*
			 * RAM regions are page-granular, so an unreadable
			 * entry means the whole table is outside RAM.
			 */
			s.st->tables_outside_ram++;
			t->index = t->nr;
			continue;
		}
		if (!(entry & PTE_P))
			continue;
		if (entry & rsvd_mask(ctx, level, entry)) {
			s.st->reserved_entries++;
			continue;
		}

		va = t->va + ((uint64_t)idx << level_shift(mode, level));
		w = t->w;
		u = t->u;
		x = t->x;
		if (entry_has_perms(mode, level)) {
			w = w && (entry & PTE_RW);
			u = u && (entry & PTE_US);
			x = x && !(ctx->nxe && (entry & PTE_XD));
		}
		leaf = entry_is_leaf(ctx, level, entry);
		addr = entry_addr(mode, level, entry, leaf);
		if (leaf) {
			ret = emit(&s, sign_extend(mode, va), addr,
				   page_size_at(mode, level), w, u, x);
			if (ret)
				return ret;
			continue;
		}
		level--;
		lv[level] = (struct enum_level){
			.table = addr,
			.nr = level_entries(mode, level),
			.va = va,
			.w = w,
			.u = u,
			.x = x,
		};
	}
	return flush(&s);
}
