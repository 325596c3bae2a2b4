// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk's requests (virtio 1.2, 5.2.6) against a disk: the part of
 * the device that reads guest-controlled headers and ranges, apart from
 * the transport so that a unit test and fuzz_virtio_blk drive it with
 * any chain. See virtio_blk.c for the rules.
 *
 * Every request becomes at most one disk operation: a read or write of
 * the whole vector, a flush, or one discard/write-zeroes range (the
 * device offers max_discard_seg = max_write_zeroes_seg = 1; a driver that
 * sends more ranges is answered IOERR). The data segments point into
 * guest RAM, so the kernel (io_uring) or a worker reads and writes guest
 * memory directly; only cache=none with segments that are not
 * sector-aligned goes through an aligned bounce buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "devices/virtio_blk_req.h"
#include "util/le.h"

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

static struct blk_req *req_new(struct blk_backend *b, uint32_t type,
			       const struct iovec *data, unsigned int n)
{
	struct blk_req *r = calloc(1, sizeof(*r) + n * sizeof(*data));

	if (!r)
		return NULL;
	r->bk = b;
	r->type = type;
	r->nr_data = n;
	if (n)
		memcpy(r->data, data, n * sizeof(*data));
	r->io.iov = r->data;
	r->io.iovcnt = (int)n;
	return r;
}

/* IN or OUT of len bytes at sector over the data segments. */
static int start_rw(struct blk_backend *b, const struct virtqueue_elem *e,
		    uint32_t type, unsigned int nd, uint64_t sector,
		    struct blk_req **out)
{
	const struct iovec *data = type == T_IN ? &e->iov[e->nr_out] :
						  &e->iov[1];
	unsigned int n = type == T_IN ? nd : e->nr_out - 1;
	uint64_t len = seg_bytes(e, type == T_IN ? e->nr_out : 1, n);
	struct blk_req *r;

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
			(unsigned long long)len, (unsigned long long)sector);
		return VIRTIO_BLK_S_IOERR;
	}
	if (type == T_OUT && b->disk.readonly)
		return VIRTIO_BLK_S_IOERR;
	r = req_new(b, type, data, n);
	if (!r)
		return VIRTIO_BLK_S_IOERR;
	r->io.op = type == T_IN ? BLK_OP_READ : BLK_OP_WRITE;
	r->io.offset = sector * SECTOR;
	r->io.len = len;
	if (b->disk.direct && len && !aligned(data, n)) {
		/* O_DIRECT wants sector alignment: one aligned buffer. */
		uint64_t at = 0;
		unsigned int i;

		if (posix_memalign(&r->bounce, 4096, len)) {
			free(r);
			return VIRTIO_BLK_S_IOERR;
		}
		if (type == T_OUT)
			for (i = 0; i < n; at += data[i].iov_len, i++)
				memcpy((uint8_t *)r->bounce + at,
				       data[i].iov_base, data[i].iov_len);
		/* data[] keeps the guest's segments for the copy back. */
		r->io.iov = calloc(1, sizeof(struct iovec));
		if (!r->io.iov) {
			blk_req_free(r);
			return VIRTIO_BLK_S_IOERR;
		}
		r->io.iov->iov_base = r->bounce;
		r->io.iov->iov_len = len;
		r->io.iovcnt = 1;
	}
	*out = r;
	return BLK_REQ_IN_FLIGHT;
}

/* DISCARD / WRITE_ZEROES: one 16-byte range in the readable data. */
static int start_range(struct blk_backend *b, const struct virtqueue_elem *e,
		       uint32_t type, struct blk_req **out)
{
	uint8_t range[16];
	uint64_t sector;
	uint32_t n, flags;
	struct blk_req *r;

	if (b->disk.readonly)
		return VIRTIO_BLK_S_IOERR;
	if (e->nr_out != 2 || e->iov[1].iov_len != sizeof(range)) {
		device_log_guest(
			"virtio-blk %s: %s needs exactly one 16-byte range (max_discard_seg is 1)",
			b->disk.path,
			type == T_DISCARD ? "discard" : "write-zeroes");
		return VIRTIO_BLK_S_IOERR;
	}
	memcpy(range, e->iov[1].iov_base, sizeof(range));
	sector = le_get(range, 8);
	n = (uint32_t)le_get(range + 8, 4);
	flags = (uint32_t)le_get(range + 12, 4);
	if (sector > b->sectors || n > b->sectors - sector ||
	    n > BLK_MAX_DISCARD_SECTORS) {
		device_log_guest(
			"virtio-blk %s: a range of %u sectors at %llu is past the disk",
			b->disk.path, n, (unsigned long long)sector);
		return VIRTIO_BLK_S_IOERR;
	}
	r = req_new(b, type, NULL, 0);
	if (!r)
		return VIRTIO_BLK_S_IOERR;
	r->io.op = type == T_DISCARD ? BLK_OP_DISCARD : BLK_OP_WRITE_ZEROES;
	r->io.unmap = type == T_WRITE_ZEROES && (flags & WZ_UNMAP);
	r->io.offset = sector * SECTOR;
	r->io.len = (uint64_t)n * SECTOR;
	*out = r;
	return BLK_REQ_IN_FLIGHT;
}

