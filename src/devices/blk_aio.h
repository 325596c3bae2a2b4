/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Asynchronous I/O on a disk image for virtio-blk: io_uring (liburing)
 * when the kernel allows it, else a small pool of worker threads doing
 * preadv/pwritev/fdatasync/fallocate. Either way completions are reported
 * through one eventfd (blk_aio_fd) that the device's I/O thread
 * watches, and blk_aio_reap runs their callbacks on that thread, so
 * the device itself needs no locks.
 */
#ifndef KVMSCOPE_DEVICES_BLK_AIO_H
#define KVMSCOPE_DEVICES_BLK_AIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/errmsg.h"

enum blk_op {
	BLK_OP_READ,
	BLK_OP_WRITE,
	BLK_OP_FLUSH, /* fdatasync */
	BLK_OP_DISCARD, /* punch a hole (zeros written where unsupported) */
	BLK_OP_WRITE_ZEROES, /* zero range, or a hole with unmap */
};

/* One operation; owned by the caller until its done callback runs. */
struct blk_io {
	enum blk_op op;
	bool unmap; /* BLK_OP_WRITE_ZEROES: a hole is fine */
	uint64_t offset, len; /* bytes; len of the iovecs for read/write */
	struct iovec *iov;
	int iovcnt;
	int result; /* 0 or -errno, set before done runs */
	void (*done)(struct blk_io *io);
	struct blk_io *next; /* the backend's lists */
};

struct blk_aio;

/*
 * Use fd (kept open by the caller), with at most depth operations in
 * flight. force_worker (--disk ...,aio=threads) skips io_uring; when
 * io_uring cannot be set up the worker pool is used with one log line
 * saying why.
 */
int blk_aio_open(int fd, unsigned int depth, bool force_worker,
		 struct blk_aio **out, struct errmsg *err);
void blk_aio_close(struct blk_aio *b);
/* "io_uring" or "threads" (QEMU's aio= names). */
const char *blk_aio_kind(const struct blk_aio *b);
/* Readable when completions wait: watch it, then call blk_aio_reap. */
int blk_aio_fd(const struct blk_aio *b);
/* Queue io; its done runs later from blk_aio_reap (or now on error). */
void blk_aio_submit(struct blk_aio *b, struct blk_io *io);
/* Run the done callbacks of finished operations. */
void blk_aio_reap(struct blk_aio *b);
/* Wait until nothing is in flight, running the callbacks. */
void blk_aio_drain(struct blk_aio *b);
unsigned int blk_aio_in_flight(const struct blk_aio *b);

/* The synchronous operation both paths fall back on; 0 or -errno. */
int blk_io_run_sync(int fd, struct blk_io *io);

#endif
