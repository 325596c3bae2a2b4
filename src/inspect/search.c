// SPDX-License-Identifier: GPL-2.0
/*
 * The search-memory scanner; the strategy is described in search.h.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "inspect/search.h"
#include "util/pagemap.h"

/*
 * Rough commonness of byte values in a running guest's RAM: zero pages
 * dominate, then 0xff fill, ASCII text (space and lower-case letters by
 * English frequency), newlines, and the bytes of x86-64 code and kernel
 * pointers (REX.W 0x48, mov 0x89/0x8b, 0x0f escapes, call 0xe8, int3
 * padding 0xcc, the 0xff/0x88/0x80 of direct-map addresses). Only the
 * order matters: the scanner memchr()s for the pattern byte that scores
 * lowest. Unlisted values (most bytes >= 0x80) score 0.
 */
static const uint8_t commonness[256] = {
	[0x00] = 255, [0xff] = 240, [0x20] = 220, [0x01] = 200, [0x0a] = 180,
	[0x02] = 170, [0x80] = 165, [0x04] = 160, [0x08] = 160, [0x03] = 150,
	[0x10] = 150, [0x89] = 150, [0x8b] = 150, [0xcc] = 150, [0x0f] = 145,
	[0x88] = 140, [0xe8] = 135, [0xfe] = 130, [0x83] = 130, [0x85] = 125,
	[0x90] = 125, [0xc3] = 120, [0x05] = 120, [0x06] = 115, [0x18] = 115,
	[0x07] = 110, [0x7f] = 110, [0xc7] = 110, [0x8d] = 110, [0x0c] = 100,
	[0x81] = 100, [0xc0] = 100, [0xf0] = 95,  [0x0d] = 90,

	['e'] = 200,  ['t'] = 190,  ['a'] = 185,  ['o'] = 180,	['i'] = 180,
	['n'] = 180,  ['s'] = 175,  ['r'] = 175,  ['h'] = 165,	['l'] = 165,
	['d'] = 160,  ['c'] = 155,  ['u'] = 150,  ['m'] = 145,	['f'] = 140,
	['p'] = 140,  ['g'] = 135,  ['w'] = 130,  ['y'] = 130,	['b'] = 125,
	['v'] = 115,  ['k'] = 105,  ['x'] = 95,	  ['j'] = 80,	['q'] = 75,
	['z'] = 75,   ['_'] = 130,  ['.'] = 125,  ['/'] = 115,	[','] = 110,
	['-'] = 110,  [':'] = 100,  ['='] = 95,	  ['('] = 95,	[')'] = 95,
	['"'] = 90,   ['\''] = 80,  [';'] = 85,	  ['*'] = 80,	['#'] = 75,
	['%'] = 80,   ['<'] = 70,   ['>'] = 70,	  ['['] = 70,	[']'] = 70,
	['{'] = 65,   ['}'] = 65,   ['+'] = 70,	  ['\t'] = 95,	['!'] = 60,
	['&'] = 60,   ['?'] = 55,   ['@'] = 145,  ['\\'] = 55,	['|'] = 55,
	['~'] = 50,   ['^'] = 45,   ['`'] = 45,	  ['$'] = 105,

	['0'] = 110,  ['1'] = 100,  ['2'] = 100,  ['3'] = 95,	['4'] = 95,
	['5'] = 90,   ['6'] = 90,   ['7'] = 85,	  ['8'] = 90,	['9'] = 85,

	['A'] = 105,  ['B'] = 80,   ['C'] = 95,	  ['D'] = 100,	['E'] = 100,
	['F'] = 90,   ['G'] = 75,   ['H'] = 170,  ['I'] = 95,	['J'] = 50,
	['K'] = 60,   ['L'] = 100,  ['M'] = 85,	  ['N'] = 90,	['O'] = 90,
	['P'] = 90,   ['Q'] = 45,   ['R'] = 90,	  ['S'] = 100,	['T'] = 100,
	['U'] = 80,   ['V'] = 65,   ['W'] = 65,	  ['X'] = 60,	['Y'] = 50,
	['Z'] = 45,
};

unsigned int search_byte_commonness(uint8_t byte)
{
	return commonness[byte];
}

