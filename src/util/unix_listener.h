/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One listening unix socket for every server in kvmscope (the control
 * socket, the gdb stub): the path is checked and a dead server's leftover
 * replaced, the socket is owner-only (0600) from the moment it exists, and
 * on close only our own socket is removed (someone may have replaced the
 * path meanwhile).
 */
#ifndef KVMSCOPE_UTIL_UNIX_LISTENER_H
#define KVMSCOPE_UTIL_UNIX_LISTENER_H

#include <sys/types.h>

#include "util/errmsg.h"

struct unix_listener {
	int fd; /* non-blocking, close-on-exec; -1 when closed */
	char *path;
	dev_t dev;
	ino_t ino;
};

/*
 * Listen on path with the given backlog. option names the user's option in
 * error messages ("--api-sock"). A path that exists and is not a socket, or
 * a socket someone still serves, is an error naming the fix; a socket that
 * refuses connections is a stale leftover and is replaced.
 */
int unix_listener_open(struct unix_listener *l, const char *option,
		       const char *path, int backlog, struct errmsg *err);

/* Accept one peer, non-blocking and close-on-exec; -errno (-EAGAIN). */
int unix_listener_accept(struct unix_listener *l);

/* Close the socket and unlink its path if it is still ours. */
void unix_listener_close(struct unix_listener *l);

#endif
