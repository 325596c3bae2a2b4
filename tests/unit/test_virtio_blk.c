// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk's request parser (virtio_blk_req.c) against a 64 KiB disk in
 * a memfd: each request type done right, and every malformed request a
 * hostile driver can send, each of which must give the status the spec
 * asks for and leave the disk's bytes (and size) as they were.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/virtio_blk_req.h"

#define DISK (64 << 10)
#define SECTORS (DISK / 512)

static struct blk_backend b;
static struct virtqueue_elem e;
static uint8_t hdr[16], data[4][4096];
static uint8_t before[DISK];

static int setup(void **state)
{
	(void)state;
	memset(&b, 0, sizeof(b));
	b.disk.fd = memfd_create("test-disk", 0);
	assert_true(b.disk.fd >= 0);
	assert_int_equal(ftruncate(b.disk.fd, DISK), 0);
	for (unsigned int i = 0; i < DISK; i++)
		before[i] = (uint8_t)(i * 7 + i / 512);
	assert_int_equal(pwrite(b.disk.fd, before, DISK, 0), DISK);
	b.sectors = SECTORS;
	strcpy(b.disk.serial, "SER-123");
	strcpy(b.disk.path, "test.img");
	memset(&e, 0, sizeof(e));
	memset(data, 0xee, sizeof(data));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(b.disk.fd);
	return 0;
}

static void header(uint32_t type, uint64_t sector)
{
	memset(hdr, 0, sizeof(hdr));
	for (int i = 0; i < 4; i++)
		hdr[i] = (uint8_t)(type >> (8 * i));
	for (int i = 0; i < 8; i++)
		hdr[8 + i] = (uint8_t)(sector >> (8 * i));
	e.iov[0].iov_base = hdr;
	e.iov[0].iov_len = sizeof(hdr);
}

/* Chain: header, nr_out - 1 readable data, nr_in writable data. */
static void chain(unsigned int nr_out, unsigned int nr_in, size_t len)
{
	e.nr_out = nr_out;
	e.nr_in = nr_in;
	for (unsigned int i = 1; i < nr_out + nr_in; i++) {
		e.iov[i].iov_base = data[i - 1];
		e.iov[i].iov_len = len;
	}
}

static uint8_t run(unsigned int nd, uint32_t *written)
{
	return blk_request(&b, &e, nd, written);
}

static void assert_disk_unchanged(void)
{
	static uint8_t now[DISK];
	struct stat st;

	assert_int_equal(fstat(b.disk.fd, &st), 0);
	assert_int_equal(st.st_size, DISK);
	assert_int_equal(pread(b.disk.fd, now, DISK, 0), DISK);
	assert_memory_equal(now, before, DISK);
}

static void read_sectors(void **state)
{
	uint32_t w;

	(void)state;
	header(0, 3);
	chain(1, 2, 512);
	assert_int_equal(run(2, &w), VIRTIO_BLK_S_OK);
	assert_int_equal(w, 1024);
	assert_memory_equal(data[0], before + 3 * 512, 512);
	assert_memory_equal(data[1], before + 4 * 512, 512);
	assert_int_equal(b.stats.rd_ops, 1);
	assert_int_equal(b.stats.rd_bytes, 1024);
}

static void write_sectors(void **state)
{
	uint8_t back[1024];
	uint32_t w;

	(void)state;
	header(1, SECTORS - 2); /* the last two sectors: still inside */
	chain(3, 0, 512);
	memset(data[0], 'A', 512);
	memset(data[1], 'B', 512);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_OK);
	assert_int_equal(w, 0);
	assert_int_equal(pread(b.disk.fd, back, 1024, DISK - 1024), 1024);
	assert_memory_equal(back, data[0], 512);
	assert_memory_equal(back + 512, data[1], 512);
	assert_int_equal(b.stats.wr_ops, 1);
	assert_int_equal(b.stats.wr_bytes, 1024);
}

static void flush_counts(void **state)
{
	uint32_t w;

	(void)state;
	header(4, 0);
	chain(1, 0, 0);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_OK);
	assert_int_equal(b.stats.flush_ops, 1);
}

