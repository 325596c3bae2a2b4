// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's framing: sessions (no socket) for the protocol, and
 * a real socket in a private /tmp directory for what only a socket shows:
 * its mode, stale and foreign paths, many clients, partial writes, EOF.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/server.h"
#include "inspect/handlers.h"

/* ---- a table that needs no VM ---- */

/* Returns its arguments. */
static int cmd_echo(struct api_ctx *ctx, json_t *args, json_t **ret,
		    struct errmsg *err)
{
	*ret = json_copy(args);
	return 0;
}

/* {"data": n bytes of 'A'}: replies far larger than a socket buffer. */
static int cmd_big(struct api_ctx *ctx, json_t *args, json_t **ret,
		   struct errmsg *err)
{
	long n;
	char *s;
	int r;

	r = api_arg_int(args, "n", true, 0, 8 << 20, &n, NULL, err);
	if (r)
		return r;
	s = malloc(n + 1);
	memset(s, 'A', n);
	s[n] = '\0';
	*ret = json_pack("{s:s}", "data", s);
	free(s);
	return 0;
}

static int cmd_emit(struct api_ctx *ctx, json_t *args, json_t **ret,
		    struct errmsg *err)
{
	api_server_event(ctx->server, "TEST", json_pack("{s:i}", "n", 1));
	return 0;
}

static const struct api_command table[] = {
	{ "qmp_capabilities", api_cmd_qmp_capabilities, API_LIFECYCLE, "", "",
	  true },
	{ "echo", cmd_echo, API_LIFECYCLE, "", "", true },
	{ "big", cmd_big, API_LIFECYCLE, "", "", true },
	{ "emit", cmd_emit, API_LIFECYCLE, "", "", true },
};
#define TABLE_SIZE ((int)(sizeof(table) / sizeof(table[0])))

/* ---- sessions ---- */

/* Parse output into its messages, checking each ends with "\r\n". */
static json_t *messages(const char *out)
{
	json_t *list = json_array(), *m;
	size_t len = strlen(out), off = 0;
	json_error_t e;

	while (off < len) {
		m = json_loadb(out + off, len - off, JSON_DISABLE_EOF_CHECK,
			       &e);
		if (!m)
			fail_msg("bad output at %zu: %s (%s)", off, e.text,
				 out + off);
		off += e.position;
		if (strncmp(out + off, "\r\n", 2))
			fail_msg("message not followed by \\r\\n: %s", out);
		off += 2;
		json_array_append_new(list, m);
	}
	return list;
}

static struct api_session *new_session(void)
{
	struct api_session *s =
		api_session_new((struct api_ctx){ 0 }, table, TABLE_SIZE);
	json_t *greeting;
	char *out;

	assert_non_null(s);
	out = api_session_take_output(s, NULL);
	greeting = messages(out);
	assert_int_equal(json_array_size(greeting), 1);
	json_decref(greeting);
	free(out);
	return s;
}

/* Feed text, return the messages it produced. */
static json_t *feed(struct api_session *s, const char *text)
{
	char *out;
	json_t *m;

	assert_true(api_session_feed(s, text, strlen(text)));
	out = api_session_take_output(s, NULL);
	m = messages(out);
	free(out);
	return m;
}

static struct api_session *negotiated_session(void)
{
	struct api_session *s = new_session();
	json_t *m = feed(s, "{\"execute\": \"qmp_capabilities\"}\r\n");

	assert_int_equal(json_array_size(m), 1);
	assert_non_null(json_object_get(json_array_get(m, 0), "return"));
	json_decref(m);
	return s;
}

static const char *err_class(json_t *msg)
{
	return json_string_value(
		json_object_get(json_object_get(msg, "error"), "class"));
}

static const char *err_desc(json_t *msg)
{
	return json_string_value(
		json_object_get(json_object_get(msg, "error"), "desc"));
}

static void test_greeting(void **state)
{
	struct api_session *s =
		api_session_new((struct api_ctx){ 0 }, table, TABLE_SIZE);
	char *out = api_session_take_output(s, NULL);
	json_t *m = messages(out), *g, *v;

	assert_int_equal(json_array_size(m), 1);
	g = json_object_get(json_array_get(m, 0), "QMP");
	v = json_object_get(json_object_get(g, "version"), "qemu");
	assert_int_equal(json_integer_value(json_object_get(v, "major")), 7);
	assert_int_equal(json_integer_value(json_object_get(v, "minor")), 2);
	assert_int_equal(json_integer_value(json_object_get(v, "micro")), 0);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(g, "version"), "package")),
			    "kvmscope " KVMSCOPE_VERSION);
	assert_true(json_is_array(json_object_get(g, "capabilities")));
	assert_int_equal(json_array_size(json_object_get(g, "capabilities")),
			 0);
	json_decref(m);
	free(out);
	api_session_free(s);
}

