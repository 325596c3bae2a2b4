// SPDX-License-Identifier: GPL-2.0
/*
 * util/base64's strict decoder on arbitrary text. Byte 0 picks the size
 * limit (0: unlimited); the rest is the text. Whatever it is, decoding must
 * either fail with a message naming "data" or succeed within the limit,
 * and what it decodes must survive an encode/decode round trip; when the
 * text is already canonical (padded, no whitespace) encoding gives it back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errmsg err;
	uint8_t *out, *again;
	size_t max, len, len2;
	const char *text;
	char *enc;
	int r;

	if (!size)
		return 0;
	max = data[0] ? data[0] : SIZE_MAX;
	text = (const char *)data + 1;
	size--;
	err.text[0] = '\0';
	r = base64_decode(text, size, max, "data", &out, &len, &err);
	if (r) {
		if (out || len || strncmp(err.text, "data: ", 6))
			__builtin_trap();
		return 0;
	}
	if (!out || len > max)
		__builtin_trap();
	enc = base64_encode(out, len);
	if (!enc)
		abort();
	if (strlen(enc) != base64_encoded_len(len))
		__builtin_trap();
	/* Without whitespace, only the canonical text is that long. */
	if (size == strlen(enc) && !memchr(text, ' ', size) &&
	    !memchr(text, '\t', size) && !memchr(text, '\n', size) &&
	    !memchr(text, '\r', size) && memcmp(enc, text, size))
		__builtin_trap();
	r = base64_decode(enc, strlen(enc), SIZE_MAX, "data", &again, &len2,
			  &err);
	if (r || len2 != len || (len && memcmp(again, out, len)))
		__builtin_trap();
	free(again);
	free(enc);
	free(out);
	return 0;
}
