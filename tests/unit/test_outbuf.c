// SPDX-License-Identifier: GPL-2.0
/*
 * util/outbuf: queueing, partial consumption and compaction, the
 * high-water mark in the epoll interest, overflow, and flushing into a
 * socket that takes only part of the queue.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/outbuf.h"

static void test_append_consume(void **state)
{
	struct outbuf o;
	char *t;
	size_t len;

	outbuf_init(&o, 100, 1000);
	assert_int_equal(outbuf_pending(&o), 0);
	assert_string_equal(outbuf_data(&o), "");
	assert_true(outbuf_append(&o, "hello ", 6));
	assert_true(outbuf_append(&o, "world", 5));
	assert_int_equal(outbuf_pending(&o), 11);
	assert_memory_equal(outbuf_data(&o), "hello world", 11);
	outbuf_consume(&o, 6);
	assert_int_equal(outbuf_pending(&o), 5);
	assert_memory_equal(outbuf_data(&o), "world", 5);
	outbuf_consume(&o, 99); /* clamped */
	assert_int_equal(outbuf_pending(&o), 0);
	assert_true(outbuf_append(&o, "x", 1));
	t = outbuf_take(&o, &len);
	assert_string_equal(t, "x");
	assert_int_equal(len, 1);
	free(t);
	t = outbuf_take(&o, &len);
	assert_string_equal(t, "");
	assert_int_equal(len, 0);
	free(t);
	outbuf_free(&o);
}

/* Consuming from the front then appending past the capacity compacts. */
static void test_compaction(void **state)
{
	struct outbuf o;
	char chunk[1000];
	size_t i;

	outbuf_init(&o, 1 << 20, 1 << 20);
	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)('a' + i % 26);
	for (i = 0; i < 100; i++) {
		assert_true(outbuf_append(&o, chunk, sizeof(chunk)));
		outbuf_consume(&o, sizeof(chunk) - 1);
	}
	assert_int_equal(outbuf_pending(&o), 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(outbuf_data(&o)[i], chunk[900 + i]);
	assert_true(o.cap <= 8192);
	outbuf_free(&o);
}

static void test_interest_and_overflow(void **state)
{
	struct outbuf o;
	char big[64] = { 0 };

	outbuf_init(&o, 32, 100);
	assert_int_equal(outbuf_interest(&o, true), EPOLLIN);
	assert_int_equal(outbuf_interest(&o, false), 0);
	assert_true(outbuf_append(&o, big, 31));
	assert_int_equal(outbuf_interest(&o, true), EPOLLIN | EPOLLOUT);
	assert_false(outbuf_above_high(&o));
	assert_true(outbuf_append(&o, big, 1));
	assert_true(outbuf_above_high(&o));
	assert_int_equal(outbuf_interest(&o, true), EPOLLOUT);
	/* up to max exactly is fine, one byte more overflows */
	assert_true(outbuf_append(&o, big, 64));
	assert_true(outbuf_append(&o, big, 4));
	assert_int_equal(outbuf_pending(&o), 100);
	assert_false(outbuf_overflowed(&o));
	assert_false(outbuf_append(&o, big, 1));
	assert_true(outbuf_overflowed(&o));
	/* and stays overflowed: nothing more is queued */
	outbuf_consume(&o, 100);
	assert_false(outbuf_append(&o, big, 1));
	assert_int_equal(outbuf_pending(&o), 0);
	outbuf_free(&o);

	outbuf_init(&o, 32, 100);
	assert_false(outbuf_append(&o, big, 101));
	assert_true(outbuf_overflowed(&o));
	outbuf_free(&o);
}

static void test_flush_partial(void **state)
{
	size_t total = 4 << 20, got = 0, i;
	int sv[2], sz = 4096;
	struct outbuf o;
	char *data = malloc(total), *rd = malloc(total);
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	for (i = 0; i < total; i++)
		data[i] = (char)(i * 31 + (i >> 12));
	outbuf_init(&o, 1 << 20, 8 << 20);
	assert_true(outbuf_append(&o, data, total));
	assert_int_equal(outbuf_flush(&o, sv[0]), 0);
	/* the socket took part of it: the rest waits, in order */
	assert_true(outbuf_pending(&o) > 0 && outbuf_pending(&o) < total);
	while (got < total) {
		n = recv(sv[1], rd + got, total - got, MSG_DONTWAIT);
		if (n > 0)
			got += n;
		assert_int_equal(outbuf_flush(&o, sv[0]), 0);
	}
	assert_int_equal(outbuf_pending(&o), 0);
	assert_memory_equal(rd, data, total);

	/* a peer that is gone: -EPIPE, not SIGPIPE */
	assert_true(outbuf_append(&o, "x", 1));
	close(sv[1]);
	assert_int_equal(outbuf_flush(&o, sv[0]), -EPIPE);
	close(sv[0]);
	outbuf_free(&o);
	free(data);
	free(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_consume),
		cmocka_unit_test(test_compaction),
		cmocka_unit_test(test_interest_and_overflow),
		cmocka_unit_test(test_flush_partial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