static void test_negotiation(void **state)
{
	struct api_session *s = new_session();
	json_t *m, *want;

	m = feed(s, "{\"execute\": \"echo\", \"id\": 1}\n");
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(err_class(json_array_get(m, 0)), "CommandNotFound");
	assert_string_equal(
		err_desc(json_array_get(m, 0)),
		"Expecting capabilities negotiation with 'qmp_capabilities'");
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(m, 0), "id")),
		1);
	json_decref(m);

	m = feed(s, "{\"execute\": \"qmp_capabilities\", \"id\": 2}");
	want = json_pack("{s:{},s:i}", "return", "id", 2);
	assert_true(json_equal(json_array_get(m, 0), want));
	json_decref(want);
	json_decref(m);

	m = feed(s, "{\"execute\": \"echo\", \"arguments\": {\"a\": 1}}");
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(json_array_get(m, 0), "return"), "a")),
		1);
	/* no id asked, none given */
	assert_null(json_object_get(json_array_get(m, 0), "id"));
	json_decref(m);

	m = feed(s, "{\"execute\": \"qmp_capabilities\"}");
	assert_string_equal(err_class(json_array_get(m, 0)), "CommandNotFound");
	assert_non_null(
		strstr(err_desc(json_array_get(m, 0)), "already complete"));
	json_decref(m);
	api_session_free(s);
}

static void test_id_echo(void **state)
{
	static const char *const ids[] = { "1",	   "\"abc\"", "{\"x\": [1, 2]}",
					   "null", "-5",      "2.5" };
	struct api_session *s = negotiated_session();
	char req[128];
	json_t *m, *want;
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(req, sizeof(req),
			 "{\"id\": %s, \"execute\": \"echo\"}", ids[i]);
		m = feed(s, req);
		want = json_loads(ids[i], JSON_DECODE_ANY, NULL);
		assert_true(json_equal(
			json_object_get(json_array_get(m, 0), "id"), want));
		json_decref(want);
		json_decref(m);
		/* errors carry the id too */
		snprintf(req, sizeof(req),
			 "{\"id\": %s, \"execute\": \"nope\"}", ids[i]);
		m = feed(s, req);
		want = json_loads(ids[i], JSON_DECODE_ANY, NULL);
		assert_string_equal(err_class(json_array_get(m, 0)),
				    "CommandNotFound");
		assert_true(json_equal(
			json_object_get(json_array_get(m, 0), "id"), want));
		json_decref(want);
		json_decref(m);
	}
	api_session_free(s);
}

static void expect_one_error(struct api_session *s, const char *in,
			     const char *desc)
{
	json_t *m = feed(s, in);

	if (json_array_size(m) != 1)
		fail_msg("%s: %zu messages", in, json_array_size(m));
	assert_string_equal(err_class(json_array_get(m, 0)), "GenericError");
	if (!strstr(err_desc(json_array_get(m, 0)), desc))
		fail_msg("%s: got \"%s\", expected \"%s\"", in,
			 err_desc(json_array_get(m, 0)), desc);
	json_decref(m);
}

static void test_malformed(void **state)
{
	struct api_session *s = negotiated_session();
	json_t *m;

	expect_one_error(s, "{\"execute\": bad}\n", "JSON parse error: ");
	expect_one_error(s, "hello\n", "JSON parse error: ");
	expect_one_error(s, "{\"execute\": \"echo\", \"execute\": \"x\"}\n",
			 "JSON parse error: duplicate");
	expect_one_error(s, "{\"a\": \"\xff\"}\n", "JSON parse error: ");
	expect_one_error(s, "[1, 2]\n", "QMP input must be a JSON object");
	expect_one_error(s, "{\"execute\": 5}", "'execute' must be a string");
	expect_one_error(s, "{\"arguments\": {}}", "lacks member 'execute'");
	expect_one_error(s, "{\"execute\": \"echo\", \"foo\": 1}",
			 "member 'foo' is unexpected");
	expect_one_error(s, "{\"execute\": \"echo\", \"arguments\": [1]}",
			 "'arguments' must be an object");
	expect_one_error(s, "{\"execute\": \"echo\", \"arguments\": null}",
			 "'arguments' must be an object");
	expect_one_error(s,
			 "{\"execute\": \"big\", \"arguments\": {\"n\": -1}}",
			 "argument 'n' must be between");
	/* a huge number is a parse error, not a crash or a wrap */
	expect_one_error(
		s,
		"{\"execute\": \"echo\", \"arguments\": {\"n\": 99999999999999999999999}}\n",
		"JSON parse error: ");
	/* one bad line, one error: the rest of the line is dropped */
	expect_one_error(s, "{\"execute\": oops, \"id\": 3} trailing } ]\n",
			 "JSON parse error");

	/* the connection still works */
	m = feed(s, "{\"execute\": \"echo\", \"id\": 9}\n");
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(m, 0), "id")),
		9);
	assert_non_null(json_object_get(json_array_get(m, 0), "return"));
	json_decref(m);
	api_session_free(s);
}

