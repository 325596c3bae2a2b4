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
 * I/O runs on the device's I/O thread (virtio.h), never on a vCPU thread:
 * preadv/pwritev straight from and into guest RAM, fdatasync for FLUSH
 * (VIRTIO_BLK_F_FLUSH), fallocate for DISCARD and WRITE_ZEROES with a
 * write of zeros where the file system cannot. A read-only disk offers
 * VIRTIO_BLK_F_RO and fails every write with IOERR, the file untouched.
 * cache=none opens with O_DIRECT; segments that are not sector-aligned
 * go through an aligned bounce buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/virtio.h"
#include "devices/virtio_blk.h"

#define BLK_QUEUE_SIZE 256
#define BLK_SEG_MAX (BLK_QUEUE_SIZE - 2)
#define SECTOR 512ULL
#define BLK_MAX_PER_KICK 4096
#define BLK_ID_BYTES 20
#define BLK_MAX_DISCARD_SECTORS (1U << 22) /* 2 GiB per range */
#define BLK_MAX_DISCARD_SEG 1

/* Feature bits (5.2.3). */
#define F_SEG_MAX 2
#define F_RO 5
#define F_BLK_SIZE 6
#define F_FLUSH 9
#define F_DISCARD 13
#define F_WRITE_ZEROES 14

/* Request types and status (5.2.6). */
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define WZ_UNMAP 1

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
	struct disk disk;
	struct blk_config cfg;
	uint64_t features;
	struct virtqueue_elem elem;
	void *bounce; /* O_DIRECT, for segments that are not aligned */
	size_t bounce_size;
	struct blk_stats stats; /* updated on the I/O thread, read anywhere */
	struct virtio_blk *next;
};

/* Every disk of this process, for query-block (one VM per process). */
static pthread_mutex_t disks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct virtio_blk *disks;

static void put_le(void *p, uint64_t v, size_t n)
{
	uint8_t *b = p;

	while (n--) {
		*b++ = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

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

static void count(uint64_t *field, uint64_t n)
{
	__atomic_add_fetch(field, n, __ATOMIC_RELAXED);
}

/* Bytes of the chain's segments [first, first + n). */
static uint64_t seg_bytes(const struct virtqueue_elem *e, unsigned int first,
			  unsigned int n)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = first; i < first + n; i++)
		total += e->iov[i].iov_len;
	return total;
}

static bool aligned(const struct iovec *iov, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) &
		    (SECTOR - 1))
			return false;
	return true;
}

