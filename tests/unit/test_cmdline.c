// SPDX-License-Identifier: GPL-2.0
/*
 * cmd/cmdline: splitting a command line into words and typing name=value
 * words into JSON arguments by the command's args_help, as `kvmscope ctl`
 * and human-monitor-command do.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/cmdline.h"

static void expect_words(const char *line, const char *const want[])
{
	struct errmsg err;
	char **w;
	int n, i;

	n = cmdline_split(line, &w, &err);
	if (n < 0)
		fail_msg("'%s': %s", line, err.text);
	for (i = 0; want[i]; i++) {
		assert_non_null(w[i]);
		assert_string_equal(w[i], want[i]);
	}
	assert_int_equal(n, i);
	assert_null(w[i]);
	cmdline_free(w);
}

static void test_split(void **state)
{
	expect_words("", (const char *const[]){ NULL });
	expect_words(" \t\n", (const char *const[]){ NULL });
	expect_words("translate cpu=0 gva=0xffffffff81000000",
		     (const char *const[]){ "translate", "cpu=0",
					    "gva=0xffffffff81000000", NULL });
	expect_words("  a   b\tc\n",
		     (const char *const[]){ "a", "b", "c", NULL });
	expect_words("search-memory pattern='hello world'",
		     (const char *const[]){ "search-memory",
					    "pattern=hello world", NULL });
	expect_words("x p=\"say \\\"hi\\\" \\\\ \\n\"",
		     (const char *const[]){ "x", "p=say \"hi\" \\ \\n", NULL });
	expect_words("x p=a\\ b ''",
		     (const char *const[]){ "x", "p=a b", "", NULL });
	expect_words("x pattern:='\"123\"'",
		     (const char *const[]){ "x", "pattern:=\"123\"", NULL });
}

static void test_split_errors(void **state)
{
	struct errmsg err;
	char line[400];
	char **w = (char **)1;
	int i;

	assert_int_equal(cmdline_split("a 'b", &w, &err), -EINVAL);
	assert_null(w);
	assert_string_equal(err.text,
			    "unterminated ' quote in the command line");
	assert_int_equal(cmdline_split("a \"b", &w, &err), -EINVAL);
	assert_string_equal(err.text,
			    "unterminated \" quote in the command line");
	line[0] = '\0';
	for (i = 0; i < CMDLINE_MAX_WORDS + 1; i++)
		strcat(line, "w ");
	assert_int_equal(cmdline_split(line, &w, &err), -EINVAL);
	assert_string_equal(err.text, "more than 64 words in the command line");
}

static const struct api_command translate = {
	"translate",
	NULL,
	API_NEEDS_STOP,
	"cpu=N gva=ADDR [raw=BOOL] [s=STRING]",
	"",
};

static json_t *args_of(const struct api_command *cmd, const char *const w[],
		       struct errmsg *err)
{
	int n = 0;

	while (w[n])
		n++;
	return cmdline_build_args(cmd, n, (char *const *)w, err);
}

static void test_build_args(void **state)
{
	struct errmsg err;
	json_t *a, *want;

	a = args_of(&translate,
		    (const char *const[]){ "cpu=0", "gva=0xffffffff81000000",
					   "raw=on", "s=12", "pause=true",
					   "n=-5", "x=y", NULL },
		    &err);
	want = json_pack("{s:i,s:s,s:b,s:s,s:b,s:i,s:s}", "cpu", 0, "gva",
			 "0xffffffff81000000", "raw", 1, "s", "12", "pause", 1,
			 "n", -5, "x", "y");
	assert_true(json_equal(a, want));
	json_decref(a);
	json_decref(want);

	/* past int64 as a string the server parses; := is raw JSON */
	a = args_of(&translate,
		    (const char *const[]){ "gva=18446744073709551615",
					   "s:=[1,{\"k\":null}]", NULL },
		    &err);
	assert_string_equal(json_string_value(json_object_get(a, "gva")),
			    "18446744073709551615");
	assert_true(json_is_array(json_object_get(a, "s")));
	json_decref(a);

	/* an unknown command: guessed types */
	a = args_of(NULL, (const char *const[]){ "cpu=1", "b=false", NULL },
		    &err);
	assert_int_equal(json_integer_value(json_object_get(a, "cpu")), 1);
	assert_true(json_is_false(json_object_get(a, "b")));
	json_decref(a);
}

static void expect_args_error(const char *const w[], const char *want)
{
	struct errmsg err;

	assert_null(args_of(&translate, w, &err));
	assert_string_equal(err.text, want);
}

static void test_build_args_errors(void **state)
{
	expect_args_error((const char *const[]){ "cpu", NULL },
			  "argument 'cpu' is not name=value");
	expect_args_error((const char *const[]){ "=1", NULL },
			  "argument '=1' is not name=value");
	expect_args_error((const char *const[]){ ":=1", NULL },
			  "argument ':=1' has no usable name");
	expect_args_error((const char *const[]){ "cpu=0", "cpu=1", NULL },
			  "argument 'cpu' is given twice");
	expect_args_error((const char *const[]){ "raw=maybe", NULL },
			  "argument 'raw' must be true or false");
	expect_args_error(
		(const char *const[]){ "s:={", NULL },
		"argument 's:={' is not JSON: string or '}' expected near end of file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_build_args),
		cmocka_unit_test(test_build_args_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