void search_prepare(struct search_pattern *sp, const uint8_t *pat, size_t plen)
{
	size_t i;

	memset(sp, 0, sizeof(*sp));
	sp->bytes = pat;
	sp->len = plen;
	sp->uniform = true;
	for (i = 0; i < plen; i++) {
		if (pat[i] != pat[0])
			sp->uniform = false;
		if (commonness[pat[i]] < commonness[pat[sp->rare]])
			sp->rare = i;
	}
	/*
	 * The guard is the rarest byte elsewhere in the pattern; one with a
	 * different value filters better, since a memchr hit already says
	 * that the rare value is present.
	 */
	sp->guard = sp->rare;
	for (i = 0; i < plen; i++) {
		unsigned int c, best;

		if (i == sp->rare)
			continue;
		if (sp->guard == sp->rare) {
			sp->guard = i;
			continue;
		}
		c = commonness[pat[i]] + (pat[i] == pat[sp->rare] ? 256 : 0);
		best = commonness[pat[sp->guard]] +
		       (pat[sp->guard] == pat[sp->rare] ? 256 : 0);
		if (c < best)
			sp->guard = i;
	}
}

struct scan_state {
	search_cb cb;
	void *opaque;
	bool calling; /* false once the callback asked to count only */
	bool stopped;
	uint64_t count;
};

/* One match at off; false when the scan must end. */
static bool found(struct scan_state *st, size_t off)
{
	st->count++;
	if (!st->calling)
		return true;
	switch (st->cb(st->opaque, off)) {
	case SEARCH_CONTINUE:
		return true;
	case SEARCH_COUNT_ONLY:
		st->calling = false;
		return true;
	default:
		st->stopped = true;
		return false;
	}
}

/* 16 bytes compared at once: SSE2 on any x86-64, NEON elsewhere. */
typedef uint8_t bytes16 __attribute__((vector_size(16)));

/* First offset at or after from (up to len) whose byte is not b. */
static size_t run_end(const uint8_t *p, size_t from, size_t len, uint8_t b)
{
	bytes16 splat;
	size_t i = from;

	memset(&splat, b, sizeof(splat));
	while (len - i >= 64) {
		bytes16 v[4];
		uint64_t w[2];

		memcpy(v, p + i, sizeof(v));
		/* Lanes are all-ones where equal: AND four compares. */
		v[0] = (bytes16)((v[0] == splat) & (v[1] == splat) &
				 (v[2] == splat) & (v[3] == splat));
		memcpy(w, &v[0], sizeof(w));
		if ((w[0] & w[1]) != UINT64_MAX)
			break;
		i += 64;
	}
	while (i < len && p[i] == b)
		i++;
	return i;
}

/*
 * A pattern of one repeated byte matches at every offset of a run of that
 * byte that leaves room for the pattern: count whole runs, so a gigabyte
 * of zero pages costs one pass, not one callback per byte once the caller
 * only counts.
 */
static void scan_uniform(struct scan_state *st, const struct search_pattern *sp,
			 const uint8_t *hay, size_t len)
{
	const uint8_t b = sp->bytes[0];
	const size_t plen = sp->len;
	size_t pos = 0;

	while (len - pos >= plen) {
		const uint8_t *hit = memchr(hay + pos, b, len - pos - plen + 1);
		size_t s, e, n, k;

		if (!hit)
			return;
		s = (size_t)(hit - hay);
		/* No match can cover a byte that differs: skip past it. */
		if (hay[s + plen - 1] != b) {
			pos = s + plen;
			continue;
		}
		e = run_end(hay, s + 1, len, b);
		pos = e;
		if (e - s < plen)
			continue;
		n = e - s - plen + 1;
		if (!st->calling) {
			st->count += n;
			continue;
		}
		for (k = 0; k < n; k++) {
			if (!found(st, s + k))
				return;
			if (!st->calling) {
				st->count += n - k - 1;
				break;
			}
		}
	}
}

/* Matches starting in [from, to), with glibc's memmem. */
static bool scan_memmem(struct scan_state *st, const struct search_pattern *sp,
			const uint8_t *hay, size_t from, size_t to)
{
	size_t s = from;

	while (s < to) {
		const uint8_t *m = memmem(hay + s, to - s + sp->len - 1,
					  sp->bytes, sp->len);

		if (!m)
			break;
		s = (size_t)(m - hay);
		if (!found(st, s))
			return false;
		s++;
	}
	return true;
}

/*
 * When memchr stops more often than once per DENSE_BYTES / DENSE_HITS
 * bytes, the "rare" byte is common here: let memmem, whose cost does not
 * depend on one byte's frequency, take the next DENSE_SPAN bytes.
 */
#define DENSE_HITS 32
#define DENSE_BYTES 512
#define DENSE_SPAN (64 * 1024)

