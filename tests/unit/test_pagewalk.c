// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table walker against tables built by hand in guest memory, for
 * every paging mode. Indices and entry layouts are computed here from the
 * SDM's formats rather than taken from pagewalk.c, so the two check each
 * other.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/pagewalk.h"

#define KIB 1024ULL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define RAM (64 * MIB)
#define TABLES (1 * MIB) /* page tables are allocated upwards from here */

#define P (1ULL << 0)
#define RW (1ULL << 1)
#define US (1ULL << 2)
#define PWT (1ULL << 3)
#define PCD (1ULL << 4)
#define ACC (1ULL << 5)
#define DIRTY (1ULL << 6)
#define PS (1ULL << 7)
#define GLB (1ULL << 8)
#define PAT_LARGE (1ULL << 12)
#define XD (1ULL << 63)
#define TBL (P | RW | US)

#define CR0_PE (1ULL << 0)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define CR4_PCIDE (1ULL << 17)
#define CR4_SMEP (1ULL << 20)
#define CR4_SMAP (1ULL << 21)
#define CR4_PKE (1ULL << 22)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

static struct guest_memory mem;
static uint64_t next_table;

static int setup(void **state)
{
	assert_int_equal(guest_memory_alloc(&mem, RAM), 0);
	next_table = TABLES;
	return 0;
}

static int teardown(void **state)
{
	guest_memory_free(&mem);
	return 0;
}

static uint64_t new_table(void)
{
	uint64_t t = next_table;

	next_table += 4 * KIB;
	assert_int_equal(guest_memory_fill(&mem, t, 0, 4 * KIB), 0);
	return t;
}

