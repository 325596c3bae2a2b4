// SPDX-License-Identifier: GPL-2.0
/*
 * --disk PATH[,readonly][,cache=writeback|none][,aio=io_uring|threads]
 * [,serial=ID]: the checks a
 * user's typo deserves before the VM starts, and the lock that keeps two
 * VMMs from writing one image (an OFD lock, which QEMU takes too: a
 * second kvmscope or QEMU on the same file is refused).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio_blk.h"

#define SECTOR 512ULL

static int parse(const char *spec, struct disk *d, struct errmsg *err)
{
	const char *p = spec, *comma;
	size_t n;

	comma = strchr(p, ',');
	n = comma ? (size_t)(comma - p) : strlen(p);
	if (!n)
		return errmsg_set(
			err, EINVAL,
			"--disk needs a path: --disk FILE[,readonly][,cache=writeback|none][,aio=io_uring|threads][,serial=ID]");
	if (n >= sizeof(d->path))
		return errmsg_set(err, ENAMETOOLONG,
				  "--disk: the path is too long");
	memcpy(d->path, p, n);
	d->path[n] = '\0';
	while (comma) {
		const char *opt = comma + 1;

		comma = strchr(opt, ',');
		n = comma ? (size_t)(comma - opt) : strlen(opt);
		if (n == 8 && !strncmp(opt, "readonly", 8)) {
			d->readonly = true;
		} else if (n == 15 && !strncmp(opt, "cache=writeback", 15)) {
			d->direct = false;
		} else if (n == 10 && !strncmp(opt, "cache=none", 10)) {
			d->direct = true;
		} else if (n == 12 && !strncmp(opt, "aio=io_uring", 12)) {
			d->aio_threads = false;
		} else if (n == 11 && !strncmp(opt, "aio=threads", 11)) {
			d->aio_threads = true;
		} else if (n > 7 && !strncmp(opt, "serial=", 7)) {
			size_t i, len = n - 7;

			if (len > DISK_SERIAL_MAX)
				return errmsg_set(
					err, EINVAL,
					"--disk %s: serial is at most %d characters",
					d->path, DISK_SERIAL_MAX);
			for (i = 0; i < len; i++)
				if (opt[7 + i] < 0x21 || opt[7 + i] > 0x7e)
					return errmsg_set(
						err, EINVAL,
						"--disk %s: serial must be printable ASCII without spaces",
						d->path);
			memcpy(d->serial, opt + 7, len);
			d->serial[len] = '\0';
		} else {
			return errmsg_set(
				err, EINVAL,
				"--disk %s: unknown option '%.*s': use readonly, cache=writeback|none, aio=io_uring|threads or serial=ID",
				d->path, (int)n, opt);
		}
	}
	return 0;
}

int disk_open(const char *spec, struct disk *d, struct errmsg *err)
{
	struct flock lk = { .l_whence = SEEK_SET };
	struct stat st;
	int r, flags;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	r = parse(spec, d, err);
	if (r)
		return r;
	if (stat(d->path, &st))
		return errmsg_set(err, errno, "--disk %s: %s", d->path,
				  strerror(errno));
	if (S_ISDIR(st.st_mode))
		return errmsg_set(
			err, EISDIR,
			"--disk %s is a directory: give a raw disk image file or a block device",
			d->path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return errmsg_set(
			err, EINVAL,
			"--disk %s is neither a file nor a block device",
			d->path);
	d->block_device = S_ISBLK(st.st_mode);
	flags = (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		(d->direct ? O_DIRECT : 0);
	d->fd = open(d->path, flags);
	if (d->fd < 0) {
		r = errno;
		if (r == EINVAL && d->direct)
			return errmsg_set(
				err, r,
				"--disk %s,cache=none: this file system does not support O_DIRECT (tmpfs?): use cache=writeback or put the image elsewhere",
				d->path);
		return errmsg_set(
			err, r, "--disk %s: %s%s", d->path, strerror(r),
			r == EACCES || r == EROFS ?
				" (add ,readonly to use it read-only)" :
				"");
	}
	if (d->block_device) {
		if (ioctl(d->fd, BLKGETSIZE64, &d->size)) {
			r = errno;
			disk_close(d);
			return errmsg_set(err, r, "--disk %s: BLKGETSIZE64: %s",
					  spec, strerror(r));
		}
	} else {
		d->size = (uint64_t)st.st_size;
	}
	if (d->size < SECTOR || d->size % SECTOR) {
		uint64_t size = d->size;

		disk_close(d);
		return errmsg_set(
			err, EINVAL,
			size < SECTOR ?
				"--disk %s is too small (%llu bytes): a disk needs at least one 512-byte sector" :
				"--disk %s: its size, %llu bytes, is not a whole number of 512-byte sectors (truncate -s to resize it)",
			d->path, (unsigned long long)size);
	}
	lk.l_type = d->readonly ? F_RDLCK : F_WRLCK;
	if (fcntl(d->fd, F_OFD_SETLK, &lk)) {
		r = errno;
		disk_close(d);
		if (r == EAGAIN || r == EACCES)
			return errmsg_set(
				err, r,
				"--disk %s is in use by another process that holds a lock on it (another kvmscope or QEMU?): stop it, or give another image",
				spec);
		return errmsg_set(err, r, "--disk %s: cannot lock it: %s", spec,
				  strerror(r));
	}
	return 0;
}

void disk_close(struct disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}
