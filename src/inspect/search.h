/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Byte-pattern scanner for "search-memory": a pure function over a host
 * buffer (guest RAM is scanned in place, never copied), so it can be unit
 * tested against a naive search and benchmarked against glibc's memmem.
 *
 * Strategy: guest RAM is mostly zero pages, code and text, so a pattern
 * nearly always contains a byte that is rare in RAM. memchr (vectorised
 * in glibc, running at memory bandwidth) looks for that byte; a second
 * rare byte at its own offset filters the hits before memcmp confirms.
 * When the "rare" byte turns out to be common in this data, the scanner
 * switches to memmem for a stretch, so a bad guess costs a constant
 * factor, not a collapse. A pattern of one repeated byte (all zeros, say)
 * is matched by measuring runs of that byte, so counting the matches of
 * "00 00 00 00" over a gigabyte of zero pages stays fast.
 *
 * Every match is reported, overlapping ones included ("aa" occurs three
 * times in "aaaa"), in increasing offset order.
 */
#ifndef KVMSCOPE_INSPECT_SEARCH_H
#define KVMSCOPE_INSPECT_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a match callback asks of the scanner. */
enum search_next {
	SEARCH_CONTINUE, /* report the next match too */
	SEARCH_COUNT_ONLY, /* keep counting matches, stop calling back */
	SEARCH_STOP, /* return now */
};

typedef enum search_next (*search_cb)(void *opaque, size_t offset);

/* A pattern analysed once, then scanned over any number of buffers. */
struct search_pattern {
	const uint8_t *bytes; /* not copied: must outlive the scans */
	size_t len;
	size_t rare; /* offset of the byte memchr looks for */
	size_t guard; /* offset of the second filter byte */
	bool uniform; /* every byte equal to bytes[0] */
};

/* Analyse pat (plen >= 1); pat must stay valid while sp is used. */
void search_prepare(struct search_pattern *sp, const uint8_t *pat, size_t plen);

/*
 * Report every occurrence of the pattern in hay[0, len) to cb (may be
 * NULL: count only). Returns the number of matches found, which includes
 * those after SEARCH_COUNT_ONLY and stops at the one SEARCH_STOP was
 * returned for. *stopped (may be NULL) tells whether SEARCH_STOP ended
 * the scan.
 */
uint64_t search_scan(const struct search_pattern *sp, const uint8_t *hay,
		     size_t len, search_cb cb, void *opaque, bool *stopped);

/*
 * search_scan over host memory that may be partly never populated (guest
 * RAM): pages the kernel has never backed read as zeros, so with a pattern
 * holding a non-zero byte only windows around populated or swapped pages
 * (per /proc/self/pagemap, extended by plen - 1 bytes on each side) are
 * scanned; an all-zero pattern, or an unreadable pagemap, scans it all.
 * Offsets passed to cb are relative to hay. Returns the match count.
 */
uint64_t search_scan_populated(const struct search_pattern *sp,
			       const uint8_t *hay, size_t len, search_cb cb,
			       void *opaque);

/* search_prepare + search_scan for one buffer; 0 matches for plen 0. */
uint64_t search_buffer(const uint8_t *hay, size_t len, const uint8_t *pat,
		       size_t plen, search_cb cb, void *opaque);

/*
 * How common a byte value is in typical guest RAM, 0 (rare) to 255 (zero
 * pages). Exposed for tests and the benchmark.
 */
unsigned int search_byte_commonness(uint8_t byte);

#endif