static void put(uint64_t gpa, uint64_t v, unsigned int size)
{
	uint8_t b[8];
	unsigned int i;

	for (i = 0; i < size; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	assert_int_equal(guest_memory_write(&mem, gpa, b, size), 0);
}

static uint64_t get(uint64_t gpa, unsigned int size)
{
	uint8_t b[8];
	uint64_t v = 0;

	assert_int_equal(guest_memory_read(&mem, gpa, b, size), 0);
	while (size--)
		v = v << 8 | b[size];
	return v;
}

static unsigned int esize(enum paging_mode mode)
{
	return mode == PAGING_32BIT ? 4 : 8;
}

static unsigned int shift(enum paging_mode mode, int level)
{
	if (mode == PAGING_32BIT)
		return level == 2 ? 22 : 12;
	return 12 + 9 * (unsigned int)(level - 1);
}

static unsigned int idx(enum paging_mode mode, int level, uint64_t va)
{
	if (mode == PAGING_32BIT)
		return (va >> shift(mode, level)) & 0x3ff;
	if (mode == PAGING_PAE && level == 3)
		return (va >> 30) & 3;
	return (va >> shift(mode, level)) & 0x1ff;
}

static uint64_t root(const struct paging_ctx *ctx)
{
	return ctx->cr3 & (ctx->mode == PAGING_PAE ? ~31ULL : ~0xfffULL);
}

/*
 * Map va -> pa with a leaf at leaf_level (PS added above level 1),
 * creating missing tables with table_flags (PAE PDPTEs get only P).
 * Returns the gpa of the leaf entry.
 */
static uint64_t map(const struct paging_ctx *ctx, uint64_t va, uint64_t pa,
		    int leaf_level, uint64_t leaf_flags, uint64_t table_flags)
{
	enum paging_mode mode = ctx->mode;
	unsigned int es = esize(mode);
	uint64_t table = root(ctx);
	int level = paging_levels(mode);

	for (;;) {
		uint64_t egpa = table + idx(mode, level, va) * es;
		uint64_t e;

		if (level == leaf_level) {
			if (level == 1)
				e = pa | leaf_flags;
			else if (mode == PAGING_32BIT)
				/* PSE-36: physical bits 39:32 in bits 20:13. */
				e = (pa & 0xffc00000) |
				    ((pa >> 32) & 0xff) << 13 | leaf_flags | PS;
			else
				e = pa | leaf_flags | PS;
			put(egpa, e, es);
			return egpa;
		}
		e = get(egpa, es);
		if (!(e & P)) {
			e = new_table() |
			    (mode == PAGING_PAE && level == 3 ? P :
								table_flags);
			put(egpa, e, es);
		}
		table = e & 0x000ffffffffff000ULL;
		level--;
	}
}

static struct paging_ctx mkctx_m(enum paging_mode mode, uint64_t cr3,
				 unsigned int maxphyaddr, bool gbpages)
{
	uint64_t cr0 = CR0_PE | CR0_PG | CR0_WP, cr4 = 0, efer = EFER_NXE;
	struct paging_ctx ctx;

	switch (mode) {
	case PAGING_NONE:
		cr0 = CR0_PE;
		break;
	case PAGING_32BIT:
		cr4 = CR4_PSE;
		efer = 0;
		break;
	case PAGING_PAE:
		cr4 = CR4_PAE;
		break;
	case PAGING_4LEVEL:
		cr4 = CR4_PAE;
		efer |= EFER_LME | EFER_LMA;
		break;
	case PAGING_5LEVEL:
		cr4 = CR4_PAE | CR4_LA57;
		efer |= EFER_LME | EFER_LMA;
		break;
	}
	assert_int_equal(paging_ctx_init(&ctx, cr0, cr3, cr4, efer, maxphyaddr,
					 gbpages),
			 0);
	assert_int_equal(ctx.mode, mode);
	return ctx;
}

/* A fresh top-level table and a context using it (MAXPHYADDR 46). */
static struct paging_ctx mkctx(enum paging_mode mode)
{
	return mkctx_m(mode, new_table(), 46, true);
}

static void walk_ok(const struct paging_ctx *ctx, uint64_t gva,
		    struct walk_result *res, uint64_t gpa, uint64_t page_size)
{
	assert_int_equal(pagewalk(&mem, ctx, gva, res), 0);
	assert_int_equal(res->status, WALK_OK);
	assert_int_equal(res->gpa, gpa);
	assert_int_equal(res->page_size, page_size);
	assert_int_equal(res->fault_level, 0);
	assert_string_equal(res->why, "");
	assert_true(res->steps[res->nr_steps - 1].leaf);
}

static void walk_fails(const struct paging_ctx *ctx, uint64_t gva,
		       struct walk_result *res, enum walk_status status,
		       int fault_level)
{
	assert_int_equal(pagewalk(&mem, ctx, gva, res), -EFAULT);
	assert_int_equal(res->status, status);
	assert_int_equal(res->fault_level, fault_level);
	assert_true(res->why[0] != '\0');
	assert_null(strchr(res->why, '\n'));
}

static void check_step(const struct walk_step *s, int level, const char *name,
		       uint64_t table, unsigned int index, unsigned int es)
{
	assert_int_equal(s->level, level);
	assert_string_equal(s->name, name);
	assert_int_equal(s->table_gpa, table);
	assert_int_equal(s->index, index);
	assert_int_equal(s->entry_gpa, table + (uint64_t)index * es);
	assert_int_equal(s->entry, get(s->entry_gpa, es));
}

static void check_perms(const struct walk_result *res, bool w, bool u, bool x)
{
	assert_int_equal(res->writable, w);
	assert_int_equal(res->user, u);
	assert_int_equal(res->executable, x);
}

struct collect {
	int n;
	int stop_after; /* return 42 from the callback number stop_after */
	struct mapping m[64];
};

static int collect_cb(void *opaque, const struct mapping *m)
{
	struct collect *c = opaque;

	if (c->n < 64)
		c->m[c->n] = *m;
	c->n++;
	return c->stop_after && c->n == c->stop_after ? 42 : 0;
}

static void check_mapping(const struct mapping *m, uint64_t va, uint64_t pa,
			  uint64_t size, uint64_t page_size, bool w, bool u,
			  bool x)
{
	assert_int_equal(m->va, va);
	assert_int_equal(m->pa, pa);
	assert_int_equal(m->size, size);
	assert_int_equal(m->page_size, page_size);
	assert_int_equal(m->writable, w);
	assert_int_equal(m->user, u);
	assert_int_equal(m->executable, x);
}

static void test_ctx_init(void **state)
{
	struct paging_ctx c;
	uint64_t pg = CR0_PE | CR0_PG;

	assert_int_equal(paging_ctx_init(&c, CR0_PE, 0x1000, 0, 0, 0, false),
			 0);
	assert_int_equal(c.mode, PAGING_NONE);
	assert_int_equal(c.maxphyaddr, 36);

	assert_int_equal(paging_ctx_init(&c, pg, 0x1000, CR4_PSE | CR4_SMEP, 0,
					 40, false),
			 0);
	assert_int_equal(c.mode, PAGING_32BIT);
	assert_true(c.pse && c.smep);
	assert_false(c.wp || c.smap || c.nxe || c.gbpages || c.pcide);
	assert_int_equal(c.maxphyaddr, 40);

	assert_int_equal(paging_ctx_init(&c, pg | CR0_WP, 0x1000,
					 CR4_PAE | CR4_PKE | CR4_PCIDE,
					 EFER_NXE, 36, false),
			 0);
	assert_int_equal(c.mode, PAGING_PAE);
	/* Protection keys and PCIDs need IA-32e mode. */
	assert_true(c.wp && c.nxe);
	assert_false(c.pke || c.pcide);

	/* LME alone is enough once PG is set: the CPU sets LMA. */
	assert_int_equal(paging_ctx_init(&c, pg, 0x1000,
					 CR4_PAE | CR4_PKE | CR4_PCIDE |
						 CR4_SMAP,
					 EFER_LME, 52, true),
			 0);
	assert_int_equal(c.mode, PAGING_4LEVEL);
	assert_true(c.pke && c.pcide && c.smap && c.gbpages);
	assert_int_equal(c.cr3, 0x1000);

	assert_int_equal(paging_ctx_init(&c, pg, 0, CR4_PAE | CR4_LA57,
					 EFER_LMA | EFER_LME, 0, false),
			 0);
	assert_int_equal(c.mode, PAGING_5LEVEL);

	/* LA57 without IA-32e mode is plain PAE. */
	assert_int_equal(
		paging_ctx_init(&c, pg, 0, CR4_PAE | CR4_LA57, 0, 0, false), 0);
	assert_int_equal(c.mode, PAGING_PAE);

	assert_int_equal(paging_ctx_init(&c, pg, 0, 0, EFER_LME, 0, false),
			 -EINVAL);
	assert_int_equal(paging_ctx_init(&c, pg, 0, CR4_PAE, 0, 53, false),
			 -EINVAL);
	assert_int_equal(paging_ctx_init(&c, pg, 0, CR4_PAE, 0, 31, false),
			 -EINVAL);

	assert_string_equal(paging_mode_name(PAGING_NONE), "none");
	assert_string_equal(paging_mode_name(PAGING_32BIT), "32-bit");
	assert_string_equal(paging_mode_name(PAGING_PAE), "PAE");
	assert_string_equal(paging_mode_name(PAGING_4LEVEL), "4-level");
	assert_string_equal(paging_mode_name(PAGING_5LEVEL), "5-level");
	assert_string_equal(paging_mode_name((enum paging_mode)99), "?");
	assert_string_equal(walk_status_name(WALK_NOT_PRESENT), "not present");
}

static void test_invalid_ctx(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	struct mappings_stats st;
	struct collect c = { 0 };
	struct walk_result res;

	ctx.maxphyaddr = 60;
	assert_int_equal(pagewalk(&mem, &ctx, 0, &res), -EINVAL);
	assert_int_equal(res.status, WALK_INVALID_CTX);
	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, &st),
			 -EINVAL);
	ctx.maxphyaddr = 46;
	ctx.mode = (enum paging_mode)7;
	assert_int_equal(pagewalk(&mem, &ctx, 0, &res), -EINVAL);
	assert_int_equal(pagewalk(&mem, NULL, 0, &res), -EINVAL);
	assert_int_equal(c.n, 0);
}

static void test_no_paging(void **state)
{
	struct paging_ctx ctx = mkctx_m(PAGING_NONE, 0, 0, false);
	struct collect c = { 0 };
	struct mappings_stats st;
	struct walk_result res;

	assert_int_equal(pagewalk(&mem, &ctx, 0xfee00000, &res), 0);
	assert_int_equal(res.status, WALK_NO_PAGING);
	assert_int_equal(res.gpa, 0xfee00000);
	assert_int_equal(res.nr_steps, 0);
	check_perms(&res, true, true, true);

	walk_fails(&ctx, 0x100000000ULL, &res, WALK_BAD_ADDRESS, 0);

	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, &st),
			 0);
	assert_int_equal(c.n, 1);
	check_mapping(&c.m[0], 0, 0, 4 * GIB, 0, true, true, true);
}

