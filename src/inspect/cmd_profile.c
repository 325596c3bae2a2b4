// SPDX-License-Identifier: GPL-2.0
/*
 * profile-start / profile-stop: sample the guest's RIPs at N Hz without
 * stopping it (inspect/profile.c) and write folded stacks plus an SVG
 * flame graph (inspect/flamegraph.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/handlers.h"
#include "inspect/profile.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/*
 * "0", "0,2", "1-3", "0-1,3" (or a JSON integer) into sel[nr]; the
 * error names the argument.
 */
static int parse_cpu_list(json_t *v, int nr, bool *sel, struct errmsg *err)
{
	const char *s;
	char *end;
	long a, b, i;

	if (json_is_integer(v)) {
		a = json_integer_value(v);
		if (a < 0 || a >= nr)
			return errmsg_set(
				err, EINVAL,
				"argument 'cpu' must name vCPUs 0 to %d (got %ld)",
				nr - 1, a);
		sel[a] = true;
		return 0;
	}
	if (!json_is_string(v))
		return errmsg_set(
			err, EINVAL,
			"argument 'cpu' must be a list like 0,2-3 (a string)");
	s = json_string_value(v);
	for (;;) {
		errno = 0;
		if (*s < '0' || *s > '9')
			goto bad;
		a = strtol(s, &end, 10);
		b = a;
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				goto bad;
			b = strtol(s, &end, 10);
		}
		if (errno || b < a)
			goto bad;
		if (b >= nr)
			return errmsg_set(
				err, EINVAL,
				"argument 'cpu' must name vCPUs 0 to %d (got %.64s)",
				nr - 1, json_string_value(v));
		for (i = a; i <= b; i++)
			sel[i] = true;
		if (!*end)
			return 0;
		if (*end != ',')
			goto bad;
		s = end + 1;
	}
bad:
	return errmsg_set(
		err, EINVAL,
		"argument 'cpu' value '%.64s' is not a list like 0,2-3",
		json_string_value(v));
}

static const char *const start_args[] = { "hz", "cpu", NULL };

/*
 * profile-start hz=N [cpu=LIST]: {"hz": N, "cpus": [ids]}. Sampling runs
 * until profile-stop; the guest keeps running.
 */
int api_cmd_profile_start(struct api_ctx *ctx, json_t *args, json_t **ret,
			  struct errmsg *err)
{
	struct vm *vm = ctx->vm;
	json_t *cpu, *ids;
	bool *sel;
	long hz;
	int i, r;

	r = api_args_only(args, start_args, err);
	if (!r)
		r = api_arg_int(args, "hz", true, PROFILE_MIN_HZ,
				PROFILE_MAX_HZ, &hz, NULL, err);
	if (r)
		return r;
	if (profile_running())
		return errmsg_set(
			err, EBUSY,
			"a profile is already running: profile-stop path=FILE first");
	sel = calloc(vm->nr_vcpus, sizeof(*sel));
	if (!sel)
		return errmsg_set(err, ENOMEM, "out of memory");
	cpu = args ? json_object_get(args, "cpu") : NULL;
	if (cpu) {
		r = parse_cpu_list(cpu, vm->nr_vcpus, sel, err);
	} else {
		for (i = 0; i < vm->nr_vcpus; i++)
			sel[i] = true;
	}
	if (!r)
		r = profile_start(vm, hz, sel, err);
	if (r) {
		free(sel);
		return r;
	}
	ids = json_array();
	for (i = 0; i < vm->nr_vcpus; i++)
		if (sel[i])
			json_array_append_new(ids, json_integer(i));
	free(sel);
	*ret = json_pack("{s:i, s:o}", "hz", (int)hz, "cpus", ids);
	return 0;
}

/* The directory path names must exist and be writable, before stopping. */
static int check_dir(const char *path, struct errmsg *err)
{
	char *copy = strdup(path);
	const char *dir;
	int r = 0;

	if (!copy)
		return errmsg_set(err, ENOMEM, "out of memory");
	dir = dirname(copy);
	if (access(dir, W_OK | X_OK) < 0)
		r = errmsg_set(err, errno, "cannot write %s: %s", path,
			       strerror(errno));
	free(copy);
	return r;
}

static const char *const stop_args[] = { "path", "svg", NULL };

/*
 * profile-stop path=P [svg=Q]: folded stacks to P, the flame graph to Q
 * (default P.svg). Reply: {"samples", "requested", "per-vcpu": [{"cpu",
 * "samples"}], "duration-s", "hz", "top": [{"function", "samples",
 * "percent"}] (five at most), "path", "svg"}. A path that cannot be
 * written is refused before the profile stops: it keeps running.
 */
int api_cmd_profile_stop(struct api_ctx *ctx, json_t *args, json_t **ret,
			 struct errmsg *err)
{
	struct profile_result res;
	const char *path, *svg = NULL;
	char *svg_default = NULL;
	json_t *per, *top;
	size_t i;
	int r;

	r = api_args_only(args, stop_args, err);
	if (!r)
		r = api_arg_str(args, "path", true, &path, err);
	if (!r && args && json_object_get(args, "svg"))
		r = api_arg_str(args, "svg", true, &svg, err);
	if (r)
		return r;
	if (!profile_running())
		return errmsg_set(
			err, EINVAL,
			"no profile is running: profile-start hz=N first");
	if (!svg) {
		if (asprintf(&svg_default, "%s.svg", path) < 0)
			return errmsg_set(err, ENOMEM, "out of memory");
		svg = svg_default;
	}
	r = check_dir(path, err);
	if (!r)
		r = check_dir(svg, err);
	if (!r)
		r = profile_stop(ctx->vm, &res, err);
	if (!r) {
		r = profile_write_folded(&res, path, err);
		if (!r)
			r = profile_write_svg(&res, svg, err);
		if (r)
			profile_result_free(&res);
	}
	if (r) {
		free(svg_default);
		return r;
	}
	per = json_array();
	for (i = 0; i < (size_t)res.nr_vcpus; i++)
		if (res.selected[i])
			json_array_append_new(
				per, json_pack("{s:i, s:I}", "cpu", (int)i,
					       "samples",
					       (json_int_t)res.per_vcpu[i]));
	top = json_array();
	for (i = 0; i < res.nr_funcs && i < 5; i++)
		json_array_append_new(
			top,
			json_pack("{s:s, s:I, s:f}", "function",
				  res.funcs[i].name, "samples",
				  (json_int_t)res.funcs[i].samples, "percent",
				  res.samples ?
					  100.0 * (double)res.funcs[i].samples /
						  (double)res.samples :
					  0.0));
	*ret = json_pack("{s:I, s:I, s:o, s:f, s:i, s:o, s:s, s:s}", "samples",
			 (json_int_t)res.samples, "requested",
			 (json_int_t)res.requested, "per-vcpu", per,
			 "duration-s", res.duration_s, "hz", (int)res.hz, "top",
			 top, "path", path, "svg", svg);
	free(svg_default);
	profile_keep_result(&res);
	return 0;
}

const struct api_command cmd_profile_commands[] = {
	{ "profile-start", api_cmd_profile_start, API_RUNS_ANYTIME,
	  "hz=N [cpu=LIST]",
	  "sample the vCPUs' RIPs N times a second (1-10000) while the guest runs" },
	{ "profile-stop", api_cmd_profile_stop, API_RUNS_ANYTIME,
	  "path=FILE [svg=FILE]",
	  "stop sampling; write folded stacks to path and a flame graph to svg (path.svg)" },
};
const size_t cmd_profile_command_count =
	sizeof(cmd_profile_commands) / sizeof(cmd_profile_commands[0]);
