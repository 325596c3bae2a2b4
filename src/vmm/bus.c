// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "util/log.h"
#include "vmm/bus.h"

/* Unclaimed accesses are logged only up to this count, then just counted. */
#define BUS_LOG_UNCLAIMED 8

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
}

void bus_release(struct bus *bus)
{
	int i;

	for (i = 0; i < bus->nr_ranges; i++)
		if (bus->ranges[i].ops->release)
			bus->ranges[i].ops->release(bus->ranges[i].opaque);
	for (i = 0; i < bus->nr_overlays; i++)
		if (bus->overlays[i].ops->release)
			bus->overlays[i].ops->release(bus->overlays[i].opaque);
	bus->nr_ranges = 0;
	bus->nr_overlays = 0;
}

/* Last byte of a range; callers have checked that it does not wrap. */
static uint64_t range_last(const struct bus_range *r)
{
	return r->base + (r->len - 1);
}

/* Index of the first range whose base is above addr (0..nr_ranges). */
static int first_above(const struct bus *bus, uint64_t addr)
{
	int lo = 0, hi = bus->nr_ranges;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name)
{
	struct bus_range *r;
	int pos;

	/*
	 * Compare against the last byte rather than base + len so that a
	 * range ending exactly at the top of the address space is allowed
	 * while one that would wrap past it is not.
	 */
	if (len == 0 || len - 1 > UINT64_MAX - base || !ops)
		return -EINVAL;

	pos = first_above(bus, base);
	if (pos > 0 && range_last(&bus->ranges[pos - 1]) >= base)
		return -EEXIST;
	if (pos < bus->nr_ranges && base + (len - 1) >= bus->ranges[pos].base)
		return -EEXIST;
	if (bus->nr_ranges >= BUS_MAX_RANGES)
		return -ENOSPC;

	memmove(&bus->ranges[pos + 1], &bus->ranges[pos],
		(bus->nr_ranges - pos) * sizeof(bus->ranges[0]));
	r = &bus->ranges[pos];
	r->base = base;
	r->len = len;
	r->ops = ops;
	r->opaque = opaque;
	r->name = name;
	bus->nr_ranges++;
	return 0;
}

int bus_register_overlay(struct bus *bus, uint64_t base, uint64_t len,
			 const struct bus_ops *ops, void *opaque,
			 const char *name)
{
	int i;

	if (len == 0 || len - 1 > UINT64_MAX - base || !ops)
		return -EINVAL;
	for (i = 0; i < bus->nr_overlays; i++)
		if (base <= range_last(&bus->overlays[i]) &&
		    bus->overlays[i].base <= base + (len - 1))
			return -EEXIST;
	if (bus->nr_overlays >= BUS_MAX_OVERLAYS)
		return -ENOSPC;
	bus->overlays[bus->nr_overlays++] =
		(struct bus_range){ base, len, ops, opaque, name };
	return 0;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr,
				 uint32_t len)
{
	const struct bus_range *r;
	uint64_t offset;
	int pos;

	if (len == 0)
		return NULL;
	/* An overlay wins for the accesses that fit in it (a few, scanned). */
	for (pos = 0; pos < bus->nr_overlays; pos++) {
		r = &bus->overlays[pos];
		if (addr >= r->base && addr - r->base < r->len &&
		    len <= r->len - (addr - r->base))
			return r;
	}
	pos = first_above(bus, addr);
	if (pos == 0)
		return NULL;
	r = &bus->ranges[pos - 1];
	offset = addr - r->base;
	/* Subtractions only, so no addr/len can overflow the check. */
	if (offset >= r->len || len > r->len - offset)
		return NULL;
	return r;
}

/*
 * Unclaimed accesses are normal (guests probe for hardware), so they are
 * only logged at debug level, and only the first few: a guest polling a
 * missing device would otherwise flood the log.
 */
static void note_unclaimed(struct bus *bus, uint64_t *counter, const char *what,
			   uint64_t addr, uint32_t len)
{
	uint64_t n = __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);

	if (n < BUS_LOG_UNCLAIMED)
		log_debug("%s: unclaimed %s at 0x%llx, %u bytes", bus->name,
			  what, (unsigned long long)addr, len);
	else if (n == BUS_LOG_UNCLAIMED)
		log_debug("%s: further unclaimed %ss are counted, not logged",
			  bus->name, what);
}

/* The range that handles an access; bad lengths never reach a device. */
static const struct bus_range *claimant(const struct bus *bus, uint64_t addr,
					uint32_t len)
{
	if (len < 1 || len > 8)
		return NULL;
	return bus_find(bus, addr, len);
}

bool bus_read(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len)
{
	const struct bus_range *r = claimant(bus, addr, len);

	if (r && r->ops->try_read &&
	    !r->ops->try_read(r->opaque, addr - r->base, data, len))
		r = NULL;
	else if (r && r->ops->try_read)
		return true;
	if (!r) {
		/*
		 * A bogus len comes from a caller bug, not the guest; touch
		 * at most 8 bytes so that it cannot become an overrun here.
		 */
		if (len)
			memset(data, 0xff, len < 8 ? len : 8);
		note_unclaimed(bus, &bus->unclaimed_reads, "read", addr, len);
		return false;
	}
	if (r->ops->read)
		r->ops->read(r->opaque, addr - r->base, data, len);
	else
		memset(data, 0xff, len);
	return true;
}

bool bus_write(struct bus *bus, uint64_t addr, const uint8_t *data,
	       uint32_t len)
{
	const struct bus_range *r = claimant(bus, addr, len);

	if (r && r->ops->try_write) {
		if (r->ops->try_write(r->opaque, addr - r->base, data, len))
			return true;
		r = NULL;
	}
	if (!r) {
		note_unclaimed(bus, &bus->unclaimed_writes, "write", addr, len);
		return false;
	}
	if (r->ops->write)
		r->ops->write(r->opaque, addr - r->base, data, len);
	return true;
}