static void test_4level_4k(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	uint64_t va = 0x00007f1234567000ULL + 0x9ab;
	uint64_t pa = 0x2345000;
	uint64_t pml4 = root(&ctx), pdpt, pd, pt;
	struct walk_result res;

	map(&ctx, va, pa, 1, P | RW | US | ACC | DIRTY, TBL);
	walk_ok(&ctx, va, &res, pa + 0x9ab, 4 * KIB);
	assert_int_equal(res.nr_steps, 4);
	check_perms(&res, true, true, true);
	assert_int_equal(res.pkey, -1);

	pdpt = res.steps[0].addr;
	pd = res.steps[1].addr;
	pt = res.steps[2].addr;
	check_step(&res.steps[0], 4, "PML4E", pml4, 0xfe, 8);
	check_step(&res.steps[1], 3, "PDPTE", pdpt, 0x48, 8);
	check_step(&res.steps[2], 2, "PDE", pd, 0x1a2, 8);
	check_step(&res.steps[3], 1, "PTE", pt, 0x167, 8);
	/* Tables are handed out in order by the test's allocator. */
	assert_int_equal(pdpt, pml4 + 4 * KIB);
	assert_int_equal(pd, pml4 + 8 * KIB);
	assert_int_equal(pt, pml4 + 12 * KIB);
	assert_int_equal(res.steps[0].entry, pdpt | TBL);
	assert_int_equal(res.steps[3].entry, pa | P | RW | US | ACC | DIRTY);
	assert_int_equal(res.steps[3].addr, pa);
	assert_false(res.steps[0].leaf || res.steps[1].leaf ||
		     res.steps[2].leaf);
	assert_true(res.steps[3].present && res.steps[3].rw &&
		    res.steps[3].us && res.steps[3].accessed &&
		    res.steps[3].dirty);
	assert_false(res.steps[3].ps || res.steps[3].pat || res.steps[3].xd ||
		     res.steps[3].global);
	assert_int_equal(res.steps[3].pkey, 0);
	assert_int_equal(res.steps[0].pkey, -1);

	/* Bit 7 of a PTE is PAT, not PS; bits 58:52 are ignored. */
	put(res.steps[3].entry_gpa, pa | P | PS | (0x7fULL << 52), 8);
	walk_ok(&ctx, va, &res, pa + 0x9ab, 4 * KIB);
	assert_true(res.steps[3].pat);
	assert_false(res.steps[3].ps);
}

static void test_4level_large(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	struct walk_result res;

	map(&ctx, 0x40000000, 0x600000, 2, P | RW | GLB, TBL);
	walk_ok(&ctx, 0x40012345, &res, 0x612345, 2 * MIB);
	assert_int_equal(res.nr_steps, 3);
	assert_true(res.steps[2].leaf && res.steps[2].ps &&
		    res.steps[2].global);
	assert_int_equal(res.steps[2].addr, 0x600000);
	assert_int_equal(res.steps[2].index, 0);
	check_perms(&res, true, false, true);

	/* PAT of a large page is bit 12, not an address bit. */
	put(res.steps[2].entry_gpa, 0x600000 | P | PS | PAT_LARGE, 8);
	walk_ok(&ctx, 0x401fffff, &res, 0x7fffff, 2 * MIB);
	assert_true(res.steps[2].pat);

	/* 1 GiB page; physical memory needn't be RAM. */
	map(&ctx, 0x80000000ULL, 0x1c0000000ULL, 3, P | US, TBL);
	walk_ok(&ctx, 0xbfffffffULL, &res, 0x1ffffffffULL, GIB);
	assert_int_equal(res.nr_steps, 2);
	assert_int_equal(res.steps[1].index, 2);
	check_perms(&res, false, true, true);
	put(res.steps[1].entry_gpa, 0x1c0000000ULL | P | PS | PAT_LARGE, 8);
	walk_ok(&ctx, 0x80000000ULL, &res, 0x1c0000000ULL, GIB);
}

static void test_5level(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_5LEVEL);
	uint64_t va = 0x00ab123456789000ULL;
	uint64_t hi = 0xff7f800000200000ULL; /* sign-extended from bit 56 */
	struct walk_result res;

	map(&ctx, va, 0x5000, 1, P | RW, TBL);
	walk_ok(&ctx, va + 0x10, &res, 0x5010, 4 * KIB);
	assert_int_equal(res.nr_steps, 5);
	check_step(&res.steps[0], 5, "PML5E", root(&ctx), 0xab, 8);
	check_step(&res.steps[1], 4, "PML4E", res.steps[0].addr, 0x24, 8);
	check_step(&res.steps[4], 1, "PTE", res.steps[3].addr, 0x189, 8);

	map(&ctx, hi, 0x800000, 2, P | RW | US | XD, TBL);
	walk_ok(&ctx, hi + 0x1234, &res, 0x801234, 2 * MIB);
	assert_int_equal(res.steps[0].index, 0x17f);
	assert_int_equal(res.steps[1].index, 0x100);
	assert_int_equal(res.steps[3].index, 1);
	check_perms(&res, true, true, false);

	/* 57-bit canonical: fine here, not with 4 levels. */
	walk_fails(&ctx, 0x0000800000000000ULL, &res, WALK_NOT_PRESENT, 5);
	walk_fails(&ctx, 0x0100000000000000ULL, &res, WALK_NOT_CANONICAL, 0);
	walk_fails(&ctx, 0xfe00000000000000ULL, &res, WALK_NOT_CANONICAL, 0);
	assert_int_equal(res.nr_steps, 0);

	/* PS is reserved in a PML5E. */
	map(&ctx, va, 0, 1, P, TBL);
	put(root(&ctx) + 0xab * 8, get(root(&ctx) + 0xab * 8, 8) | PS, 8);
	walk_fails(&ctx, va, &res, WALK_RESERVED_BIT, 5);
	assert_int_equal(res.rsvd_bits, PS);
	assert_non_null(strstr(res.why, "reserved bit 7 set in PML5E"));
}

static void test_high_half(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	uint64_t va = 0xffffffff80001000ULL;
	struct collect c = { 0 };
	struct mappings_stats st;
	struct walk_result res;

	map(&ctx, va, 0x1000000, 1, P | GLB, TBL);
	map(&ctx, 0x1000, 0x3000, 1, P | US, TBL);
	walk_ok(&ctx, va + 0x42, &res, 0x1000042, 4 * KIB);
	assert_int_equal(res.steps[0].index, 511);
	assert_int_equal(res.steps[1].index, 510);
	assert_int_equal(res.steps[2].index, 0);
	assert_int_equal(res.steps[3].index, 1);
	check_perms(&res, false, false, true);

	walk_fails(&ctx, 0x0000800000000000ULL, &res, WALK_NOT_CANONICAL, 0);
	walk_fails(&ctx, 0xffff7fffffffffffULL, &res, WALK_NOT_CANONICAL, 0);
	assert_non_null(strstr(res.why, "not canonical"));
	walk_fails(&ctx, 0xffff800000000000ULL, &res, WALK_NOT_PRESENT, 4);

	/* The enumerator sign-extends, and lists the lower half first. */
	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, &st),
			 0);
	assert_int_equal(c.n, 2);
	check_mapping(&c.m[0], 0x1000, 0x3000, 4 * KIB, 4 * KIB, false, true,
		      true);
	check_mapping(&c.m[1], va, 0x1000000, 4 * KIB, 4 * KIB, false, false,
		      true);
	/* Two walks of 4 tables each share only the PML4. */
	assert_int_equal(st.entries_visited, 512 * 7);
	assert_int_equal(st.leaves, 2);
	assert_int_equal(st.mappings, 2);
	assert_false(st.truncated);
}

