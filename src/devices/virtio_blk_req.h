/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-blk's request handling (virtio_blk_req.c). */
#ifndef KVMSCOPE_DEVICES_VIRTIO_BLK_REQ_H
#define KVMSCOPE_DEVICES_VIRTIO_BLK_REQ_H

#include <stdint.h>

#include "devices/virtio_blk.h"
#include "devices/virtqueue.h"

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

struct blk_backend {
	struct disk disk;
	uint64_t sectors;
	struct blk_stats stats; /* updated atomically */
	void *bounce; /* O_DIRECT bounce buffer */
	size_t bounce_size;
};

/*
 * One request already popped: e's readable segments start with the
 * 16-byte header; its first nd writable segments are data (the status
 * byte, taken off by the caller, follows them). Returns the status to
 * write; *written is the bytes of data written for the driver.
 */
uint8_t blk_request(struct blk_backend *b, struct virtqueue_elem *e,
		    unsigned int nd, uint32_t *written);

#endif
