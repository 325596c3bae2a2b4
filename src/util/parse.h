/* SPDX-License-Identifier: GPL-2.0 */
/* Strict parsers for user-given numbers: whole string, no overflow. */
#ifndef KVMSCOPE_UTIL_PARSE_H
#define KVMSCOPE_UTIL_PARSE_H

#include <stdint.h>

/*
 * "256M", "1G", "512K", "1048576" (bytes; suffixes K/M/G/T, powers of 1024,
 * case-insensitive, optional "iB"/"B"). -EINVAL on junk, -ERANGE on overflow.
 */
int parse_size(const char *s, uint64_t *out);
/* Decimal integer in [min, max]; -EINVAL on junk, -ERANGE outside. */
int parse_int(const char *s, long min, long max, long *out);

/* Value of one hex digit (either case), -1 for anything else. */
int parse_hex_digit(int c);

#endif