static void test_pae(void **state)
{
	/* The PDPT only needs 32-byte alignment; CR3's low bits ignored. */
	uint64_t pdpt = new_table() + 0x60;
	struct paging_ctx ctx =
		mkctx_m(PAGING_PAE, pdpt | PWT | PCD, 36, false);
	struct walk_result res;

	map(&ctx, 0xc0801000, 0x7000, 1, P | RW | US, TBL);
	walk_ok(&ctx, 0xc0801abc, &res, 0x7abc, 4 * KIB);
	assert_int_equal(res.nr_steps, 3);
	check_step(&res.steps[0], 3, "PDPTE", pdpt, 3, 8);
	check_step(&res.steps[1], 2, "PDE", res.steps[0].addr, 4, 8);
	check_step(&res.steps[2], 1, "PTE", res.steps[1].addr, 1, 8);
	/* PDPTEs have no R/W or U/S: they do not restrict access. */
	assert_int_equal(res.steps[0].entry & (RW | US), 0);
	check_perms(&res, true, true, true);

	put(res.steps[2].entry_gpa, 0x7000 | P | RW | US | XD, 8);
	walk_ok(&ctx, 0xc0801000, &res, 0x7000, 4 * KIB);
	check_perms(&res, true, true, false);
	assert_true(res.steps[2].xd);

	map(&ctx, 0x00400000, 0x00e00000, 2, P, TBL);
	walk_ok(&ctx, 0x005fffff, &res, 0x00ffffff, 2 * MIB);
	assert_int_equal(res.nr_steps, 2);
	check_perms(&res, false, false, true);

	walk_fails(&ctx, 0x100000000ULL, &res, WALK_BAD_ADDRESS, 0);
	walk_fails(&ctx, 0x80000000, &res, WALK_NOT_PRESENT, 3);
	assert_int_equal(res.nr_steps, 1);
	assert_string_equal(res.steps[0].name, "PDPTE");
}

static void test_pae_reserved(void **state)
{
	uint64_t pdpt = new_table();
	struct paging_ctx ctx = mkctx_m(PAGING_PAE, pdpt, 36, false);
	uint64_t pde, pte;
	struct walk_result res;

	pte = map(&ctx, 0x1000, 0x9000, 1, P | RW, TBL);
	walk_ok(&ctx, 0x1000, &res, 0x9000, 4 * KIB);
	pde = res.steps[1].entry_gpa;

	/* R/W in a PDPTE is reserved in PAE paging. */
	put(pdpt, get(pdpt, 8) | RW, 8);
	walk_fails(&ctx, 0x1000, &res, WALK_RESERVED_BIT, 3);
	assert_int_equal(res.rsvd_bits, RW);
	assert_non_null(strstr(res.why, "reserved bit 1 set in PDPTE"));
	put(pdpt, get(pdpt, 8) & ~RW, 8);

	/* So is bit 63: PDPTEs have no XD, even with NXE. */
	put(pdpt, get(pdpt, 8) | XD, 8);
	walk_fails(&ctx, 0x1000, &res, WALK_RESERVED_BIT, 3);
	put(pdpt, get(pdpt, 8) & ~XD, 8);

	/* PAE has no ignored high bits: bit 52 is reserved in a PTE... */
	put(pte, 0x9000 | P | (1ULL << 52), 8);
	walk_fails(&ctx, 0x1000, &res, WALK_RESERVED_BIT, 1);
	assert_int_equal(res.rsvd_bits, 1ULL << 52);
	/* ...and so is bit 36 with MAXPHYADDR 36. */
	put(pte, 0x9000 | P | (1ULL << 36), 8);
	walk_fails(&ctx, 0x1000, &res, WALK_RESERVED_BIT, 1);
	assert_non_null(strstr(res.why, "MAXPHYADDR 36"));
	put(pte, 0x9000 | P | (1ULL << 35), 8);
	walk_ok(&ctx, 0x1000, &res, 0x800009000ULL, 4 * KIB);

	/* Misaligned 2 MiB page. */
	put(pde, 0x200000 | P | PS | (1ULL << 20), 8);
	walk_fails(&ctx, 0x1000, &res, WALK_RESERVED_BIT, 2);
	assert_non_null(strstr(res.why, "not aligned"));

	/* XD without EFER.NXE. */
	ctx.nxe = false;
	put(pde, 0x200000 | P | PS | XD, 8);
	walk_fails(&ctx, 0x1000, &res, WALK_RESERVED_BIT, 2);
	assert_non_null(strstr(res.why, "reserved bit 63 set in PDE"));
	assert_non_null(strstr(res.why, "NXE"));
}

static void test_32bit(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_32BIT);
	uint64_t pd = root(&ctx);
	struct walk_result res;
	uint64_t pde;

	map(&ctx, 0xc0123000, 0x456000, 1, P | RW | US, TBL);
	walk_ok(&ctx, 0xc0123fff, &res, 0x456fff, 4 * KIB);
	assert_int_equal(res.nr_steps, 2);
	check_step(&res.steps[0], 2, "PDE", pd, 0x300, 4);
	check_step(&res.steps[1], 1, "PTE", res.steps[0].addr, 0x123, 4);
	check_perms(&res, true, true, true);
	assert_false(res.steps[1].xd);
	assert_int_equal(res.steps[1].pkey, -1);

	/* No XD in 32-bit paging: the entry is 4 bytes. */
	walk_fails(&ctx, 0x100000000ULL, &res, WALK_BAD_ADDRESS, 0);
	walk_fails(&ctx, 0xbfc00000, &res, WALK_NOT_PRESENT, 2);

	/* 4 MiB page with PSE. */
	pde = map(&ctx, 0x00800000, 0x01c00000, 2, P | RW, TBL);
	walk_ok(&ctx, 0x00812345, &res, 0x01c12345, 4 * MIB);
	assert_int_equal(res.nr_steps, 1);
	assert_true(res.steps[0].leaf && res.steps[0].ps);
	check_perms(&res, true, false, true);

	/* Without PSE the PS bit is ignored: the PDE points to a table. */
	ctx.pse = false;
	walk_fails(&ctx, 0x00812345, &res, WALK_NOT_PRESENT, 1);
	assert_int_equal(res.steps[0].table_gpa, pd);
	assert_int_equal(res.steps[1].table_gpa, 0x01c00000);
	assert_false(res.steps[0].leaf);
	put(0x01c00000 + 0x12 * 4, 0x3000 | P, 4);
	walk_ok(&ctx, 0x00812345, &res, 0x3345, 4 * KIB);
	ctx.pse = true;

	/* Bit 21 of a 4 MiB PDE is reserved. */
	put(pde, get(pde, 4) | (1ULL << 21), 4);
	walk_fails(&ctx, 0x00800000, &res, WALK_RESERVED_BIT, 2);
	assert_int_equal(res.rsvd_bits, 1ULL << 21);
	/* Bit 12 is PAT, not reserved. */
	put(pde, 0x01c00000 | P | PS | PAT_LARGE, 4);
	walk_ok(&ctx, 0x00800000, &res, 0x01c00000, 4 * MIB);
	assert_true(res.steps[0].pat);
}

