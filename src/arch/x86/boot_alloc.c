// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "arch/x86/boot_alloc.h"
#include "arch/x86/layout.h"

#define PAGE 0x1000ULL

static uint64_t align_up(uint64_t v, uint64_t align)
{
	/* Callers keep v below 4 GiB + 4 GiB: no wrap. */
	return (v + align - 1) & ~(align - 1);
}

static uint64_t mib_up(uint64_t bytes)
{
	return (bytes >> 20) + ((bytes & 0xfffff) != 0);
}

static int add_range(struct boot_alloc *a, uint64_t start, uint64_t end,
		     enum boot_range_kind kind, const char *what)
{
	if (a->nr >= BOOT_ALLOC_MAX_RANGES)
		return -ENOSPC;
	a->r[a->nr++] = (struct boot_range){ start, end, kind, what };
	return 0;
}

void boot_alloc_init(struct boot_alloc *a, const struct guest_memory *mem)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	int n, i;

	memset(a, 0, sizeof(*a));
	a->mem = mem;
	a->ram_end = guest_memory_low_end(mem);
	a->image_lo = UINT64_MAX;
	/* Loaders place only below 4 GiB: their pointers are 32-bit. */
	n = e820_build(mem, map);
	for (i = 0; i < n; i++)
		if (map[i].type == E820_RAM &&
		    map[i].addr < GUEST_MMIO_HOLE_START)
			a->map[a->nr_map++] = map[i];
	/*
	 * Page 0 holds the real-mode IVT and BIOS data area (the firmware
	 * environment fills them) and the boot GDT at 0x500; the EBDA,
	 * VGA hole and BIOS area hold the ACPI tables and the RSDP, which
	 * multiboot kernels find by scanning 0xe0000-0xfffff, so neither
	 * can move.
	 */
	add_range(a, 0, PAGE, BOOT_RANGE_FIXED,
		  "page 0 (real-mode IVT, BIOS data area and boot GDT)");
	add_range(a, LAYOUT_EBDA, LAYOUT_HIGH_MEM, BOOT_RANGE_FIXED,
		  "the EBDA, VGA hole and BIOS area (ACPI tables and RSDP)");
}

int boot_alloc_fixed(struct boot_alloc *a, uint64_t start, uint64_t size,
		     const char *what)
{
	return add_range(a, start, start + size, BOOT_RANGE_FIXED, what);
}

static const struct boot_range *overlap(const struct boot_alloc *a,
					uint64_t start, uint64_t end,
					bool fixed_only)
{
	int i;

	for (i = 0; i < a->nr; i++) {
		const struct boot_range *r = &a->r[i];

		if (fixed_only && r->kind != BOOT_RANGE_FIXED)
			continue;
		if (r->start < end && start < r->end)
			return r;
	}
	return NULL;
}

bool boot_alloc_is_free(const struct boot_alloc *a, uint64_t start,
			uint64_t size)
{
	return !overlap(a, start, start + (size ? size : 1), false);
}

/* Image pieces that overlap or touch merge, so many segments fit. */
static int mark_image(struct boot_alloc *a, uint64_t start, uint64_t end)
{
	int i;

	if (start < a->image_lo)
		a->image_lo = start;
	if (end > a->image_hi)
		a->image_hi = end;
	for (i = 0; i < a->nr; i++) {
		struct boot_range *r = &a->r[i];

		if (r->kind == BOOT_RANGE_IMAGE && r->start <= end &&
		    start <= r->end) {
			if (start < r->start)
				r->start = start;
			if (end > r->end)
				r->end = end;
			return 0;
		}
	}
	if (a->nr_image >= BOOT_ALLOC_MAX_IMAGE)
		return -E2BIG;
	a->nr_image++;
	return add_range(a, start, end, BOOT_RANGE_IMAGE, NULL);
}

