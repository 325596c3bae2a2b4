/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A synthetic printk ring buffer in a flat "kernel virtual" buffer, laid
 * out as Linux 6.1 on x86-64 lays it out (the offsets its VMCOREINFO
 * publishes), for test_printk.c and fuzz_printk.c.
 */
#ifndef KVMSCOPE_TESTS_PRINTK_RING_H
#define KVMSCOPE_TESTS_PRINTK_RING_H

#include <stdint.h>
#include <string.h>

#define RING_VA 0xffffffff82000000ULL /* the buffer's first byte */
#define RING_PRB 0x0 /* the pointer prb */
#define RING_RB 0x40 /* struct printk_ringbuffer */
#define RING_DESCS 0x200 /* prb_desc[8] (24 bytes each) */
#define RING_INFOS 0x400 /* printk_info[8] (88 bytes each) */
#define RING_DATA 0x800 /* text ring: 256 bytes */
#define RING_SIZE 0x900
#define RING_COUNT_BITS 3
#define RING_SIZE_BITS 8

/* Linux 6.1 x86-64's values (what its VMCOREINFO says). */
static const char ring_vmcoreinfo[] =
	"OSRELEASE=6.1.0-test\n"
	"BUILD-ID=0123456789abcdef0123456789abcdef01234567\n"
	"PAGESIZE=4096\n"
	"SYMBOL(prb)=ffffffff82000000\n"
	"SIZE(printk_ringbuffer)=80\n"
	"OFFSET(printk_ringbuffer.desc_ring)=0\n"
	"OFFSET(printk_ringbuffer.text_data_ring)=48\n"
	"OFFSET(prb_desc_ring.count_bits)=0\n"
	"OFFSET(prb_desc_ring.descs)=8\n"
	"OFFSET(prb_desc_ring.infos)=16\n"
	"OFFSET(prb_desc_ring.head_id)=24\n"
	"OFFSET(prb_desc_ring.tail_id)=32\n"
	"SIZE(prb_desc)=24\n"
	"OFFSET(prb_desc.state_var)=0\n"
	"OFFSET(prb_desc.text_blk_lpos)=8\n"
	"OFFSET(prb_data_blk_lpos.begin)=0\n"
	"OFFSET(prb_data_blk_lpos.next)=8\n"
	"SIZE(printk_info)=88\n"
	"OFFSET(printk_info.seq)=0\n"
	"OFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\n"
	"OFFSET(printk_info.caller_id)=20\n"
	"OFFSET(prb_data_ring.size_bits)=0\n"
	"OFFSET(prb_data_ring.data)=8\n";

static inline void ring_put64(uint8_t *img, uint64_t off, uint64_t v)
{
	memcpy(img + off, &v, 8);
}

/* prb -> the ring, its header pointing at descs/infos/data. */
static inline void ring_init(uint8_t *img, uint64_t tail_id, uint64_t head_id)
{
	uint32_t bits = RING_COUNT_BITS, size_bits = RING_SIZE_BITS;

	memset(img, 0, RING_SIZE);
	ring_put64(img, RING_PRB, RING_VA + RING_RB);
	memcpy(img + RING_RB + 0, &bits, 4);
	ring_put64(img, RING_RB + 8, RING_VA + RING_DESCS);
	ring_put64(img, RING_RB + 16, RING_VA + RING_INFOS);
	ring_put64(img, RING_RB + 24, head_id);
	ring_put64(img, RING_RB + 32, tail_id);
	memcpy(img + RING_RB + 48, &size_bits, 4);
	ring_put64(img, RING_RB + 56, RING_VA + RING_DATA);
}

/*
 * Record id (state 2, finalized) with seq, time and a text block at
 * logical positions [begin, next); the text is copied where the block's
 * data lives (after its 8-byte id; at data[0] when the block wraps).
 */
static inline void ring_record(uint8_t *img, uint64_t id, uint64_t state,
			       uint64_t seq, uint64_t ts, uint32_t caller,
			       uint64_t begin, uint64_t next, const char *text)
{
	uint64_t idx = id & ((1u << RING_COUNT_BITS) - 1);
	uint64_t d = RING_DESCS + idx * 24, in = RING_INFOS + idx * 88;
	uint64_t size = 1u << RING_SIZE_BITS, at;
	uint16_t len = (uint16_t)strlen(text);

	ring_put64(img, d, state << 62 | id);
	ring_put64(img, d + 8, begin);
	ring_put64(img, d + 16, next);
	ring_put64(img, in, seq);
	ring_put64(img, in + 8, ts);
	memcpy(img + in + 16, &len, 2);
	memcpy(img + in + 20, &caller, 4);
	if (begin & 1)
		return;
	at = (begin >> RING_SIZE_BITS) == (next >> RING_SIZE_BITS) ?
		     (begin & (size - 1)) :
		     0;
	ring_put64(img, RING_DATA + at, id);
	memcpy(img + RING_DATA + at + 8, text, len);
}

static inline int ring_read(void *opaque, uint64_t va, void *buf, size_t len)
{
	if (va < RING_VA || va - RING_VA > RING_SIZE ||
	    len > RING_SIZE - (va - RING_VA))
		return -14; /* -EFAULT */
	memcpy(buf, (uint8_t *)opaque + (va - RING_VA), len);
	return 0;
}

#endif