static void test_32bit_no_pse(void **state)
{
	uint64_t pd = new_table();
	struct paging_ctx ctx;
	struct collect c = { 0 };
	struct mappings_stats st;
	struct walk_result res;

	assert_int_equal(
		paging_ctx_init(&ctx, CR0_PE | CR0_PG, pd, 0, 0, 0, false), 0);
	assert_int_equal(ctx.mode, PAGING_32BIT);
	assert_false(ctx.pse);
	map(&ctx, 0x1000, 0x1000, 1, P | RW, TBL);
	map(&ctx, 0x2000, 0x2000, 1, P | RW, TBL);
	walk_ok(&ctx, 0x1004, &res, 0x1004, 4 * KIB);
	/* A PDE with PS=1 but no PSE: still a page-table pointer. */
	put(pd, get(pd, 4) | PS, 4);
	walk_ok(&ctx, 0x2004, &res, 0x2004, 4 * KIB);
	assert_false(res.steps[0].leaf);

	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, &st),
			 0);
	assert_int_equal(c.n, 1);
	check_mapping(&c.m[0], 0x1000, 0x1000, 8 * KIB, 4 * KIB, true, false,
		      true);
	assert_int_equal(st.entries_visited, 2048);
}

static void test_pse36(void **state)
{
	struct paging_ctx ctx = mkctx_m(PAGING_32BIT, new_table(), 40, false);
	struct walk_result res;
	uint64_t pde;

	/* Physical bits 39:32 come from PDE bits 20:13. */
	pde = map(&ctx, 0x40000000, 0xab40000000ULL, 2, P, TBL);
	assert_int_equal(get(pde, 4), 0x40000000 | (0xabULL << 13) | P | PS);
	walk_ok(&ctx, 0x40000123, &res, 0xab40000123ULL, 4 * MIB);
	assert_int_equal(res.steps[0].addr, 0xab40000000ULL);

	/* MAXPHYADDR 36: physical bits 39:36 (PDE bits 20:17) reserved. */
	ctx.maxphyaddr = 36;
	walk_fails(&ctx, 0x40000123, &res, WALK_RESERVED_BIT, 2);
	assert_int_equal(res.rsvd_bits, 0x5ULL << 18);
	assert_non_null(strstr(res.why, "reserved bit 18 set in PDE"));
	assert_non_null(strstr(res.why, "physical address bit 37"));
	put(pde, 0x40000000 | (0xfULL << 13) | P | PS, 4);
	walk_ok(&ctx, 0x40000123, &res, 0xf40000123ULL, 4 * MIB);
}

static void test_permissions(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	const uint64_t va = 0x7fff00201000ULL;
	struct walk_result res;
	uint64_t egpa[4], e[4];
	int level, i;

	map(&ctx, va, 0x8000, 1, P | RW | US, TBL);
	walk_ok(&ctx, va, &res, 0x8000, 4 * KIB);
	check_perms(&res, true, true, true);
	for (i = 0; i < 4; i++) {
		egpa[i] = res.steps[i].entry_gpa;
		e[i] = res.steps[i].entry;
	}

	/* One restriction at one level is enough for the whole walk. */
	for (level = 0; level < 4; level++) {
		put(egpa[level], e[level] & ~RW, 8);
		walk_ok(&ctx, va, &res, 0x8000, 4 * KIB);
		check_perms(&res, false, true, true);
		put(egpa[level], e[level] & ~US, 8);
		walk_ok(&ctx, va, &res, 0x8000, 4 * KIB);
		check_perms(&res, true, false, true);
		put(egpa[level], e[level] | XD, 8);
		walk_ok(&ctx, va, &res, 0x8000, 4 * KIB);
		check_perms(&res, true, true, false);
		put(egpa[level], (e[level] | XD) & ~(RW | US), 8);
		walk_ok(&ctx, va, &res, 0x8000, 4 * KIB);
		check_perms(&res, false, false, false);

		/* Without EFER.NXE bit 63 is reserved at every level. */
		ctx.nxe = false;
		put(egpa[level], e[level] | XD, 8);
		walk_fails(&ctx, va, &res, WALK_RESERVED_BIT, 4 - level);
		assert_int_equal(res.rsvd_bits, XD);
		ctx.nxe = true;
		put(egpa[level], e[level], 8);
	}

	/* Mixed: RW dropped at the PDPTE, US at the PTE, XD at the PML4E. */
	put(egpa[1], e[1] & ~RW, 8);
	put(egpa[3], e[3] & ~US, 8);
	put(egpa[0], e[0] | XD, 8);
	walk_ok(&ctx, va, &res, 0x8000, 4 * KIB);
	check_perms(&res, false, false, false);
}

static void test_notes(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	struct walk_result res;
	uint64_t pte;

	pte = map(&ctx, 0x1000, 0x1000, 1, P | US, TBL);
	walk_ok(&ctx, 0x1000, &res, 0x1000, 4 * KIB);
	assert_string_equal(res.notes, "");

	ctx.wp = false;
	ctx.smep = true;
	ctx.smap = true;
	walk_ok(&ctx, 0x1000, &res, 0x1000, 4 * KIB);
	assert_non_null(strstr(res.notes, "CR0.WP=0"));
	assert_non_null(strstr(res.notes, "SMEP"));
	assert_non_null(strstr(res.notes, "SMAP"));

	/* Protection keys: PKRU for user pages, only with CR4.PKE. */
	put(pte, 0x1000 | P | US | RW | (5ULL << 59), 8);
	walk_ok(&ctx, 0x1000, &res, 0x1000, 4 * KIB);
	assert_int_equal(res.steps[3].pkey, 5);
	assert_int_equal(res.pkey, -1);
	ctx.pke = true;
	walk_ok(&ctx, 0x1000, &res, 0x1000, 4 * KIB);
	assert_int_equal(res.pkey, 5);
	assert_non_null(strstr(res.notes, "protection key 5 (PKRU)"));
	assert_null(strstr(res.notes, "CR0.WP"));
}

