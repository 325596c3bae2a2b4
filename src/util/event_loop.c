// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/event_loop.h"

#define EVENT_LOOP_BATCH 16

int event_loop_init(struct event_loop *loop)
{
	loop->src = NULL;
	loop->nr = loop->cap = 0;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop->epfd < 0 ? -errno : 0;
}

void event_loop_free(struct event_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
	free(loop->src);
	loop->src = NULL;
	loop->nr = loop->cap = 0;
}

static struct event_source *find_source(struct event_loop *loop, int fd)
{
	int i;

	for (i = 0; i < loop->nr; i++)
		if (loop->src[i].fd == fd)
			return &loop->src[i];
	return NULL;
}

int event_loop_add(struct event_loop *loop, int fd, uint32_t events,
		   event_fn fn, void *opaque)
{
	/* The fd is the key: a removed source's pending events find nothing. */
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (fd < 0 || !fn)
		return -EINVAL;
	if (find_source(loop, fd))
		return -EEXIST;
	if (loop->nr == loop->cap) {
		int cap = loop->cap ? loop->cap * 2 : 8;
		struct event_source *s = realloc(loop->src, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		loop->src = s;
		loop->cap = cap;
	}
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	loop->src[loop->nr++] = (struct event_source){ fd, fn, opaque };
	return 0;
}

int event_loop_mod(struct event_loop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (!find_source(loop, fd))
		return -ENOENT;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void event_loop_del(struct event_loop *loop, int fd)
{
	struct event_source *s = find_source(loop, fd);

	if (!s)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	*s = loop->src[--loop->nr];
}

int event_loop_run_once(struct event_loop *loop, int timeout_ms)
{
	struct epoll_event evs[EVENT_LOOP_BATCH];
	int n = epoll_wait(loop->epfd, evs, EVENT_LOOP_BATCH, timeout_ms);
	int i;

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		/* Looked up per event: an earlier callback may have removed it. */
		struct event_source *s = find_source(loop, evs[i].data.fd);

		if (s)
			s->fn(s->opaque, s->fd, evs[i].events);
	}
	return n;
}