static void test_two_in_one_write(void **state)
{
	struct api_session *s = negotiated_session();
	json_t *m = feed(
		s,
		"{\"execute\":\"echo\",\"id\":1}{\"execute\":\"echo\",\"id\":2}\r\n  \t\n{\"execute\":\"echo\",\"id\":3}");

	assert_int_equal(json_array_size(m), 3);
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(m, 0), "id")),
		1);
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(m, 2), "id")),
		3);
	json_decref(m);
	api_session_free(s);
}

static void test_split_over_writes(void **state)
{
	static const char req[] =
		"{\n  \"execute\": \"echo\",\n  \"arguments\": {\"t\": true, \"f\": -1.5e+3, \"s\": \"caf\xc3\xa9 \\u00e9\\n\", \"z\": null},\n  \"id\": 12345\n}\n";
	struct api_session *s = negotiated_session();
	json_t *m, *ret;
	size_t i;

	/* byte by byte: nothing until the last '}' */
	for (i = 0; i < strlen(req) - 2; i++) {
		m = feed(s, (char[]){ req[i], 0 });
		if (json_array_size(m))
			fail_msg("reply after %zu bytes: %s", i + 1,
				 json_dumps(m, 0));
		json_decref(m);
	}
	m = feed(s, "}");
	assert_int_equal(json_array_size(m), 1);
	ret = json_object_get(json_array_get(m, 0), "return");
	assert_true(json_is_true(json_object_get(ret, "t")));
	assert_true(json_is_null(json_object_get(ret, "z")));
	assert_string_equal(json_string_value(json_object_get(ret, "s")),
			    "caf\xc3\xa9 \xc3\xa9\n");
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(m, 0), "id")),
		12345);
	json_decref(m);
	api_session_free(s);
}

static void test_oversize(void **state)
{
	static const char head[] =
		"{\"execute\": \"echo\", \"arguments\": {\"s\": \"";
	struct api_session *s = negotiated_session();
	char *chunk = malloc(1 << 20), *out;
	json_t *m;
	bool ok = true;
	int i;

	memset(chunk, 'A', 1 << 20);
	assert_true(api_session_feed(s, head, strlen(head)));
	for (i = 0; i < 8 && ok; i++)
		ok = api_session_feed(s, chunk, 1 << 20);
	assert_false(ok);
	assert_true(i >= 4 && i <= 5);
	out = api_session_take_output(s, NULL);
	m = messages(out);
	assert_int_equal(json_array_size(m), 1);
	assert_non_null(strstr(err_desc(json_array_get(m, 0)),
			       "request larger than 4 MiB"));
	json_decref(m);
	free(out);
	/* finished: more input is refused */
	assert_false(api_session_feed(s, "{}", 2));
	api_session_free(s);
	free(chunk);
}

/* The one error before the close names the request when it can. */
static void test_oversize_keeps_id(void **state)
{
	static const char head[] =
		"{\"id\": \"big\", \"execute\": \"echo\", \"arguments\": {\"s\": \"";
	struct api_session *s = negotiated_session();
	char *chunk = malloc(1 << 20), *out;
	json_t *m;
	int i;

	memset(chunk, 'A', 1 << 20);
	assert_true(api_session_feed(s, head, strlen(head)));
	for (i = 0; i < 8; i++)
		if (!api_session_feed(s, chunk, 1 << 20))
			break;
	assert_int_equal(i, 3); /* head + 4 MiB is past the limit */
	out = api_session_take_output(s, NULL);
	m = messages(out);
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(
		err_desc(json_array_get(m, 0)),
		"request larger than 4 MiB without a complete JSON object: disconnecting");
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(m, 0), "id")),
		"big");
	json_decref(m);
	free(out);
	free(chunk);
	api_session_free(s);
}

static void test_large_request_fits(void **state)
{
	size_t n = 3 << 20, len;
	struct api_session *s = negotiated_session();
	char *req = malloc(n + 100), *out;
	int off;
	json_t *m;

	off = sprintf(req, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"");
	memset(req + off, 'B', n);
	strcpy(req + off + n, "\"}}\n");
	/* in 64 KiB pieces, as a socket delivers it */
	for (len = 0; len < strlen(req); len += 65536)
		assert_true(api_session_feed(
			s, req + len,
			strlen(req) - len < 65536 ? strlen(req) - len : 65536));
	out = api_session_take_output(s, NULL);
	m = messages(out);
	assert_int_equal(json_array_size(m), 1);
	assert_int_equal(
		strlen(json_string_value(json_object_get(
			json_object_get(json_array_get(m, 0), "return"), "s"))),
		n);
	json_decref(m);
	free(out);
	free(req);
	api_session_free(s);
}

