// SPDX-License-Identifier: GPL-2.0
#include "util/unix_listener.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"

/* A socket at path that refuses connections is a dead server's leftover. */
static int replace_stale(const char *option, const char *path,
			 struct errmsg *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r, e;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return errmsg_set(err, errno, "%s %s: %s", option, path,
				  strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return errmsg_set(
			err, EEXIST,
			"%s %s: the path exists and is not a socket; remove it or choose another path",
			option, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errmsg_set(err, errno, "%s %s: socket: %s", option,
				  path, strerror(errno));
	memcpy(sa.sun_path, path, strlen(path));
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	if (r == 0)
		return errmsg_set(
			err, EADDRINUSE,
			"%s %s: another process is serving this socket (another kvmscope?); stop it or choose another path",
			option, path);
	if (e != ECONNREFUSED)
		return errmsg_set(
			err, e,
			"%s %s: an existing socket is there and cannot be checked (%s); remove it or choose another path",
			option, path, strerror(e));
	if (unlink(path) < 0)
		return errmsg_set(err, errno,
				  "%s %s: cannot remove the stale socket: %s",
				  option, path, strerror(errno));
	log_info("%s: replaced the stale socket %s", option, path);
	return 0;
}

int unix_listener_open(struct unix_listener *l, const char *option,
		       const char *path, int backlog, struct errmsg *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	l->fd = -1;
	l->path = NULL;
	if (!path || !*path)
		return errmsg_set(err, EINVAL, "%s needs a path", option);
	if (strlen(path) >= sizeof(sa.sun_path))
		return errmsg_set(
			err, ENAMETOOLONG,
			"%s %s: the path is %zu bytes long; unix sockets allow %zu",
			option, path, strlen(path), sizeof(sa.sun_path) - 1);
	r = replace_stale(option, path, err);
	if (r)
		return r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errmsg_set(err, errno, "%s %s: socket: %s", option, path,
				  strerror(errno));
	memcpy(sa.sun_path, path, strlen(path));
	/*
	 * The socket controls the VM and reads its memory: owner only, from
	 * the moment it exists (a chmod after bind would leave a window).
	 */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = errmsg_set(err, errno, "%s %s: cannot create the socket: %s",
			       option, path, strerror(errno));
		close(fd);
		return r;
	}
	if (chmod(path, 0600) < 0 || listen(fd, backlog) < 0 ||
	    stat(path, &st) < 0) {
		r = errmsg_set(err, errno, "%s %s: %s", option, path,
			       strerror(errno));
		unlink(path);
		close(fd);
		return r;
	}
	l->path = strdup(path);
	if (!l->path) {
		unlink(path);
		close(fd);
		return errmsg_set(err, ENOMEM, "%s %s: out of memory", option,
				  path);
	}
	l->fd = fd;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

int unix_listener_accept(struct unix_listener *l)
{
	int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void unix_listener_close(struct unix_listener *l)
{
	struct stat st;

	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	if (l->path && lstat(l->path, &st) == 0 && st.st_dev == l->dev &&
	    st.st_ino == l->ino)
		unlink(l->path);
	free(l->path);
	l->path = NULL;
}
