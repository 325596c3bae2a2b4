// SPDX-License-Identifier: GPL-2.0
/* A growable output queue with back-pressure (see outbuf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "util/outbuf.h"

void outbuf_init(struct outbuf *o, size_t high, size_t max)
{
	memset(o, 0, sizeof(*o));
	o->high = high;
	o->max = max;
}

void outbuf_free(struct outbuf *o)
{
	free(o->buf);
	o->buf = NULL;
	o->off = o->len = o->cap = 0;
}

size_t outbuf_pending(const struct outbuf *o)
{
	return o->len - o->off;
}

const char *outbuf_data(const struct outbuf *o)
{
	return o->buf ? o->buf + o->off : "";
}

bool outbuf_overflowed(const struct outbuf *o)
{
	return o->overflow;
}

bool outbuf_above_high(const struct outbuf *o)
{
	return outbuf_pending(o) >= o->high;
}

bool outbuf_append(struct outbuf *o, const void *data, size_t len)
{
	size_t cap;
	char *p;

	if (o->overflow)
		return false;
	if (len > o->max || outbuf_pending(o) > o->max - len) {
		o->overflow = true;
		return false;
	}
	if (o->off == o->len)
		o->off = o->len = 0;
	if (o->len + len > o->cap && o->off) {
		memmove(o->buf, o->buf + o->off, outbuf_pending(o));
		o->len -= o->off;
		o->off = 0;
	}
	if (o->len + len > o->cap) {
		cap = o->cap ? o->cap : 4096;
		while (cap < o->len + len)
			cap *= 2;
		p = realloc(o->buf, cap);
		if (!p) {
			o->overflow = true;
			return false;
		}
		o->buf = p;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, data, len);
	o->len += len;
	return true;
}

void outbuf_consume(struct outbuf *o, size_t n)
{
	if (n > outbuf_pending(o))
		n = outbuf_pending(o);
	o->off += n;
	if (o->off == o->len)
		o->off = o->len = 0;
}

int outbuf_flush(struct outbuf *o, int fd)
{
	ssize_t n;

	while (outbuf_pending(o)) {
		n = send(fd, o->buf + o->off, outbuf_pending(o),
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		outbuf_consume(o, (size_t)n);
	}
	return 0;
}

uint32_t outbuf_interest(const struct outbuf *o, bool want_read)
{
	uint32_t ev = 0;

	if (want_read && !outbuf_above_high(o))
		ev |= EPOLLIN;
	if (outbuf_pending(o))
		ev |= EPOLLOUT;
	return ev;
}

char *outbuf_take(struct outbuf *o, size_t *len)
{
	size_t n = outbuf_pending(o);
	char *p = malloc(n + 1);

	if (p) {
		if (n)
			memcpy(p, o->buf + o->off, n);
		p[n] = '\0';
	}
	if (len)
		*len = p ? n : 0;
	o->off = o->len = 0;
	return p;
}
