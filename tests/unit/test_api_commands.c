// SPDX-License-Identifier: GPL-2.0
/*
 * The command table, pause policies and argument helpers, without KVM: a
 * struct vm with no vCPUs pauses and resumes instantly, which is all the
 * policy code and the lifecycle commands touch.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/commands.h"
#include "inspect/handlers.h"
#include "vmm/exit_status.h"
#include "vmm/vm.h"

static struct vm vm;
static struct api_ctx ctx;
static struct errmsg err;

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	pthread_mutex_init(&vm.pause_lock, NULL);
	pthread_cond_init(&vm.pause_cond, NULL);
	pthread_mutex_init(&vm.end_lock, NULL);
	vm.end_efd = -1;
	ctx = (struct api_ctx){ .vm = &vm };
	memset(&err, 0, sizeof(err));
	return 0;
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	assert_non_null(j);
	return j;
}

/* ---- argument helpers ---- */

static int u64_of(const char *args_json, uint64_t *v)
{
	json_t *a = parse(args_json);
	int r = api_arg_u64(a, "gpa", true, v, NULL, &err);

	json_decref(a);
	return r;
}

static void test_u64_accepts(void **state)
{
	uint64_t v;

	assert_int_equal(u64_of("{\"gpa\": 4096}", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(u64_of("{\"gpa\": \"4096\"}", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(u64_of("{\"gpa\": \"0x1000\"}", &v), 0);
	assert_int_equal(v, 0x1000);
	assert_int_equal(u64_of("{\"gpa\": \"0XaBcD\"}", &v), 0);
	assert_int_equal(v, 0xabcd);
	assert_int_equal(u64_of("{\"gpa\": \"0xffffffff80001000\"}", &v), 0);
	assert_true(v == 0xffffffff80001000ULL);
	assert_int_equal(u64_of("{\"gpa\": \"0xffffffffffffffff\"}", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(u64_of("{\"gpa\": \"18446744073709551615\"}", &v), 0);
	assert_true(v == UINT64_MAX);
	/* leading zeros do not count against 64 bits */
	assert_int_equal(u64_of("{\"gpa\": \"0x0000000000000000001\"}", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(u64_of("{\"gpa\": 0}", &v), 0);
	assert_int_equal(v, 0);
}

static void expect_u64_error(const char *args_json, const char *text)
{
	uint64_t v = 0;

	err.text[0] = '\0';
	assert_int_equal(u64_of(args_json, &v), -EINVAL);
	if (!strstr(err.text, text))
		fail_msg("'%s': got \"%s\", expected \"%s\"", args_json,
			 err.text, text);
	/* every message names the argument */
	assert_non_null(strstr(err.text, "'gpa'"));
}

static void test_u64_rejects(void **state)
{
	expect_u64_error("{}", "missing argument 'gpa'");
	expect_u64_error("{\"gpa\": -1}", "must not be negative");
	expect_u64_error("{\"gpa\": \"-1\"}", "is not a number");
	expect_u64_error("{\"gpa\": \"0x10000000000000000\"}",
			 "does not fit in 64 bits");
	expect_u64_error("{\"gpa\": \"18446744073709551616\"}",
			 "does not fit in 64 bits");
	expect_u64_error("{\"gpa\": \"99999999999999999999999\"}",
			 "does not fit in 64 bits");
	expect_u64_error("{\"gpa\": \"\"}", "is not a number");
	expect_u64_error("{\"gpa\": \"0x\"}", "is not a number");
	expect_u64_error("{\"gpa\": \" 12\"}", "is not a number");
	expect_u64_error("{\"gpa\": \"12 \"}", "is not a number");
	expect_u64_error("{\"gpa\": \"12k\"}", "is not a number");
	expect_u64_error("{\"gpa\": \"0x1g\"}", "is not a number");
	expect_u64_error("{\"gpa\": \"+5\"}", "is not a number");
	expect_u64_error("{\"gpa\": 1.5}", "not a real number");
	expect_u64_error("{\"gpa\": true}", "not a boolean");
	expect_u64_error("{\"gpa\": null}", "not null");
	expect_u64_error("{\"gpa\": [1]}", "not an array");
}

/* Addresses and sizes: the exact words a QMP client sees. */
static void test_u64_messages(void **state)
{
	uint64_t v;

	assert_int_equal(u64_of("{\"gpa\": -1}", &v), -EINVAL);
	assert_string_equal(
		err.text,
		"'gpa' must be a non-negative integer below 2^64, got -1 (an address or size must not be negative)");
	assert_int_equal(u64_of("{\"gpa\": 1.5}", &v), -EINVAL);
	assert_string_equal(
		err.text,
		"'gpa' must be a non-negative integer below 2^64, got 1.5 (an address or size is not a real number)");
	assert_int_equal(u64_of("{\"gpa\": 4096.0}", &v), -EINVAL);
	assert_string_equal(
		err.text,
		"'gpa' must be a non-negative integer below 2^64, got 4096 (an address or size is not a real number)");
	assert_int_equal(u64_of("{\"gpa\": -9223372036854775808}", &v),
			 -EINVAL);
	assert_non_null(strstr(err.text, "got -9223372036854775808 ("));
}

static void test_u64_optional(void **state)
{
	json_t *a = parse("{}");
	uint64_t v = 77;
	bool present = true;

	assert_int_equal(api_arg_u64(a, "gpa", false, &v, &present, &err), 0);
	assert_false(present);
	assert_int_equal(v, 77);
	assert_int_equal(api_arg_u64(NULL, "gpa", false, &v, NULL, &err), 0);
	json_decref(a);
}

static int int_of(const char *args_json, long min, long max, long *v)
{
	json_t *a = parse(args_json);
	int r = api_arg_int(a, "cpu", true, min, max, v, NULL, &err);

	json_decref(a);
	return r;
}

static void test_int(void **state)
{
	long v;

	assert_int_equal(int_of("{\"cpu\": 3}", 0, 3, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(int_of("{\"cpu\": \"0x2\"}", 0, 3, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(int_of("{\"cpu\": \"-5\"}", -10, 3, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(int_of("{\"cpu\": \"-0\"}", 0, 3, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(
		int_of("{\"cpu\": -9223372036854775808}", LONG_MIN, 0, &v), 0);
	assert_true(v == LONG_MIN);
	assert_int_equal(int_of("{\"cpu\": \"-9223372036854775808\"}", LONG_MIN,
				0, &v),
			 0);
	assert_true(v == LONG_MIN);

	assert_int_equal(int_of("{\"cpu\": 4}", 0, 3, &v), -EINVAL);
	assert_non_null(strstr(
		err.text, "argument 'cpu' must be between 0 and 3 (got 4)"));
	assert_int_equal(int_of("{\"cpu\": -1}", 0, 3, &v), -EINVAL);
	assert_non_null(strstr(err.text, "between 0 and 3"));
	assert_int_equal(int_of("{\"cpu\": \"-1\"}", 0, 3, &v), -EINVAL);
	assert_non_null(strstr(err.text, "between 0 and 3 (got -1)"));
	assert_int_equal(int_of("{\"cpu\": \"99999999999999999999999\"}", 0, 3,
				&v),
			 -EINVAL);
	assert_non_null(strstr(err.text, "between 0 and 3"));
	assert_int_equal(int_of("{\"cpu\": \"9223372036854775808\"}", 0,
				LONG_MAX, &v),
			 -EINVAL);
	assert_int_equal(int_of("{\"cpu\": \"-9223372036854775809\"}", LONG_MIN,
				0, &v),
			 -EINVAL);
	assert_int_equal(int_of("{\"cpu\": \"one\"}", 0, 3, &v), -EINVAL);
	assert_non_null(strstr(err.text, "'one' is not an integer"));
	assert_int_equal(int_of("{\"cpu\": 1.0}", 0, 3, &v), -EINVAL);
	assert_non_null(strstr(err.text, "must be an integer, not a real"));
	assert_int_equal(int_of("{}", 0, 3, &v), -EINVAL);
	assert_string_equal(err.text, "missing argument 'cpu'");
}

static void test_bool_str(void **state)
{
	json_t *a = parse("{\"p\": true, \"q\": false, \"s\": \"yes\", "
			  "\"n\": 1, \"t\": \"text\"}");
	const char *str = "untouched";
	bool v = false, present;

	assert_int_equal(api_arg_bool(a, "p", &v, &present, &err), 0);
	assert_true(v && present);
	assert_int_equal(api_arg_bool(a, "q", &v, NULL, &err), 0);
	assert_false(v);
	/* strict: ctl sends real booleans */
	assert_int_equal(api_arg_bool(a, "s", &v, NULL, &err), -EINVAL);
	assert_string_equal(err.text,
			    "argument 's' must be true or false, not a string");
	assert_int_equal(api_arg_bool(a, "n", &v, NULL, &err), -EINVAL);
	assert_int_equal(api_arg_bool(a, "absent", &v, &present, &err), 0);
	assert_false(present);

	assert_int_equal(api_arg_str(a, "t", true, &str, &err), 0);
	assert_string_equal(str, "text");
	assert_int_equal(api_arg_str(a, "n", true, &str, &err), -EINVAL);
	assert_string_equal(err.text,
			    "argument 'n' must be a string, not an integer");
	assert_int_equal(api_arg_str(a, "absent", false, &str, &err), 0);
	assert_null(str);
	assert_int_equal(api_arg_str(a, "absent", true, &str, &err), -EINVAL);
	assert_string_equal(err.text, "missing argument 'absent'");
	json_decref(a);
}

static void test_args_only(void **state)
{
	static const char *const allowed[] = { "cpu", "gva", NULL };
	static const char *const none[] = { NULL };
	json_t *ok = parse("{\"cpu\": 0, \"gva\": 1}");
	json_t *typo = parse("{\"cpu\": 0, \"gav\": 1}");

	assert_int_equal(api_args_only(ok, allowed, &err), 0);
	assert_int_equal(api_args_only(NULL, none, &err), 0);
	assert_int_equal(api_args_only(typo, allowed, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"unknown argument 'gav' (this command takes: cpu, gva)");
	assert_int_equal(api_args_only(ok, none, &err), -EINVAL);
	assert_non_null(strstr(err.text, "this command takes none"));
	json_decref(ok);
	json_decref(typo);
}

static void test_hex(void **state)
{
	json_t *h = api_hex(0xffffffff80001000ULL);

	assert_string_equal(json_string_value(h), "0xffffffff80001000");
	json_decref(h);
	h = api_hex(0);
	assert_string_equal(json_string_value(h), "0x0");
	json_decref(h);
}

/* ---- pause policy, through a table of probes ---- */

static struct {
	int calls;
	bool paused_inside;
	bool was_paused;
	json_t *args_seen;
} probe;

static int probe_handler(struct api_ctx *c, json_t *args, json_t **ret,
			 struct errmsg *e)
{
	probe.calls++;
	probe.paused_inside = c->vm && vm_is_paused(c->vm);
	probe.was_paused = c->was_paused;
	json_decref(probe.args_seen);
	probe.args_seen = json_deep_copy(args);
	return 0; /* no *ret: the caller makes it {} */
}

static int failing_handler(struct api_ctx *c, json_t *args, json_t **ret,
			   struct errmsg *e)
{
	*ret = json_string("discarded");
	return -EIO; /* and no message */
}

static const struct api_command probes[] = {
	{ "needs-stop", probe_handler, API_NEEDS_STOP, "", "" },
	{ "brief", probe_handler, API_PAUSES_BRIEFLY, "", "" },
	{ "anytime", probe_handler, API_RUNS_ANYTIME, "", "" },
	{ "lifecycle", probe_handler, API_LIFECYCLE, "", "" },
	{ "no-vm", probe_handler, API_RUNS_ANYTIME, "", "", true },
	{ "fails", failing_handler, API_RUNS_ANYTIME, "", "" },
};

static int run_probe(const char *name, const char *args_json, json_t **ret,
		     const char **cls)
{
	json_t *a = args_json ? parse(args_json) : NULL;
	int r;

	json_decref(probe.args_seen);
	memset(&probe, 0, sizeof(probe));
	r = api_execute_table(probes, sizeof(probes) / sizeof(probes[0]), &ctx,
			      name, a, ret, cls, &err);
	json_decref(a);
	return r;
}

static void test_unknown_command(void **state)
{
	const char *cls = NULL;
	json_t *ret;

	assert_int_equal(run_probe("nope", NULL, &ret, &cls), -ENOENT);
	assert_string_equal(cls, "CommandNotFound");
	assert_string_equal(err.text, "The command nope has not been found");
	assert_null(ret);
	/* and the real table */
	assert_int_equal(api_execute(&ctx, "query-regs", NULL, &ret, &cls,
				     &err),
			 -ENOENT);
	assert_string_equal(cls, "CommandNotFound");
}

static void test_needs_stop(void **state)
{
	const char *cls;
	json_t *ret;

	assert_int_equal(run_probe("needs-stop", NULL, &ret, &cls), -EBUSY);
	assert_string_equal(cls, "GenericError");
	assert_string_equal(
		err.text,
		"'needs-stop' needs a stopped VM: run 'stop' first or pass pause=true");
	assert_int_equal(probe.calls, 0);

	/* pause=true: stopped around the handler, running again after */
	assert_int_equal(run_probe("needs-stop", "{\"pause\": true, \"x\": 1}",
				   &ret, &cls),
			 0);
	assert_int_equal(probe.calls, 1);
	assert_true(probe.paused_inside);
	assert_false(probe.was_paused);
	assert_false(vm_is_paused(&vm));
	/* the handler never sees 'pause' */
	assert_null(json_object_get(probe.args_seen, "pause"));
	assert_non_null(json_object_get(probe.args_seen, "x"));
	assert_true(json_is_object(ret) && !json_object_size(ret));
	json_decref(ret);

	assert_int_equal(run_probe("needs-stop", "{\"pause\": false}", &ret,
				   &cls),
			 -EBUSY);
	assert_int_equal(run_probe("needs-stop", "{\"pause\": \"yes\"}", &ret,
				   &cls),
			 -EINVAL);
	assert_string_equal(
		err.text,
		"argument 'pause' must be true or false, not a string");

	/* stopped by the user: runs, and stays stopped */
	vm_pause(&vm);
	assert_int_equal(run_probe("needs-stop", NULL, &ret, &cls), 0);
	assert_true(probe.paused_inside);
	assert_true(probe.was_paused);
	assert_true(vm_is_paused(&vm));
	json_decref(ret);
	assert_int_equal(
		run_probe("needs-stop", "{\"pause\": true}", &ret, &cls), 0);
	assert_true(vm_is_paused(&vm));
	json_decref(ret);
	vm_resume(&vm);
	json_decref(probe.args_seen);
	probe.args_seen = NULL;
}

static void test_other_policies(void **state)
{
	const char *cls;
	json_t *ret;

	assert_int_equal(run_probe("brief", NULL, &ret, &cls), 0);
	assert_true(probe.paused_inside);
	assert_false(vm_is_paused(&vm));
	json_decref(ret);

	assert_int_equal(run_probe("anytime", NULL, &ret, &cls), 0);
	assert_false(probe.paused_inside);
	json_decref(ret);
	assert_int_equal(run_probe("anytime", "{\"pause\": true}", &ret, &cls),
			 0);
	assert_true(probe.paused_inside);
	assert_false(vm_is_paused(&vm));
	json_decref(ret);

	/* lifecycle commands get 'pause' like any other argument */
	assert_int_equal(
		run_probe("lifecycle", "{\"pause\": true}", &ret, &cls), 0);
	assert_false(probe.paused_inside);
	assert_non_null(json_object_get(probe.args_seen, "pause"));
	json_decref(ret);
	json_decref(probe.args_seen);
	probe.args_seen = NULL;
}

static void test_args_not_modified(void **state)
{
	json_t *a = parse("{\"pause\": true}"), *ret;
	const char *cls;

	assert_int_equal(api_execute_table(probes, 6, &ctx, "needs-stop", a,
					   &ret, &cls, &err),
			 0);
	assert_non_null(json_object_get(a, "pause"));
	json_decref(ret);
	json_decref(a);
	a = parse("[1]");
	assert_int_equal(api_execute_table(probes, 6, &ctx, "anytime", a, &ret,
					   &cls, &err),
			 -EINVAL);
	assert_non_null(strstr(err.text, "must be a JSON object"));
	json_decref(a);
	json_decref(probe.args_seen);
	probe.args_seen = NULL;
}

static void test_no_vm(void **state)
{
	const char *cls;
	json_t *ret;

	ctx.vm = NULL;
	assert_int_equal(run_probe("anytime", NULL, &ret, &cls), -ENODEV);
	assert_string_equal(err.text, "'anytime' needs a VM");
	assert_int_equal(probe.calls, 0);
	assert_int_equal(run_probe("no-vm", NULL, &ret, &cls), 0);
	assert_int_equal(probe.calls, 1);
	json_decref(ret);
	json_decref(probe.args_seen);
	probe.args_seen = NULL;

	assert_int_equal(
		api_execute(&ctx, "query-version", NULL, &ret, &cls, &err), 0);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(ret, "kvmscope"), "version")),
		KVMSCOPE_VERSION);
	json_decref(ret);
	ctx.vm = &vm;
}

static void test_failure_without_text(void **state)
{
	const char *cls;
	json_t *ret;

	assert_int_equal(run_probe("fails", NULL, &ret, &cls), -EIO);
	assert_null(ret);
	assert_string_equal(cls, "GenericError");
	assert_non_null(strstr(err.text, "'fails' failed:"));
}

/* ---- the real table ---- */

static void test_table_complete(void **state)
{
	static const char *const contract[] = {
		"qmp_capabilities",
		"query-version",
		"query-commands",
		"query-status",
		"stop",
		"cont",
		"quit",
		"system_powerdown",
		"system_wakeup",
		"human-monitor-command",
		"query-cpus-fast",
		"query-registers",
		"query-msrs",
		"query-lapic",
		"query-pci",
		"query-block",
		"query-memslots",
		"gpa2hva",
		"gpa2hpa",
		"translate",
		"query-mappings",
		"read-memory",
		"write-memory",
		"search-memory",
		"trace-kvm",
		"query-trace-kvm",
		"profile-start",
		"profile-stop",
		"stats-report",
		"query-stats",
		"query-stats-schemas",
		"query-guest-kernel",
		"query-symbol",
		"guest-dmesg",
		"guest-ps",
		"guest-backtrace",
		"read-struct",
		"read-symbol",
		"dump-guest-memory",
	};
	const struct api_command *t;
	size_t i;
	int n, j, k;

	t = api_commands(&n);
	assert_int_equal(n, sizeof(contract) / sizeof(contract[0]));
	for (i = 0; i < sizeof(contract) / sizeof(contract[0]); i++) {
		assert_non_null(api_command_find(contract[i]));
		assert_non_null(api_command_find(contract[i])->handler);
	}
	for (j = 0; j < n; j++)
		for (k = j + 1; k < n; k++)
			assert_string_not_equal(t[j].name, t[k].name);
	assert_int_equal(api_command_find("translate")->pause, API_NEEDS_STOP);
	assert_int_equal(api_command_find("query-registers")->pause,
			 API_NEEDS_STOP);
	assert_int_equal(api_command_find("query-cpus-fast")->pause,
			 API_PAUSES_BRIEFLY);
	assert_int_equal(api_command_find("read-memory")->pause,
			 API_RUNS_ANYTIME);
	assert_int_equal(api_command_find("stop")->pause, API_LIFECYCLE);
	/* Reading statistics never pauses the VM. */
	assert_int_equal(api_command_find("query-stats")->pause,
			 API_RUNS_ANYTIME);
	assert_int_equal(api_command_find("query-stats-schemas")->pause,
			 API_RUNS_ANYTIME);
	assert_null(api_command_find("nope"));
}

static void test_real_needs_stop(void **state)
{
	json_t *a = parse("{\"cpu\": 0}"), *ret;
	const char *cls;

	assert_int_equal(api_execute(&ctx, "query-registers", a, &ret, &cls,
				     &err),
			 -EBUSY);
	assert_string_equal(
		err.text,
		"'query-registers' needs a stopped VM: run 'stop' first or pass pause=true");
	json_decref(a);
	assert_int_equal(api_require_stopped(&ctx, "read-memory gva=", &err),
			 -EBUSY);
	assert_string_equal(
		err.text,
		"'read-memory gva=' needs a stopped VM: run 'stop' first or pass pause=true");
	vm_pause(&vm);
	assert_int_equal(api_require_stopped(&ctx, "x", &err), 0);
	vm_resume(&vm);
}

static json_t *must_run(const char *name, const char *args_json)
{
	json_t *a = args_json ? parse(args_json) : NULL, *ret = NULL;
	const char *cls;

	if (api_execute(&ctx, name, a, &ret, &cls, &err))
		fail_msg("%s: %s", name, err.text);
	json_decref(a);
	return ret;
}

static void test_lifecycle(void **state)
{
	json_t *a, *ret;
	const char *cls;

	ret = must_run("query-status", NULL);
	assert_string_equal(json_string_value(json_object_get(ret, "status")),
			    "running");
	assert_true(json_is_true(json_object_get(ret, "running")));
	json_decref(ret);

	json_decref(must_run("stop", NULL));
	assert_true(vm_is_paused(&vm));
	ret = must_run("query-status", NULL);
	assert_string_equal(json_string_value(json_object_get(ret, "status")),
			    "paused");
	assert_true(json_is_false(json_object_get(ret, "running")));
	json_decref(ret);
	json_decref(must_run("stop", NULL)); /* again: no harm */
	json_decref(must_run("cont", NULL));
	assert_false(vm_is_paused(&vm));

	/* 'pause' on a lifecycle command is a typo, not a policy */
	a = parse("{\"pause\": true}");
	assert_int_equal(api_execute(&ctx, "stop", a, &ret, &cls, &err),
			 -EINVAL);
	assert_non_null(strstr(err.text, "unknown argument 'pause'"));
	assert_false(vm_is_paused(&vm));
	json_decref(a);

	assert_int_equal(api_execute(&ctx, "system_powerdown", NULL, &ret, &cls,
				     &err),
			 -ENOTSUP);
	assert_string_equal(
		err.text,
		"system_powerdown needs an ACPI power button event, which kvmscope does not provide yet: use quit, or poweroff inside the guest");

	ret = must_run("query-commands", NULL);
	assert_true(json_is_array(ret));
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(ret, 0), "name")),
			    "qmp_capabilities");
	json_decref(ret);

	a = parse("{\"enable\": [\"oob\"]}");
	assert_int_equal(api_execute(&ctx, "qmp_capabilities", a, &ret, &cls,
				     &err),
			 -EINVAL);
	assert_non_null(strstr(err.text, "'oob' is not available"));
	json_decref(a);
	json_decref(must_run("qmp_capabilities", "{\"enable\": []}"));

	json_decref(must_run("quit", NULL));
	assert_true(vm.end_requested);
	assert_int_equal(vm.end_status, KS_STATUS_SIGNAL);
	assert_string_equal(vm.end_why, "quit command from the control socket");
}

static int fmt_calls;

static void fake_formatter(FILE *out, const char *command, json_t *ret)
{
	fmt_calls++;
	fprintf(out, "%s: %s\n", command,
		json_string_value(json_object_get(
			json_object_get(ret, "kvmscope"), "version")));
}

static const char *hmp(const char *line, json_t **ret)
{
	json_t *a = json_pack("{s:s}", "command-line", line);
	const char *cls;
	int r;

	r = api_execute(&ctx, "human-monitor-command", a, ret, &cls, &err);
	json_decref(a);
	if (r)
		return NULL;
	assert_true(json_is_string(*ret));
	return json_string_value(*ret);
}

static void test_hmp(void **state)
{
	json_t *ret, *want;
	char *text;

	/* no formatter: the JSON text, and nothing for {} */
	api_set_hmp_formatter(NULL);
	want = api_version_object();
	text = json_dumps(want, JSON_INDENT(2));
	assert_int_equal(strlen(text) + 1, strlen(hmp("query-version", &ret)));
	assert_memory_equal(json_string_value(ret), text, strlen(text));
	assert_string_equal(json_string_value(ret) + strlen(text), "\n");
	free(text);
	json_decref(want);
	json_decref(ret);
	assert_string_equal(hmp("  stop  ", &ret), "");
	json_decref(ret);
	assert_true(vm_is_paused(&vm));
	assert_string_equal(hmp("cont", &ret), "");
	json_decref(ret);

	/* with one: its text */
	api_set_hmp_formatter(fake_formatter);
	assert_string_equal(hmp("query-version", &ret),
			    "query-version: " KVMSCOPE_VERSION "\n");
	json_decref(ret);
	assert_int_equal(fmt_calls, 1);
	api_set_hmp_formatter(NULL);

	/* the inner command's arguments and errors */
	assert_null(hmp("query-version x=1", &ret));
	assert_string_equal(err.text,
			    "unknown argument 'x': this command takes none");
	assert_null(hmp("query-registers cpu=0", &ret));
	assert_string_equal(
		err.text,
		"'query-registers' needs a stopped VM: run 'stop' first or pass pause=true");
	assert_null(hmp("nope", &ret));
	assert_string_equal(err.text, "The command nope has not been found");
	assert_null(hmp("translate cpu", &ret));
	assert_string_equal(err.text, "argument 'cpu' is not name=value");
	assert_null(hmp("", &ret));
	assert_non_null(strstr(err.text, "'command-line' is empty"));
	assert_null(hmp("human-monitor-command command-line=x", &ret));
	assert_string_equal(err.text,
			    "human-monitor-command cannot run itself");
	assert_null(hmp("query-status 'x", &ret));
	assert_string_equal(err.text,
			    "unterminated ' quote in the command line");
	/* help lists every command */
	assert_non_null(strstr(hmp("help", &ret),
			       "translate (cpu=N | pid=N [cpu=N]) gva=ADDR -- walk the guest"));
	json_decref(ret);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_u64_accepts, setup),
		cmocka_unit_test_setup(test_u64_rejects, setup),
		cmocka_unit_test_setup(test_u64_messages, setup),
		cmocka_unit_test_setup(test_u64_optional, setup),
		cmocka_unit_test_setup(test_hmp, setup),
		cmocka_unit_test_setup(test_int, setup),
		cmocka_unit_test_setup(test_bool_str, setup),
		cmocka_unit_test_setup(test_args_only, setup),
		cmocka_unit_test_setup(test_hex, setup),
		cmocka_unit_test_setup(test_unknown_command, setup),
		cmocka_unit_test_setup(test_needs_stop, setup),
		cmocka_unit_test_setup(test_other_policies, setup),
		cmocka_unit_test_setup(test_args_not_modified, setup),
		cmocka_unit_test_setup(test_no_vm, setup),
		cmocka_unit_test_setup(test_failure_without_text, setup),
		cmocka_unit_test_setup(test_table_complete, setup),
		cmocka_unit_test_setup(test_real_needs_stop, setup),
		cmocka_unit_test_setup(test_lifecycle, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
