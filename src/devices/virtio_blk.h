/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-blk (virtio_blk.c) and its disks (disk.c). */
#ifndef KVMSCOPE_DEVICES_VIRTIO_BLK_H
#define KVMSCOPE_DEVICES_VIRTIO_BLK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/devices.h"
#include "util/errmsg.h"

#define DISK_SERIAL_MAX 20 /* VIRTIO_BLK_ID_BYTES */

/* One --disk, opened, checked and locked (disk.c). */
struct disk {
	int fd;
	char path[PATH_MAX];
	bool readonly, direct, block_device;
	bool aio_threads; /* aio=threads: no io_uring */
	char serial[DISK_SERIAL_MAX + 1];
	uint64_t size; /* bytes, a multiple of 512 */
};

/*
 * Parse PATH[,readonly][,cache=writeback|none][,aio=io_uring|threads]
 * [,serial=ID], open PATH
 * (O_DIRECT for cache=none) and take an OFD lock on it (write, or read
 * for readonly), as QEMU does. Every refusal is one line naming --disk,
 * the path and the fix; nothing is left open.
 */
int disk_open(const char *spec, struct disk *d, struct errmsg *err);
void disk_close(struct disk *d);

struct blk_stats {
	uint64_t rd_ops, rd_bytes, wr_ops, wr_bytes, flush_ops;
	uint64_t discard_ops, zero_ops, failed_ops;
};

struct blk_info {
	const struct disk *disk; /* valid while the VM is */
	const char *aio; /* "io_uring" or "threads" */
	struct blk_stats stats;
};

/* The device row (kind "virtio-blk"). */
int virtio_blk_add(const struct device_env *env, struct pci_host *host,
		   const char *spec, struct errmsg *err);
/* The disks of this process, newest first, for query-block. */
size_t virtio_blk_list(struct blk_info *out, size_t max);

extern const struct device_option virtio_blk_option;

#endif
