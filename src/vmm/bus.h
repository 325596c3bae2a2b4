/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An address-space bus (one for port I/O, one for MMIO). Devices register
 * [base, base + len) ranges before the vCPUs start; after that the table is
 * read-only, so vCPU threads look ranges up without locking. An access must
 * lie entirely inside one range to reach its device.
 *
 * Unclaimed reads return all-ones; unclaimed writes are dropped. Both are
 * counted.
 *
 * Overlays (bus_register_overlay) sit above the ranges: an access that
 * lies entirely inside an overlay reaches its device, any other access
 * the range below. That is how the PC shares 0xcf8: PCI's CONFIG_ADDRESS
 * is the dword at 0xcf8-0xcfb, while a byte access to 0xcf9 is the reset
 * control register.
 */
#ifndef KVMSCOPE_VMM_BUS_H
#define KVMSCOPE_VMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_RANGES 64
#define BUS_MAX_OVERLAYS 8

struct bus_ops {
	/* offset is relative to the range's base; len is 1..8 */
	void (*read)(void *opaque, uint64_t offset, uint8_t *data,
		     uint32_t len);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len);
	/*
	 * Optional: free opaque when the bus is released. Called once per
	 * range, so a device with several ranges sets it on one only.
	 */
	void (*release)(void *opaque);
	/*
	 * Optional, instead of read/write for a range that only partly has
	 * devices behind it (PCI's windows): false when nothing claimed the
	 * access, which the bus then counts as unclaimed (a read gets
	 * all-ones).
	 */
	bool (*try_read)(void *opaque, uint64_t offset, uint8_t *data,
			 uint32_t len);
	bool (*try_write)(void *opaque, uint64_t offset, const uint8_t *data,
			  uint32_t len);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name; /* "pio" or "mmio" */
	int nr_ranges;
	struct bus_range ranges[BUS_MAX_RANGES]; /* sorted by base */
	int nr_overlays;
	struct bus_range overlays[BUS_MAX_OVERLAYS];
	uint64_t unclaimed_reads; /* updated atomically */
	uint64_t unclaimed_writes;
};

void bus_init(struct bus *bus, const char *name);
/* -EINVAL for len 0 or wrap-around, -EEXIST on overlap, -ENOSPC when full. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name);
/* An overlay (above); -EEXIST when it overlaps another overlay. */
int bus_register_overlay(struct bus *bus, uint64_t base, uint64_t len,
			 const struct bus_ops *ops, void *opaque,
			 const char *name);
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr,
				 uint32_t len);
/*
 * Call every range's release hook and empty the bus. Only once no vCPU can
 * access the bus any more.
 */
void bus_release(struct bus *bus);
/* Return true when a device handled the access. len must be 1..8. */
bool bus_read(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len);
bool bus_write(struct bus *bus, uint64_t addr, const uint8_t *data,
	       uint32_t len);

#endif
