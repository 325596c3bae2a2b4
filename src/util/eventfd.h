/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Waking a thread through an eventfd, and taking the wake-up back: the
 * devices' I/O threads, the slirp thread and the disk completions all use
 * non-blocking eventfds this way.
 */
#ifndef KVMSCOPE_UTIL_EVENTFD_H
#define KVMSCOPE_UTIL_EVENTFD_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* Add one; a full counter (EAGAIN) already means "wake up". */
static inline void eventfd_kick(int fd)
{
	uint64_t one = 1;

	while (write(fd, &one, sizeof(one)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			log_debug("eventfd write: %s", strerror(errno));
		break;
	}
}

/* Reset a non-blocking eventfd to zero. */
static inline void eventfd_drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		;
}

#endif
