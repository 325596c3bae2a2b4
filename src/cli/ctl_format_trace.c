// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmscope ctl` renderings of trace-kvm and query-trace-kvm: per vCPU a
 * table of in-kernel exit reasons, each timed reason's log2 histogram as
 * text bars, and the counted events.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cli/ctl_format.h"

#define TRACE_BUCKETS 32

/* The histogram as ctl_hist_bars draws query-stats' (the same buckets). */
static void bars(FILE *out, json_t *hist)
{
	uint64_t b[TRACE_BUCKETS] = { 0 };
	size_t i, n = json_array_size(hist);

	if (n > TRACE_BUCKETS)
		n = TRACE_BUCKETS;
	for (i = 0; i < n; i++)
		b[i] = json_integer_value(json_array_get(hist, i));
	ctl_hist_bars(out, "    ", b, n, true);
}

int ctl_fmt_trace_kvm(FILE *out, json_t *ret)
{
	json_t *t = json_object_get(ret, "threads"), *v;
	size_t i;

	if (!json_is_boolean(json_object_get(ret, "enabled")))
		return -1;
	if (!json_is_true(json_object_get(ret, "enabled"))) {
		fputs("trace-kvm: off\n", out);
		return 0;
	}
	fprintf(out, "trace-kvm: on (%s, tracefs %s), vCPU threads",
		json_string_value(json_object_get(ret, "method")) ?: "?",
		json_string_value(json_object_get(ret, "tracefs")) ?: "?");
	json_array_foreach(t, i, v)
		fprintf(out, " %lld", (long long)json_integer_value(v));
	fputc('\n', out);
	return 0;
}

int ctl_fmt_query_trace_kvm(FILE *out, json_t *ret)
{
	json_t *vcpus = json_object_get(ret, "vcpus"), *v, *r, *n;
	const char *note = json_string_value(json_object_get(ret, "note"));
	const char *k;
	size_t i, j;

	if (!json_is_array(vcpus))
		return -1;
	fprintf(out, "trace-kvm %s, %.2f s; reasons: %s\n",
		json_is_true(json_object_get(ret, "enabled")) ? "on" : "off",
		json_number_value(json_object_get(ret, "seconds")),
		json_string_value(json_object_get(ret, "naming")) ?: "?");
	json_array_foreach(vcpus, i, v)
	{
		json_t *reasons = json_object_get(v, "reasons");

		fprintf(out,
			"vCPU %lld (thread %lld): %lld exits, %lld entries, %lld lost\n",
			(long long)json_integer_value(
				json_object_get(v, "cpu")),
			(long long)json_integer_value(
				json_object_get(v, "thread-id")),
			(long long)json_integer_value(
				json_object_get(v, "exits")),
			(long long)json_integer_value(
				json_object_get(v, "entries")),
			(long long)json_integer_value(
				json_object_get(v, "lost")));
		if (json_array_size(reasons))
			fprintf(out, "  %-28s %12s %12s %12s\n", "REASON",
				"COUNT", "AVG_NS", "MAX_NS");
		json_array_foreach(reasons, j, r)
		{
			fprintf(out, "  %-28s %12lld %12lld %12lld\n",
				json_string_value(json_object_get(r, "name")) ?:
					"?",
				(long long)json_integer_value(
					json_object_get(r, "count")),
				(long long)json_integer_value(
					json_object_get(r, "avg-ns")),
				(long long)json_integer_value(
					json_object_get(r, "max-ns")));
			bars(out, json_object_get(r, "histogram"));
		}
		fputs("  events:", out);
		json_object_foreach(json_object_get(v, "events"), k,
				    n) if (json_integer_value(n))
			fprintf(out, " %s %lld", k,
				(long long)json_integer_value(n));
		fputc('\n', out);
	}
	if (note)
		fprintf(out, "note: %s\n", note);
	return 0;
}
