/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk's request handling (virtio_blk_req.c): a popped chain is
 * checked and turned into one disk operation (struct blk_io, run by
 * blk_aio.c on io_uring or worker threads), and its result into the
 * status byte the driver reads.
 */
#ifndef KVMSCOPE_DEVICES_VIRTIO_BLK_REQ_H
#define KVMSCOPE_DEVICES_VIRTIO_BLK_REQ_H

#include <stdint.h>

#include "devices/blk_aio.h"
#include "devices/virtio_blk.h"
#include "devices/virtqueue.h"

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

struct blk_backend {
	struct disk disk;
	uint64_t sectors;
	struct blk_stats stats; /* updated atomically */
};

/* A request with its disk operation in flight. */
struct blk_req {
	struct blk_io io; /* io.done is the caller's */
	struct blk_backend *bk;
	uint32_t type; /* VIRTIO_BLK_T_* */
	uint16_t head; /* the chain, for virtqueue_push */
	uint8_t *status; /* the chain's status byte (guest RAM) */
	uint32_t written; /* data bytes for the driver, set by finish */
	void *owner; /* the caller's */
	void *bounce; /* O_DIRECT and unaligned: the aligned copy */
	unsigned int nr_data;
	struct iovec data[]; /* the guest's data segments */
};

/*
 * One request just popped: e's readable segments start with the 16-byte
 * header; its first nd writable segments are data (the status byte,
 * taken off by the caller, follows them). Returns VIRTIO_BLK_S_* when
 * the request is answered now (*written set), or BLK_REQ_IN_FLIGHT with
 * *out a request whose io the caller submits and, once io.result is
 * set, passes to blk_req_finish and frees.
 */
#define BLK_REQ_IN_FLIGHT 0x100
int blk_req_start(struct blk_backend *b, const struct virtqueue_elem *e,
		  unsigned int nd, struct blk_req **out, uint32_t *written);
/* After the operation: the status byte; r->written is set, counters too. */
uint8_t blk_req_finish(struct blk_req *r);
void blk_req_free(struct blk_req *r);

/* Start, run synchronously, finish: for tests and fuzzing. */
uint8_t blk_request(struct blk_backend *b, struct virtqueue_elem *e,
		    unsigned int nd, uint32_t *written);

#endif
