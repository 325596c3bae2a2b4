// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmscope ctl` renderings of trace-kvm and query-trace-kvm: per vCPU a
 * table of in-kernel exit reasons, each timed reason's log2 histogram as
 * text bars, and the counted events.
 */
#include <stdbool.h>
#include <string.h>

#include "cli/ctl_format.h"

#define BAR_WIDTH 40

/* "2^i ns" bucket bounds as short text: 512ns, 1us, 32us, 1ms, 4s. */
static void bound(char *buf, size_t size, int i)
{
	static const char *const units[] = { "ns", "us", "ms", "s" };
	unsigned long long v = 1ULL << i;
	int u = 0;

	while (u < 3 && v >= 1024) {
		v /= 1000;
		u++;
	}
	snprintf(buf, size, "%llu%s", v, units[u]);
}

static void bars(FILE *out, json_t *hist)
{
	size_t i, first = 0, last = 0, n = json_array_size(hist);
	json_int_t max = 0;
	bool any = false;

	for (i = 0; i < n; i++) {
		json_int_t c = json_integer_value(json_array_get(hist, i));

		if (c) {
			if (!any)
				first = i;
			last = i;
			any = true;
		}
		if (c > max)
			max = c;
	}
	for (i = first; any && i <= last; i++) {
		json_int_t c = json_integer_value(json_array_get(hist, i));
		int w = max ? (int)((c * BAR_WIDTH + max - 1) / max) : 0;
		char lo[16], hi[16];

		bound(lo, sizeof(lo), i);
		bound(hi, sizeof(hi), i + 1);
		fprintf(out, "      %6s-%-6s %10lld |%.*s\n", lo, hi,
			(long long)c, w,
			"########################################");
	}
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
