/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A growable output queue for a non-blocking stream socket: append
 * messages, write what the socket takes now, and derive the epoll interest
 * that bounds a slow reader.
 *
 * Past the high-water mark the owner should stop reading the peer (its
 * requests make more output); outbuf_interest drops EPOLLIN then. Past
 * max bytes queued the queue overflows: further appends are dropped and
 * outbuf_overflowed() tells the owner to disconnect a peer that stopped
 * reading altogether.
 */
#ifndef KVMSCOPE_UTIL_OUTBUF_H
#define KVMSCOPE_UTIL_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbuf {
	char *buf;
	size_t off, len, cap; /* pending bytes are buf[off..len) */
	size_t high, max;
	bool overflow;
};

void outbuf_init(struct outbuf *o, size_t high, size_t max);
void outbuf_free(struct outbuf *o);

/* Queue len bytes; false (and nothing queued from now on) on overflow. */
bool outbuf_append(struct outbuf *o, const void *data, size_t len);
size_t outbuf_pending(const struct outbuf *o);
const char *outbuf_data(const struct outbuf *o);
/* Forget the first n pending bytes (n <= outbuf_pending). */
void outbuf_consume(struct outbuf *o, size_t n);
bool outbuf_overflowed(const struct outbuf *o);
bool outbuf_above_high(const struct outbuf *o);

/*
 * send() what the socket takes without blocking (MSG_NOSIGNAL): 0 when
 * everything went or the socket is full, -errno when the peer is gone.
 */
int outbuf_flush(struct outbuf *o, int fd);

/*
 * The epoll events the owner should watch: EPOLLOUT while output is
 * pending, EPOLLIN when want_read and the queue is below the high-water
 * mark.
 */
uint32_t outbuf_interest(const struct outbuf *o, bool want_read);

/* The pending bytes NUL-terminated, malloc'ed (NULL on ENOMEM); empties. */
char *outbuf_take(struct outbuf *o, size_t *len);

#endif