static void test_not_present(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	const uint64_t va = 0x123456789000ULL;
	static const char *const names[] = { "PML4E", "PDPTE", "PDE", "PTE" };
	struct walk_result res, ok;
	char text[64];
	int i;

	map(&ctx, va, 0xa000, 1, P | RW, TBL);
	walk_ok(&ctx, va, &ok, 0xa000, 4 * KIB);
	for (i = 0; i < 4; i++) {
		/* The other bits of a non-present entry mean nothing. */
		put(ok.steps[i].entry_gpa, ok.steps[i].entry & ~P, 8);
		walk_fails(&ctx, va, &res, WALK_NOT_PRESENT, 4 - i);
		assert_int_equal(res.nr_steps, i + 1);
		assert_false(res.steps[i].present);
		snprintf(text, sizeof(text), "%s 0x%llx at gpa 0x%llx",
			 names[i], (unsigned long long)(ok.steps[i].entry & ~P),
			 (unsigned long long)ok.steps[i].entry_gpa);
		assert_non_null(strstr(res.why, text));
		assert_non_null(strstr(res.why, "not present"));
		put(ok.steps[i].entry_gpa, ok.steps[i].entry, 8);
	}
	walk_ok(&ctx, va, &res, 0xa000, 4 * KIB);
}

static void test_reserved_4level(void **state)
{
	struct paging_ctx ctx = mkctx_m(PAGING_4LEVEL, new_table(), 36, false);
	struct walk_result res, ok;
	uint64_t pdpte, pde;

	map(&ctx, 0x40200000, 0xb000, 1, P | RW, TBL);
	walk_ok(&ctx, 0x40200000, &ok, 0xb000, 4 * KIB);
	pdpte = ok.steps[1].entry_gpa;
	pde = ok.steps[2].entry_gpa;

	/* An address bit at MAXPHYADDR in a table pointer. */
	put(pdpte, ok.steps[1].entry | (1ULL << 40), 8);
	walk_fails(&ctx, 0x40200000, &res, WALK_RESERVED_BIT, 3);
	assert_int_equal(res.rsvd_bits, 1ULL << 40);
	assert_non_null(strstr(res.why, "reserved bit 40 set in PDPTE"));
	assert_non_null(strstr(res.why, "MAXPHYADDR 36"));
	assert_int_equal(res.nr_steps, 2);
	/* Bits 62:52 of a non-leaf entry are ignored, not reserved. */
	put(pdpte, ok.steps[1].entry | (0x7ffULL << 52), 8);
	walk_ok(&ctx, 0x40200000, &res, 0xb000, 4 * KIB);
	put(pdpte, ok.steps[1].entry, 8);

	/* PS in a PML4E. */
	put(ok.steps[0].entry_gpa, ok.steps[0].entry | PS, 8);
	walk_fails(&ctx, 0x40200000, &res, WALK_RESERVED_BIT, 4);
	assert_non_null(strstr(res.why, "PS is reserved in PML4Es"));
	put(ok.steps[0].entry_gpa, ok.steps[0].entry, 8);

	/* A 1 GiB page without 1 GiB page support. */
	put(pdpte, 0x40000000 | P | PS, 8);
	walk_fails(&ctx, 0x40200000, &res, WALK_RESERVED_BIT, 3);
	assert_int_equal(res.rsvd_bits, PS);
	assert_non_null(strstr(res.why, "1 GiB pages are not supported"));
	ctx.gbpages = true;
	walk_ok(&ctx, 0x40200000, &res, 0x40200000, GIB);
	/* Misaligned: bits 29:13 are reserved, bit 12 is PAT. */
	put(pdpte, 0x40000000 | P | PS | (1ULL << 21) | (1ULL << 13), 8);
	walk_fails(&ctx, 0x40200000, &res, WALK_RESERVED_BIT, 3);
	assert_int_equal(res.rsvd_bits, (1ULL << 21) | (1ULL << 13));
	assert_non_null(strstr(res.why, "reserved bit 13"));
	assert_non_null(strstr(res.why, "not aligned to 1 GiB"));
	put(pdpte, ok.steps[1].entry, 8);

	/* Misaligned 2 MiB page. */
	put(pde, 0x200000 | P | PS | (1ULL << 16), 8);
	walk_fails(&ctx, 0x40200000, &res, WALK_RESERVED_BIT, 2);
	assert_non_null(strstr(res.why, "not aligned to 2 MiB"));
	put(pde, 0x200000 | P | PS | (1ULL << 36), 8);
	walk_fails(&ctx, 0x40200000, &res, WALK_RESERVED_BIT, 2);
	put(pde, 0x200000 | P | PS | PAT_LARGE, 8);
	walk_ok(&ctx, 0x40200000, &res, 0x200000, 2 * MIB);

	/* With MAXPHYADDR 52 nothing below bit 52 is reserved. */
	ctx.maxphyaddr = 52;
	put(pde, 0xfffffffe00000ULL | P | PS, 8);
	walk_ok(&ctx, 0x40200000, &res, 0xfffffffe00000ULL, 2 * MIB);
}

