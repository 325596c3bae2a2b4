// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.h"

int atomic_file_write(const char *path, const void *data, size_t len,
		      struct errmsg *err)
{
	const char *p = data;
	char *tmp;
	size_t done = 0;
	int fd, e;

	if (!path || !*path)
		return errmsg_set(err, EINVAL, "cannot write '': empty path");
	if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
		return errmsg_set(err, ENOMEM, "cannot write %s: out of memory",
				  path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = errno;
		free(tmp);
		return errmsg_set(err, e, "cannot write %s: %s", path,
				  strerror(e));
	}
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			goto fail;
		}
		done += n;
	}
	/* mkstemp makes it 0600: files a user asked for get the umask's mode. */
	{
		mode_t um = umask(0);

		umask(um);
		fchmod(fd, 0666 & ~um);
	}
	if (close(fd) < 0) {
		e = errno;
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		e = errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return errmsg_set(err, e, "cannot write %s: %s", path, strerror(e));
}
