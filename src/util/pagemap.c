// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/self/pagemap walker (Documentation/admin-guide/mm/pagemap.rst):
 * one 64-bit entry per virtual page, bit 63 present, bit 62 swapped.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "util/pagemap.h"

#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_SWAPPED (1ULL << 62)
#define PM_PAGE 4096UL
#define PM_CHUNK 1024 /* entries per pread: 4 MiB of address space */

struct run {
	int (*fn)(void *opaque, size_t off, size_t len);
	void *opaque;
	size_t size;
	bool open;
	size_t lo, hi;
};

/* Bytes [lo, hi) of the range are populated; merge with the open run. */
static int add(struct run *r, int64_t lo, int64_t hi)
{
	size_t l = lo < 0 ? 0 : (size_t)lo;
	size_t h = (uint64_t)hi > r->size ? r->size : (size_t)hi;
	int ret = 0;

	if (r->open && l <= r->hi) {
		if (h > r->hi)
			r->hi = h;
		return 0;
	}
	if (r->open)
		ret = r->fn(r->opaque, r->lo, r->hi - r->lo);
	r->open = true;
	r->lo = l;
	r->hi = h;
	return ret;
}

int pagemap_for_each_populated(const void *addr, size_t size,
			       int (*fn)(void *opaque, size_t off, size_t len),
			       void *opaque)
{
	struct run r = { .fn = fn, .opaque = opaque, .size = size };
	uintptr_t first = (uintptr_t)addr & ~(PM_PAGE - 1);
	uint64_t ents[PM_CHUNK];
	size_t npages, done = 0, i;
	int fd, ret = 0;

	if (!size)
		return 0;
	npages = ((uintptr_t)addr + size - first + PM_PAGE - 1) / PM_PAGE;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fn(opaque, 0, size);
	while (done < npages && !ret) {
		size_t n = npages - done;
		ssize_t got;

		if (n > PM_CHUNK)
			n = PM_CHUNK;
		got = pread(fd, ents, n * 8,
			    (off_t)((first / PM_PAGE + done) * 8));
		if (got <= 0) {
			/* Unreadable from here on: the rest is one run. */
			ret = add(&r,
				  (int64_t)(first + done * PM_PAGE) -
					  (int64_t)(uintptr_t)addr,
				  (int64_t)size);
			break;
		}
		n = (size_t)got / 8;
		for (i = 0; i < n && !ret; i++) {
			int64_t p = (int64_t)(first + (done + i) * PM_PAGE) -
				    (int64_t)(uintptr_t)addr;

			if (ents[i] & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED))
				ret = add(&r, p, p + (int64_t)PM_PAGE);
		}
		done += n;
	}
	close(fd);
	if (!ret && r.open)
		ret = fn(opaque, r.lo, r.hi - r.lo);
	return ret;
}
