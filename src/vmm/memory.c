// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm/memory.h"

static void add_region(struct guest_memory *mem, uint64_t gpa, uint64_t size,
		       uint8_t *hva)
{
	struct guest_region *r = &mem->regions[mem->nr_regions];

	r->gpa = gpa;
	r->size = size;
	r->hva = hva;
	r->slot = mem->nr_regions;
	mem->nr_regions++;
}

int guest_memory_alloc(struct guest_memory *mem, uint64_t ram_size)
{
	uint64_t low;
	void *p;

	memset(mem, 0, sizeof(*mem));
	if (ram_size == 0 || (ram_size & 0xfff))
		return -EINVAL;
	/*
	 * MAP_NORESERVE: guests rarely touch all their RAM, and the host
	 * should only pay for what they touch.
	 */
	p = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* A forked helper (vm_destroy_at_exit) must not copy guest RAM. */
	madvise(p, ram_size, MADV_DONTFORK);
	mem->base = p;
	mem->map_size = ram_size;
	mem->ram_size = ram_size;

	low = ram_size < GUEST_MMIO_HOLE_START ? ram_size :
						 GUEST_MMIO_HOLE_START;
	add_region(mem, 0, low, mem->base);
	if (ram_size > low)
		add_region(mem, GUEST_HIGH_RAM_START, ram_size - low,
			   mem->base + low);
	return 0;
}

void guest_memory_free(struct guest_memory *mem)
{
	if (mem->base)
		munmap(mem->base, mem->map_size);
	memset(mem, 0, sizeof(*mem));
}

const struct guest_region *guest_memory_region(const struct guest_memory *mem,
					       uint64_t gpa)
{
	int i;

	for (i = 0; i < mem->nr_regions; i++) {
		const struct guest_region *r = &mem->regions[i];

		/* Subtraction only: no overflow for any gpa. */
		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

const struct guest_region *
guest_memory_region_at(const struct guest_memory *mem, int idx)
{
	if (idx < 0 || idx >= mem->nr_regions)
		return NULL;
	return &mem->regions[idx];
}

uint64_t guest_memory_span(const struct guest_memory *mem, uint64_t gpa)
{
	const struct guest_region *r = guest_memory_region(mem, gpa);

	return r ? r->size - (gpa - r->gpa) : 0;
}

size_t guest_memory_ranges(const struct guest_memory *mem, char *buf,
			   size_t size)
{
	size_t off = 0;
	int i;

	if (!size)
		return 0;
	buf[0] = '\0';
	for (i = 0; i < mem->nr_regions && off < size; i++)
		off += snprintf(buf + off, size - off, "%s0x%llx-0x%llx",
				i ? ", " : "",
				(unsigned long long)mem->regions[i].gpa,
				(unsigned long long)(mem->regions[i].gpa +
						     mem->regions[i].size));
	return off < size ? off : size - 1;
}

void *guest_memory_ptr(const struct guest_memory *mem, uint64_t gpa,
		       uint64_t len)
{
	const struct guest_region *r = guest_memory_region(mem, gpa);

	if (len == 0)
		len = 1;
	/* Subtractions only: no overflow for any gpa/len. */
	if (!r || len > r->size - (gpa - r->gpa))
		return NULL;
	return r->hva + (gpa - r->gpa);
}

int guest_memory_read(const struct guest_memory *mem, uint64_t gpa, void *buf,
		      size_t len)
{
	void *src;

	if (len == 0)
		return 0;
	src = guest_memory_ptr(mem, gpa, len);
	if (!src)
		return -EFAULT;
	memcpy(buf, src, len);
	return 0;
}

int guest_memory_write(struct guest_memory *mem, uint64_t gpa, const void *buf,
		       size_t len)
{
	void *dst;

	if (len == 0)
		return 0;
	dst = guest_memory_ptr(mem, gpa, len);
	if (!dst)
		return -EFAULT;
	memcpy(dst, buf, len);
	return 0;
}

int guest_memory_fill(struct guest_memory *mem, uint64_t gpa, int byte,
		      size_t len)
{
	void *dst;

	if (len == 0)
		return 0;
	dst = guest_memory_ptr(mem, gpa, len);
	if (!dst)
		return -EFAULT;
	memset(dst, byte, len);
	return 0;
}

uint64_t guest_memory_low_end(const struct guest_memory *mem)
{
	return mem->nr_regions ? mem->regions[0].size : 0;
}

uint64_t guest_memory_high_size(const struct guest_memory *mem)
{
	return mem->nr_regions > 1 ? mem->regions[1].size : 0;
}
