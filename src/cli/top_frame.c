// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmscope top`'s frame from two samples: per vCPU state and rates, exits
 * per second by reason (query-stats providers kvmscope and kvm), the
 * busiest ports and MMIO regions, and the sampled RIPs.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl_format.h"
#include "cli/top_frame.h"
#include "inspect/symbols.h"

#define TOP_LIST 8 /* rows per ranked list */

void top_rips_add(struct top_rips *rips, int cpu, unsigned long long rip)
{
	int i;

	rips->total++;
	if (cpu >= 0 && cpu < 64) {
		rips->last[cpu] = rip;
		rips->have_last[cpu] = 1;
	}
	for (i = 0; i < rips->nr; i++)
		if (rips->r[i].rip == rip && rips->r[i].cpu == cpu) {
			rips->r[i].count++;
			return;
		}
	if (rips->nr == TOP_MAX_RIPS)
		return;
	rips->r[rips->nr].rip = rip;
	rips->r[rips->nr].cpu = cpu;
	rips->r[rips->nr].count = 1;
	rips->nr++;
}

void top_sample_free(struct top_sample *s)
{
	json_decref(s->status);
	json_decref(s->cpus);
	json_decref(s->stats_vcpu);
	json_decref(s->stats_vm);
	json_decref(s->trace);
	memset(s, 0, sizeof(*s));
}

/* The vCPU index of "/machine/unattached/device[N]"; -1 if none. */
static int qom_cpu(const char *qom)
{
	const char *p = qom ? strrchr(qom, '[') : NULL;

	return p ? atoi(p + 1) : -1;
}

/* A stat's value: a number, or a histogram's total count (*hist set). */
static double stat_value(json_t *v, json_t **hist)
{
	size_t i;
	json_t *b;
	double sum = 0;

	if (hist)
		*hist = NULL;
	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_array(v)) {
		if (hist)
			*hist = v;
		json_array_foreach(v, i, b) sum += json_number_value(b);
	}
	return sum;
}

/* The "stats" list of reply's entry for provider (and vCPU cpu, or -1). */
static json_t *stats_of(json_t *reply, const char *provider, int cpu)
{
	json_t *e;
	size_t i;

	json_array_foreach(reply, i, e)
	{
		const char *p =
			json_string_value(json_object_get(e, "provider"));

		if (!p || strcmp(p, provider))
			continue;
		if (cpu >= 0 && qom_cpu(json_string_value(
					json_object_get(e, "qom-path"))) != cpu)
			continue;
		return json_object_get(e, "stats");
	}
	return NULL;
}

static json_t *stat_get(json_t *stats, const char *name)
{
	json_t *s;
	size_t i;

	json_array_foreach(stats, i, s)
	{
		const char *n = json_string_value(json_object_get(s, "name"));

		if (n && !strcmp(n, name))
			return json_object_get(s, "value");
	}
	return NULL;
}

/* Delta of one stat between two "stats" lists; false when absent. */
static bool stat_delta(json_t *prev, json_t *cur, const char *name, double *d)
{
	json_t *c = stat_get(cur, name), *p = stat_get(prev, name);

	if (!c)
		return false;
	*d = stat_value(c, NULL) - (p ? stat_value(p, NULL) : 0);
	return true;
}

/* Mean of a log2 histogram's delta, buckets at their midpoints 1.5 * 2^i. */
static double hist_mean(json_t *prev, json_t *cur)
{
	double n = 0, sum = 0;
	size_t i;

	for (i = 0; i < json_array_size(cur); i++) {
		double c = json_number_value(json_array_get(cur, i)) -
			   json_number_value(json_array_get(prev, i));

		n += c;
		sum += c * 1.5 * (double)(1ULL << (i < 63 ? i : 63));
	}
	return n > 0 ? sum / n : 0;
}

struct ranked {
	char name[80];
	double rate;
	double avg_ns; /* < 0: unknown */
};

struct rank_list {
	int nr;
	struct ranked r[256];
};

static void rank_add(struct rank_list *l, const char *name, double rate,
		     double avg_ns)
{
	int i;

	for (i = 0; i < l->nr; i++)
		if (!strcmp(l->r[i].name, name)) {
			l->r[i].rate += rate;
			if (avg_ns >= 0)
				l->r[i].avg_ns = avg_ns;
			return;
		}
	if (l->nr == 256)
		return;
	snprintf(l->r[l->nr].name, sizeof(l->r[0].name), "%s", name);
	l->r[l->nr].rate = rate;
	l->r[l->nr].avg_ns = avg_ns;
	l->nr++;
}