int boot_alloc_image(struct boot_alloc *a, const char *what, uint64_t addr,
		     uint64_t size, struct errmsg *err)
{
	const struct boot_range *r;
	uint64_t last;

	if (size == 0)
		size = 1;
	if (addr >= GUEST_HIGH_RAM_START || size > GUEST_HIGH_RAM_START - addr)
		return errmsg_set(
			err, ERANGE,
			"%s at 0x%llx (0x%llx bytes) does not lie below 4 GiB: the kernel starts with paging off, link it to load below 3 GiB",
			what, (unsigned long long)addr,
			(unsigned long long)size);
	last = addr + size - 1;
	r = overlap(a, addr, addr + size, true);
	if (r && r->start == 0)
		return errmsg_set(
			err, ERANGE,
			"%s at 0x%llx-0x%llx overlaps %s at 0x%llx-0x%llx: link the kernel to load at 0x%llx or higher",
			what, (unsigned long long)addr,
			(unsigned long long)last, r->what,
			(unsigned long long)r->start,
			(unsigned long long)r->end - 1,
			(unsigned long long)r->end);
	if (r)
		return errmsg_set(
			err, ERANGE,
			"%s at 0x%llx-0x%llx overlaps %s at 0x%llx-0x%llx: link the kernel to load below 0x%llx or at 0x%llx or higher",
			what, (unsigned long long)addr,
			(unsigned long long)last, r->what,
			(unsigned long long)r->start,
			(unsigned long long)r->end - 1,
			(unsigned long long)r->start,
			(unsigned long long)r->end);
	if (last >= GUEST_MMIO_HOLE_START)
		return errmsg_set(
			err, ERANGE,
			"%s at 0x%llx-0x%llx reaches past 3 GiB, where guest RAM below 4 GiB ends: link the kernel to load lower",
			what, (unsigned long long)addr,
			(unsigned long long)last);
	if (last >= a->ram_end || !guest_memory_ptr(a->mem, addr, size))
		return errmsg_set(
			err, ERANGE,
			"%s at 0x%llx-0x%llx lies beyond the end of guest RAM (%llu MiB): increase --mem to at least %llu MiB",
			what, (unsigned long long)addr,
			(unsigned long long)last,
			(unsigned long long)mib_up(a->ram_end),
			(unsigned long long)mib_up(last + 1));
	if (mark_image(a, addr, addr + size))
		return errmsg_set(
			err, E2BIG,
			"%s at 0x%llx: the kernel image has more than %d separate pieces, kvmscope loads at most that many: link it with fewer segments",
			what, (unsigned long long)addr, BOOT_ALLOC_MAX_IMAGE);
	return 0;
}

/* The first RAM entry ending above pos. */
static const struct e820_entry *ram_from(const struct boot_alloc *a,
					 uint64_t pos)
{
	int i;

	for (i = 0; i < a->nr_map; i++)
		if (a->map[i].addr + a->map[i].size > pos)
			return &a->map[i];
	return NULL;
}

/* The last RAM entry starting below end. */
static const struct e820_entry *ram_below(const struct boot_alloc *a,
					  uint64_t end)
{
	int i;

	for (i = a->nr_map - 1; i >= 0; i--)
		if (a->map[i].addr < end)
			return &a->map[i];
	return NULL;
}

/*
 * Both searches move their candidate past whatever is in the way (a gap
 * in RAM, a marked range) strictly in one direction, so they end after at
 * most one step per RAM entry and marked range.
 */
bool boot_alloc_first_fit(const struct boot_alloc *a, uint64_t size,
			  uint64_t align, uint64_t lo, uint64_t hi,
			  uint64_t *addr)
{
	const struct e820_entry *e;
	const struct boot_range *r;
	uint64_t pos;

	if (size == 0)
		size = 1;
	if (align == 0)
		align = 1;
	if (hi > a->ram_end)
		hi = a->ram_end;
	if (lo >= hi || size > hi - lo)
		return false;
	pos = align_up(lo, align);
	while (pos < hi && size <= hi - pos) {
		e = ram_from(a, pos);
		if (!e)
			return false;
		if (e->addr > pos) {
			pos = align_up(e->addr, align);
			continue;
		}
		if (size > e->addr + e->size - pos) {
			pos = align_up(e->addr + e->size, align);
			continue;
		}
		r = overlap(a, pos, pos + size, false);
		if (r) {
			pos = align_up(r->end, align);
			continue;
		}
		*addr = pos;
		return true;
	}
	return false;
}

bool boot_alloc_last_fit(const struct boot_alloc *a, uint64_t size,
			 uint64_t align, uint64_t lo, uint64_t hi,
			 uint64_t *addr)
{
	const struct e820_entry *e;
	const struct boot_range *r;
	uint64_t end = hi, pos;

	if (size == 0)
		size = 1;
	if (align == 0)
		align = 1;
	if (end > a->ram_end)
		end = a->ram_end;
	while (end > lo && size <= end - lo) {
		e = ram_below(a, end);
		if (!e)
			return false;
		if (e->addr + e->size < end) {
			end = e->addr + e->size;
			continue;
		}
		pos = (end - size) & ~(align - 1);
		if (pos < lo)
			return false;
		if (pos < e->addr) {
			end = e->addr;
			continue;
		}
		r = overlap(a, pos, pos + size, false);
		if (r) {
			end = r->start;
			continue;
		}
		*addr = pos;
		return true;
	}
	return false;
}

