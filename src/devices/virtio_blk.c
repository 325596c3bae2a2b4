// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2, 5.2) over a raw file or block device.
 *
 * A request is a chain: a 16-byte device-readable header (type, ioprio,
 * sector), data segments (device-readable for OUT, device-writable for
 * IN and GET_ID, readable discard/write-zeroes ranges), and a final
 * device-writable status byte. Every field comes from the guest: a
 * request that reaches past the disk, is not a whole number of sectors,
 * has no room for its status or a header that is writable fails with
 * VIRTIO_BLK_S_IOERR (a log line says why); an unknown type gets
 * VIRTIO_BLK_S_UNSUPP; a chain without even a status byte breaks the
 * queue (the transport sets DEVICE_NEEDS_RESET).
 *
 * I/O is asynchronous and never on a vCPU thread: the device's I/O
 * thread pops requests, checks them (virtio_blk_req.c) and submits one
 * disk operation each to blk_aio.c — io_uring, or a pool of worker
 * threads where the host refuses io_uring or the user asks (aio=threads)
 * — which reads and writes guest RAM directly; completions come back on
 * an eventfd the I/O thread watches, which writes the status byte and
 * returns the chain. FLUSH (VIRTIO_BLK_F_FLUSH) is fdatasync; DISCARD and
 * WRITE_ZEROES are fallocate, with a write of zeros where the file
 * system cannot. A read-only disk offers VIRTIO_BLK_F_RO and fails every
 * write with IOERR, the file untouched. cache=none opens with O_DIRECT.
 * Before the VM pauses or the driver resets the device, stop waits for
 * every operation in flight, so nothing touches guest RAM while the VM
 * is held for inspection.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/virtio.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_blk_req.h"
#include "util/le.h"

#define BLK_QUEUE_SIZE 256
#define BLK_SEG_MAX (BLK_QUEUE_SIZE - 2)
#define SECTOR 512ULL
#define BLK_MAX_DISCARD_SECTORS (1U << 22) /* 2 GiB per range */
#define BLK_MAX_DISCARD_SEG 1

/* Feature bits (5.2.3). */
#define F_SEG_MAX 2
#define F_RO 5
#define F_BLK_SIZE 6
#define F_FLUSH 9
#define F_DISCARD 13
#define F_WRITE_ZEROES 14

/* Device configuration (5.2.4), as far as kvmscope offers it. */
struct blk_config {
	uint64_t capacity; /* sectors */
	uint32_t size_max;
	uint32_t seg_max;
	uint8_t geometry[4];
	uint32_t blk_size;
	uint8_t topology[8];
	uint8_t writeback;
	uint8_t unused0[3];
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
} __attribute__((packed));

struct virtio_blk {
	struct virtio_device *vdev;
	struct blk_backend bk; /* the disk, its counters (virtio_blk_req.c) */
	struct blk_aio *aio;
	struct virtio_device_ops ops;
	struct blk_config cfg;
	uint64_t features;
	bool resetting; /* stop(reset): completions are not returned */
	bool notify; /* completions pushed since the last interrupt */
	struct virtqueue_elem elem;
	struct virtio_blk *next;
};

/* Every disk of this process, for query-block (one VM per process). */
static pthread_mutex_t disks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct virtio_blk *disks;

static void blk_config_read(void *opaque, uint32_t off, uint8_t *data,
			    uint32_t len)
{
	struct virtio_blk *b = opaque;

	memcpy(data, (uint8_t *)&b->cfg + off, len);
}

static void blk_config_write(void *opaque, uint32_t off, const uint8_t *data,
			     uint32_t len)
{
	/* writeback (5.2.4) needs CONFIG_WCE, not offered: read-only. */
	(void)opaque, (void)off, (void)data, (void)len;
}

