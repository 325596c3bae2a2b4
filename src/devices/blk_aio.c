// SPDX-License-Identifier: GPL-2.0
/*
 * The two ways blk_aio.h does I/O. io_uring first: the device's I/O
 * thread submits and reaps, the kernel does the rest, and the ring's
 * eventfd wakes the thread. Some hosts refuse io_uring (old kernels,
 * seccomp profiles of container runtimes, kernel.io_uring_disabled), so
 * a pool of worker threads doing the same system calls takes over, with
 * one log line saying why; it signals completions on an eventfd of its
 * own, so the device cannot tell the two apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/blk_aio.h"
#include "util/eventfd.h"
#include "util/log.h"

#define BLK_WORKERS 4
#define ZERO_CHUNK (64 * 1024) /* aligned, so O_DIRECT files accept it */

struct blk_aio {
	int fd; /* the image */
	int efd; /* completions wait */
	bool uring;
	struct io_uring ring;
	unsigned int in_flight; /* atomic */
	/* Finished but not reaped (worker pool; io_uring's own errors). */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct blk_io *todo, **todo_tail;
	struct blk_io *done, **done_tail;
	bool quit;
	pthread_t workers[BLK_WORKERS];
	unsigned int nr_workers;
};

static void *zero_chunk;
static pthread_once_t zero_once = PTHREAD_ONCE_INIT;

static void zero_init(void)
{
	zero_chunk = aligned_alloc(4096, ZERO_CHUNK);
	if (zero_chunk)
		memset(zero_chunk, 0, ZERO_CHUNK);
}

static void *zero_buf(void)
{
	pthread_once(&zero_once, zero_init);
	return zero_chunk;
}

