/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One-line error messages carried from the place that knows what went wrong
 * to the caller that prints it. Functions return 0 or -errno and fill an
 * errmsg; only main/cli print and exit.
 */
#ifndef KVMSCOPE_UTIL_ERRMSG_H
#define KVMSCOPE_UTIL_ERRMSG_H

#include <stdarg.h>

struct errmsg {
	char text[512];
};

/* Format into err (if non-NULL) and return -errnum (errnum is positive). */
int errmsg_set(struct errmsg *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