/* Feed len bytes (they may hold NULs); the messages they produced. */
static json_t *feedn(struct api_session *s, const char *buf, size_t len)
{
	char *out;
	json_t *m;

	assert_true(api_session_feed(s, buf, len));
	out = api_session_take_output(s, NULL);
	m = messages(out);
	free(out);
	return m;
}
#define FEED(s, lit) feedn(s, lit, sizeof(lit) - 1)

static void expect_error_with_id(json_t *m, size_t i, const char *desc,
				 json_int_t id)
{
	json_t *msg = json_array_get(m, i);

	assert_non_null(msg);
	assert_string_equal(err_class(msg), "GenericError");
	assert_string_equal(err_desc(msg), desc);
	if (id < 0)
		assert_null(json_object_get(msg, "id"));
	else
		assert_int_equal(json_integer_value(json_object_get(msg, "id")),
				 id);
}

static void expect_return_id(json_t *m, size_t i, json_int_t id)
{
	json_t *msg = json_array_get(m, i);

	assert_non_null(msg);
	assert_non_null(json_object_get(msg, "return"));
	assert_int_equal(json_integer_value(json_object_get(msg, "id")), id);
}

/* A NUL byte anywhere: one error, and the session goes on. */
static void test_nul_byte(void **state)
{
	struct api_session *s = negotiated_session();
	json_t *m;

	/* outside a string, where jansson would see the end of the text */
	m = FEED(s, "{\"execute\":\"echo\"\0,\"id\":3}\n");
	assert_int_equal(json_array_size(m), 1);
	expect_error_with_id(
		m, 0, "JSON parse error: NUL byte at offset 17 of the request",
		3);
	json_decref(m);
	m = FEED(s, "{\"execute\":\"echo\",\"id\":4}\n");
	assert_int_equal(json_array_size(m), 1);
	expect_return_id(m, 0, 4);
	json_decref(m);

	/* inside a string */
	m = FEED(
		s,
		"{\"id\":5,\"execute\":\"echo\",\"arguments\":{\"a\":\"x\0\"}}\n");
	assert_int_equal(json_array_size(m), 1);
	expect_error_with_id(
		m, 0, "JSON parse error: NUL byte at offset 44 of the request",
		5);
	json_decref(m);

	/* alone on a line, then after a complete request */
	m = FEED(s, "\0\n{\"execute\":\"echo\",\"id\":6}\0\n");
	assert_int_equal(json_array_size(m), 3);
	expect_error_with_id(
		m, 0, "JSON parse error: NUL byte at offset 0 of the request",
		-1);
	expect_return_id(m, 1, 6);
	expect_error_with_id(
		m, 2, "JSON parse error: NUL byte at offset 0 of the request",
		-1);
	json_decref(m);

	/* without a newline yet: the error comes at once, the rest of the
	 * line is dropped when it arrives */
	m = FEED(s, "{\"execute\":\0");
	assert_int_equal(json_array_size(m), 1);
	json_decref(m);
	m = FEED(s, "\"echo\",\"id\":7}\n{\"execute\":\"echo\",\"id\":8}\n");
	assert_int_equal(json_array_size(m), 1);
	expect_return_id(m, 0, 8);
	json_decref(m);
	api_session_free(s);
}

static void test_invalid_utf8(void **state)
{
	struct api_session *s = negotiated_session();
	json_t *m;

	m = FEED(
		s,
		"{\"execute\":\"echo\",\"arguments\":{\"a\":\"\xe2\x82\"},\"id\":3}\n");
	assert_int_equal(json_array_size(m), 1);
	expect_error_with_id(
		m, 0,
		"JSON parse error: invalid UTF-8: unable to decode byte 0xe2 near '\"'",
		3);
	json_decref(m);
	m = FEED(s, "{\"id\":4,\"execute\":\"ech\xff\"}\n");
	assert_int_equal(json_array_size(m), 1);
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(m, 0), "id")),
		4);
	json_decref(m);
	/* an overlong encoding and a lone continuation byte */
	m = FEED(
		s,
		"{\"a\":\"\xc0\xaf\"}\n\x80\n{\"execute\":\"echo\",\"id\":5}\n");
	assert_int_equal(json_array_size(m), 3);
	assert_non_null(
		strstr(err_desc(json_array_get(m, 0)), "invalid UTF-8"));
	assert_non_null(err_desc(json_array_get(m, 1)));
	expect_return_id(m, 2, 5);
	json_decref(m);
	api_session_free(s);
}