static int rank_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void rank_print(FILE *out, struct rank_list *l)
{
	int i, shown = 0;

	qsort(l->r, l->nr, sizeof(l->r[0]), rank_cmp);
	for (i = 0; i < l->nr && shown < TOP_LIST; i++) {
		if (l->r[i].rate <= 0)
			continue;
		fprintf(out, "  %-32s %12.0f/s", l->r[i].name, l->r[i].rate);
		if (l->r[i].avg_ns >= 0)
			fprintf(out, "  avg %.0f ns", l->r[i].avg_ns);
		fputc('\n', out);
		shown++;
	}
	if (!shown)
		fputs("  (none)\n", out);
}

/*
 * Every stat of cur whose name starts with prefix and ends with suffix,
 * as a rate; the name between them (or the whole name, whole=true) keys
 * the row. latency: the sibling "<...>.latency-ns" gives the average.
 */
static void rank_stats(struct rank_list *l, json_t *prev, json_t *cur,
		       const char *prefix, const char *suffix, bool whole,
		       double dt)
{
	size_t i, np = strlen(prefix), ns = strlen(suffix);
	json_t *s;

	json_array_foreach(cur, i, s)
	{
		const char *n = json_string_value(json_object_get(s, "name"));
		char key[80], lat[128];
		double d, avg = -1;
		size_t len;
		json_t *lc, *lp, *hc, *hp;

		if (!n || strncmp(n, prefix, np))
			continue;
		len = strlen(n);
		if (len < np + ns || strcmp(n + len - ns, suffix))
			continue;
		if (whole)
			snprintf(key, sizeof(key), "%s", n);
		else
			snprintf(key, sizeof(key), "%.*s", (int)(len - np - ns),
				 n + np);
		if (!stat_delta(prev, cur, n, &d))
			continue;
		if (!strcmp(suffix, ".count")) {
			snprintf(lat, sizeof(lat), "%.*s.latency-ns",
				 (int)(len - ns), n);
			lc = stat_get(cur, lat);
			lp = stat_get(prev, lat);
			if (lc) {
				stat_value(lc, &hc);
				stat_value(lp, &hp);
				if (hc)
					avg = hist_mean(hp, hc);
				else if (d > 0)
					avg = (stat_value(lc, NULL) -
					       stat_value(lp, NULL)) /
					      d;
			}
		}
		rank_add(l, key, dt > 0 ? d / dt : 0, avg);
	}
}

static int rip_cmp(const void *a, const void *b)
{
	const int *x = a, *y = b;

	return y[1] - x[1];
}

static void render_rips(FILE *out, const struct top_rips *rips,
			const struct symbols *syms)
{
	int order[TOP_MAX_RIPS][2], i;

	fprintf(out, "hottest RIPs (%d samples):\n", rips ? rips->total : 0);
	if (!rips || !rips->nr) {
		fputs("  (none)\n", out);
		return;
	}
	for (i = 0; i < rips->nr; i++) {
		order[i][0] = i;
		order[i][1] = rips->r[i].count;
	}
	qsort(order, rips->nr, sizeof(order[0]), rip_cmp);
	for (i = 0; i < rips->nr && i < TOP_LIST; i++) {
		int k = order[i][0];
		char name[128] = "";

		if (syms &&
		    symbols_describe(syms, rips->r[k].rip, name, sizeof(name)))
			name[0] = 0;
		fprintf(out, "  0x%-16llx cpu %-3d %6d %6.1f%%%s%s\n",
			rips->r[k].rip, rips->r[k].cpu, rips->r[k].count,
			100.0 * rips->r[k].count / rips->total,
			name[0] ? "  " : "", name);
	}
}

