// SPDX-License-Identifier: GPL-2.0
/*
 * util/pagemap: the runs of a fresh anonymous mapping that were touched,
 * merged across adjacent pages, clipped to a range that does not start or
 * end on a page boundary, and the early stop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "util/pagemap.h"

#define PG 4096UL
#define NPAGES 64

struct runs {
	size_t off[16], len[16];
	int n;
	int stop_after; /* 0: never */
};

static int record(void *opaque, size_t off, size_t len)
{
	struct runs *r = opaque;

	assert_true(r->n < 16);
	r->off[r->n] = off;
	r->len[r->n] = len;
	r->n++;
	return r->stop_after && r->n == r->stop_after ? 7 : 0;
}

static uint8_t *fresh(void)
{
	uint8_t *p = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static void test_touched_runs(void **state)
{
	uint8_t *p = fresh();
	struct runs r = { 0 };

	(void)state;
	p[3 * PG] = 1; /* pages 3 and 4: one run */
	p[4 * PG + 100] = 1;
	p[10 * PG + PG - 1] = 1;
	p[63 * PG] = 1;
	assert_int_equal(pagemap_for_each_populated(p, NPAGES * PG, record, &r),
			 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.off[0], 3 * PG);
	assert_int_equal(r.len[0], 2 * PG);
	assert_int_equal(r.off[1], 10 * PG);
	assert_int_equal(r.len[1], PG);
	assert_int_equal(r.off[2], 63 * PG);
	assert_int_equal(r.len[2], PG);
	munmap(p, NPAGES * PG);
}

static void test_clipped_and_untouched(void **state)
{
	uint8_t *p = fresh();
	struct runs r = { 0 };

	(void)state;
	assert_int_equal(pagemap_for_each_populated(p, NPAGES * PG, record, &r),
			 0);
	assert_int_equal(r.n, 0); /* nothing touched, nothing read */
	p[2 * PG] = 1;
	p[5 * PG] = 1;
	/* [2*PG + 10, 5*PG + 20): runs clipped at both ends */
	assert_int_equal(pagemap_for_each_populated(p + 2 * PG + 10,
						    3 * PG + 10, record, &r),
			 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.off[0], 0);
	assert_int_equal(r.len[0], PG - 10);
	assert_int_equal(r.off[1], 3 * PG - 10);
	assert_int_equal(r.len[1], 20);
	munmap(p, NPAGES * PG);
}

static void test_stops_at_first_nonzero(void **state)
{
	uint8_t *p = fresh();
	struct runs r = { .stop_after = 1 };

	(void)state;
	p[0] = 1;
	p[8 * PG] = 1;
	assert_int_equal(pagemap_for_each_populated(p, NPAGES * PG, record, &r),
			 7);
	assert_int_equal(r.n, 1);
	munmap(p, NPAGES * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_touched_runs),
		cmocka_unit_test(test_clipped_and_untouched),
		cmocka_unit_test(test_stops_at_first_nonzero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