/* Integers past INT64_MAX up to 2^64 - 1 are numbers, not parse errors. */
static void test_big_integers(void **state)
{
	struct api_session *s = negotiated_session();
	json_t *m, *ret;

	m = feed(
		s,
		"{\"execute\":\"echo\",\"arguments\":{\"a\":18446744073709551615,"
		"\"b\":9223372036854775807,\"c\":9223372036854775808,"
		"\"d\":[18446744073709551615],\"e\":\"99999999999999999999\","
		"\"f\":-9223372036854775808},\"id\":18446744073709551615}\n");
	assert_int_equal(json_array_size(m), 1);
	ret = json_object_get(json_array_get(m, 0), "return");
	assert_string_equal(json_string_value(json_object_get(ret, "a")),
			    "18446744073709551615");
	assert_int_equal(json_integer_value(json_object_get(ret, "b")),
			 INT64_MAX);
	assert_string_equal(json_string_value(json_object_get(ret, "c")),
			    "9223372036854775808");
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(ret, "d"), 0)),
		"18446744073709551615");
	/* strings stay as they were */
	assert_string_equal(json_string_value(json_object_get(ret, "e")),
			    "99999999999999999999");
	assert_int_equal(json_integer_value(json_object_get(ret, "f")),
			 INT64_MIN);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(m, 0), "id")),
		"18446744073709551615");
	json_decref(m);

	/* a big literal cut by a read waits for its end */
	m = feed(s,
		 "{\"execute\":\"echo\",\"arguments\":{\"a\":1844674407370955");
	assert_int_equal(json_array_size(m), 0);
	json_decref(m);
	m = feed(s, "1615},\"id\":2}");
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_array_get(m, 0), "return"), "a")),
		"18446744073709551615");
	json_decref(m);

	/* past 2^64 - 1 (or below INT64_MIN) it is still a parse error,
	 * with the id */
	m = feed(
		s,
		"{\"execute\":\"echo\",\"arguments\":{\"a\":18446744073709551616},\"id\":3}\n");
	expect_error_with_id(
		m, 0,
		"JSON parse error: too big integer near '18446744073709551616'",
		3);
	json_decref(m);
	m = feed(
		s,
		"{\"id\":4,\"execute\":\"echo\",\"arguments\":{\"a\":-9223372036854775809}}\n");
	expect_error_with_id(
		m, 0,
		"JSON parse error: too big negative integer near '-9223372036854775809'",
		4);
	json_decref(m);
	api_session_free(s);
}

static void test_parse_error_keeps_id(void **state)
{
	struct api_session *s = negotiated_session();
	json_t *m, *id;

	m = feed(s, "{\"execute\": oops, \"id\": 3}\n");
	expect_error_with_id(m, 0,
			     "JSON parse error: invalid token near 'oops'", 3);
	json_decref(m);
	m = feed(s, "{\"id\": {\"tag\": [1, \"x\"]}, \"execute\": }\n");
	id = json_object_get(json_array_get(m, 0), "id");
	assert_non_null(id);
	assert_int_equal(json_integer_value(
				 json_array_get(json_object_get(id, "tag"), 0)),
			 1);
	json_decref(m);
	/* an "id" of a nested object is not the request's */
	m = feed(s, "{\"arguments\": {\"id\": 5}, \"execute\": ]\n");
	assert_null(json_object_get(json_array_get(m, 0), "id"));
	json_decref(m);
	/* nor one after the request ended */
	m = feed(s, "{\"execute\": \"echo\"} ] {\"id\": 6}\n");
	assert_int_equal(json_array_size(m), 2);
	assert_non_null(json_object_get(json_array_get(m, 0), "return"));
	assert_null(json_object_get(json_array_get(m, 1), "id"));
	json_decref(m);
	/* an id that cannot be parsed itself: no id */
	m = feed(s, "{\"id\": tru, \"execute\": \"echo\"}\n");
	assert_null(json_object_get(json_array_get(m, 0), "id"));
	json_decref(m);
	api_session_free(s);
}

