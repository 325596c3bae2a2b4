/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Little-endian fields in byte buffers: boot headers, ACPI tables, PCI
 * configuration space, virtio structures. Byte by byte, so any alignment
 * and any host byte order work; the caller guarantees the bytes exist.
 */
#ifndef KVMSCOPE_UTIL_LE_H
#define KVMSCOPE_UTIL_LE_H

#include <stddef.h>
#include <stdint.h>

/* n (0..8) bytes at p. */
static inline uint64_t le_get(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	while (n--)
		v = v << 8 | b[n];
	return v;
}

static inline void le_put(void *p, uint64_t v, size_t n)
{
	uint8_t *b = p;

	while (n--) {
		*b++ = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)le_get(p, 2);
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)le_get(p, 4);
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return le_get(p, 8);
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	le_put(p, v, 2);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	le_put(p, v, 4);
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	le_put(p, v, 8);
}

#endif