/* Read or write the whole vector at off; 0 or -errno (short = -EIO). */
static int rw_all(struct virtio_blk *b, bool write, struct iovec *iov,
		  unsigned int n, uint64_t off, uint64_t len)
{
	uint64_t done = 0;

	if (b->disk.direct && !aligned(iov, n)) {
		/* O_DIRECT wants sector alignment: bounce through memory. */
		uint64_t i, at = 0;

		if (len > b->bounce_size) {
			void *p = NULL;

			if (posix_memalign(&p, 4096, len))
				return -ENOMEM;
			free(b->bounce);
			b->bounce = p;
			b->bounce_size = len;
		}
		if (write)
			for (i = 0; i < n; at += iov[i].iov_len, i++)
				memcpy((uint8_t *)b->bounce + at,
				       iov[i].iov_base, iov[i].iov_len);
		while (done < len) {
			ssize_t r = write ? pwrite(b->disk.fd,
						   (uint8_t *)b->bounce + done,
						   len - done,
						   (off_t)(off + done)) :
					    pread(b->disk.fd,
						  (uint8_t *)b->bounce + done,
						  len - done,
						  (off_t)(off + done));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return r < 0 ? -errno : -EIO;
			done += (uint64_t)r;
		}
		if (!write)
			for (i = 0, at = 0; i < n; at += iov[i].iov_len, i++)
				memcpy(iov[i].iov_base,
				       (uint8_t *)b->bounce + at,
				       iov[i].iov_len);
		return 0;
	}
	while (done < len) {
		struct iovec v[VIRTQUEUE_MAX_SEGS];
		uint64_t skip = done;
		unsigned int i, k = 0;
		ssize_t r;

		/* The rest of the vector after a short transfer. */
		for (i = 0; i < n; i++) {
			if (skip >= iov[i].iov_len) {
				skip -= iov[i].iov_len;
				continue;
			}
			v[k].iov_base = (uint8_t *)iov[i].iov_base + skip;
			v[k].iov_len = iov[i].iov_len - skip;
			skip = 0;
			k++;
		}
		r = write ? pwritev(b->disk.fd, v, (int)k,
				    (off_t)(off + done)) :
			    preadv(b->disk.fd, v, (int)k, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		done += (uint64_t)r;
	}
	return 0;
}

static int zero_range(struct virtio_blk *b, uint64_t off, uint64_t len,
		      bool unmap)
{
	static const uint8_t zeros[65536];

	if (!fallocate(b->disk.fd,
		       unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
			       FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		       (off_t)off, (off_t)len))
		return 0;
	/* A file system or device without it: write the zeros. */
	while (len) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		ssize_t r = pwrite(b->disk.fd, zeros, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

/* DISCARD / WRITE_ZEROES: 16-byte ranges in the readable data. */
static uint8_t do_ranges(struct virtio_blk *b, struct virtqueue_elem *e,
			 uint32_t type)
{
	unsigned int i;

	if (b->disk.readonly)
		return S_IOERR;
	for (i = 1; i < e->nr_out; i++) {
		const uint8_t *p = e->iov[i].iov_base;
		size_t left = e->iov[i].iov_len;

		if (left % 16) {
			device_log_guest(
				"virtio-blk %s: a range list of %zu bytes",
				b->disk.path, left);
			return S_IOERR;
		}
		for (; left; left -= 16, p += 16) {
			uint64_t sector = get_le(p, 8);
			uint32_t n = (uint32_t)get_le(p + 8, 4);
			uint32_t flags = (uint32_t)get_le(p + 12, 4);

			if (sector > b->cfg.capacity ||
			    n > b->cfg.capacity - sector ||
			    n > BLK_MAX_DISCARD_SECTORS)
				return S_IOERR;
			if (zero_range(b, sector * SECTOR, (uint64_t)n * SECTOR,
				       type == T_DISCARD || (flags & WZ_UNMAP)))
				return S_IOERR;
			count(type == T_DISCARD ? &b->stats.discard_ops :
						  &b->stats.zero_ops,
			      1);
		}
	}
	return S_OK;
}

/* One request: the status byte to write back. */
static uint8_t do_request(struct virtio_blk *b, struct virtqueue_elem *e,
			  unsigned int nd, uint32_t *written)
{
	uint8_t hdr[16];
	uint32_t type;
	uint64_t sector, len, off;

	*written = 0;
	if (e->iov[0].iov_len < sizeof(hdr) || e->nr_out < 1) {
		device_log_guest("virtio-blk %s: request header not readable",
				 b->disk.path);
		return S_IOERR;
	}
	memcpy(hdr, e->iov[0].iov_base, sizeof(hdr));
	type = (uint32_t)get_le(hdr, 4);
	sector = get_le(hdr + 8, 8);
	switch (type) {
	case T_IN:
	case T_OUT:
		len = type == T_IN ? seg_bytes(e, e->nr_out, nd) :
				     seg_bytes(e, 1, e->nr_out - 1);
		if (type == T_IN && e->nr_out != 1) {
			device_log_guest("virtio-blk %s: IN with readable data",
					 b->disk.path);
			return S_IOERR;
		}
		if (len % SECTOR || sector > b->cfg.capacity ||
		    len / SECTOR > b->cfg.capacity - sector) {
			device_log_guest(
				"virtio-blk %s: %s of %llu bytes at sector %llu is past the disk or not whole sectors",
				b->disk.path, type ? "write" : "read",
				(unsigned long long)len,
				(unsigned long long)sector);
			return S_IOERR;
		}
		if (type == T_OUT && b->disk.readonly)
			return S_IOERR;
		off = sector * SECTOR;
		if (rw_all(b, type == T_OUT,
			   type == T_IN ? &e->iov[e->nr_out] : &e->iov[1],
			   type == T_IN ? nd : e->nr_out - 1, off, len))
			return S_IOERR;
		if (type == T_IN) {
			*written = (uint32_t)len;
			count(&b->stats.rd_ops, 1);
			count(&b->stats.rd_bytes, len);
		} else {
			count(&b->stats.wr_ops, 1);
			count(&b->stats.wr_bytes, len);
		}
		return S_OK;
	case T_FLUSH:
		count(&b->stats.flush_ops, 1);
		if (!b->disk.readonly && fdatasync(b->disk.fd))
			return S_IOERR;
		return S_OK;
	case T_GET_ID: {
		char id[BLK_ID_BYTES] = { 0 };
		uint64_t room = seg_bytes(e, e->nr_out, nd);
		size_t n = strnlen(b->disk.serial, sizeof(id));

		memcpy(id, b->disk.serial, n);
		if (!nd || room < 1)
			return S_IOERR;
		/* Into the writable data segments, at most 20 bytes. */
		{
			size_t done = 0, i;

			for (i = e->nr_out;
			     i < e->nr_out + nd && done < sizeof(id); i++) {
				size_t c = e->iov[i].iov_len <
							   sizeof(id) - done ?
						   e->iov[i].iov_len :
						   sizeof(id) - done;

				memcpy(e->iov[i].iov_base, id + done, c);
				done += c;
			}
			*written = (uint32_t)done;
		}
		return S_OK;
	}
	case T_DISCARD:
	case T_WRITE_ZEROES:
		return do_ranges(b, e, type);
	default:
		return S_UNSUPP;
	}
}

static void blk_queue_notify(void *opaque, unsigned int q)
{
	struct virtio_blk *b = opaque;
	struct virtqueue *vq = virtio_queue(b->vdev, q);
	struct virtqueue_elem *e = &b->elem;
	unsigned int n;

	if (!vq)
		return;
	for (n = 0; n < BLK_MAX_PER_KICK; n++) {
		struct iovec *st;
		uint32_t written;
		uint8_t status;

		if (virtqueue_pop(vq, e) <= 0)
			break;
		/* The status byte: the last writable segment's last byte. */
		if (!e->nr_in) {
			virtio_device_broken(
				b->vdev,
				"a virtio-blk request without a writable status byte");
			return;
		}
		st = &e->iov[e->nr_out + e->nr_in - 1];
		if (st->iov_len < 1) {
			virtio_device_broken(
				b->vdev,
				"a virtio-blk request whose status segment is empty");
			return;
		}
		/*
		 * The status is the last writable byte; a longer last segment
		 * keeps the rest as data (nd: the writable data segments).
		 */
		st->iov_len--;
		status = do_request(b, e, st->iov_len ? e->nr_in : e->nr_in - 1,
				    &written);
		((uint8_t *)st->iov_base)[st->iov_len] = status;
		if (status != S_OK)
			count(&b->stats.failed_ops, 1);
		virtqueue_push(vq, e->head, written + 1);
		virtio_notify(b->vdev, q);
	}
}

static int blk_start(void *opaque, uint64_t features)
{
	struct virtio_blk *b = opaque;

	b->features = features;
	return 0;
}

static void blk_stop(void *opaque, bool reset)
{
	/* Requests complete inside queue_notify: nothing is in flight. */
	(void)opaque, (void)reset;
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
	disk_close(&b->disk);
	free(b->bounce);
	free(b);
}

int virtio_blk_add(const struct device_env *env, struct pci_host *host,
		   const char *spec, struct errmsg *err)
{
	struct virtio_device_ops *ops;
	struct virtio_blk *b;
	int r;

	b = calloc(1, sizeof(*b));
	ops = calloc(1, sizeof(*ops));
	if (!b || !ops) {
		free(b);
		free(ops);
		return errmsg_set(err, ENOMEM, "--disk: out of memory");
	}
	r = disk_open(spec, &b->disk, err);
	if (r) {
		free(b);
		free(ops);
		return r;
	}
	put_le(&b->cfg.capacity, b->disk.size / SECTOR, 8);
	put_le(&b->cfg.seg_max, BLK_SEG_MAX, 4);
	put_le(&b->cfg.blk_size, SECTOR, 4);
	put_le(&b->cfg.max_discard_sectors, BLK_MAX_DISCARD_SECTORS, 4);
	put_le(&b->cfg.max_discard_seg, BLK_MAX_DISCARD_SEG, 4);
	put_le(&b->cfg.discard_sector_alignment, 1, 4);
	put_le(&b->cfg.max_write_zeroes_sectors, BLK_MAX_DISCARD_SECTORS, 4);
	put_le(&b->cfg.max_write_zeroes_seg, BLK_MAX_DISCARD_SEG, 4);
	b->cfg.write_zeroes_may_unmap = 1;
	*ops = (struct virtio_device_ops){
		.name = "virtio-blk",
		.device_id = VIRTIO_ID_BLOCK,
		.nr_queues = 1,
		.queue_max_size = BLK_QUEUE_SIZE,
		.features = 1ULL << F_SEG_MAX | 1ULL << F_BLK_SIZE |
			    1ULL << F_FLUSH |
			    (b->disk.readonly ? 1ULL << F_RO :
						1ULL << F_DISCARD |
							1ULL << F_WRITE_ZEROES),
		.config_size = sizeof(struct blk_config),
		.config_read = blk_config_read,
		.config_write = blk_config_write,
		.start = blk_start,
		.queue_notify = blk_queue_notify,
		.stop = blk_stop,
		.destroy = blk_destroy,
	};
	r = virtio_pci_add(host, env, ops, b, &b->vdev, err);
	if (r) {
		disk_close(&b->disk);
		free(b);
		free(ops);
		return r;
	}
	pthread_mutex_lock(&disks_lock);
	b->next = disks;
	disks = b;
	pthread_mutex_unlock(&disks_lock);
	return 0;
}

size_t virtio_blk_list(struct blk_info *out, size_t max)
{
	struct virtio_blk *b;
	size_t n = 0;

	pthread_mutex_lock(&disks_lock);
	for (b = disks; b && n < max; b = b->next, n++) {
		out[n].disk = &b->disk;
		out[n].stats.rd_ops =
			__atomic_load_n(&b->stats.rd_ops, __ATOMIC_RELAXED);
		out[n].stats.rd_bytes =
			__atomic_load_n(&b->stats.rd_bytes, __ATOMIC_RELAXED);
		out[n].stats.wr_ops =
			__atomic_load_n(&b->stats.wr_ops, __ATOMIC_RELAXED);
		out[n].stats.wr_bytes =
			__atomic_load_n(&b->stats.wr_bytes, __ATOMIC_RELAXED);
		out[n].stats.flush_ops =
			__atomic_load_n(&b->stats.flush_ops, __ATOMIC_RELAXED);
		out[n].stats.discard_ops = __atomic_load_n(
			&b->stats.discard_ops, __ATOMIC_RELAXED);
		out[n].stats.zero_ops =
			__atomic_load_n(&b->stats.zero_ops, __ATOMIC_RELAXED);
		out[n].stats.failed_ops =
			__atomic_load_n(&b->stats.failed_ops, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&disks_lock);
	return n;
}

const struct device_option virtio_blk_option = {
	.kind = "virtio-blk",
	.add = virtio_blk_add,
};