static void test_stream_next(void **state)
{
	char errtext[JSON_ERROR_TEXT_LENGTH];
	json_t *v;
	size_t used;

	assert_int_equal(api_stream_next("  {\"a\":1}  {", 12, &v, &used,
					 errtext, sizeof(errtext)),
			 API_STREAM_OBJECT);
	assert_int_equal(used, 9);
	json_decref(v);
	assert_int_equal(api_stream_next(" \r\n", 3, &v, &used, errtext,
					 sizeof(errtext)),
			 API_STREAM_MORE);
	/* cut tokens wait for the rest */
	assert_int_equal(api_stream_next("{\"a\": tr", 8, &v, &used, errtext,
					 sizeof(errtext)),
			 API_STREAM_MORE);
	assert_int_equal(api_stream_next("{\"a\": \"\\u00", 11, &v, &used,
					 errtext, sizeof(errtext)),
			 API_STREAM_MORE);
	assert_int_equal(api_stream_next("{\"a\": \"\xc3", 8, &v, &used,
					 errtext, sizeof(errtext)),
			 API_STREAM_MORE);
	assert_int_equal(api_stream_next("{\"a\": 1]", 8, &v, &used, errtext,
					 sizeof(errtext)),
			 API_STREAM_ERROR);
	assert_true(used >= 1 && used <= 8);
	assert_int_equal(api_stream_next("x\n", 2, &v, &used, errtext,
					 sizeof(errtext)),
			 API_STREAM_ERROR);
}

/* ---- a real socket ---- */

static char dir[64], path[96];

static int sock_setup(void **state)
{
	strcpy(dir, "/tmp/kvmscope-api-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	return 0;
}

static int sock_teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

struct tserver {
	struct api_server *srv;
	struct event_loop loop;
};

static void server_start(struct tserver *t)
{
	struct errmsg err;

	if (api_server_open(&t->srv, path, (struct api_ctx){ 0 }, &err))
		fail_msg("api_server_open: %s", err.text);
	api_server_use_table(t->srv, table, TABLE_SIZE);
	assert_int_equal(event_loop_init(&t->loop), 0);
	assert_int_equal(api_server_watch(t->srv, &t->loop), 0);
}

static void server_stop(struct tserver *t)
{
	api_server_close(t->srv);
	event_loop_free(&t->loop);
}

/* One round of the main loop's dispatch. */
static void pump(struct tserver *t, int timeout_ms)
{
	event_loop_run_once(&t->loop, timeout_ms);
}

struct tclient {
	int fd;
	char *buf;
	size_t len, cap;
	bool eof;
};

static void client_connect(struct tclient *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	c->cap = 1 << 16;
	c->buf = malloc(c->cap);
}

static void client_close(struct tclient *c)
{
	close(c->fd);
	free(c->buf);
}

/* Read what is there, at most max bytes. */
static void client_read(struct tclient *c, size_t max)
{
	ssize_t n;

	if (c->cap - c->len < max) {
		c->cap = c->len + max;
		c->buf = realloc(c->buf, c->cap);
	}
	n = recv(c->fd, c->buf + c->len, max, MSG_DONTWAIT);
	if (n > 0)
		c->len += n;
	else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
		c->eof = true;
}

/* The next message, pumping the server meanwhile; NULL at EOF. */
static json_t *client_msg(struct tserver *t, struct tclient *c)
{
	char errtext[JSON_ERROR_TEXT_LENGTH];
	json_t *v;
	size_t used;
	int i;

	for (i = 0; i < 5000; i++) {
		if (api_stream_next(c->buf, c->len, &v, &used, errtext,
				    sizeof(errtext)) == API_STREAM_OBJECT) {
			assert_true(c->len >= used + 2);
			assert_memory_equal(c->buf + used, "\r\n", 2);
			memmove(c->buf, c->buf + used + 2, c->len - used - 2);
			c->len -= used + 2;
			return v;
		}
		if (c->eof)
			return NULL;
		pump(t, 1);
		client_read(c, 1 << 16);
	}
	fail_msg("no message within 5 s");
	return NULL;
}

static void client_send(struct tclient *c, const char *text)
{
	assert_int_equal(send(c->fd, text, strlen(text), MSG_NOSIGNAL),
			 (ssize_t)strlen(text));
}

static void client_negotiate(struct tserver *t, struct tclient *c)
{
	json_t *m = client_msg(t, c);

	assert_non_null(json_object_get(m, "QMP"));
	json_decref(m);
	client_send(c, "{\"execute\": \"qmp_capabilities\", \"id\": 0}\n");
	m = client_msg(t, c);
	assert_non_null(json_object_get(m, "return"));
	json_decref(m);
}

static void test_socket_basics(void **state)
{
	struct tclient a, b;
	struct tserver t;
	struct stat st;
	json_t *m;

	server_start(&t);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	client_connect(&a);
	client_connect(&b);
	client_negotiate(&t, &a);
	m = client_msg(&t, &b); /* greeting only */
	assert_non_null(json_object_get(m, "QMP"));
	json_decref(m);

	/* events go to negotiated clients, before the reply */
	client_send(&a, "{\"execute\": \"emit\", \"id\": \"e\"}\n");
	m = client_msg(&t, &a);
	assert_string_equal(json_string_value(json_object_get(m, "event")),
			    "TEST");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(m, "data"), "n")),
			 1);
	assert_true(json_is_integer(
		json_object_get(json_object_get(m, "timestamp"), "seconds")));
	assert_true(json_is_integer(json_object_get(
		json_object_get(m, "timestamp"), "microseconds")));
	json_decref(m);
	m = client_msg(&t, &a);
	assert_string_equal(json_string_value(json_object_get(m, "id")), "e");
	json_decref(m);
	pump(&t, 10);
	client_read(&b, 1 << 16);
	assert_int_equal(b.len, 0);

	/* malformed input over the socket keeps the connection */
	client_send(
		&b,
		"{\"execute\": qmp}\n{\"execute\": \"qmp_capabilities\", \"id\": 1}\n");
	m = client_msg(&t, &b);
	assert_non_null(strstr(err_desc(m), "JSON parse error"));
	json_decref(m);
	m = client_msg(&t, &b);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 1);
	json_decref(m);

	client_close(&a);
	client_close(&b);
	pump(&t, 10);
	server_stop(&t);
	/* the path goes with the server */
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_eof_after_request(void **state)
{
	struct tserver t;
	struct tclient c;
	json_t *m;

	server_start(&t);
	client_connect(&c);
	client_send(
		&c,
		"{\"execute\": \"qmp_capabilities\", \"id\": 1}{\"execute\": \"echo\", \"id\": 2}");
	shutdown(c.fd, SHUT_WR);
	json_decref(client_msg(&t, &c)); /* greeting */
	m = client_msg(&t, &c);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 1);
	json_decref(m);
	m = client_msg(&t, &c);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 2);
	json_decref(m);
	/* then the server hangs up */
	assert_null(client_msg(&t, &c));
	client_close(&c);
	server_stop(&t);
}

