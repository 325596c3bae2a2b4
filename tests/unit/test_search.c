// SPDX-License-Identifier: GPL-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "inspect/search.h"

#define MAX_HITS 400000

struct hits {
	size_t off[MAX_HITS];
	size_t n;
	size_t limit; /* callback answer changes after this many */
	enum search_next after; /* ... to this */
};

static struct hits got, want;

static enum search_next record(void *opaque, size_t off)
{
	struct hits *h = opaque;

	assert_true(h->n < MAX_HITS);
	h->off[h->n++] = off;
	if (h->limit && h->n >= h->limit)
		return h->after;
	return SEARCH_CONTINUE;
}

static void naive(const uint8_t *hay, size_t len, const uint8_t *pat,
		  size_t plen, struct hits *h)
{
	size_t i;

	h->n = 0;
	if (!plen || len < plen)
		return;
	for (i = 0; i + plen <= len; i++)
		if (!memcmp(hay + i, pat, plen)) {
			assert_true(h->n < MAX_HITS);
			h->off[h->n++] = i;
		}
}

/* Scanner and naive search agree on every offset. */
static void check(const uint8_t *hay, size_t len, const uint8_t *pat,
		  size_t plen)
{
	uint64_t count;
	size_t i;

	memset(&got, 0, sizeof(got));
	naive(hay, len, pat, plen, &want);
	count = search_buffer(hay, len, pat, plen, record, &got);
	assert_int_equal(count, want.n);
	assert_int_equal(got.n, want.n);
	for (i = 0; i < want.n; i++)
		assert_int_equal(got.off[i], want.off[i]);
	/* Counting without a callback gives the same total. */
	assert_int_equal(search_buffer(hay, len, pat, plen, NULL, NULL),
			 want.n);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_start_end_overlap_none(void **state)
{
	const uint8_t hay[] = "abcXYZabcXYabcXYZ";
	const size_t len = sizeof(hay) - 1;

	check(hay, len, (const uint8_t *)"abc", 3); /* at the start */
	assert_int_equal(want.n, 3);
	assert_int_equal(want.off[0], 0);
	check(hay, len, (const uint8_t *)"XYZ", 3); /* at the very end */
	assert_int_equal(want.off[want.n - 1], len - 3);
	check(hay, len, (const uint8_t *)"Q", 1); /* none */
	assert_int_equal(want.n, 0);
	check(hay, len, (const uint8_t *)"abcXYZabcXYabcXYZ!", 18);
	assert_int_equal(want.n, 0); /* longer than the haystack */
	check(hay, len, hay, len); /* the whole haystack */
	assert_int_equal(want.n, 1);

	check((const uint8_t *)"aaaa", 4, (const uint8_t *)"aa", 2);
	assert_int_equal(want.n, 3); /* overlapping: 0, 1, 2 */
	check((const uint8_t *)"abababa", 7, (const uint8_t *)"aba", 3);
	assert_int_equal(want.n, 3);
	check((const uint8_t *)"", 0, (const uint8_t *)"a", 1);
	assert_int_equal(search_buffer((const uint8_t *)"abc", 3,
				       (const uint8_t *)"", 0, NULL, NULL),
			 0);
}

static void test_one_byte_and_long_patterns(void **state)
{
	static uint8_t hay[1 << 16];
	uint8_t pat[300];
	size_t i;

	for (i = 0; i < sizeof(hay); i++)
		hay[i] = (uint8_t)next_rand();
	check(hay, sizeof(hay), (const uint8_t *)"\x5a", 1);
	assert_true(want.n > 100);
	check(hay, sizeof(hay), (const uint8_t *)"\x00", 1);

	/* A long pattern taken from the buffer, so it occurs at least once,
	 * and planted again straddling nothing but the end. */
	memcpy(pat, hay + 1000, sizeof(pat));
	memcpy(hay + sizeof(hay) - sizeof(pat), pat, sizeof(pat));
	check(hay, sizeof(hay), pat, sizeof(pat));
	assert_int_equal(want.n, 2);
	assert_int_equal(want.off[1], sizeof(hay) - sizeof(pat));
}

static void test_common_byte_patterns(void **state)
{
	static uint8_t hay[3 * 4096 + 100];
	uint8_t zeros[64] = { 0 };
	size_t i;

	/* Zero pages with a few non-zero bytes breaking the runs. */
	memset(hay, 0, sizeof(hay));
	hay[5] = 1;
	hay[4096] = 0xff;
	hay[4097 + 63] = 7;
	hay[sizeof(hay) - 1] = 9;
	for (i = 1; i <= sizeof(zeros); i *= 2)
		check(hay, sizeof(hay), zeros, i);
	check(hay, sizeof(hay), zeros, 63);
	check(hay, sizeof(hay), zeros, 64);

	/* 0xff, spaces: runs of other uniform values. */
	memset(hay + 100, 0xff, 5000);
	memset(hay + 6000, ' ', 3000);
	check(hay, sizeof(hay), (const uint8_t *)"\xff\xff\xff", 3);
	check(hay, sizeof(hay), (const uint8_t *)"    ", 4);
	/* Non-uniform patterns made only of common bytes. */
	check(hay, sizeof(hay), (const uint8_t *)"\x00\xff", 2);
	check(hay, sizeof(hay), (const uint8_t *)"\xff\xff \x20", 4);
	check(hay, sizeof(hay), (const uint8_t *)"\x00\x00\x00\x01", 4);
}

static void test_every_byte_as_rare_byte(void **state)
{
	static uint8_t hay[8192];
	struct search_pattern sp;
	unsigned int v;
	size_t i;

	for (v = 1; v < 256; v++) {
		/* 0x00 is the most common byte, so v must be picked. */
		uint8_t pat[5] = { 0, 0, (uint8_t)v, 0, 0 };

		search_prepare(&sp, pat, sizeof(pat));
		assert_int_equal(sp.rare, 2);
		assert_false(sp.uniform);
		for (i = 0; i < sizeof(hay); i++)
			hay[i] = next_rand() % 4 ? 0 : (uint8_t)next_rand();
		for (i = 0; i < 20; i++)
			memcpy(hay + next_rand() % (sizeof(hay) - 5), pat, 5);
		memcpy(hay, pat, 5);
		memcpy(hay + sizeof(hay) - 5, pat, 5);
		check(hay, sizeof(hay), pat, sizeof(pat));
		assert_true(want.n >= 2);
	}
	search_prepare(&sp, (const uint8_t *)"\0\0\0", 3);
	assert_true(sp.uniform);
}

/* Haystacks over small alphabets make the rare byte common and push the
 * scanner into its memmem fallback; all must agree with the naive search. */
static void test_random_against_naive(void **state)
{
	static uint8_t hay[200000];
	static const uint8_t alphabets[][4] = {
		{ 'x', 'e', 'x', 'e' }, /* two letters: dense candidates */
		{ 0, 1, 0, 0 },
		{ 0xab, 0xcd, 0x00, 0xef },
	};
	uint8_t pat[40];
	int round;

	for (round = 0; round < 120; round++) {
		size_t len = 1 + next_rand() % sizeof(hay);
		size_t plen = 1 + next_rand() % sizeof(pat);
		int kind = round % 4;
		size_t i;

		for (i = 0; i < len; i++)
			hay[i] = kind == 3 ? (uint8_t)next_rand() :
					     alphabets[kind][next_rand() % 4];
		if (plen > len)
			plen = len;
		if (round % 3) {
			memcpy(pat, hay + next_rand() % (len - plen + 1), plen);
		} else {
			for (i = 0; i < plen; i++)
				pat[i] =
					kind == 3 ?
						(uint8_t)next_rand() :
						alphabets[kind][next_rand() % 4];
		}
		check(hay, len, pat, plen);
	}
}

/* The "rare" byte everywhere: the fallback must neither lose nor repeat
 * matches at the boundaries of its memmem stretches. */
static void test_dense_fallback_boundaries(void **state)
{
	static uint8_t hay[300000];
	size_t i;

	for (i = 0; i < sizeof(hay); i++)
		hay[i] = 'x';
	for (i = 0; i < sizeof(hay) - 4; i += 997)
		memcpy(hay + i, "eeex", 4);
	for (i = 65536 - 8; i < sizeof(hay) - 4; i += 65536)
		memcpy(hay + i, "eeex", 4);
	check(hay, sizeof(hay), (const uint8_t *)"eeex", 4);
	check(hay, sizeof(hay), (const uint8_t *)"xeeex", 5);
	check(hay, sizeof(hay), (const uint8_t *)"xe", 2);
	check(hay, sizeof(hay), (const uint8_t *)"xxx", 3);
}

/* Uniform random bytes make every byte value common (one in 256), the
 * regime of RAM that is all data. Matches planted every 4093 bytes, in
 * clusters around 256 KiB boundaries and at the very end must all be
 * found, once each. */
static void test_uniform_random_megabyte(void **state)
{
	static uint8_t hay[1 << 20];
	static const uint8_t pat[] = "KVMSCOPE-PAIRS";
	const size_t plen = sizeof(pat) - 1;
	size_t i;

	for (i = 0; i < sizeof(hay); i++)
		hay[i] = (uint8_t)next_rand();
	for (i = 0; i + plen <= sizeof(hay); i += 4093)
		memcpy(hay + i, pat, plen);
	for (i = 1; i < 4; i++) {
		size_t k;

		for (k = 0; k < 40; k++)
			memcpy(hay + i * (256 << 10) - 20 + k * 17 % 40, pat,
			       plen);
	}
	memcpy(hay + sizeof(hay) - plen, pat, plen);
	check(hay, sizeof(hay), pat, plen);
	check(hay, sizeof(hay), pat + 3, 2);
}

static void test_callback_control(void **state)
{
	static uint8_t hay[10000];
	bool stopped = false;
	struct search_pattern sp;
	uint64_t n;

	memset(hay, 0, sizeof(hay));
	memset(&got, 0, sizeof(got));
	got.limit = 10;
	got.after = SEARCH_COUNT_ONLY;
	search_prepare(&sp, (const uint8_t *)"\0\0", 2);
	n = search_scan(&sp, hay, sizeof(hay), record, &got, &stopped);
	assert_int_equal(n, sizeof(hay) - 1);
	assert_int_equal(got.n, 10);
	assert_false(stopped);

	memset(&got, 0, sizeof(got));
	got.limit = 7;
	got.after = SEARCH_STOP;
	n = search_scan(&sp, hay, sizeof(hay), record, &got, &stopped);
	assert_int_equal(n, 7);
	assert_int_equal(got.n, 7);
	assert_true(stopped);

	/* Same through the general (non-uniform) path. */
	memcpy(hay + 100, "needle", 6);
	memcpy(hay + 200, "needle", 6);
	memcpy(hay + 300, "needle", 6);
	memset(&got, 0, sizeof(got));
	got.limit = 1;
	got.after = SEARCH_COUNT_ONLY;
	search_prepare(&sp, (const uint8_t *)"needle", 6);
	n = search_scan(&sp, hay, sizeof(hay), record, &got, &stopped);
	assert_int_equal(n, 3);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.off[0], 100);
	got.limit = 2;
	got.n = 0;
	got.after = SEARCH_STOP;
	n = search_scan(&sp, hay, sizeof(hay), record, &got, &stopped);
	assert_int_equal(n, 2);
	assert_true(stopped);
}

