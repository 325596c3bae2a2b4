// SPDX-License-Identifier: GPL-2.0
/*
 * blk_aio (io_uring and the worker-thread fallback) on real files in the
 * build directory: every operation virtio-blk uses round-trips on both
 * paths, many operations in flight complete through the eventfd, errors
 * come back as -errno, and a virtio-blk request whose segments are not
 * sector-aligned on a cache=none (O_DIRECT) disk goes through the bounce
 * buffer both ways on either path.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/blk_aio.h"
#include "devices/virtio_blk_req.h"

static int done_count;

static void on_done(struct blk_io *io)
{
	(void)io;
	done_count++;
}

static void run_io(struct blk_aio *a, struct blk_io *io, int want)
{
	io->done = on_done;
	io->result = 1;
	done_count = 0;
	blk_aio_submit(a, io);
	blk_aio_drain(a);
	assert_int_equal(done_count, 1);
	assert_int_equal(blk_aio_in_flight(a), 0);
	assert_int_equal(io->result, want);
}

static struct blk_aio *open_aio(int fd, unsigned int depth, bool threads)
{
	struct errmsg err = { 0 };
	struct blk_aio *a;

	assert_int_equal(blk_aio_open(fd, depth, threads, &a, &err), 0);
	/* This host has io_uring: each path is the one asked for. */
	assert_string_equal(blk_aio_kind(a), threads ? "threads" : "io_uring");
	return a;
}

static void roundtrip(bool threads)
{
	int fd = open(".", O_TMPFILE | O_RDWR, 0600);
	static uint8_t buf[65536], back[65536];
	struct iovec iov[2] = { { buf, 4096 }, { buf + 4096, 4096 } };
	struct iovec riov = { back, 8192 }, big = { buf, sizeof(buf) };
	struct blk_io io;
	struct stat st;
	struct blk_aio *a;
	blkcnt_t before;
	unsigned int i;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	a = open_aio(fd, 16, threads);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	io = (struct blk_io){ .op = BLK_OP_WRITE,
			      .offset = 65536,
			      .len = 8192,
			      .iov = iov,
			      .iovcnt = 2 };
	run_io(a, &io, 0);
	io = (struct blk_io){ .op = BLK_OP_READ,
			      .offset = 65536,
			      .len = 8192,
			      .iov = &riov,
			      .iovcnt = 1 };
	run_io(a, &io, 0);
	assert_memory_equal(buf, back, 8192);
	io = (struct blk_io){ .op = BLK_OP_FLUSH };
	run_io(a, &io, 0);
	/* Write-zeroes zeros the first 4 KiB of the two written. */
	io = (struct blk_io){ .op = BLK_OP_WRITE_ZEROES,
			      .offset = 65536,
			      .len = 4096 };
	run_io(a, &io, 0);
	assert_int_equal(pread(fd, back, 8192, 65536), 8192);
	for (i = 0; i < 4096; i++)
		assert_int_equal(back[i], 0);
	assert_memory_equal(back + 4096, buf + 4096, 4096);
	/* Discard of a written 64 KiB punches a hole: fewer blocks. */
	io = (struct blk_io){ .op = BLK_OP_WRITE,
			      .offset = 262144,
			      .len = sizeof(buf),
			      .iov = &big,
			      .iovcnt = 1 };
	run_io(a, &io, 0);
	assert_int_equal(fstat(fd, &st), 0);
	before = st.st_blocks;
	io = (struct blk_io){ .op = BLK_OP_DISCARD,
			      .offset = 262144,
			      .len = sizeof(buf) };
	run_io(a, &io, 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_blocks <= before - 64 * 2);
	assert_int_equal(st.st_size, 1 << 20);
	/* A read past the end of the file is short: -EIO. */
	io = (struct blk_io){ .op = BLK_OP_READ,
			      .offset = 1 << 20,
			      .len = 8192,
			      .iov = &riov,
			      .iovcnt = 1 };
	run_io(a, &io, -EIO);
	/* A write to a read-only descriptor: the kernel's -EBADF. */
	blk_aio_close(a);
	close(fd);
	fd = open("/proc/self/cmdline", O_RDONLY);
	a = open_aio(fd, 4, threads);
	io = (struct blk_io){
		.op = BLK_OP_WRITE, .len = 4096, .iov = iov, .iovcnt = 1
	};
	run_io(a, &io, -EBADF);
	blk_aio_close(a);
	close(fd);
}

static void uring_roundtrip(void **state)
{
	(void)state;
	roundtrip(false);
}

static void threads_roundtrip(void **state)
{
	(void)state;
	roundtrip(true);
}

