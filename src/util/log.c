// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

int log_verbosity;

void log_msg(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (level > log_verbosity)
		return;
	n = snprintf(line, sizeof(line), "kvmscope: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 2, fmt, ap);
	va_end(ap);
	n = strlen(line);
	/*
	 * The terminal may be in raw mode (serial console), where "\n" does
	 * not return the carriage; always end lines with "\r\n" there.
	 */
	if (isatty(STDERR_FILENO))
		line[n++] = '\r';
	line[n++] = '\n';
	/* One write per line keeps lines from different threads whole. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
