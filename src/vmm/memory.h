/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM: one anonymous host mapping split into regions (memslots) that
 * leave the 32-bit MMIO hole free: RAM beyond 3 GiB is placed above 4 GiB.
 *
 * Every access to guest memory goes through these helpers, which check the
 * whole range against the region table. Nothing else computes hva + gpa.
 */
#ifndef KVMSCOPE_VMM_MEMORY_H
#define KVMSCOPE_VMM_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_MMIO_HOLE_START 0xc0000000ULL /* 3 GiB */
#define GUEST_HIGH_RAM_START 0x100000000ULL /* 4 GiB */
#define GUEST_MAX_REGIONS 8

struct guest_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	uint32_t slot;
};

struct guest_memory {
	uint64_t ram_size; /* total RAM, as given by --mem */
	uint8_t *base; /* host mapping of all RAM */
	size_t map_size;
	int nr_regions;
	struct guest_region regions[GUEST_MAX_REGIONS];
};

/* Map ram_size bytes of anonymous memory and lay it out; no KVM involved. */
int guest_memory_alloc(struct guest_memory *mem, uint64_t ram_size);
void guest_memory_free(struct guest_memory *mem);

/*
 * Host pointer to [gpa, gpa + len), or NULL unless the whole range lies in
 * one region (len == 0 is treated as 1). Overflow-safe.
 */
void *guest_memory_ptr(const struct guest_memory *mem, uint64_t gpa,
		       uint64_t len);

/*
 * The one region lookup: the region holding gpa, or NULL when gpa is not
 * RAM. Callers that need every region iterate with guest_memory_region_at
 * (NULL past the last one); nothing outside memory.c indexes the table.
 */
const struct guest_region *guest_memory_region(const struct guest_memory *mem,
					       uint64_t gpa);
const struct guest_region *
guest_memory_region_at(const struct guest_memory *mem, int idx);

/* Bytes of RAM from gpa to the end of its region; 0 when gpa is not RAM. */
uint64_t guest_memory_span(const struct guest_memory *mem, uint64_t gpa);

/* "0x0-0xc0000000, 0x100000000-0x140000000" into buf; returns its length. */
size_t guest_memory_ranges(const struct guest_memory *mem, char *buf,
			   size_t size);

/* Copy in/out; -EFAULT when any byte lies outside guest RAM. */
int guest_memory_read(const struct guest_memory *mem, uint64_t gpa, void *buf,
		      size_t len);
int guest_memory_write(struct guest_memory *mem, uint64_t gpa, const void *buf,
		       size_t len);
int guest_memory_fill(struct guest_memory *mem, uint64_t gpa, int byte,
		      size_t len);

/* End (exclusive) of the RAM below 4 GiB, i.e. min(ram_size, 3 GiB). */
uint64_t guest_memory_low_end(const struct guest_memory *mem);
/* Size of the RAM above 4 GiB (0 when ram_size <= 3 GiB). */
uint64_t guest_memory_high_size(const struct guest_memory *mem);

#endif
