// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk's requests (virtio 1.2, 5.2.6) against a disk: the part of
 * the device that reads guest-controlled headers and ranges, apart from
 * the transport so that a unit test and fuzz_virtio_blk drive it with
 * any chain. See virtio_blk.c for the rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/virtio_blk_req.h"

#define SECTOR 512ULL
#define BLK_ID_BYTES 20
#define BLK_MAX_DISCARD_SECTORS (1U << 22) /* 2 GiB per range */

/* Request types (5.2.6). */
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define WZ_UNMAP 1

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
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
static int rw_all(struct blk_backend *b, bool write, struct iovec *iov,
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

static int zero_range(struct blk_backend *b, uint64_t off, uint64_t len,
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
static uint8_t do_ranges(struct blk_backend *b, struct virtqueue_elem *e,
			 uint32_t type)
{
	unsigned int i;

	if (b->disk.readonly)
		return VIRTIO_BLK_S_IOERR;
	for (i = 1; i < e->nr_out; i++) {
		const uint8_t *p = e->iov[i].iov_base;
		size_t left = e->iov[i].iov_len;

		if (left % 16) {
			device_log_guest(
				"virtio-blk %s: a range list of %zu bytes",
				b->disk.path, left);
			return VIRTIO_BLK_S_IOERR;
		}
		for (; left; left -= 16, p += 16) {
			uint64_t sector = get_le(p, 8);
			uint32_t n = (uint32_t)get_le(p + 8, 4);
			uint32_t flags = (uint32_t)get_le(p + 12, 4);

			if (sector > b->sectors || n > b->sectors - sector ||
			    n > BLK_MAX_DISCARD_SECTORS)
				return VIRTIO_BLK_S_IOERR;
			if (zero_range(b, sector * SECTOR, (uint64_t)n * SECTOR,
				       type == T_DISCARD || (flags & WZ_UNMAP)))
				return VIRTIO_BLK_S_IOERR;
			count(type == T_DISCARD ? &b->stats.discard_ops :
						  &b->stats.zero_ops,
			      1);
		}
	}
	return VIRTIO_BLK_S_OK;
}

/* One request: the status byte to write back. */
uint8_t blk_request(struct blk_backend *b, struct virtqueue_elem *e,
		    unsigned int nd, uint32_t *written)
{
	uint8_t hdr[16];
	uint32_t type;
	uint64_t sector, len, off;

	*written = 0;
	if (e->iov[0].iov_len < sizeof(hdr) || e->nr_out < 1) {
		device_log_guest("virtio-blk %s: request header not readable",
				 b->disk.path);
		return VIRTIO_BLK_S_IOERR;
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
			return VIRTIO_BLK_S_IOERR;
		}
		if (len % SECTOR || sector > b->sectors ||
		    len / SECTOR > b->sectors - sector) {
			device_log_guest(
				"virtio-blk %s: %s of %llu bytes at sector %llu is past the disk or not whole sectors",
				b->disk.path, type ? "write" : "read",
				(unsigned long long)len,
				(unsigned long long)sector);
			return VIRTIO_BLK_S_IOERR;
		}
		if (type == T_OUT && b->disk.readonly)
			return VIRTIO_BLK_S_IOERR;
		off = sector * SECTOR;
		if (rw_all(b, type == T_OUT,
			   type == T_IN ? &e->iov[e->nr_out] : &e->iov[1],
			   type == T_IN ? nd : e->nr_out - 1, off, len))
			return VIRTIO_BLK_S_IOERR;
		if (type == T_IN) {
			*written = (uint32_t)len;
			count(&b->stats.rd_ops, 1);
			count(&b->stats.rd_bytes, len);
		} else {
			count(&b->stats.wr_ops, 1);
			count(&b->stats.wr_bytes, len);
		}
		return VIRTIO_BLK_S_OK;
	case T_FLUSH:
		count(&b->stats.flush_ops, 1);
		if (!b->disk.readonly && fdatasync(b->disk.fd))
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case T_GET_ID: {
		char id[BLK_ID_BYTES] = { 0 };
		uint64_t room = seg_bytes(e, e->nr_out, nd);
		size_t n = strnlen(b->disk.serial, sizeof(id));

		memcpy(id, b->disk.serial, n);
		if (!nd || room < 1)
			return VIRTIO_BLK_S_IOERR;
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
		return VIRTIO_BLK_S_OK;
	}
	case T_DISCARD:
	case T_WRITE_ZEROES:
		return do_ranges(b, e, type);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}