/* Completion, on the I/O thread (blk_aio_reap): answer the driver. */
static void blk_io_done(struct blk_io *io)
{
	struct blk_req *r = (struct blk_req *)io;
	struct virtio_blk *b = r->owner;
	struct virtqueue *vq = virtio_queue(b->vdev, 0);
	uint8_t status = blk_req_finish(r);

	if (status != VIRTIO_BLK_S_OK)
		__atomic_add_fetch(&b->bk.stats.failed_ops, 1,
				   __ATOMIC_RELAXED);
	if (vq && !b->resetting) {
		*r->status = status;
		virtqueue_push(vq, r->head, r->written + 1);
		b->notify = true;
	}
	blk_req_free(r);
}

static void blk_interrupt(struct virtio_blk *b)
{
	if (b->notify) {
		b->notify = false;
		virtio_notify(b->vdev, 0);
	}
}

static void blk_aio_ready(void *opaque, int fd, uint32_t events)
{
	struct virtio_blk *b = opaque;

	(void)fd, (void)events;
	blk_aio_reap(b->aio);
	blk_interrupt(b);
}

static void blk_queue_notify(void *opaque, unsigned int q)
{
	struct virtio_blk *b = opaque;
	struct virtqueue *vq = virtio_queue(b->vdev, q);
	struct virtqueue_elem *e = &b->elem;

	if (!vq)
		return;
	/* At most a queue's worth in flight: each holds a descriptor. */
	while (virtqueue_pop(vq, e) > 0) {
		struct blk_req *r;
		struct iovec *st;
		uint32_t written;
		int status;

		/* The status byte: the last writable segment's last byte. */
		if (!e->nr_in) {
			virtio_device_broken(
				b->vdev,
				"a virtio-blk request without a writable status byte");
			break;
		}
		st = &e->iov[e->nr_out + e->nr_in - 1];
		if (st->iov_len < 1) {
			virtio_device_broken(
				b->vdev,
				"a virtio-blk request whose status segment is empty");
			break;
		}
		/*
		 * The status is the last writable byte; a longer last segment
		 * keeps the rest as data.
		 */
		st->iov_len--;
		status = blk_req_start(&b->bk, e,
				       st->iov_len ? e->nr_in : e->nr_in - 1,
				       &r, &written);
		if (status == BLK_REQ_IN_FLIGHT) {
			r->head = e->head;
			r->status = (uint8_t *)st->iov_base + st->iov_len;
			r->owner = b;
			r->io.done = blk_io_done;
			blk_aio_submit(b->aio, &r->io);
			continue;
		}
		((uint8_t *)st->iov_base)[st->iov_len] = (uint8_t)status;
		if (status != VIRTIO_BLK_S_OK)
			__atomic_add_fetch(&b->bk.stats.failed_ops, 1,
					   __ATOMIC_RELAXED);
		virtqueue_push(vq, e->head, written + 1);
		b->notify = true;
	}
	blk_interrupt(b);
}

static int blk_start(void *opaque, uint64_t features)
{
	struct virtio_blk *b = opaque;

	b->features = features;
	b->resetting = false;
	return 0;
}

static void blk_stop(void *opaque, bool reset)
{
	struct virtio_blk *b = opaque;

	/*
	 * Finish what is in flight before guest RAM is off limits. After a
	 * reset the driver has forgotten the chains: the data is written
	 * (or read) but nothing is returned and no interrupt is sent.
	 */
	b->resetting = reset;
	blk_aio_drain(b->aio);
	if (!reset)
		blk_interrupt(b);
	b->notify = false;
}