static void test_outside_ram(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	struct walk_result res, ok;
	uint64_t pml4e;
	char text[96];

	map(&ctx, 0x1000, 0x1000, 1, P, TBL);
	walk_ok(&ctx, 0x1000, &ok, 0x1000, 4 * KIB);
	pml4e = ok.steps[0].entry_gpa;

	/* A PDPT exactly at the end of RAM... */
	put(pml4e, RAM | TBL, 8);
	walk_fails(&ctx, 0x1000, &res, WALK_TABLE_OUTSIDE_RAM, 3);
	assert_int_equal(res.nr_steps, 1);
	snprintf(text, sizeof(text), "points to gpa 0x%llx outside guest RAM",
		 (unsigned long long)RAM);
	assert_non_null(strstr(res.why, text));
	assert_non_null(strstr(res.why, "PML4E"));
	/* ...is outside; one page lower it is RAM (and all zero). */
	put(pml4e, (RAM - 4 * KIB) | TBL, 8);
	walk_fails(&ctx, 0x1000, &res, WALK_NOT_PRESENT, 3);
	assert_int_equal(res.steps[1].entry_gpa, RAM - 4 * KIB);
	/* Far away, as high as MAXPHYADDR allows. */
	put(pml4e, 0x3ffffffff000ULL | TBL, 8);
	walk_fails(&ctx, 0x1000, &res, WALK_TABLE_OUTSIDE_RAM, 3);

	/* CR3 itself outside RAM. */
	ctx.cr3 = 0x100000000ULL;
	walk_fails(&ctx, 0x1000, &res, WALK_TABLE_OUTSIDE_RAM, 4);
	assert_int_equal(res.nr_steps, 0);
	assert_non_null(strstr(res.why, "CR3"));

	/* PAE: a PDPT in the last 32 bytes of RAM, and just past them. */
	ctx = mkctx_m(PAGING_PAE, RAM - 0x20, 36, false);
	walk_fails(&ctx, 0xc0000000, &res, WALK_NOT_PRESENT, 3);
	assert_int_equal(res.steps[0].entry_gpa, RAM - 8);
	ctx.cr3 = RAM;
	walk_fails(&ctx, 0xc0000000, &res, WALK_TABLE_OUTSIDE_RAM, 3);

	/* 32-bit: a PDE pointing past the end of RAM. */
	ctx = mkctx(PAGING_32BIT);
	put(root(&ctx), RAM | P, 4);
	walk_fails(&ctx, 0x1000, &res, WALK_TABLE_OUTSIDE_RAM, 1);
	assert_non_null(strstr(res.why, "PDE 0x4000001 at gpa"));
}

static void test_self_reference(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	uint64_t pml4 = root(&ctx);
	struct collect c = { 0 };
	struct mappings_stats st;
	struct walk_result res;
	int i;

	/* Every PML4E points back at the PML4: a recursive mapping. */
	for (i = 0; i < 512; i++)
		put(pml4 + i * 8, pml4 | TBL, 8);
	/* The walk uses the PML4 at every level and ends at level 1. */
	walk_ok(&ctx, 0x1234, &res, pml4 + 0x234, 4 * KIB);
	for (i = 0; i < 4; i++)
		assert_int_equal(res.steps[i].table_gpa, pml4);
	walk_ok(&ctx, 0xffffffffffffffffULL, &res, pml4 + 0xfff, 4 * KIB);

	/* 512^4 pages: only the budget stops the enumerator. */
	assert_int_equal(
		pagewalk_mappings(&mem, &ctx, 10000, collect_cb, &c, &st), 0);
	assert_true(st.truncated);
	assert_int_equal(st.entries_visited, 10000);
	assert_true(st.leaves > 0 && st.leaves < 10000);
	assert_int_equal(st.mappings, (uint64_t)c.n);
	/* Every page maps the PML4 page: adjacent VAs, same PA. */
	assert_int_equal(c.n, (int)st.leaves);
	check_mapping(&c.m[0], 0, pml4, 4 * KIB, 4 * KIB, true, true, true);
	check_mapping(&c.m[1], 4 * KIB, pml4, 4 * KIB, 4 * KIB, true, true,
		      true);

	/* The default budget also stops it. */
	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, &st),
			 0);
	assert_true(st.truncated);
	assert_int_equal(st.entries_visited, PAGEWALK_DEFAULT_BUDGET);
}

static void test_mappings_coalesce(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	struct collect c = { 0 };
	struct mappings_stats st;

	/* Adjacent VA and PA, same permissions: one range. */
	map(&ctx, 0x400000, 0x200000, 1, P | RW | US, TBL);
	map(&ctx, 0x401000, 0x201000, 1, P | RW | US | ACC | DIRTY, TBL);
	/* Next page read-only: a new range. */
	map(&ctx, 0x402000, 0x202000, 1, P | US, TBL);
	/* Adjacent VA, PA not adjacent: a new range. */
	map(&ctx, 0x403000, 0x900000, 1, P | US, TBL);
	/* Gap in VA. */
	map(&ctx, 0x405000, 0x901000, 1, P | US, TBL);
	/* A 2 MiB page followed by a 4 KiB page: one range, mixed sizes. */
	map(&ctx, 0x40000000, 0x1000000, 2, P | RW, TBL);
	map(&ctx, 0x40200000, 0x1200000, 1, P | RW, TBL);
	/* XD makes another difference. */
	map(&ctx, 0x40201000, 0x1201000, 1, P | RW | XD, TBL);

	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, &st),
			 0);
	assert_int_equal(c.n, 6);
	check_mapping(&c.m[0], 0x400000, 0x200000, 8 * KIB, 4 * KIB, true, true,
		      true);
	check_mapping(&c.m[1], 0x402000, 0x202000, 4 * KIB, 4 * KIB, false,
		      true, true);
	check_mapping(&c.m[2], 0x403000, 0x900000, 4 * KIB, 4 * KIB, false,
		      true, true);
	check_mapping(&c.m[3], 0x405000, 0x901000, 4 * KIB, 4 * KIB, false,
		      true, true);
	check_mapping(&c.m[4], 0x40000000, 0x1000000, 2 * MIB + 4 * KIB, 0,
		      true, false, true);
	check_mapping(&c.m[5], 0x40201000, 0x1201000, 4 * KIB, 4 * KIB, true,
		      false, false);
	assert_int_equal(st.leaves, 8);
	assert_int_equal(st.mappings, 6);
	assert_false(st.truncated);
	assert_int_equal(st.tables_outside_ram, 0);

	/* The callback can stop the walk; its value comes back. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, NULL),
			 42);
	assert_int_equal(c.n, 2);
}

static void test_mappings_skips(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	struct walk_result ok;
	struct collect c = { 0 };
	struct mappings_stats st;

	map(&ctx, 0x1000, 0x1000, 1, P | RW, TBL);
	map(&ctx, 0x8000000000ULL, 0x2000, 1, P | RW, TBL);
	map(&ctx, 0x10000000000ULL, 0x3000, 1, P | RW, TBL);
	/* PML4E 1 points outside RAM, PML4E 2 has PS set. */
	walk_ok(&ctx, 0x8000000000ULL, &ok, 0x2000, 4 * KIB);
	put(ok.steps[0].entry_gpa, 0x7ff000000ULL | TBL, 8);
	walk_ok(&ctx, 0x10000000000ULL, &ok, 0x3000, 4 * KIB);
	put(ok.steps[0].entry_gpa, ok.steps[0].entry | PS, 8);

	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, &st),
			 0);
	assert_int_equal(c.n, 1);
	check_mapping(&c.m[0], 0x1000, 0x1000, 4 * KIB, 4 * KIB, true, false,
		      true);
	assert_int_equal(st.tables_outside_ram, 1);
	assert_int_equal(st.reserved_entries, 1);
	/* PML4, then PDPT+PD+PT of the one good walk, then 1 failed read. */
	assert_int_equal(st.entries_visited, 512 * 4 + 1);

	/* CR3 outside RAM: nothing, and no error. */
	ctx.cr3 = RAM;
	memset(&c, 0, sizeof(c));
	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, &st),
			 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(st.tables_outside_ram, 1);
	assert_int_equal(st.entries_visited, 1);
}

