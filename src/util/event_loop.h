/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The main thread's event loop: an epoll set whose sources are registered
 * as fd + callback. The VM core owns one and runs it; the control socket,
 * the gdb stub, the console and anything added later register their fds
 * without the core naming them.
 *
 * A callback may add, change or remove any source, itself included; a
 * source removed while events for it are pending in the same round is not
 * called again.
 */
#ifndef KVMSCOPE_UTIL_EVENT_LOOP_H
#define KVMSCOPE_UTIL_EVENT_LOOP_H

#include <stdint.h>

typedef void (*event_fn)(void *opaque, int fd, uint32_t events);

struct event_source {
	int fd;
	event_fn fn;
	void *opaque;
};

struct event_loop {
	int epfd;
	struct event_source *src;
	int nr, cap;
};

/* Returns 0 or -errno. */
int event_loop_init(struct event_loop *loop);
void event_loop_free(struct event_loop *loop);
/*
 * Watch fd for events (EPOLLIN, EPOLLOUT...); fn(opaque, fd, revents) is
 * called on readiness. -EEXIST when fd is already watched.
 */
int event_loop_add(struct event_loop *loop, int fd, uint32_t events,
		   event_fn fn, void *opaque);
/* Change what fd is watched for (e.g. add EPOLLOUT while output waits). */
int event_loop_mod(struct event_loop *loop, int fd, uint32_t events);
/* Stop watching fd (before closing it). Unknown fds are ignored. */
void event_loop_del(struct event_loop *loop, int fd);
/*
 * Wait up to timeout_ms (-1: forever) and dispatch what is ready. Returns
 * the number of events dispatched, 0 on timeout or EINTR, -errno on error.
 */
int event_loop_run_once(struct event_loop *loop, int timeout_ms);

#endif