static void scan_general(struct scan_state *st, const struct search_pattern *sp,
			 const uint8_t *hay, size_t len)
{
	const uint8_t *pat = sp->bytes;
	const size_t plen = sp->len, rare = sp->rare, guard = sp->guard;
	const size_t nr_starts = len - plen + 1;
	const uint8_t r = pat[rare], g = pat[guard];
	size_t start = 0, win_from = 0;
	unsigned int hits = 0;

	while (start < nr_starts) {
		const uint8_t *hit =
			memchr(hay + start + rare, r, nr_starts - start);
		size_t s, end;

		if (!hit)
			return;
		s = (size_t)(hit - hay) - rare;
		if (hay[s + guard] == g && !memcmp(hay + s, pat, plen) &&
		    !found(st, s))
			return;
		start = s + 1;
		if (++hits < DENSE_HITS)
			continue;
		if (start - win_from > DENSE_BYTES) {
			win_from = start;
			hits = 0;
			continue;
		}
		end = nr_starts - start > DENSE_SPAN ? start + DENSE_SPAN :
						       nr_starts;
		if (!scan_memmem(st, sp, hay, start, end))
			return;
		start = end;
		win_from = start;
		hits = 0;
	}
}

uint64_t search_scan(const struct search_pattern *sp, const uint8_t *hay,
		     size_t len, search_cb cb, void *opaque, bool *stopped)
{
	struct scan_state st = {
		.cb = cb,
		.opaque = opaque,
		.calling = cb != NULL,
	};

	if (sp->len && len >= sp->len) {
		if (sp->uniform)
			scan_uniform(&st, sp, hay, len);
		else
			scan_general(&st, sp, hay, len);
	}
	if (stopped)
		*stopped = st.stopped;
	return st.count;
}

uint64_t search_buffer(const uint8_t *hay, size_t len, const uint8_t *pat,
		       size_t plen, search_cb cb, void *opaque)
{
	struct search_pattern sp;

	if (!plen)
		return 0;
	search_prepare(&sp, pat, plen);
	return search_scan(&sp, hay, len, cb, opaque, NULL);
}

struct scan_windows {
	const struct search_pattern *sp;
	const uint8_t *hay;
	size_t len;
	search_cb cb;
	void *opaque;
	size_t lo, hi; /* pending window; hi == 0: none */
	size_t shift; /* offset of the window being scanned */
	uint64_t count;
	bool count_only, stopped;
};

/* Report window-relative offsets to the caller as hay-relative ones. */
static enum search_next window_cb(void *opaque, size_t off)
{
	struct scan_windows *w = opaque;
	enum search_next next = w->cb(w->opaque, w->shift + off);

	if (next == SEARCH_COUNT_ONLY)
		w->count_only = true;
	return next;
}

static void flush_window(struct scan_windows *w)
{
	bool stopped = false;

	if (w->hi > w->lo && !w->stopped) {
		w->shift = w->lo;
		w->count +=
			search_scan(w->sp, w->hay + w->lo, w->hi - w->lo,
				    w->cb && !w->count_only ? window_cb : NULL,
				    w, &stopped);
		w->stopped = stopped;
	}
	w->lo = w->hi = 0;
}

/* Bytes [pstart, pend) of hay (pstart may be < 0) hold data. */
static void add_populated(struct scan_windows *w, int64_t pstart, int64_t pend)
{
	int64_t ext = (int64_t)w->sp->len - 1;
	size_t lo = pstart - ext < 0 ? 0 : (size_t)(pstart - ext);
	size_t hi = (uint64_t)(pend + ext) > w->len ? w->len :
						      (size_t)(pend + ext);

	if (w->hi && lo <= w->hi) {
		if (hi > w->hi)
			w->hi = hi;
		return;
	}
	flush_window(w);
	w->lo = lo;
	w->hi = hi;
}

/* A populated run of hay, from util/pagemap. */
static int populated_run(void *opaque, size_t off, size_t len)
{
	struct scan_windows *w = opaque;

	add_populated(w, (int64_t)off, (int64_t)(off + len));
	return w->stopped;
}

uint64_t search_scan_populated(const struct search_pattern *sp,
			       const uint8_t *hay, size_t len, search_cb cb,
			       void *opaque)
{
	struct scan_windows w = {
		.sp = sp, .hay = hay, .len = len, .cb = cb, .opaque = opaque
	};
	bool all_zero = true;
	size_t i;

	if (!len || !sp->len)
		return 0;
	for (i = 0; i < sp->len; i++)
		all_zero &= !sp->bytes[i];
	if (all_zero)
		add_populated(&w, 0, (int64_t)len);
	else
		pagemap_for_each_populated(hay, len, populated_run, &w);
	flush_window(&w);
	return w.count;
}
