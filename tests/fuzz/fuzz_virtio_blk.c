// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk's request handling on any chain: the input's first bytes
 * say how many readable and writable segments there are and how long
 * each is (sliced from a 64 KiB buffer standing in for guest RAM, the
 * header from the input itself), against a 1 MiB disk in a memfd
 * (read-only or not, per the input). blk_request must return a status
 * the spec has, never write more data than the writable segments hold,
 * and never reach past the disk: the memfd stays 1 MiB.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio_blk_req.h"

#define DISK_BYTES (1 << 20)
#define RAM_BYTES (64 << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t ram[RAM_BYTES];
static struct virtqueue_elem elem;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct blk_backend b;
	static int fd = -1;
	unsigned int nr_out, nr_in, i;
	size_t at = 0, need;
	uint64_t writable = 0;
	uint32_t written;
	struct stat st;
	uint8_t s;

	if (fd < 0) {
		fd = memfd_create("fuzz-disk", 0);
		if (fd < 0 || ftruncate(fd, DISK_BYTES))
			__builtin_trap();
	}
	if (size < 4 + 16)
		return 0;
	nr_out = 1 + data[0] % 4;
	nr_in = data[1] % 5;
	need = 4 + 2 * (nr_out + nr_in) + 16;
	if (size < need)
		return 0;
	memset(&b, 0, sizeof(b));
	b.disk.fd = fd;
	b.disk.readonly = data[2] & 1;
	/* the O_DIRECT bounce path (a memfd takes any alignment) */
	b.disk.direct = data[3] & 1;
	b.sectors = DISK_BYTES / 512 - (data[2] >> 1) % 3; /* odd capacities */
	memcpy(b.disk.serial, "FUZZ", 5);
	memset(&elem, 0, sizeof(elem));
	elem.nr_out = nr_out;
	elem.nr_in = nr_in;
	/* the header segment: from the input, at least 16 bytes */
	elem.iov[0].iov_base = (void *)(data + need - 16);
	elem.iov[0].iov_len = 16;
	for (i = 1; i < nr_out + nr_in; i++) {
		size_t len = (size_t)data[4 + 2 * i] << 8 | data[5 + 2 * i];

		len %= 8192;
		if (at + len > RAM_BYTES)
			at = 0;
		elem.iov[i].iov_base = ram + at;
		elem.iov[i].iov_len = len;
		if (i >= nr_out)
			writable += len;
		at += len;
	}
	/* readable range lists come from the rest of the input */
	if (nr_out > 1 && size > need) {
		size_t n = size - need < elem.iov[1].iov_len ?
				   size - need :
				   elem.iov[1].iov_len;

		memcpy(elem.iov[1].iov_base, data + need, n);
	}
	s = blk_request(&b, &elem, nr_in, &written);
	if (s != VIRTIO_BLK_S_OK && s != VIRTIO_BLK_S_IOERR &&
	    s != VIRTIO_BLK_S_UNSUPP)
		__builtin_trap();
	if (written > writable)
		__builtin_trap();
	if (fstat(fd, &st) || st.st_size != DISK_BYTES)
		__builtin_trap();
	return 0;
}
