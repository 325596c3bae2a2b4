// SPDX-License-Identifier: GPL-2.0
/* Standard base64 encoding and strict decoding (see base64.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/base64.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

char *base64_encode(const void *in, size_t len)
{
	const uint8_t *p = in;
	char *out, *o;
	size_t i;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 2)
		return NULL;
	out = malloc(base64_encoded_len(len) + 1);
	if (!out)
		return NULL;
	o = out;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
			     p[i + 2];

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int fail(uint8_t *buf, struct errmsg *err, int e, const char *what,
		const char *why, size_t at, unsigned char c)
{
	free(buf);
	if (c)
		return errmsg_set(err, e, "%s: %s ('%c' at offset %zu)", what,
				  why, c >= 0x20 && c < 0x7f ? c : '?', at);
	return errmsg_set(err, e, "%s: %s (at offset %zu)", what, why, at);
}

static int too_long(uint8_t *buf, struct errmsg *err, const char *what,
		    size_t max)
{
	free(buf);
	return errmsg_set(err, EINVAL, "%s: more than %zu bytes", what, max);
}

int base64_decode(const char *s, size_t slen, size_t max, const char *what,
		  uint8_t **out, size_t *out_len, struct errmsg *err)
{
	size_t i, len = 0, last = 0, last_data = 0;
	uint32_t acc = 0;
	int group = 0, pad = 0, v;
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	buf = malloc(slen / 4 * 3 + 3);
	if (!buf)
		return errmsg_set(err, ENOMEM, "%s: out of memory", what);
	for (i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_space(c))
			continue;
		if (c == '=') {
			/* "xx==" or "xxx=": padding completes the group */
			if (group < 2 || group + pad >= 4)
				return fail(buf, err, EINVAL, what,
					    "misplaced '=' padding", i, 0);
			pad++;
			last = i;
			continue;
		}
		v = value_of(c);
		if (v < 0)
			return fail(buf, err, EINVAL, what,
				    "not a base64 character", i, c);
		if (pad)
			return fail(buf, err, EINVAL, what,
				    "data after the '=' padding", i, c);
		acc = acc << 6 | (uint32_t)v;
		last = last_data = i;
		if (++group == 4) {
			if (len + 3 > max)
				return too_long(buf, err, what, max);
			buf[len++] = (uint8_t)(acc >> 16);
			buf[len++] = (uint8_t)(acc >> 8);
			buf[len++] = (uint8_t)acc;
			group = 0;
			acc = 0;
		}
	}
	if (pad && group + pad != 4)
		return fail(buf, err, EINVAL, what, "incomplete '=' padding",
			    last, 0);
	if (group == 1)
		return fail(buf, err, EINVAL, what,
			    "truncated: one character cannot encode a byte",
			    last, 0);
	if (group) {
		/* 2 characters carry 1 byte + 4 spare bits, 3 carry 2 + 2 */
		int spare = group == 2 ? 4 : 2;

		if (acc & ((1u << spare) - 1))
			return fail(
				buf, err, EINVAL, what,
				"the last character has bits set past the end of the data",
				last_data, (unsigned char)s[last_data]);
		if (len + group - 1 > max)
			return too_long(buf, err, what, max);
		acc >>= spare;
		if (group == 3)
			buf[len++] = (uint8_t)(acc >> 8);
		buf[len++] = (uint8_t)acc;
	}
	*out = buf;
	*out_len = len;
	return 0;
}
