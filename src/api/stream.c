// SPDX-License-Identifier: GPL-2.0
/*
 * JSON stream framing for the control socket and `kvmscope ctl`: the next
 * JSON value of a byte stream (api_stream_next), with QMP's numbers, and
 * the id of a request that could not be parsed.
 *
 * QMP numbers: addresses and sizes are unsigned 64-bit, but jansson keeps
 * integers in an int64 and rejects larger literals ("too big integer").
 * Such a literal (up to 2^64 - 1, outside strings) is quoted and the value
 * parsed again, so the argument helpers see the string "18446744073709551615"
 * they already parse exactly (cmd/command.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/server.h"
#include "api/session.h"

#define JSON_FLAGS (JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES)

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* True when buf ends inside a multi-byte UTF-8 sequence. */
static bool utf8_cut(const char *buf, size_t len)
{
	size_t i, need;

	for (i = 1; i <= 3 && i <= len; i++) {
		unsigned char c = buf[len - i];

		if ((c & 0xc0) == 0x80)
			continue;
		if ((c & 0xe0) == 0xc0)
			need = 2;
		else if ((c & 0xf0) == 0xe0)
			need = 3;
		else if ((c & 0xf8) == 0xf0)
			need = 4;
		else
			return false;
		return i < need;
	}
	return false;
}

/* digits[0..n) (no sign, no leading zero but "0") as a u64 that does not
 * fit int64: 2^63 <= v <= 2^64 - 1. */
static bool beyond_int64(const char *digits, size_t n)
{
	if (n < 19 || n > 20)
		return false;
	if (n == 19)
		return memcmp(digits, "9223372036854775807", 19) > 0;
	return memcmp(digits, "18446744073709551615", 20) <= 0;
}

struct quoted {
	char *buf; /* the text with big literals quoted */
	size_t len;
	size_t *ends; /* offset in buf just past each inserted closing quote */
	size_t n;
	bool cut; /* a big literal touches the end: it may go on */
};

/* Quote every integer literal between 2^63 and 2^64 - 1 outside strings. */
static bool quote_big_integers(const char *in, size_t len, struct quoted *q)
{
	bool in_str = false, esc = false;
	size_t i = 0, j, o = 0, cap = 0;

	memset(q, 0, sizeof(*q));
	for (j = 0; j < len; j++)
		if (is_digit(in[j]))
			cap++;
	/* at most one literal per 19 digits, two quotes each */
	q->buf = malloc(len + 2 * (cap / 19 + 1));
	q->ends = malloc((cap / 19 + 1) * sizeof(*q->ends));
	if (!q->buf || !q->ends) {
		free(q->buf);
		free(q->ends);
		return false;
	}
	while (i < len) {
		char c = in[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			q->buf[o++] = in[i++];
			continue;
		}
		if (c == '"') {
			in_str = true;
			q->buf[o++] = in[i++];
			continue;
		}
		if (!is_digit(c) ||
		    (i && (is_digit(in[i - 1]) || in[i - 1] == '-' ||
			   in[i - 1] == '.' || in[i - 1] == 'e' ||
			   in[i - 1] == 'E' || in[i - 1] == '+'))) {
			q->buf[o++] = in[i++];
			continue;
		}
		for (j = i; j < len && is_digit(in[j]); j++)
			;
		if (j == len) {
			/* the literal may go on in the next read */
			q->cut = beyond_int64(in + i, j - i) || j - i > 20;
		} else if (in[j] != '.' && in[j] != 'e' && in[j] != 'E' &&
			   in[i] != '0' && beyond_int64(in + i, j - i)) {
			q->buf[o++] = '"';
			memcpy(q->buf + o, in + i, j - i);
			o += j - i;
			q->buf[o++] = '"';
			q->ends[q->n++] = o;
			i = j;
			continue;
		}
		memcpy(q->buf + o, in + i, j - i);
		o += j - i;
		i = j;
	}
	q->len = o;
	return true;
}

/* A position in the quoted text as a position in the original. */
static size_t unquoted_pos(const struct quoted *q, size_t pos)
{
	size_t i, shift = 0;

	for (i = 0; i < q->n; i++) {
		if (q->ends[i] <= pos)
			shift += 2;
		else if (q->ends[i] - 1 <= pos) /* inside the literal */
			shift += 1;
	}
	return pos - shift;
}

enum api_stream_result api_stream_next(const char *buf, size_t len,
				       json_t **out, size_t *used,
				       char *errtext, size_t errlen)
{
	struct quoted q = { 0 };
	json_error_t e;
	size_t ws = 0, pos;
	json_t *j;
	char last;

	*out = NULL;
	*used = 0;
	while (ws < len && is_ws(buf[ws]))
		ws++;
	if (ws == len)
		return API_STREAM_MORE;
	j = json_loadb(buf + ws, len - ws, JSON_FLAGS, &e);
	if (!j && json_error_code(&e) == json_error_numeric_overflow &&
	    quote_big_integers(buf + ws, len - ws, &q)) {
		if (q.cut) {
			free(q.buf);
			free(q.ends);
			return API_STREAM_MORE;
		}
		j = json_loadb(q.buf, q.len, JSON_FLAGS, &e);
		e.position = (int)unquoted_pos(&q, e.position);
		free(q.buf);
		free(q.ends);
	}
	if (j) {
		*out = j;
		*used = ws + e.position;
		return API_STREAM_OBJECT;
	}
	/*
	 * jansson reports a token cut by the end of the buffer ("tr", "1e",
	 * "\u00") as invalid rather than premature: an error at the very end
	 * is only final when the last byte ends a token by itself.
	 */
	pos = e.position;
	last = buf[len - 1];
	if (json_error_code(&e) == json_error_premature_end_of_input ||
	    (pos >= len - ws && !strchr("{}[],:\"", last) && !is_ws(last)) ||
	    (json_error_code(&e) == json_error_invalid_utf8 &&
	     utf8_cut(buf, len)))
		return API_STREAM_MORE;
	snprintf(errtext, errlen, "%s%s",
		 json_error_code(&e) == json_error_invalid_utf8 ?
			 "invalid UTF-8: " :
			 "",
		 e.text);
	*used = ws + (pos ? pos : 1);
	if (*used > len)
		*used = len;
	return API_STREAM_ERROR;
}

json_t *api_stream_recover_id(const char *buf, size_t len)
{
	bool in_str = false, esc = false;
	size_t i, k, start = 0;
	json_error_t e;
	int depth = 0;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (esc) {
				esc = false;
			} else if (c == '\\') {
				esc = true;
			} else if (c == '"') {
				in_str = false;
				if (depth != 1 || i - start != 3 ||
				    memcmp(buf + start, "\"id", 3))
					continue;
				for (k = i + 1; k < len && is_ws(buf[k]); k++)
					;
				if (k == len || buf[k] != ':')
					continue;
				for (k++; k < len && is_ws(buf[k]); k++)
					;
				if (k == len)
					return NULL;
				return json_loadb(
					buf + k, strnlen(buf + k, len - k),
					JSON_DECODE_ANY |
						JSON_DISABLE_EOF_CHECK,
					&e);
			}
			continue;
		}
		if (c == '"') {
			in_str = true;
			start = i;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth <= 0)
				return NULL; /* the request ended without one */
		}
	}
	return NULL;
}