static void get_id_is_the_serial(void **state)
{
	uint32_t w;

	(void)state;
	header(8, 0);
	chain(1, 1, 512);
	assert_int_equal(run(1, &w), VIRTIO_BLK_S_OK);
	assert_int_equal(w, 20); /* VIRTIO_BLK_ID_BYTES, zero-padded */
	assert_memory_equal(data[0], "SER-123\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	assert_int_equal(data[0][20], 0xee); /* nothing past 20 bytes */
}

static void get_id_into_a_short_buffer(void **state)
{
	uint32_t w;

	(void)state;
	header(8, 0);
	chain(1, 1, 4);
	assert_int_equal(run(1, &w), VIRTIO_BLK_S_OK);
	assert_int_equal(w, 4);
	assert_memory_equal(data[0], "SER-", 4);
	assert_int_equal(data[0][4], 0xee);
}

static void get_id_without_room_fails(void **state)
{
	uint32_t w;

	(void)state;
	header(8, 0);
	chain(1, 0, 0);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	assert_int_equal(w, 0);
}

static void short_header_fails(void **state)
{
	uint32_t w;

	(void)state;
	header(0, 0);
	chain(1, 1, 512);
	e.iov[0].iov_len = 15;
	assert_int_equal(run(1, &w), VIRTIO_BLK_S_IOERR);
	assert_int_equal(w, 0);
	assert_int_equal(data[0][0], 0xee);
}

static void writable_header_fails(void **state)
{
	uint32_t w;

	(void)state;
	/* no readable segment: the header is device-writable */
	header(1, 0);
	e.nr_out = 0;
	e.nr_in = 2;
	e.iov[1].iov_base = data[0];
	e.iov[1].iov_len = 512;
	assert_int_equal(run(2, &w), VIRTIO_BLK_S_IOERR);
	assert_disk_unchanged();
}

static void read_with_readable_data_fails(void **state)
{
	uint32_t w;

	(void)state;
	header(0, 0);
	chain(2, 1, 512);
	assert_int_equal(run(1, &w), VIRTIO_BLK_S_IOERR);
	assert_int_equal(w, 0);
	assert_int_equal(data[1][0], 0xee);
}

static void partial_sector_fails(void **state)
{
	uint32_t w;

	(void)state;
	header(1, 0);
	chain(2, 0, 511);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	header(0, 0);
	chain(1, 1, 513);
	assert_int_equal(run(1, &w), VIRTIO_BLK_S_IOERR);
	assert_int_equal(w, 0);
	assert_disk_unchanged();
	assert_int_equal(b.stats.wr_ops + b.stats.rd_ops, 0);
}

static void past_the_end_fails(void **state)
{
	uint32_t w;

	(void)state;
	header(1, SECTORS - 1); /* two sectors from the last one */
	chain(3, 0, 512);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	header(1, SECTORS); /* just past */
	chain(2, 0, 512);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	header(0, SECTORS + 1);
	chain(1, 1, 512);
	assert_int_equal(run(1, &w), VIRTIO_BLK_S_IOERR);
	assert_int_equal(data[0][0], 0xee);
	assert_disk_unchanged();
}

static void huge_sector_does_not_wrap(void **state)
{
	uint32_t w;

	(void)state;
	/* sector * 512 wraps to 0 in 64 bits: must still be past the end */
	header(1, 1ULL << 55);
	chain(2, 0, 512);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	header(1, UINT64_MAX);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	assert_disk_unchanged();
}

static void read_only_refuses_writes(void **state)
{
	static const uint8_t range[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 8 };
	uint32_t w;

	(void)state;
	b.disk.readonly = true;
	header(1, 0);
	chain(2, 0, 512);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	header(11, 0);
	chain(2, 0, 16);
	memcpy(data[0], range, 16);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	header(13, 0);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	assert_disk_unchanged();
	/* reads and flushes still work */
	header(0, 0);
	chain(1, 1, 512);
	assert_int_equal(run(1, &w), VIRTIO_BLK_S_OK);
	header(4, 0);
	chain(1, 0, 0);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_OK);
}

static void range(uint8_t *p, uint64_t sector, uint32_t n, uint32_t flags)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(sector >> (8 * i));
	for (int i = 0; i < 4; i++) {
		p[8 + i] = (uint8_t)(n >> (8 * i));
		p[12 + i] = (uint8_t)(flags >> (8 * i));
	}
}

static void discard_and_write_zeroes_zero_the_range(void **state)
{
	uint8_t back[4096], zeros[4096] = { 0 };
	uint32_t w;

	(void)state;
	header(11, 0);
	chain(2, 0, 16);
	range(data[0], 8, 8, 0);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(b.disk.fd, back, 4096, 8 * 512), 4096);
	assert_memory_equal(back, zeros, 4096);
	header(13, 0);
	range(data[0], 32, 8, 1); /* UNMAP */
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(b.disk.fd, back, 4096, 32 * 512), 4096);
	assert_memory_equal(back, zeros, 4096);
	/* what lies between is untouched */
	assert_int_equal(pread(b.disk.fd, back, 4096, 16 * 512), 4096);
	assert_memory_equal(back, before + 16 * 512, 4096);
	assert_int_equal(b.stats.discard_ops, 1);
	assert_int_equal(b.stats.zero_ops, 1);
}

static void bad_ranges_fail(void **state)
{
	uint32_t w;

	(void)state;
	header(11, 0);
	chain(2, 0, 15); /* not a whole 16-byte range */
	range(data[0], 0, 1, 0);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	chain(2, 0, 16);
	range(data[0], SECTORS - 1, 2, 0); /* past the end */
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	range(data[0], UINT64_MAX, 1, 0);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	header(13, 0);
	range(data[0], SECTORS + 1, 0, 0);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	/* Two ranges where max_discard_seg says one: refused, none done. */
	header(11, 0);
	chain(2, 0, 32);
	range(data[0], 0, 1, 0);
	range(data[0] + 16, 8, 1, 0);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	chain(3, 0, 16);
	range(data[0], 0, 1, 0);
	range(data[1], 8, 1, 0);
	assert_int_equal(run(0, &w), VIRTIO_BLK_S_IOERR);
	assert_disk_unchanged();
}

static void unknown_type_is_unsupported(void **state)
{
	uint32_t w;

	(void)state;
	for (uint32_t t = 2; t < 64; t++) {
		if (t == 4 || t == 8 || t == 11 || t == 13)
			continue;
		header(t, 0);
		chain(2, 1, 512);
		assert_int_equal(run(1, &w), VIRTIO_BLK_S_UNSUPP);
		assert_int_equal(w, 0);
	}
	header(0xffffffffU, 0);
	assert_int_equal(run(1, &w), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(data[1][0], 0xee);
	assert_disk_unchanged();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(read_sectors),
		T(write_sectors),
		T(flush_counts),
		T(get_id_is_the_serial),
		T(get_id_into_a_short_buffer),
		T(get_id_without_room_fails),
		T(short_header_fails),
		T(writable_header_fails),
		T(read_with_readable_data_fails),
		T(partial_sector_fails),
		T(past_the_end_fails),
		T(huge_sector_does_not_wrap),
		T(read_only_refuses_writes),
		T(discard_and_write_zeroes_zero_the_range),
		T(bad_ranges_fail),
		T(unknown_type_is_unsupported),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