/* Where fallocate cannot make zeros (or holes), write them. */
static int write_zeros(int fd, uint64_t off, uint64_t len)
{
	void *z = zero_buf();

	if (!z)
		return -ENOMEM;
	while (len) {
		size_t n = len < ZERO_CHUNK ? (size_t)len : ZERO_CHUNK;
		ssize_t w = pwrite(fd, z, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

/* Read or write all of it: a short transfer that is not EOF goes on. */
static int rw_all(int fd, struct blk_io *io)
{
	struct iovec iov[IOV_MAX];
	int cnt = io->iovcnt < IOV_MAX ? io->iovcnt : IOV_MAX;
	uint64_t off = io->offset, left = io->len;
	int i = 0;

	if (io->iovcnt > IOV_MAX)
		return -EINVAL;
	memcpy(iov, io->iov, sizeof(iov[0]) * (size_t)cnt);
	while (left && i < cnt) {
		ssize_t n = io->op == BLK_OP_READ ?
				    preadv(fd, iov + i, cnt - i, (off_t)off) :
				    pwritev(fd, iov + i, cnt - i, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file shrank under us */
		off += (uint64_t)n;
		left -= (uint64_t)n;
		while (n && i < cnt) {
			if ((size_t)n >= iov[i].iov_len) {
				n -= (ssize_t)iov[i].iov_len;
				i++;
			} else {
				iov[i].iov_base = (char *)iov[i].iov_base + n;
				iov[i].iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return left ? -EIO : 0;
}

static int fallocate_or_zero(int fd, struct blk_io *io)
{
	int mode = io->op == BLK_OP_DISCARD || io->unmap ?
			   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
			   FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;

	if (fallocate(fd, mode, (off_t)io->offset, (off_t)io->len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOTSUP && errno != EINVAL)
		return -errno;
	return write_zeros(fd, io->offset, io->len);
}

int blk_io_run_sync(int fd, struct blk_io *io)
{
	switch (io->op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		return rw_all(fd, io);
	case BLK_OP_FLUSH:
		return fdatasync(fd) ? -errno : 0;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		return fallocate_or_zero(fd, io);
	}
	return -EINVAL;
}

/* Finished outside the ring: reaped at the next blk_aio_reap. */
static void post_done(struct blk_aio *b, struct blk_io *io)
{
	pthread_mutex_lock(&b->lock);
	io->next = NULL;
	*b->done_tail = io;
	b->done_tail = &io->next;
	pthread_mutex_unlock(&b->lock);
	eventfd_kick(b->efd);
}

static void *worker_main(void *opaque)
{
	struct blk_aio *b = opaque;
	struct blk_io *io;

	for (;;) {
		pthread_mutex_lock(&b->lock);
		while (!b->todo && !b->quit)
			pthread_cond_wait(&b->cond, &b->lock);
		if (!b->todo) {
			pthread_mutex_unlock(&b->lock);
			return NULL;
		}
		io = b->todo;
		b->todo = io->next;
		if (!b->todo)
			b->todo_tail = &b->todo;
		pthread_mutex_unlock(&b->lock);
		io->result = blk_io_run_sync(b->fd, io);
		post_done(b, io);
	}
}

static int uring_setup(struct blk_aio *b, unsigned int depth)
{
	int r = io_uring_queue_init(depth, &b->ring, 0);

	if (r < 0)
		return r;
	r = io_uring_register_eventfd(&b->ring, b->efd);
	if (r < 0) {
		io_uring_queue_exit(&b->ring);
		return r;
	}
	b->uring = true;
	return 0;
}

static int workers_start(struct blk_aio *b, struct errmsg *err)
{
	unsigned int i;
	int r;

	for (i = 0; i < BLK_WORKERS; i++) {
		r = pthread_create(&b->workers[i], NULL, worker_main, b);
		if (r) {
			if (i)
				break; /* fewer workers are still workers */
			return errmsg_set(err, r, "disk I/O threads: %s",
					  strerror(r));
		}
		b->nr_workers++;
	}
	return 0;
}

int blk_aio_open(int fd, unsigned int depth, bool force_worker,
		 struct blk_aio **out, struct errmsg *err)
{
	struct blk_aio *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return errmsg_set(err, ENOMEM, "disk: out of memory");
	b->fd = fd;
	b->todo_tail = &b->todo;
	b->done_tail = &b->done;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->efd < 0) {
		r = errno;
		free(b);
		return errmsg_set(err, r, "disk: eventfd: %s", strerror(r));
	}
	if (!force_worker) {
		r = uring_setup(b, depth);
		if (r < 0)
			log_warn(
				"disk: io_uring is not available here (%s): using worker threads (--disk ...,aio=threads says so and hides this line)",
				strerror(-r));
	}
	if (!b->uring) {
		r = workers_start(b, err);
		if (r) {
			close(b->efd);
			free(b);
			return r;
		}
	}
	*out = b;
	return 0;
}

void blk_aio_close(struct blk_aio *b)
{
	unsigned int i;

	if (!b)
		return;
	blk_aio_drain(b);
	pthread_mutex_lock(&b->lock);
	b->quit = true;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	for (i = 0; i < b->nr_workers; i++)
		pthread_join(b->workers[i], NULL);
	if (b->uring)
		io_uring_queue_exit(&b->ring);
	close(b->efd);
	free(b);
}

const char *blk_aio_kind(const struct blk_aio *b)
{
	return b->uring ? "io_uring" : "threads";
}

int blk_aio_fd(const struct blk_aio *b)
{
	return b->efd;
}

unsigned int blk_aio_in_flight(const struct blk_aio *b)
{
	return __atomic_load_n(&b->in_flight, __ATOMIC_ACQUIRE);
}

static bool uring_prep(struct blk_aio *b, struct blk_io *io)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
	int mode;

	if (!sqe) {
		io_uring_submit(&b->ring);
		sqe = io_uring_get_sqe(&b->ring);
		if (!sqe)
			return false;
	}
	switch (io->op) {
	case BLK_OP_READ:
		io_uring_prep_readv(sqe, b->fd, io->iov, (unsigned)io->iovcnt,
				    io->offset);
		break;
	case BLK_OP_WRITE:
		io_uring_prep_writev(sqe, b->fd, io->iov, (unsigned)io->iovcnt,
				     io->offset);
		break;
	case BLK_OP_FLUSH:
		io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
		break;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		mode = io->op == BLK_OP_DISCARD || io->unmap ?
			       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
			       FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
		io_uring_prep_fallocate(sqe, b->fd, mode, io->offset, io->len);
		break;
	}
	io_uring_sqe_set_data(sqe, io);
	return true;
}

void blk_aio_submit(struct blk_aio *b, struct blk_io *io)
{
	__atomic_add_fetch(&b->in_flight, 1, __ATOMIC_ACQ_REL);
	if (b->uring) {
		if (uring_prep(b, io) && io_uring_submit(&b->ring) >= 0)
			return;
		/* A full ring (it is sized for the queue): do it here. */
		io->result = blk_io_run_sync(b->fd, io);
		post_done(b, io);
		return;
	}
	pthread_mutex_lock(&b->lock);
	io->next = NULL;
	*b->todo_tail = io;
	b->todo_tail = &io->next;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

static void finish(struct blk_aio *b, struct blk_io *io)
{
	__atomic_sub_fetch(&b->in_flight, 1, __ATOMIC_ACQ_REL);
	io->done(io);
}

/* A ring completion: short transfers and unsupported fallocate go on
 * synchronously, as rare cases that keep the ring path simple. */
static int uring_result(struct blk_aio *b, struct blk_io *io, int res)
{
	switch (io->op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		if (res >= 0 && (uint64_t)res == io->len)
			return 0;
		if (res >= 0 || res == -EAGAIN || res == -EINTR)
			return rw_all(b->fd, io);
		return res;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		if (res == -EOPNOTSUPP || res == -EINVAL)
			return write_zeros(b->fd, io->offset, io->len);
		return res;
	case BLK_OP_FLUSH:
		return res;
	}
	return res;
}

void blk_aio_reap(struct blk_aio *b)
{
	struct io_uring_cqe *cqe;
	struct blk_io *list, *io;
	uint64_t v;

	while (read(b->efd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	while (b->uring && io_uring_peek_cqe(&b->ring, &cqe) == 0) {
		io = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&b->ring, cqe);
		io->result = uring_result(b, io, res);
		finish(b, io);
	}
	pthread_mutex_lock(&b->lock);
	list = b->done;
	b->done = NULL;
	b->done_tail = &b->done;
	pthread_mutex_unlock(&b->lock);
	while (list) {
		io = list;
		list = io->next;
		finish(b, io);
	}
}

void blk_aio_drain(struct blk_aio *b)
{
	struct pollfd p = { .fd = b->efd, .events = POLLIN };

	blk_aio_reap(b);
	while (blk_aio_in_flight(b)) {
		if (poll(&p, 1, 1000) < 0 && errno != EINTR)
			break;
		blk_aio_reap(b);
	}
}
