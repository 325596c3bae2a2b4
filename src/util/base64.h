/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Standard base64 (RFC 4648 alphabet "A-Za-z0-9+/"), one codec for the
 * control commands (read-memory, write-memory) and `kvmscope ctl`.
 *
 * Decoding is strict about everything but layout: whitespace (the line
 * breaks base64(1) inserts) is skipped anywhere, and the '=' padding may be
 * left out, but when present it must complete the last group exactly and
 * nothing but whitespace may follow it. A last group of one character, bits
 * set past the end of the data, and any byte outside the alphabet are
 * errors that name the offset.
 */
#ifndef KVMSCOPE_UTIL_BASE64_H
#define KVMSCOPE_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"

/* Characters base64_encode produces for len bytes (without the NUL). */
size_t base64_encoded_len(size_t len);

/* Padded base64 of in[0..len), NUL-terminated, malloc'ed; NULL on ENOMEM. */
char *base64_encode(const void *in, size_t len);

/*
 * Decode s[0..slen) into a malloc'ed buffer (*out, *out_len; *out is
 * non-NULL even for empty data). More than max decoded bytes is an error.
 * Returns 0, or -EINVAL/-ENOMEM with err set to "<what>: <why>".
 */
int base64_decode(const char *s, size_t slen, size_t max, const char *what,
		  uint8_t **out, size_t *out_len, struct errmsg *err);

#endif