static void test_big_replies(void **state)
{
	struct tserver t;
	struct tclient c;
	json_t *m;
	int i, rounds;

	server_start(&t);
	client_connect(&c);
	client_negotiate(&t, &c);
	/* three 3 MiB replies asked at once; read in small bites */
	client_send(
		&c,
		"{\"execute\": \"big\", \"arguments\": {\"n\": 3145728}, \"id\": 1}"
		"{\"execute\": \"big\", \"arguments\": {\"n\": 3145728}, \"id\": 2}"
		"{\"execute\": \"big\", \"arguments\": {\"n\": 10}, \"id\": 3}\n");
	for (i = 1; i <= 3; i++) {
		m = NULL;
		for (rounds = 0; !m && rounds < 100000; rounds++) {
			char errtext[JSON_ERROR_TEXT_LENGTH];
			size_t used;

			pump(&t, 0);
			client_read(&c, 4096);
			/* every message ends with "\r\n": parse only then */
			if (memchr(c.buf, '\n', c.len) &&
			    api_stream_next(c.buf, c.len, &m, &used, errtext,
					    sizeof(errtext)) ==
				    API_STREAM_OBJECT) {
				memmove(c.buf, c.buf + used + 2,
					c.len - used - 2);
				c.len -= used + 2;
			}
		}
		assert_non_null(m);
		assert_int_equal(json_integer_value(json_object_get(m, "id")),
				 i);
		assert_int_equal(
			strlen(json_string_value(json_object_get(
				json_object_get(m, "return"), "data"))),
			i < 3 ? 3145728 : 10);
		json_decref(m);
	}
	client_close(&c);
	server_stop(&t);
}

