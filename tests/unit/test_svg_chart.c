// SPDX-License-Identifier: GPL-2.0
/* stats-report's charts on canned data: bars, log2 histograms, labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "inspect/svg_chart.h"

static size_t count_of(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

static void test_pow2_labels(void **state)
{
	static const struct {
		unsigned int i;
		const char *want;
	} cases[] = {
		{ 0, "1ns" },	 { 9, "512ns" },   { 10, "1us" },
		{ 11, "2us" },	 { 20, "1ms" },	   { 30, "1s" },
		{ 40, "1100s" }, { 64, "2^64ns" },
	};
	char buf[24];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		svg_pow2_ns_label(cases[i].i, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

static void test_bar_chart(void **state)
{
	const struct svg_bar bars[] = {
		{ "IO", 300 },
		{ "MMIO <&>", 100 },
		{ "HLT", 0 },
	};
	struct svgbuf sb;
	int h;

	svg_init(&sb);
	h = svg_bar_chart(&sb, 10, 20, 800, "exits per reason", bars, 3);
	assert_int_equal(h, 22 + 3 * SVG_BAR_ROW_H + 8);
	assert_false(sb.oom);
	assert_non_null(strstr(sb.buf, ">exits per reason</text>"));
	assert_non_null(strstr(sb.buf, "<title>IO: 300 (75.00%)</title>"));
	assert_non_null(strstr(sb.buf, ">MMIO &lt;&amp;&gt;</text>"));
	assert_null(strstr(sb.buf, "MMIO <&>"));
	/* the largest bar fills 800 - 200 - 90 px, the next a third of it */
	assert_non_null(strstr(sb.buf, "width=\"510.00\""));
	assert_non_null(strstr(sb.buf, "width=\"170.00\""));
	assert_int_equal(count_of(sb.buf, "<rect"), 3);
	svg_free(&sb);

	svg_init(&sb);
	assert_int_equal(svg_bar_chart(&sb, 0, 0, 800, "t", bars, 0), 44);
	assert_non_null(strstr(sb.buf, "no data"));
	svg_free(&sb);
}

static void test_histogram(void **state)
{
	uint64_t b[64] = { 0 };
	struct svgbuf sb;

	b[10] = 5; /* [1us, 2us) */
	b[12] = 20;
	b[13] = 10;
	svg_init(&sb);
	assert_int_equal(svg_log2_histogram(&sb, 0, 0, 400, 200, "IO latency",
					    b, 64),
			 200);
	/* columns from the first to the last non-empty bucket: 10..13 */
	assert_int_equal(count_of(sb.buf, "<rect"), 4);
	assert_non_null(
		strstr(sb.buf, "<title>[1us, 2us): 5 (14.29%)</title>"));
	assert_non_null(
		strstr(sb.buf, "<title>[4us, 8us): 20 (57.14%)</title>"));
	assert_non_null(strstr(sb.buf, "max 20, total 35"));
	assert_non_null(strstr(sb.buf, ">1us</text>"));
	/* the tallest column fills the plot: 200 - 22 - 18 px */
	assert_non_null(strstr(sb.buf, "height=\"160.00\""));
	svg_free(&sb);

	memset(b, 0, sizeof(b));
	svg_init(&sb);
	svg_log2_histogram(&sb, 0, 0, 400, 200, "t", b, 64);
	assert_non_null(strstr(sb.buf, "no data"));
	svg_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pow2_labels),
		cmocka_unit_test(test_bar_chart),
		cmocka_unit_test(test_histogram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
