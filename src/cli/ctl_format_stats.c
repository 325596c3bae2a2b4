// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmscope ctl` formatters of query-stats and query-stats-schemas: one
 * block per provider and vCPU, scalars as name/value lines, histograms as
 * text bars (kvmscope's log2 buckets labelled with their nanosecond ranges,
 * KVM's by bucket index).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "cli/ctl_format.h"

#define BAR_WIDTH 40

/* "512 ns", "1 us", "64 ms": a power of two, short. */
static void pow2_label(char *buf, size_t size, unsigned int i)
{
	uint64_t v = 1ULL << i;

	if (v < 1000)
		snprintf(buf, size, "%" PRIu64 " ns", v);
	else if (v < 1000000)
		snprintf(buf, size, "%.3g us", v / 1e3);
	else if (v < 1000000000)
		snprintf(buf, size, "%.3g ms", v / 1e6);
	else
		snprintf(buf, size, "%.3g s", v / 1e9);
}

void ctl_hist_bars(FILE *out, const char *indent, const uint64_t *b, size_t n,
		   bool log2_ns)
{
	uint64_t max = 0, total = 0;
	size_t i, first = n, last = 0, w;
	char lo[16], hi[16], label[40];

	for (i = 0; i < n; i++) {
		total += b[i];
		if (b[i] > max)
			max = b[i];
		if (b[i] && first == n)
			first = i;
		if (b[i])
			last = i;
	}
	if (!total) {
		fprintf(out, "%s(empty)\n", indent);
		return;
	}
	for (i = first; i <= last; i++) {
		if (log2_ns) {
			pow2_label(lo, sizeof(lo), i);
			pow2_label(hi, sizeof(hi), i + 1);
			if (i == 0)
				snprintf(label, sizeof(label), "< %s", hi);
			else if (i == n - 1)
				snprintf(label, sizeof(label), ">= %s", lo);
			else
				snprintf(label, sizeof(label), "%s - %s", lo,
					 hi);
		} else {
			snprintf(label, sizeof(label), "[%zu]", i);
		}
		/* A non-empty bucket always shows at least one mark. */
		w = (size_t)((b[i] * BAR_WIDTH + max - 1) / max);
		fprintf(out, "%s%17s |%.*s%*s| %" PRIu64 "\n", indent, label,
			(int)w, "########################################",
			(int)(BAR_WIDTH - w), "", b[i]);
	}
}

/* A list of non-negative integers into buf; false for anything else. */
static bool as_buckets(json_t *v, uint64_t *buf, size_t max, size_t *n)
{
	json_t *e;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > max)
		return false;
	json_array_foreach(v, i, e)
	{
		if (!json_is_integer(e) || json_integer_value(e) < 0)
			return false;
		buf[i] = (uint64_t)json_integer_value(e);
	}
	*n = json_array_size(v);
	return true;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

int ctl_fmt_query_stats(FILE *out, json_t *r)
{
	uint64_t buckets[1024];
	json_t *res, *stats, *s, *v;
	const char *prov, *qom, *name;
	size_t i, j, n;

	if (!json_is_array(r))
		return -1;
	if (!json_array_size(r))
		fprintf(out, "no statistics\n");
	json_array_foreach(r, i, res)
	{
		prov = json_string_value(json_object_get(res, "provider"));
		qom = json_string_value(json_object_get(res, "qom-path"));
		stats = json_object_get(res, "stats");
		if (!prov || !json_is_array(stats))
			return -1;
		fprintf(out, "%s%s%s%s\n", i ? "\n" : "", prov,
			qom ? " " : " (vm)", qom ? qom : "");
		json_array_foreach(stats, j, s)
		{
			name = json_string_value(json_object_get(s, "name"));
			v = json_object_get(s, "value");
			if (!name || !v)
				return -1;
			if (json_is_integer(v)) {
				fprintf(out, "  %-40s %" PRIu64 "\n", name,
					(uint64_t)json_integer_value(v));
			} else if (json_is_boolean(v)) {
				fprintf(out, "  %-40s %s\n", name,
					json_is_true(v) ? "true" : "false");
			} else if (as_buckets(v, buckets, 1024, &n)) {
				fprintf(out, "  %s\n", name);
				ctl_hist_bars(out, "    ", buckets, n,
					      !strcmp(prov, "kvmscope") &&
						      ends_with(name,
								"latency-ns"));
			} else {
				return -1;
			}
		}
	}
	return 0;
}

int ctl_fmt_query_stats_schemas(FILE *out, json_t *r)
{
	json_t *sch, *stats, *s;
	const char *prov, *target, *name, *type, *unit;
	size_t i, j;

	if (!json_is_array(r))
		return -1;
	json_array_foreach(r, i, sch)
	{
		prov = json_string_value(json_object_get(sch, "provider"));
		target = json_string_value(json_object_get(sch, "target"));
		stats = json_object_get(sch, "stats");
		if (!prov || !target || !json_is_array(stats))
			return -1;
		fprintf(out, "%s%s %s: %zu statistics\n", i ? "\n" : "", prov,
			target, json_array_size(stats));
		json_array_foreach(stats, j, s)
		{
			name = json_string_value(json_object_get(s, "name"));
			type = json_string_value(json_object_get(s, "type"));
			unit = json_string_value(json_object_get(s, "unit"));
			if (!name || !type)
				return -1;
			if (unit)
				fprintf(out, "  %-40s %-16s %s", name, type,
					unit);
			else
				fprintf(out, "  %-40s %s", name, type);
			if (json_integer_value(json_object_get(s, "exponent")))
				fprintf(out, " x%lld^%lld",
					json_integer_value(
						json_object_get(s, "base")),
					json_integer_value(json_object_get(
						s, "exponent")));
			if (json_object_get(s, "bucket-size"))
				fprintf(out, " bucket-size %lld",
					json_integer_value(json_object_get(
						s, "bucket-size")));
			fputc('\n', out);
		}
	}
	return 0;
}