static void test_oversize_socket(void **state)
{
	static const char head[] =
		"{\"execute\": \"echo\", \"arguments\": {\"s\": \"";
	struct tserver t;
	struct tclient c;
	char *chunk = malloc(65536);
	size_t sent = 0;
	json_t *m;
	ssize_t n;
	int i;

	server_start(&t);
	client_connect(&c);
	client_negotiate(&t, &c);
	memset(chunk, 'C', 65536);
	client_send(&c, head);
	sent = strlen(head);
	for (i = 0; i < 20000 && sent < (8u << 20); i++) {
		n = send(c.fd, chunk, 65536, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			sent += n;
		else if (errno != EAGAIN)
			break; /* the server hung up */
		pump(&t, 0);
	}
	if (sent <= API_MAX_REQUEST)
		fail_msg("sent %zu bytes in %d rounds: %s", sent, i,
			 strerror(errno));
	m = client_msg(&t, &c);
	assert_non_null(m);
	assert_non_null(strstr(err_desc(m), "request larger than 4 MiB"));
	json_decref(m);
	assert_null(client_msg(&t, &c));
	client_close(&c);
	server_stop(&t);
	free(chunk);
}

static void test_too_many_clients(void **state)
{
	struct tclient c[API_MAX_CLIENTS + 1];
	struct tserver t;
	json_t *m;
	int i;

	server_start(&t);
	for (i = 0; i < API_MAX_CLIENTS; i++) {
		client_connect(&c[i]);
		m = client_msg(&t, &c[i]);
		assert_non_null(json_object_get(m, "QMP"));
		json_decref(m);
	}
	client_connect(&c[i]);
	m = client_msg(&t, &c[i]);
	assert_non_null(strstr(err_desc(m), "too many control connections"));
	json_decref(m);
	assert_null(client_msg(&t, &c[i]));
	client_close(&c[i]);

	/* a slot freed is a slot reused */
	client_close(&c[0]);
	pump(&t, 10);
	client_connect(&c[0]);
	m = client_msg(&t, &c[0]);
	assert_non_null(json_object_get(m, "QMP"));
	json_decref(m);
	for (i = 0; i < API_MAX_CLIENTS; i++)
		client_close(&c[i]);
	server_stop(&t);
}

struct reader {
	int fd;
	size_t got;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;
	char buf[65536];
	ssize_t n;

	while ((n = recv(r->fd, buf, sizeof(buf), 0)) > 0)
		r->got += n;
	return NULL;
}

static void test_close_flushes(void **state)
{
	struct reader r = { 0 };
	struct tserver t;
	struct tclient c;
	pthread_t th;
	int flags;

	server_start(&t);
	client_connect(&c);
	client_negotiate(&t, &c);
	/* a reply much larger than the socket buffer, then close at once */
	client_send(
		&c,
		"{\"execute\": \"big\", \"arguments\": {\"n\": 2000000}}\n");
	while (!c.len) {
		pump(&t, 1);
		client_read(&c, 1); /* the reply has started */
	}
	flags = fcntl(c.fd, F_GETFL);
	fcntl(c.fd, F_SETFL, flags & ~O_NONBLOCK);
	r.fd = c.fd;
	r.got = c.len;
	assert_int_equal(pthread_create(&th, NULL, read_all, &r), 0);
	server_stop(&t);
	pthread_join(th, NULL);
	/* {"return": {"data": "..."}}\r\n */
	assert_int_equal(r.got,
			 2000000 + strlen("{\"return\":{\"data\":\"\"}}\r\n"));
	client_close(&c);
}

static void test_stale_socket(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct tserver t;
	struct tclient c;
	int fd;

	/* a socket file nobody listens on: a crashed kvmscope's */
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	server_start(&t);
	client_connect(&c);
	json_decref(client_msg(&t, &c));
	client_close(&c);
	server_stop(&t);
}

static void test_refused_paths(void **state)
{
	struct api_server *srv, *other;
	struct errmsg err;
	char want[256];
	int fd;

	fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(api_server_open(&srv, path, (struct api_ctx){ 0 },
					 &err),
			 -EEXIST);
	snprintf(
		want, sizeof(want),
		"--api-sock %s: the path exists and is not a socket; remove it or choose another path",
		path);
	assert_string_equal(err.text, want);
	assert_int_equal(access(path, F_OK), 0); /* left alone */
	unlink(path);

	assert_int_equal(api_server_open(&srv, dir, (struct api_ctx){ 0 },
					 &err),
			 -EEXIST);

	/* a live server's socket is not taken over */
	assert_int_equal(
		api_server_open(&srv, path, (struct api_ctx){ 0 }, &err), 0);
	assert_int_equal(api_server_open(&other, path, (struct api_ctx){ 0 },
					 &err),
			 -EADDRINUSE);
	assert_non_null(strstr(err.text, "another process is serving"));
	api_server_close(srv);

	assert_int_equal(api_server_open(&srv, "/nonexistent-dir/x.sock",
					 (struct api_ctx){ 0 }, &err),
			 -ENOENT);
	assert_non_null(strstr(err.text, "cannot create the socket"));
	memset(want, 'x', 200);
	want[0] = '/';
	want[200] = '\0';
	assert_int_equal(api_server_open(&srv, want, (struct api_ctx){ 0 },
					 &err),
			 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_negotiation),
		cmocka_unit_test(test_id_echo),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_two_in_one_write),
		cmocka_unit_test(test_split_over_writes),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_oversize_keeps_id),
		cmocka_unit_test(test_large_request_fits),
		cmocka_unit_test(test_stream_next),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_big_integers),
		cmocka_unit_test(test_parse_error_keeps_id),
		cmocka_unit_test_setup_teardown(test_socket_basics, sock_setup,
						sock_teardown),
		cmocka_unit_test_setup_teardown(test_eof_after_request,
						sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_big_replies, sock_setup,
						sock_teardown),
		cmocka_unit_test_setup_teardown(test_oversize_socket,
						sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_too_many_clients,
						sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_close_flushes, sock_setup,
						sock_teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket, sock_setup,
						sock_teardown),
		cmocka_unit_test_setup_teardown(test_refused_paths, sock_setup,
						sock_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
