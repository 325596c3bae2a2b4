// SPDX-License-Identifier: GPL-2.0
/*
 * util/base64: the RFC 4648 test vectors both ways, the layout the decoder
 * tolerates (whitespace, missing padding) and everything it must refuse,
 * each with the offset the message names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"

static const struct {
	const char *plain, *b64;
} vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void decode_ok(const char *in, const void *want, size_t want_len)
{
	struct errmsg err = { 0 };
	uint8_t *out;
	size_t len;

	if (base64_decode(in, strlen(in), 1 << 20, "data", &out, &len, &err))
		fail_msg("'%s': %s", in, err.text);
	assert_non_null(out);
	assert_int_equal(len, want_len);
	assert_memory_equal(out, want, want_len ? want_len : 1 - 1);
	free(out);
}

static void decode_err(const char *in, size_t max, const char *want)
{
	struct errmsg err = { 0 };
	uint8_t *out = (uint8_t *)1;
	size_t len = 7;

	assert_int_equal(base64_decode(in, strlen(in), max, "data", &out, &len,
				       &err),
			 -EINVAL);
	assert_null(out);
	assert_int_equal(len, 0);
	if (strcmp(err.text, want))
		fail_msg("'%s': got \"%s\", expected \"%s\"", in, err.text,
			 want);
}

static void test_vectors(void **state)
{
	size_t i;
	char *e;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		e = base64_encode(vectors[i].plain, strlen(vectors[i].plain));
		assert_non_null(e);
		assert_string_equal(e, vectors[i].b64);
		assert_int_equal(strlen(e),
				 base64_encoded_len(strlen(vectors[i].plain)));
		free(e);
		decode_ok(vectors[i].b64, vectors[i].plain,
			  strlen(vectors[i].plain));
	}
}

static void test_all_bytes_round_trip(void **state)
{
	struct errmsg err;
	uint8_t in[256 * 3], *out;
	size_t n, len, i;
	char *e;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + (i >> 8));
	for (n = 0; n <= sizeof(in); n += n < 8 ? 1 : 61) {
		e = base64_encode(in, n);
		assert_non_null(e);
		assert_int_equal(base64_decode(e, strlen(e), n, "x", &out, &len,
					       &err),
				 0);
		assert_int_equal(len, n);
		if (n)
			assert_memory_equal(out, in, n);
		free(out);
		free(e);
	}
	e = base64_encode("\xfb\xff\xbf", 3);
	assert_string_equal(e, "+/+/");
	free(e);
}

static void test_layout(void **state)
{
	/* base64(1) line breaks, spaces, CRLF, and no padding */
	decode_ok("Zm9v\nYmFy\n", "foobar", 6);
	decode_ok(" Zm9v YmE=\r\n", "fooba", 5);
	decode_ok("Zm9vYg", "foob", 4);
	decode_ok("Zm9vYmE", "fooba", 5);
	decode_ok("Zm9vYg=\n=", "foob", 4);
	decode_ok("Zm8=  \n", "fo", 2);
	decode_ok("\n\t ", "", 0);
}

static void test_rejects(void **state)
{
	decode_err("Zm9v!mFy", 64,
		   "data: not a base64 character ('!' at offset 4)");
	decode_err("Zm9v-_", 64,
		   "data: not a base64 character ('-' at offset 4)");
	decode_err("Zm\x80v", 64,
		   "data: not a base64 character ('?' at offset 2)");
	decode_err("=Zm9", 64, "data: misplaced '=' padding (at offset 0)");
	decode_err("Z===", 64, "data: misplaced '=' padding (at offset 1)");
	decode_err("Zm9v===", 64, "data: misplaced '=' padding (at offset 4)");
	decode_err("Zm9=v", 64,
		   "data: data after the '=' padding ('v' at offset 4)");
	decode_err("Zg==Zg==", 64,
		   "data: data after the '=' padding ('Z' at offset 4)");
	decode_err("Zg=", 64, "data: incomplete '=' padding (at offset 2)");
	decode_err(
		"Zm9vY", 64,
		"data: truncated: one character cannot encode a byte (at offset 4)");
	decode_err(
		"Zh==", 64,
		"data: the last character has bits set past the end of the data ('h' at offset 1)");
	decode_err(
		"Zm9=", 64,
		"data: the last character has bits set past the end of the data ('9' at offset 2)");
	decode_err("Zm9vYmFy", 5, "data: more than 5 bytes");
	decode_err("Zm9vYg==", 3, "data: more than 3 bytes");
	/* a NUL byte is just another foreign byte, with its offset */
	{
		struct errmsg err;
		uint8_t *out;
		size_t len;

		assert_int_equal(base64_decode("Zm\0v", 4, 64, "data", &out,
					       &len, &err),
				 -EINVAL);
		assert_string_equal(
			err.text, "data: not a base64 character (at offset 2)");
	}
}

static void test_max_exact(void **state)
{
	decode_ok("Zm9vYmFy", "foobar", 6);
	{
		struct errmsg err;
		uint8_t *out;
		size_t len;

		assert_int_equal(base64_decode("Zm9vYmE=", 8, 5, "d", &out,
					       &len, &err),
				 0);
		assert_int_equal(len, 5);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_all_bytes_round_trip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_max_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
