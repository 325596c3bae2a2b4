/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which pages of our own (guest RAM) mapping the host kernel has backed,
 * from /proc/self/pagemap. A page never touched by guest or VMM reads as
 * zeros: scanning or dumping it would only make the kernel map the zero
 * page there (and its page-table pages), so the search and the dump skip
 * such pages without reading them.
 */
#ifndef KVMSCOPE_UTIL_PAGEMAP_H
#define KVMSCOPE_UTIL_PAGEMAP_H

#include <stddef.h>

/*
 * Call fn(opaque, off, len) for each maximal run [off, off + len) of
 * [addr, addr + size) that lies on pages which are present or swapped
 * (offsets relative to addr; runs are clipped to the range). When the
 * pagemap cannot be read (not Linux, a sandbox), the unread rest is one
 * run: callers then see every byte, which is slower but never wrong.
 * Stops at the first non-zero return of fn and returns it; else 0.
 */
int pagemap_for_each_populated(const void *addr, size_t size,
			       int (*fn)(void *opaque, size_t off, size_t len),
			       void *opaque);

#endif