int boot_alloc_mark(struct boot_alloc *a, uint64_t start, uint64_t size)
{
	return add_range(a, start, start + (size ? size : 1), BOOT_RANGE_DATA,
			 NULL);
}

/* RAM a boot needs: what lies above 1 MiB now, plus size more. */
static uint64_t ram_needed(const struct boot_alloc *a, uint64_t size)
{
	uint64_t need = a->image_hi > LAYOUT_HIGH_MEM ? a->image_hi :
							LAYOUT_HIGH_MEM;
	int i;

	need = align_up(need, PAGE);
	for (i = 0; i < a->nr; i++)
		if (a->r[i].kind == BOOT_RANGE_DATA && a->r[i].start >= need)
			need += align_up(a->r[i].end - a->r[i].start, PAGE);
	return need + align_up(size, PAGE);
}

/*
 * A kernel linked low grows its heap up from its end; boot information
 * placed above such an image keeps at least this much clear after it.
 */
#define HEAP_GAP 0x10000ULL

static bool place_info(const struct boot_alloc *a, uint64_t size,
		       uint64_t align, uint64_t *addr)
{
	uint64_t below = a->image_lo < LAYOUT_EBDA ? a->image_lo : LAYOUT_EBDA;
	uint64_t above = a->image_lo < a->image_hi ? a->image_hi + HEAP_GAP :
						     PAGE;

	return boot_alloc_first_fit(a, size, align, LAYOUT_BOOT_DATA, below,
				    addr) ||
	       boot_alloc_first_fit(a, size, align, PAGE, below, addr) ||
	       boot_alloc_last_fit(a, size, align, above, LAYOUT_EBDA, addr) ||
	       boot_alloc_last_fit(a, size, align, LAYOUT_HIGH_MEM, a->ram_end,
				   addr);
}

/*
 * Modules stay out of conventional memory unless the image is there too:
 * low pages are where kernels put AP trampolines and real-mode code, and
 * modules are used late, after those are set up.
 */
static bool place_after_image(const struct boot_alloc *a, uint64_t size,
			      uint64_t align, uint64_t *addr)
{
	uint64_t from = a->image_lo < a->image_hi ? a->image_hi :
						    LAYOUT_HIGH_MEM;

	/* In order, like QEMU: the next one after the previous one. */
	if (a->after_end > from)
		from = a->after_end;

	return boot_alloc_first_fit(a, size, align, from, a->ram_end, addr) ||
	       boot_alloc_last_fit(a, size, align, LAYOUT_HIGH_MEM, a->ram_end,
				   addr);
}

int boot_alloc_place(struct boot_alloc *a, const char *what, uint64_t size,
		     uint64_t align, enum boot_place policy, uint64_t *addr,
		     struct errmsg *err)
{
	bool found;

	found = policy == BOOT_PLACE_INFO ?
			place_info(a, size, align, addr) :
			place_after_image(a, size, align, addr);
	if (!found && a->image_lo < a->image_hi)
		return errmsg_set(
			err, ENOSPC,
			"%s (%llu bytes) does not fit in guest RAM (%llu MiB) outside the kernel image at 0x%llx-0x%llx and the firmware areas: increase --mem to at least %llu MiB",
			what, (unsigned long long)size,
			(unsigned long long)mib_up(a->ram_end),
			(unsigned long long)a->image_lo,
			(unsigned long long)a->image_hi - 1,
			(unsigned long long)mib_up(ram_needed(a, size)));
	if (!found)
		return errmsg_set(
			err, ENOSPC,
			"%s (%llu bytes) does not fit in guest RAM (%llu MiB): increase --mem to at least %llu MiB",
			what, (unsigned long long)size,
			(unsigned long long)mib_up(a->ram_end),
			(unsigned long long)mib_up(ram_needed(a, size)));
	if (boot_alloc_mark(a, *addr, size))
		return errmsg_set(
			err, E2BIG,
			"%s: more boot data pieces than kvmscope places (%d ranges in all)",
			what, BOOT_ALLOC_MAX_RANGES);
	if (policy == BOOT_PLACE_AFTER_IMAGE)
		a->after_end = *addr + size;
	return 0;
}
