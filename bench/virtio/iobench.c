// SPDX-License-Identifier: GPL-2.0
/*
 * iobench: the I/O patterns of bench/virtio, one program for the guest and
 * the host (built static, so it runs from the guest's busybox initramfs).
 *
 *   iobench disk PATH seq-read|seq-write|rand-read SECONDS [BS]
 *   iobench tcp-send HOST PORT SECONDS [sendfile|write]
 *   iobench tcp-sink PORT [ADDR]
 *
 * disk: O_DIRECT on a block device or a regular file (so no page cache
 * hides the device), one request in flight (queue depth 1), BS bytes per
 * request (default 1 MiB for seq-*, 4 KiB for rand-read), for SECONDS of
 * wall time. Sequential patterns wrap at the end of the device; rand-read
 * picks BS-aligned offsets with a fixed-seed xorshift, so every run reads
 * the same sequence. tcp-send: sends to HOST:PORT for SECONDS, then
 * closes: by default with sendfile from a 4 MiB memfd (64 KiB a call, so
 * the sender's kernel copies no data: a Linux guest here runs its kernel
 * emulated, and copying would be all it measured), or with write(2) of a
 * 64 KiB buffer. tcp-sink: accepts one connection on PORT and
 * counts what arrives until EOF; its time runs from the first byte.
 *
 * Each prints one line on stdout and exits 0:
 *   IOBENCH mode=MODE bs=N bytes=N ops=N ns=N
 * An error prints "iobench: ..." on stderr and exits 1; bad usage exits 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NET_BUF (64 * 1024)
#define NET_FILE (4 * 1024 * 1024)

static int usage(void)
{
	fprintf(stderr,
		"usage: iobench disk PATH seq-read|seq-write|rand-read SECONDS [BS]\n"
		"       iobench tcp-send HOST PORT SECONDS [sendfile|write]\n"
		"       iobench tcp-sink PORT [ADDR]\n");
	return 2;
}

static int fail(const char *what)
{
	fprintf(stderr, "iobench: %s: %s\n", what, strerror(errno));
	return 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void report(const char *mode, uint64_t bs, uint64_t bytes,
		   uint64_t ops, uint64_t ns)
{
	printf("IOBENCH mode=%s bs=%llu bytes=%llu ops=%llu ns=%llu\n", mode,
	       (unsigned long long)bs, (unsigned long long)bytes,
	       (unsigned long long)ops, (unsigned long long)ns);
	fflush(stdout);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v == 0)
		return -1;
	*out = v;
	return 0;
}

static int disk_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size);
	*size = st.st_size;
	return 0;
}

static int disk(const char *path, const char *mode, uint64_t secs,
		uint64_t bs)
{
	int rand = !strcmp(mode, "rand-read");
	int write = !strcmp(mode, "seq-write");
	uint64_t size, blocks, off = 0, ops = 0, bytes = 0, t0, t, end;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	void *buf;
	int fd;

	if (!rand && !write && strcmp(mode, "seq-read"))
		return usage();
	if (!bs)
		bs = rand ? 4096 : 1 << 20;
	if (bs % 4096)
		return usage();
	fd = open(path, (write ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		return fail(path);
	if (disk_size(fd, &size) < 0)
		return fail("size");
	blocks = size / bs;
	if (!blocks) {
		fprintf(stderr, "iobench: %s: smaller than one block\n", path);
		return 1;
	}
	if (posix_memalign(&buf, 4096, bs))
		return fail("posix_memalign");
	memset(buf, 0xa5, bs);
	t0 = now_ns();
	end = t0 + secs * 1000000000u;
	do {
		ssize_t n;

		if (rand) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			off = (x % blocks) * bs;
		}
		n = write ? pwrite(fd, buf, bs, off) : pread(fd, buf, bs, off);
		if (n != (ssize_t)bs) {
			if (n >= 0)
				errno = EIO;
			return fail(write ? "pwrite" : "pread");
		}
		bytes += bs;
		ops++;
		if (!rand) {
			off += bs;
			if (off + bs > size)
				off = 0;
		}
		t = now_ns();
	} while (t < end);
	report(mode, bs, bytes, ops, t - t0);
	close(fd);
	return 0;
}

/* A memfd of NET_FILE bytes of data, for sendfile. */
static int net_file(void)
{
	static char buf[NET_BUF];
	int fd = memfd_create("iobench", 0), i;

	if (fd < 0)
		return -1;
	memset(buf, 'K', sizeof(buf));
	for (i = 0; i < NET_FILE / NET_BUF; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			return -1;
	return fd;
}

static int tcp_send(const char *host, const char *port, uint64_t secs,
		    const char *how)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	static char buf[NET_BUF];
	uint64_t bytes = 0, ops = 0, t0, t, end;
	int use_sendfile = !how || !strcmp(how, "sendfile");
	uint64_t p;
	off_t off = 0;
	int fd, src = -1;

	if (parse_u64(port, &p) || p > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    (!use_sendfile && strcmp(how, "write")))
		return usage();
	sa.sin_port = htons(p);
	memset(buf, 'K', sizeof(buf));
	if (use_sendfile && (src = net_file()) < 0)
		return fail("memfd");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("connect");
	t0 = now_ns();
	end = t0 + secs * 1000000000u;
	do {
		ssize_t n;

		if (use_sendfile) {
			if (off >= NET_FILE)
				off = 0;
			n = sendfile(fd, src, &off, NET_BUF);
		} else {
			n = write(fd, buf, sizeof(buf));
		}
		if (n <= 0)
			return fail(use_sendfile ? "sendfile" : "write");
		bytes += n;
		ops++;
		t = now_ns();
	} while (t < end);
	close(fd);
	report(use_sendfile ? "tcp-sendfile" : "tcp-send", NET_BUF, bytes, ops,
	       t - t0);
	return 0;
}

static int tcp_sink(const char *port, const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	static char buf[256 * 1024];
	uint64_t bytes = 0, ops = 0, t0 = 0;
	uint64_t p;
	int one = 1, ls, fd;

	if (parse_u64(port, &p) || p > 65535 ||
	    inet_pton(AF_INET, addr ? addr : "0.0.0.0", &sa.sin_addr) != 1)
		return usage();
	sa.sin_port = htons(p);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		return fail("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("bind");
	if (listen(ls, 1) < 0)
		return fail("listen");
	printf("IOBENCH listening port=%llu\n", (unsigned long long)p);
	fflush(stdout);
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		return fail("accept");
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0)
			return fail("read");
		if (!n)
			break;
		if (!t0)
			t0 = now_ns();
		bytes += n;
		ops++;
	}
	report("tcp-sink", sizeof(buf), bytes, ops, t0 ? now_ns() - t0 : 0);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t secs, bs = 0;

	if (argc >= 5 && argc <= 6 && !strcmp(argv[1], "disk")) {
		if (parse_u64(argv[4], &secs) ||
		    (argc == 6 && parse_u64(argv[5], &bs)))
			return usage();
		return disk(argv[2], argv[3], secs, bs);
	}
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "tcp-send")) {
		if (parse_u64(argv[4], &secs))
			return usage();
		return tcp_send(argv[2], argv[3], secs,
				argc == 6 ? argv[5] : NULL);
	}
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "tcp-sink"))
		return tcp_sink(argv[2], argc == 4 ? argv[3] : NULL);
	return usage();
}