static void blk_destroy(void *opaque)
{
	struct virtio_blk *b = opaque, **pp;

	pthread_mutex_lock(&disks_lock);
	for (pp = &disks; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	pthread_mutex_unlock(&disks_lock);
	blk_aio_close(b->aio);
	disk_close(&b->bk.disk);
	free(b);
}

int virtio_blk_add(const struct device_env *env, struct pci_host *host,
		   const char *spec, struct errmsg *err)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return errmsg_set(err, ENOMEM, "--disk: out of memory");
	r = disk_open(spec, &b->bk.disk, err);
	if (r)
		goto fail_free;
	r = blk_aio_open(b->bk.disk.fd, BLK_QUEUE_SIZE, b->bk.disk.aio_threads,
			 &b->aio, err);
	if (r)
		goto fail_close;
	b->bk.sectors = b->bk.disk.size / SECTOR;
	le_put(&b->cfg.capacity, b->bk.sectors, 8);
	le_put(&b->cfg.seg_max, BLK_SEG_MAX, 4);
	le_put(&b->cfg.blk_size, SECTOR, 4);
	le_put(&b->cfg.max_discard_sectors, BLK_MAX_DISCARD_SECTORS, 4);
	le_put(&b->cfg.max_discard_seg, BLK_MAX_DISCARD_SEG, 4);
	le_put(&b->cfg.discard_sector_alignment, 1, 4);
	le_put(&b->cfg.max_write_zeroes_sectors, BLK_MAX_DISCARD_SECTORS, 4);
	le_put(&b->cfg.max_write_zeroes_seg, BLK_MAX_DISCARD_SEG, 4);
	b->cfg.write_zeroes_may_unmap = 1;
	b->ops = (struct virtio_device_ops){
		.name = "virtio-blk",
		.device_id = VIRTIO_ID_BLOCK,
		.nr_queues = 1,
		.queue_max_size = BLK_QUEUE_SIZE,
		.features =
			1ULL << F_SEG_MAX | 1ULL << F_BLK_SIZE |
			1ULL << F_FLUSH |
			(b->bk.disk.readonly ?
				 1ULL << F_RO :
				 1ULL << F_DISCARD | 1ULL << F_WRITE_ZEROES),
		.config_size = sizeof(struct blk_config),
		.config_read = blk_config_read,
		.config_write = blk_config_write,
		.start = blk_start,
		.queue_notify = blk_queue_notify,
		.stop = blk_stop,
		.destroy = blk_destroy,
	};
	r = virtio_pci_add(host, env, &b->ops, b, &b->vdev, err);
	if (r)
		goto fail_aio;
	/* From here the transport owns b: blk_destroy frees it. */
	r = virtio_watch_fd(b->vdev, blk_aio_fd(b->aio), EPOLLIN,
			    blk_aio_ready);
	if (r)
		return errmsg_set(err, r, "--disk %s: cannot watch its I/O: %s",
				  b->bk.disk.path, strerror(-r));
	pthread_mutex_lock(&disks_lock);
	b->next = disks;
	disks = b;
	pthread_mutex_unlock(&disks_lock);
	return 0;

fail_aio:
	blk_aio_close(b->aio);
fail_close:
	disk_close(&b->bk.disk);
fail_free:
	free(b);
	return r;
}

size_t virtio_blk_list(struct blk_info *out, size_t max)
{
	struct virtio_blk *b;
	size_t n = 0;

	pthread_mutex_lock(&disks_lock);
	for (b = disks; b && n < max; b = b->next, n++) {
		out[n].disk = &b->bk.disk;
		out[n].aio = blk_aio_kind(b->aio);
		out[n].stats.rd_ops =
			__atomic_load_n(&b->bk.stats.rd_ops, __ATOMIC_RELAXED);
		out[n].stats.rd_bytes = __atomic_load_n(&b->bk.stats.rd_bytes,
							__ATOMIC_RELAXED);
		out[n].stats.wr_ops =
			__atomic_load_n(&b->bk.stats.wr_ops, __ATOMIC_RELAXED);
		out[n].stats.wr_bytes = __atomic_load_n(&b->bk.stats.wr_bytes,
							__ATOMIC_RELAXED);
		out[n].stats.flush_ops = __atomic_load_n(&b->bk.stats.flush_ops,
							 __ATOMIC_RELAXED);
		out[n].stats.discard_ops = __atomic_load_n(
			&b->bk.stats.discard_ops, __ATOMIC_RELAXED);
		out[n].stats.zero_ops = __atomic_load_n(&b->bk.stats.zero_ops,
							__ATOMIC_RELAXED);
		out[n].stats.failed_ops = __atomic_load_n(
			&b->bk.stats.failed_ops, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&disks_lock);
	return n;
}

const struct device_option virtio_blk_option = {
	.kind = "virtio-blk",
	.add = virtio_blk_add,
};