static void test_mappings_modes(void **state)
{
	struct paging_ctx ctx;
	struct collect c = { 0 };
	struct mappings_stats st;

	/* 32-bit: a PSE-36 4 MiB page and two 4 KiB pages. */
	ctx = mkctx_m(PAGING_32BIT, new_table(), 40, false);
	map(&ctx, 0xffc00000, 0x1200400000ULL, 2, P | RW | US, TBL);
	map(&ctx, 0x3000, 0x7000, 1, P, TBL);
	map(&ctx, 0x4000, 0x8000, 1, P, TBL);
	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, &st),
			 0);
	assert_int_equal(c.n, 2);
	check_mapping(&c.m[0], 0x3000, 0x7000, 8 * KIB, 4 * KIB, false, false,
		      true);
	check_mapping(&c.m[1], 0xffc00000, 0x1200400000ULL, 4 * MIB, 4 * MIB,
		      true, true, true);

	/* PAE: pages under three PDPTEs, in VA order. */
	memset(&c, 0, sizeof(c));
	ctx = mkctx_m(PAGING_PAE, new_table(), 36, false);
	map(&ctx, 0xc0000000, 0x5000, 1, P | RW, TBL);
	map(&ctx, 0x3fe00000, 0x600000, 2, P | RW | XD, TBL);
	map(&ctx, 0x40000000, 0x800000, 2, P | RW | XD, TBL);
	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, &st),
			 0);
	/* Coalesced across two PDPTEs. */
	assert_int_equal(c.n, 2);
	check_mapping(&c.m[0], 0x3fe00000, 0x600000, 4 * MIB, 2 * MIB, true,
		      false, false);
	check_mapping(&c.m[1], 0xc0000000, 0x5000, 4 * KIB, 4 * KIB, true,
		      false, true);
	assert_int_equal(st.entries_visited, 4 + 3 * 512 + 512);

	/* 5-level: a 1 GiB page in the upper half. */
	memset(&c, 0, sizeof(c));
	ctx = mkctx(PAGING_5LEVEL);
	map(&ctx, 0xff00000040000000ULL, 0x40000000, 3, P | RW, TBL);
	map(&ctx, 0xff00000080000000ULL, 0x80000000, 3, P | RW, TBL);
	assert_int_equal(pagewalk_mappings(&mem, &ctx, 0, collect_cb, &c, &st),
			 0);
	assert_int_equal(c.n, 1);
	check_mapping(&c.m[0], 0xff00000040000000ULL, 0x40000000, 2 * GIB, GIB,
		      true, false, true);
}

static void test_budget_exact(void **state)
{
	struct paging_ctx ctx = mkctx(PAGING_4LEVEL);
	struct collect c = { 0 };
	struct mappings_stats st;

	map(&ctx, 0x1000, 0x1000, 1, P, TBL);
	/* The whole walk needs exactly 4 tables of 512 entries. */
	assert_int_equal(
		pagewalk_mappings(&mem, &ctx, 2048, collect_cb, &c, &st), 0);
	assert_false(st.truncated);
	assert_int_equal(c.n, 1);
	/* One less: the pending range is still reported. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(
		pagewalk_mappings(&mem, &ctx, 2047, collect_cb, &c, &st), 0);
	assert_true(st.truncated);
	assert_int_equal(c.n, 1);
	assert_int_equal(st.entries_visited, 2047);
}

static void test_flags_str(void **state)
{
	char buf[64];
	size_t n;

	n = pagewalk_flags_str(P | RW | US | ACC | DIRTY | GLB | XD, 1,
			       PAGING_4LEVEL, buf, sizeof(buf));
	assert_string_equal(buf, "P RW US A D G XD");
	assert_int_equal(n, strlen(buf));

	/* D and G are ignored in table pointers. */
	pagewalk_flags_str(P | RW | DIRTY | GLB | PWT | PCD, 2, PAGING_4LEVEL,
			   buf, sizeof(buf));
	assert_string_equal(buf, "P RW PWT PCD");

	pagewalk_flags_str(P | PS | DIRTY | PAT_LARGE | (3ULL << 59), 3,
			   PAGING_4LEVEL, buf, sizeof(buf));
	assert_string_equal(buf, "P D PS PAT PK=3");
	pagewalk_flags_str(P | PS, 1, PAGING_4LEVEL, buf, sizeof(buf));
	assert_string_equal(buf, "P PAT");
	pagewalk_flags_str(P | PS, 4, PAGING_4LEVEL, buf, sizeof(buf));
	assert_string_equal(buf, "P PS");

	/* PAE PDPTE: only P, PWT and PCD mean something. */
	pagewalk_flags_str(P | PCD | XD, 3, PAGING_PAE, buf, sizeof(buf));
	assert_string_equal(buf, "P PCD");
	/* 32-bit entries have no bit 63, no protection keys. */
	pagewalk_flags_str(P | US | PS | XD | (3ULL << 59), 2, PAGING_32BIT,
			   buf, sizeof(buf));
	assert_string_equal(buf, "P US PS");

	pagewalk_flags_str(RW | US, 1, PAGING_4LEVEL, buf, sizeof(buf));
	assert_string_equal(buf, "not present");

	/* Like snprintf: truncated output, full length returned. */
	n = pagewalk_flags_str(P | RW | US, 1, PAGING_4LEVEL, buf, 4);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "P R");
	assert_int_equal(pagewalk_flags_str(P, 1, PAGING_4LEVEL, NULL, 0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_ctx_init),	   T(test_invalid_ctx),
		T(test_no_paging),	   T(test_4level_4k),
		T(test_4level_large),	   T(test_5level),
		T(test_high_half),	   T(test_pae),
		T(test_pae_reserved),	   T(test_32bit),
		T(test_32bit_no_pse),	   T(test_pse36),
		T(test_permissions),	   T(test_notes),
		T(test_not_present),	   T(test_reserved_4level),
		T(test_outside_ram),	   T(test_self_reference),
		T(test_mappings_coalesce), T(test_mappings_skips),
		T(test_mappings_modes),	   T(test_budget_exact),
		T(test_flags_str),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
