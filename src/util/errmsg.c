// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "util/errmsg.h"

int errmsg_set(struct errmsg *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->text, sizeof(err->text), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}