/* GET_ID: the serial into the writable data segments, at most 20 bytes. */
static int get_id(struct blk_backend *b, const struct virtqueue_elem *e,
		  unsigned int nd, uint32_t *written)
{
	char id[BLK_ID_BYTES] = { 0 };
	size_t done = 0, i;

	memcpy(id, b->disk.serial, strnlen(b->disk.serial, sizeof(id)));
	if (!nd || seg_bytes(e, e->nr_out, nd) < 1)
		return VIRTIO_BLK_S_IOERR;
	for (i = e->nr_out; i < e->nr_out + nd && done < sizeof(id); i++) {
		size_t c = e->iov[i].iov_len < sizeof(id) - done ?
				   e->iov[i].iov_len :
				   sizeof(id) - done;

		memcpy(e->iov[i].iov_base, id + done, c);
		done += c;
	}
	*written = (uint32_t)done;
	return VIRTIO_BLK_S_OK;
}

int blk_req_start(struct blk_backend *b, const struct virtqueue_elem *e,
		  unsigned int nd, struct blk_req **out, uint32_t *written)
{
	uint8_t hdr[16];
	uint32_t type;

	*written = 0;
	*out = NULL;
	if (e->nr_out < 1 || e->iov[0].iov_len < sizeof(hdr)) {
		device_log_guest("virtio-blk %s: request header not readable",
				 b->disk.path);
		return VIRTIO_BLK_S_IOERR;
	}
	memcpy(hdr, e->iov[0].iov_base, sizeof(hdr));
	type = (uint32_t)le_get(hdr, 4);
	switch (type) {
	case T_IN:
	case T_OUT:
		return start_rw(b, e, type, nd, le_get(hdr + 8, 8), out);
	case T_FLUSH:
		count(&b->stats.flush_ops, 1);
		if (b->disk.readonly)
			return VIRTIO_BLK_S_OK;
		*out = req_new(b, type, NULL, 0);
		if (!*out)
			return VIRTIO_BLK_S_IOERR;
		(*out)->io.op = BLK_OP_FLUSH;
		return BLK_REQ_IN_FLIGHT;
	case T_GET_ID:
		return get_id(b, e, nd, written);
	case T_DISCARD:
	case T_WRITE_ZEROES:
		return start_range(b, e, type, out);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

uint8_t blk_req_finish(struct blk_req *r)
{
	struct blk_backend *b = r->bk;
	unsigned int i;
	uint64_t at = 0;

	r->written = 0;
	if (r->io.result) {
		device_log_guest("virtio-blk %s: %s at byte %llu: %s",
				 b->disk.path,
				 r->io.op == BLK_OP_READ  ? "read" :
				 r->io.op == BLK_OP_WRITE ? "write" :
				 r->io.op == BLK_OP_FLUSH ? "flush" :
							    "discard/zeroes",
				 (unsigned long long)r->io.offset,
				 strerror(-r->io.result));
		return VIRTIO_BLK_S_IOERR;
	}
	switch (r->io.op) {
	case BLK_OP_READ:
		if (r->bounce)
			for (i = 0; i < r->nr_data;
			     at += r->data[i].iov_len, i++)
				memcpy(r->data[i].iov_base,
				       (uint8_t *)r->bounce + at,
				       r->data[i].iov_len);
		r->written = (uint32_t)r->io.len;
		count(&b->stats.rd_ops, 1);
		count(&b->stats.rd_bytes, r->io.len);
		break;
	case BLK_OP_WRITE:
		count(&b->stats.wr_ops, 1);
		count(&b->stats.wr_bytes, r->io.len);
		break;
	case BLK_OP_DISCARD:
		count(&b->stats.discard_ops, 1);
		break;
	case BLK_OP_WRITE_ZEROES:
		count(&b->stats.zero_ops, 1);
		break;
	case BLK_OP_FLUSH:
		break;
	}
	return VIRTIO_BLK_S_OK;
}

void blk_req_free(struct blk_req *r)
{
	if (!r)
		return;
	if (r->bounce)
		free(r->io.iov);
	free(r->bounce);
	free(r);
}

uint8_t blk_request(struct blk_backend *b, struct virtqueue_elem *e,
		    unsigned int nd, uint32_t *written)
{
	struct blk_req *r;
	uint8_t status;
	int s = blk_req_start(b, e, nd, &r, written);

	if (s != BLK_REQ_IN_FLIGHT)
		return (uint8_t)s;
	r->io.result = blk_io_run_sync(b->disk.fd, &r->io);
	status = blk_req_finish(r);
	*written = r->written;
	blk_req_free(r);
	return status;
}
