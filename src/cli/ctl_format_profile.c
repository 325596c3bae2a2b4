// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmscope ctl` output for profile-start, profile-stop and stats-report.
 * Like every formatter: an unexpected reply makes it give up (-1) and the
 * reply is shown as JSON.
 */
#include <inttypes.h>
#include <string.h>

#include "cli/ctl_format.h"

int ctl_fmt_profile_start(FILE *out, json_t *r)
{
	json_t *hz = json_object_get(r, "hz"),
	       *cpus = json_object_get(r, "cpus");
	json_t *c;
	size_t i;

	if (!json_is_integer(hz) || !json_is_array(cpus))
		return -1;
	fprintf(out, "profiling vCPU%s", json_array_size(cpus) == 1 ? "" : "s");
	json_array_foreach(cpus, i, c)
	{
		if (!json_is_integer(c))
			return -1;
		fprintf(out, "%s%" JSON_INTEGER_FORMAT, i ? "," : " ",
			json_integer_value(c));
	}
	fprintf(out, " at %" JSON_INTEGER_FORMAT " Hz\n",
		json_integer_value(hz));
	return 0;
}

int ctl_fmt_profile_stop(FILE *out, json_t *r)
{
	json_t *samples = json_object_get(r, "samples");
	json_t *per = json_object_get(r, "per-vcpu");
	json_t *top = json_object_get(r, "top");
	json_t *dur = json_object_get(r, "duration-s");
	json_t *path = json_object_get(r, "path"),
	       *svg = json_object_get(r, "svg");
	json_t *e;
	size_t i;

	if (!json_is_integer(samples) || !json_is_array(per) ||
	    !json_is_array(top) || !json_is_number(dur) ||
	    !json_is_string(path) || !json_is_string(svg))
		return -1;
	fprintf(out,
		"%" JSON_INTEGER_FORMAT
		" samples over %.2f s at %" JSON_INTEGER_FORMAT
		" Hz (%" JSON_INTEGER_FORMAT " requested)\n",
		json_integer_value(samples), json_number_value(dur),
		json_integer_value(json_object_get(r, "hz")),
		json_integer_value(json_object_get(r, "requested")));
	json_array_foreach(per, i, e)
	{
		json_t *cpu = json_object_get(e, "cpu"),
		       *n = json_object_get(e, "samples");

		if (!json_is_integer(cpu) || !json_is_integer(n))
			return -1;
		fprintf(out,
			"  vcpu%-3" JSON_INTEGER_FORMAT
			" %8" JSON_INTEGER_FORMAT "\n",
			json_integer_value(cpu), json_integer_value(n));
	}
	if (json_array_size(top))
		fprintf(out, "top functions:\n");
	json_array_foreach(top, i, e)
	{
		json_t *f = json_object_get(e, "function"),
		       *n = json_object_get(e, "samples"),
		       *pct = json_object_get(e, "percent");

		if (!json_is_string(f) || !json_is_integer(n) ||
		    !json_is_number(pct))
			return -1;
		fprintf(out, "  %5.1f%% %8" JSON_INTEGER_FORMAT "  %s\n",
			json_number_value(pct), json_integer_value(n),
			json_string_value(f));
	}
	fprintf(out, "folded stacks: %s\nflame graph:   %s\n",
		json_string_value(path), json_string_value(svg));
	return 0;
}

int ctl_fmt_stats_report(FILE *out, json_t *r)
{
	json_t *path = json_object_get(r, "path");

	if (!json_is_string(path))
		return -1;
	fprintf(out,
		"%s: %" JSON_INTEGER_FORMAT " exits over %" JSON_INTEGER_FORMAT
		" reasons, %" JSON_INTEGER_FORMAT " latency histograms, %s\n",
		json_string_value(path),
		json_integer_value(json_object_get(r, "exits")),
		json_integer_value(json_object_get(r, "reasons")),
		json_integer_value(json_object_get(r, "histograms")),
		json_is_true(json_object_get(r, "flamegraph")) ?
			"the last profile's flame graph" :
			"no profile yet");
	return 0;
}
