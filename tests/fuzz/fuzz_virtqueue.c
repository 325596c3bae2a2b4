// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile driver's rings through the device side of a split virtqueue.
 *
 * Input: an 8-byte header, then the first bytes of a 64 KiB guest RAM
 * (the rest is zero), so descriptor tables, rings, indirect tables and
 * buffers are all under the fuzzer's control, and addresses beyond RAM
 * are one bit flip away.
 *
 * Header:
 *   0      queue size: 1 << (b & 15) (sizes above 32768 and non-powers of
 *          two are refused by setup, which is part of the test)
 *   1      bit 0: event index, bit 1: indirect descriptors, bit 2: turn
 *          kicks off before popping
 *   2-3    descriptor table offset / 16
 *   4-5    available ring offset / 2 (an odd raw value is misaligned)
 *   6-7    used ring offset / 4
 *
 * Asserted besides "no crash, no hang": every segment lies inside RAM and
 * the segment lengths add up to out_len/in_len; a broken queue stays
 * broken and says why; at most queue-size chains are taken per round
 * (setup refuses a used ring over the driver's rings, so our pushes
 * cannot publish buffers).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtqueue.h"

#define RAM (64ULL << 10)
#define HDR 8

static struct guest_memory mem;
static struct virtqueue_elem elem;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (guest_memory_alloc(&mem, RAM))
		abort();
	return 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void check_elem(const struct virtqueue_elem *e)
{
	uint64_t out = 0, in = 0;
	unsigned int i;

	if (e->nr_out + e->nr_in > VIRTQUEUE_MAX_SEGS)
		abort();
	for (i = 0; i < e->nr_out + e->nr_in; i++) {
		const uint8_t *p = e->iov[i].iov_base;
		size_t len = e->iov[i].iov_len;

		if (p < mem.base || len > RAM ||
		    (size_t)(p - mem.base) > RAM - len)
			abort();
		if (i < e->nr_out)
			out += len;
		else
			in += len;
		/*
		 * Touch both ends (ASan sees a stray pointer). No writes: a
		 * buffer over the avail ring would make the round's bound
		 * below depend on what we wrote.
		 */
		if (len) {
			(void)*(volatile const uint8_t *)p;
			(void)*(volatile const uint8_t *)(p + len - 1);
		}
	}
	if (out != e->out_len || in != e->in_len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtqueue vq;
	size_t body;
	uint16_t qsize;
	unsigned int round, taken;
	int r;

	if (size < HDR)
		return 0;
	body = size - HDR < RAM ? size - HDR : RAM;
	memset(mem.base, 0, RAM);
	memcpy(mem.base, data + HDR, body);

	qsize = (uint16_t)(1u << (data[0] & 15));
	if (virtqueue_setup(&vq, &mem, qsize, (uint64_t)get16(data + 2) * 16,
			    (uint64_t)get16(data + 4) * 2 - (data[4] & 1),
			    (uint64_t)get16(data + 6) * 4, data[1] & 1,
			    data[1] & 2)) {
		if (!vq.broken || !vq.why[0])
			abort();
		/* A refused queue is broken: it gives nothing. */
		if (virtqueue_pop(&vq, &elem) != -EINVAL)
			abort();
		return 0;
	}
	if (data[1] & 4)
		virtqueue_set_kick_wanted(&vq, false);
	/* Two rounds: the second sees the indices the first moved. */
	for (round = 0; round < 2; round++) {
		for (taken = 0;; taken++) {
			r = virtqueue_pop(&vq, &elem);
			if (r <= 0)
				break;
			if (taken >= qsize) /* avail idx checks bound this */
				abort();
			check_elem(&elem);
			virtqueue_push(&vq, elem.head, (uint32_t)elem.in_len);
		}
		if (r < 0) {
			if (!vq.broken || !vq.why[0])
				abort();
			if (virtqueue_pop(&vq, &elem) != -EINVAL)
				abort();
			break;
		}
		virtqueue_should_notify(&vq);
		virtqueue_set_kick_wanted(&vq, true);
	}
	return 0;
}