static enum search_next collect(void *opaque, size_t off)
{
	size_t *offs = opaque;

	if (offs[0] < 15)
		offs[++offs[0]] = off;
	return SEARCH_CONTINUE;
}

/*
 * Never-populated pages read as zeros and are skipped, but a match whose
 * non-zero part is in a populated page and whose zeros run into an
 * untouched page must still be found, at the right offset.
 */
static void test_populated_windows(void **state)
{
	const size_t pg = 4096, npages = 64;
	const uint8_t tail[] = { 'Q', 'Z', 0, 0, 0, 0 };
	const uint8_t head[] = { 0, 0, 0, 'J', 'X' };
	const uint8_t inside[] = { 'M', 'I', 'D' };
	struct search_pattern sp;
	size_t offs[16];
	uint8_t *buf;
	uint64_t n;

	(void)state;
	buf = mmap(NULL, npages * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	/* Pages 3 and 9 populated; their neighbours never touched. */
	memcpy(buf + 4 * pg - 2, "QZ", 2);
	memcpy(buf + 9 * pg, "JX", 2);
	memcpy(buf + 9 * pg + 100, "MID", 3);

	search_prepare(&sp, tail, sizeof(tail));
	offs[0] = 0;
	n = search_scan_populated(&sp, buf, npages * pg, collect, offs);
	assert_int_equal(n, 1);
	assert_int_equal(offs[1], 4 * pg - 2);

	search_prepare(&sp, head, sizeof(head));
	offs[0] = 0;
	n = search_scan_populated(&sp, buf, npages * pg, collect, offs);
	assert_int_equal(n, 1);
	assert_int_equal(offs[1], 9 * pg - 3);

	/* An unaligned start inside a page, as a gpa-start= clip gives. */
	search_prepare(&sp, inside, sizeof(inside));
	offs[0] = 0;
	n = search_scan_populated(&sp, buf + 17, npages * pg - 17, collect,
				  offs);
	assert_int_equal(n, 1);
	assert_int_equal(offs[1], 9 * pg + 100 - 17);

	/* All-zero patterns match in untouched pages too: scan everything,
	 * same count as a full search. */
	{
		const uint8_t zeros[8] = { 0 };
		uint64_t full;

		search_prepare(&sp, zeros, sizeof(zeros));
		n = search_scan_populated(&sp, buf, npages * pg, NULL, NULL);
		full = search_buffer(buf, npages * pg, zeros, sizeof(zeros),
				     NULL, NULL);
		assert_true(n > 0);
		assert_int_equal(n, full);
	}
	munmap(buf, npages * pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_end_overlap_none),
		cmocka_unit_test(test_one_byte_and_long_patterns),
		cmocka_unit_test(test_common_byte_patterns),
		cmocka_unit_test(test_every_byte_as_rare_byte),
		cmocka_unit_test(test_random_against_naive),
		cmocka_unit_test(test_uniform_random_megabyte),
		cmocka_unit_test(test_dense_fallback_boundaries),
		cmocka_unit_test(test_callback_control),
		cmocka_unit_test(test_populated_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