static void render_cpus(FILE *out, const struct top_sample *prev,
			const struct top_sample *cur,
			const struct top_rips *rips, double dt)
{
	json_t *c;
	size_t i;

	fputs("CPU STATE          MODE        CPL RIP                   EXITS/S  GUEST%\n",
	      out);
	json_array_foreach(cur->cpus, i, c)
	{
		int cpu = json_integer_value(json_object_get(c, "cpu-index"));
		const char *state =
			json_string_value(json_object_get(c, "state"));
		const char *mode =
			json_string_value(json_object_get(c, "mode"));
		json_t *sc = NULL, *sp = NULL, *kc = NULL, *kp = NULL;
		char rate[32] = "-", guest[16] = "-", rip[24] = "-";
		double d, g, v;

		if (cur->stats_vcpu) {
			sc = stats_of(cur->stats_vcpu, "kvmscope", cpu);
			kc = stats_of(cur->stats_vcpu, "kvm", cpu);
		}
		if (prev && prev->stats_vcpu) {
			sp = stats_of(prev->stats_vcpu, "kvmscope", cpu);
			kp = stats_of(prev->stats_vcpu, "kvm", cpu);
		}
		if (prev && dt > 0) {
			if (sc && stat_delta(sp, sc, "exits", &d))
				snprintf(rate, sizeof(rate), "%.0f", d / dt);
			else if (kc && stat_delta(kp, kc, "exits", &d))
				snprintf(rate, sizeof(rate), "%.0f", d / dt);
			if (sc && stat_delta(sp, sc, "guest-ns", &g) &&
			    stat_delta(sp, sc, "vmm-ns", &v) && g + v > 0)
				snprintf(guest, sizeof(guest), "%.1f",
					 100.0 * g / (g + v));
		}
		if (rips && cpu >= 0 && cpu < 64 && rips->have_last[cpu])
			snprintf(rip, sizeof(rip), "0x%llx", rips->last[cpu]);
		fprintf(out, "%-3d %-14s %-11s %3d %-18s %10s %7s\n", cpu,
			state ? state : "?", mode ? mode : "?",
			(int)json_integer_value(json_object_get(c, "cpl")), rip,
			rate, guest);
	}
}

/* The vCPU object of a query-trace-kvm reply for cpu. */
static json_t *trace_vcpu(json_t *trace, int cpu)
{
	json_t *v;
	size_t i;

	json_array_foreach(
		json_object_get(trace, "vcpus"), i,
		v) if (json_integer_value(json_object_get(v, "cpu")) ==
		       cpu) return v;
	return NULL;
}

static json_t *trace_reason(json_t *v, const char *name)
{
	json_t *r;
	size_t i;

	json_array_foreach(
		json_object_get(v, "reasons"), i,
		r) if (!strcmp(json_string_value(json_object_get(r, "name")) ?:
									       "",
			       name)) return r;
	return NULL;
}

/* In-kernel exits and events per second, from trace-kvm (root, on). */
static void render_trace(FILE *out, struct rank_list *l, json_t *prev,
			 json_t *cur, double dt)
{
	json_t *v, *r, *pv, *pr, *n;
	const char *k;
	size_t i, j;

	l->nr = 0;
	json_array_foreach(json_object_get(cur, "vcpus"), i, v)
	{
		pv = trace_vcpu(prev,
				json_integer_value(json_object_get(v, "cpu")));
		json_array_foreach(json_object_get(v, "reasons"), j, r)
		{
			const char *name =
				json_string_value(json_object_get(r, "name"));
			double c =
				json_number_value(json_object_get(r, "count"));
			double t =
				json_number_value(json_object_get(r, "timed"));
			double s =
				json_number_value(json_object_get(r, "sum-ns"));

			pr = name && pv ? trace_reason(pv, name) : NULL;
			if (!name)
				continue;
			if (pr) {
				c -= json_number_value(
					json_object_get(pr, "count"));
				t -= json_number_value(
					json_object_get(pr, "timed"));
				s -= json_number_value(
					json_object_get(pr, "sum-ns"));
			}
			rank_add(l, name, c / dt, t > 0 ? s / t : -1);
		}
	}
	fputs("in-kernel exits/s by reason (trace-kvm):\n", out);
	rank_print(out, l);
	l->nr = 0;
	json_array_foreach(json_object_get(cur, "vcpus"), i, v)
	{
		pv = trace_vcpu(prev,
				json_integer_value(json_object_get(v, "cpu")));
		json_object_foreach(json_object_get(v, "events"), k, n)
		{
			json_t *p =
				pv ? json_object_get(
					     json_object_get(pv, "events"), k) :
				     NULL;

			rank_add(l, k,
				 (json_number_value(n) - json_number_value(p)) /
					 dt,
				 -1);
		}
	}
	fputs("in-kernel events/s (trace-kvm):\n", out);
	rank_print(out, l);
}

/*
 * The busiest exit reason's latency this interval, every vCPU's log2
 * histogram deltas added up, as text bars (the same as kvmscope ctl's).
 */