/* 64 writes in flight at once, reaped as the eventfd says. */
static void many_in_flight(void **state)
{
	int fd = open(".", O_TMPFILE | O_RDWR, 0600);
	static uint8_t buf[64][512];
	struct iovec iov[64];
	struct blk_io io[64];
	struct blk_aio *a;
	struct pollfd p;
	int i, w;

	(void)state;
	assert_true(fd >= 0);
	for (w = 0; w < 2; w++) {
		a = open_aio(fd, 64, w);
		p = (struct pollfd){ .fd = blk_aio_fd(a), .events = POLLIN };
		done_count = 0;
		for (i = 0; i < 64; i++) {
			memset(buf[i], i + w, 512);
			iov[i] = (struct iovec){ buf[i], 512 };
			io[i] = (struct blk_io){ .op = BLK_OP_WRITE,
						 .offset = 512 * (uint64_t)i,
						 .len = 512,
						 .iov = &iov[i],
						 .iovcnt = 1,
						 .done = on_done };
			blk_aio_submit(a, &io[i]);
		}
		while (done_count < 64) {
			assert_int_equal(poll(&p, 1, 10000), 1);
			blk_aio_reap(a);
		}
		assert_int_equal(blk_aio_in_flight(a), 0);
		for (i = 0; i < 64; i++) {
			uint8_t c;

			assert_int_equal(io[i].result, 0);
			assert_int_equal(pread(fd, &c, 1, 512 * i + 100), 1);
			assert_int_equal(c, i + w);
		}
		blk_aio_close(a);
	}
	close(fd);
}

/*
 * A cache=none disk and a request whose two data segments are 512 bytes
 * each but not 512-aligned in memory: written and read back through the
 * bounce buffer, asynchronously, byte-exact.
 */
static void o_direct_bounce(bool threads)
{
	static uint8_t hdr[16], mem[4096 + 1], back[4096 + 1];
	struct blk_backend b = { 0 };
	struct virtqueue_elem *e = calloc(1, sizeof(*e));
	struct blk_req *r;
	struct blk_aio *a;
	uint32_t written;
	unsigned int i;

	assert_non_null(e);
	b.disk.fd = open(".", O_TMPFILE | O_RDWR | O_DIRECT, 0600);
	assert_true(b.disk.fd >= 0);
	b.disk.direct = true;
	assert_int_equal(ftruncate(b.disk.fd, 65536), 0);
	b.sectors = 128;
	a = open_aio(b.disk.fd, 4, threads);
	for (i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(i * 13 + 5);
	for (int pass = 0; pass < 2; pass++) {
		memset(hdr, 0, sizeof(hdr));
		hdr[0] = pass ? 0 : 1; /* OUT, then IN */
		hdr[8] = 3; /* sector 3 */
		e->iov[0] = (struct iovec){ hdr, sizeof(hdr) };
		e->iov[1] = (struct iovec){ (pass ? back : mem) + 1, 512 };
		e->iov[2] = (struct iovec){ (pass ? back : mem) + 513, 512 };
		e->nr_out = pass ? 1 : 3;
		e->nr_in = pass ? 2 : 0;
		assert_int_equal(blk_req_start(&b, e, e->nr_in, &r, &written),
				 BLK_REQ_IN_FLIGHT);
		assert_non_null(r->bounce);
		r->io.done = on_done;
		done_count = 0;
		blk_aio_submit(a, &r->io);
		blk_aio_drain(a);
		assert_int_equal(done_count, 1);
		assert_int_equal(blk_req_finish(r), VIRTIO_BLK_S_OK);
		assert_int_equal(r->written, pass ? 1024 : 0);
		blk_req_free(r);
	}
	assert_memory_equal(back + 1, mem + 1, 1024);
	assert_int_equal(b.stats.wr_ops, 1);
	assert_int_equal(b.stats.rd_bytes, 1024);
	blk_aio_close(a);
	close(b.disk.fd);
	free(e);
}

static void uring_o_direct_bounce(void **state)
{
	(void)state;
	o_direct_bounce(false);
}

static void threads_o_direct_bounce(void **state)
{
	(void)state;
	o_direct_bounce(true);
}

/*
 * A host that refuses io_uring: io_uring_queue_init fails (here because
 * a ring of 0 entries is invalid, as it fails under a seccomp profile or
 * kernel.io_uring_disabled) and the worker threads take over by
 * themselves, doing the same I/O.
 */
static void falls_back_when_io_uring_fails(void **state)
{
	int fd = open(".", O_TMPFILE | O_RDWR, 0600);
	struct errmsg err = { 0 };
	static uint8_t buf[512] = { 42 }, back[512];
	struct iovec iov = { buf, 512 }, riov = { back, 512 };
	struct blk_io io;
	struct blk_aio *a;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(blk_aio_open(fd, 0, false, &a, &err), 0);
	assert_string_equal(blk_aio_kind(a), "threads");
	io = (struct blk_io){
		.op = BLK_OP_WRITE, .len = 512, .iov = &iov, .iovcnt = 1
	};
	run_io(a, &io, 0);
	io = (struct blk_io){
		.op = BLK_OP_READ, .len = 512, .iov = &riov, .iovcnt = 1
	};
	run_io(a, &io, 0);
	assert_int_equal(back[0], 42);
	blk_aio_close(a);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uring_roundtrip),
		cmocka_unit_test(threads_roundtrip),
		cmocka_unit_test(many_in_flight),
		cmocka_unit_test(uring_o_direct_bounce),
		cmocka_unit_test(threads_o_direct_bounce),
		cmocka_unit_test(falls_back_when_io_uring_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
