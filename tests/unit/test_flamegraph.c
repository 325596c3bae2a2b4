// SPDX-License-Identifier: GPL-2.0
/*
 * The profiler's pure parts: frame names from symbolizer text, folding
 * stacks into counts, the SVG flame graph (escaping, widths, labels,
 * colours), the atomic file writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "inspect/flamegraph.h"
#include "inspect/profile.h"
#include "inspect/svg.h"
#include "util/atomic_file.h"

static void test_frame_names(void **state)
{
	char buf[64];

	profile_frame_name_from(0x102dc5, "spin_forever+0x5 at smp.c:40", buf,
				sizeof(buf));
	assert_string_equal(buf, "spin_forever");
	profile_frame_name_from(0x102dc0, "spin_forever", buf, sizeof(buf));
	assert_string_equal(buf, "spin_forever");
	profile_frame_name_from(0x1000, "odd;name with blanks+0x10", buf,
				sizeof(buf));
	assert_string_equal(buf, "odd_name_with_blanks");
	profile_frame_name_from(0xffffffff8100123full, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "0xffffffff81001230");
	profile_frame_name_from(0x1239, "", buf, sizeof(buf));
	assert_string_equal(buf, "0x1230");
	/* without a symbolizer registered: the address */
	profile_frame_name(0xffffffff81001234ull, buf, sizeof(buf));
	assert_string_equal(buf, "0xffffffff81001230");
}

static void test_mode(void **state)
{
	struct kvm_sregs s;

	memset(&s, 0, sizeof(s));
	assert_string_equal(profile_mode_name(&s), "kernel"); /* real mode */
	s.cr0 = 1;
	s.cs.selector = 0x10;
	assert_string_equal(profile_mode_name(&s), "kernel");
	s.cs.selector = 0x33;
	assert_string_equal(profile_mode_name(&s), "user");
}

static void test_fold(void **state)
{
	static const char *const raw[] = {
		"vcpu0;kernel;b", "vcpu0;kernel;a", "vcpu1;kernel;a",
		"vcpu0;kernel;a", "vcpu0;user;c",   "vcpu0;kernel;a",
	};
	struct profile_result r;

	memset(&r, 0, sizeof(r));
	assert_int_equal(profile_fold(raw, 6, &r), 0);
	assert_int_equal(r.samples, 6);
	assert_int_equal(r.nr_stacks, 4);
	assert_string_equal(r.stacks[0].stack, "vcpu0;kernel;a");
	assert_int_equal(r.stacks[0].count, 3);
	/* ties by name */
	assert_string_equal(r.stacks[1].stack, "vcpu0;kernel;b");
	assert_string_equal(r.stacks[3].stack, "vcpu1;kernel;a");
	/* leaf functions over every vCPU and mode */
	assert_int_equal(r.nr_funcs, 3);
	assert_string_equal(r.funcs[0].name, "a");
	assert_int_equal(r.funcs[0].samples, 4);
	profile_result_free(&r);
}

static void test_escape(void **state)
{
	struct svgbuf sb;

	svg_init(&sb);
	svg_escape(&sb, "a&b<c>d\"e'f\x01g");
	assert_string_equal(sb.buf, "a&amp;b&lt;c&gt;d&quot;e&apos;fg");
	svg_free(&sb);
}

static size_t count_of(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

static void test_flamegraph_svg(void **state)
{
	char longname[200];
	struct folded e[3] = {
		{ "vcpu0;kernel;spin<&>", 3 },
		{ "vcpu0;kernel;other", 1 },
		{ longname, 0 },
	};
	struct svgbuf sb;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	svg_init(&sb);
	flamegraph_svg(&sb, "t\"itle", NULL, e, 2);
	assert_false(sb.oom);
	assert_non_null(strstr(sb.buf, "viewBox=\"0 0 1200 "));
	assert_non_null(strstr(sb.buf, "t&quot;itle"));
	assert_null(strstr(sb.buf, "spin<&>"));
	assert_non_null(strstr(sb.buf, ">spin&lt;&amp;&gt;</text>"));
	assert_non_null(
		strstr(sb.buf, "<title>spin&lt;&amp;&gt; (3 samples, 75.00%)"));
	assert_non_null(strstr(sb.buf, "<title>all (4 samples, 100.00%)"));
	/* all, vcpu0, kernel, two leaves */
	assert_int_equal(count_of(sb.buf, "<rect class=\"f\""), 5);
	/* the 3/4 leaf is 0.75 of the 1180 px graph */
	assert_non_null(strstr(sb.buf, "width=\"885.00\""));
	svg_free(&sb);

	/* a label too long for its rect is clipped with ".." */
	e[0].stack = "a";
	e[0].count = 1;
	e[1].stack = longname;
	e[1].count = 1;
	svg_init(&sb);
	flamegraph_svg(&sb, "t", NULL, e, 2);
	{
		char full[sizeof(longname) + 16];

		/* the tooltip keeps the whole name, the label does not */
		snprintf(full, sizeof(full), ">%s</text>", longname);
		assert_null(strstr(sb.buf, full));
		snprintf(full, sizeof(full), "<title>%s (", longname);
		assert_non_null(strstr(sb.buf, full));
	}
	assert_non_null(strstr(sb.buf, "xx..</text>"));
	svg_free(&sb);

	/* no samples: a note, still a document */
	svg_init(&sb);
	flamegraph_svg(&sb, "t", NULL, e, 0);
	assert_non_null(strstr(sb.buf, "no samples"));
	assert_non_null(strstr(sb.buf, "</svg>"));
	svg_free(&sb);
}

static void test_colors(void **state)
{
	uint32_t c = svg_name_color("spin_forever");

	assert_int_equal(c, svg_name_color("spin_forever"));
	assert_true((c >> 16) >= 205);
	assert_true((c & 0xff) < 56);
}

static void test_atomic_file(void **state)
{
	char dir[] = "/tmp/kvmscope-atomic-XXXXXX", path[64], buf[16];
	struct errmsg err;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(atomic_file_write(path, "hello", 5, &err), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf), f), 5);
	fclose(f);
	snprintf(path, sizeof(path), "%s/missing/f", dir);
	assert_true(atomic_file_write(path, "x", 1, &err) < 0);
	assert_non_null(strstr(err.text, "No such file or directory"));
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* no temporary file left */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_names),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_flamegraph_svg),
		cmocka_unit_test(test_colors),
		cmocka_unit_test(test_atomic_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