static void render_latency(FILE *out, const struct top_sample *prev,
			   const struct top_sample *cur, const char *reason)
{
	uint64_t b[64] = { 0 };
	size_t i, k, n = 0;
	char name[128];
	json_t *e;

	snprintf(name, sizeof(name), "exit.%s.latency-ns", reason);
	json_array_foreach(cur->stats_vcpu, i, e)
	{
		const char *p =
			json_string_value(json_object_get(e, "provider"));
		int cpu = qom_cpu(
			json_string_value(json_object_get(e, "qom-path")));
		json_t *c, *old;

		if (!p || strcmp(p, "kvmscope"))
			continue;
		c = stat_get(json_object_get(e, "stats"), name);
		old = stat_get(stats_of(prev->stats_vcpu, "kvmscope", cpu),
			       name);
		if (!json_is_array(c))
			continue;
		for (k = 0; k < json_array_size(c) && k < 64; k++) {
			double d = json_number_value(json_array_get(c, k)) -
				   json_number_value(json_array_get(old, k));

			if (d > 0)
				b[k] += (uint64_t)d;
		}
		if (json_array_size(c) > n)
			n = json_array_size(c) < 64 ? json_array_size(c) : 64;
	}
	if (!n)
		return;
	fprintf(out, "latency of '%s' exits this interval:\n", reason);
	ctl_hist_bars(out, "  ", b, n, true);
}

void top_render(FILE *out, const char *sock, const struct top_sample *prev,
		const struct top_sample *cur, const struct top_rips *rips,
		const struct symbols *syms)
{
	double dt = prev ? cur->t - prev->t : 0;
	const char *status =
		json_string_value(json_object_get(cur->status, "status"));
	struct rank_list *l = calloc(1, sizeof(*l));
	size_t i;
	json_t *e;

	fprintf(out,
		"kvmscope top  %s  status: %s  vCPUs: %zu  interval %.2f s\n",
		sock, status ? status : "?", json_array_size(cur->cpus), dt);
	render_cpus(out, prev, cur, rips, dt);
	if (!l)
		return;
	if (!cur->stats_vcpu) {
		fprintf(out, "query-stats: not available (%s)\n",
			cur->stats_err[0] ? cur->stats_err : "no reply");
	} else if (!prev || !prev->stats_vcpu || dt <= 0) {
		fputs("exits/s by reason: (first sample: rates on the next refresh)\n",
		      out);
	} else {
		fputs("exits/s by reason (kvmscope):\n", out);
		json_array_foreach(cur->stats_vcpu, i, e)
		{
			const char *p = json_string_value(
				json_object_get(e, "provider"));
			int cpu = qom_cpu(json_string_value(
				json_object_get(e, "qom-path")));

			if (p && !strcmp(p, "kvmscope"))
				rank_stats(l,
					   stats_of(prev->stats_vcpu,
						    "kvmscope", cpu),
					   json_object_get(e, "stats"), "exit.",
					   ".count", false, dt);
		}
		rank_print(out, l);
		/* rank_print sorted the list: the busiest reason first */
		if (l->nr && l->r[0].rate > 0)
			render_latency(out, prev, cur, l->r[0].name);
		l->nr = 0;
		fputs("exits/s by reason (kvm):\n", out);
		json_array_foreach(cur->stats_vcpu, i, e)
		{
			const char *p = json_string_value(
				json_object_get(e, "provider"));
			int cpu = qom_cpu(json_string_value(
				json_object_get(e, "qom-path")));

			if (p && !strcmp(p, "kvm"))
				rank_stats(l,
					   stats_of(prev->stats_vcpu, "kvm",
						    cpu),
					   json_object_get(e, "stats"), "",
					   "_exits", true, dt);
		}
		rank_print(out, l);
		l->nr = 0;
		fputs("top ports:\n", out);
		if (cur->stats_vm && prev->stats_vm) {
			json_t *c = stats_of(cur->stats_vm, "kvmscope", -1);
			json_t *p = stats_of(prev->stats_vm, "kvmscope", -1);
			int k;

			rank_stats(l, p, c, "io.", ".count", false, dt);
			for (k = 0; k < l->nr;
			     k++) /* "0x80.out" -> "0x80 out" */
				for (char *q = l->r[k].name; *q; q++)
					if (*q == '.')
						*q = ' ';
			rank_print(out, l);
			l->nr = 0;
			fputs("top MMIO regions:\n", out);
			rank_stats(l, p, c, "mmio.", ".count", false, dt);
			for (k = 0; k < l->nr; k++) /* "dev.0xGPA" */
				for (char *q = l->r[k].name; *q; q++)
					if (*q == '.')
						*q = ' ';
			rank_print(out, l);
		} else {
			fputs("  (no vm stats)\ntop MMIO regions:\n  (no vm stats)\n",
			      out);
		}
	}
	if (l && prev && prev->trace && cur->trace && dt > 0)
		render_trace(out, l, prev->trace, cur->trace, dt);
	free(l);
	render_rips(out, rips, syms);
}
