/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmscope's own messages go to stderr with a "kvmscope: " prefix so they
 * never mix with the guest's serial output on stdout.
 */
#ifndef KVMSCOPE_UTIL_LOG_H
#define KVMSCOPE_UTIL_LOG_H

#include <stdbool.h>

extern int log_verbosity; /* 0 = warnings and errors, 1 = info, 2 = debug */

void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define LOG_ERROR 0
#define LOG_WARN 0
#define LOG_INFO 1
#define LOG_DEBUG 2

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
