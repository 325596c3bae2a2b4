// SPDX-License-Identifier: GPL-2.0
/*
 * stats-report path=P: one SVG page with the VM's exits per reason (a bar
 * chart), the latency histograms of kvmscope's own stats provider
 * (vmm/stats.h: per exit reason, then the busiest ports and MMIO
 * regions), and the flame graph of the last profile (profile-stop), if any.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/flamegraph.h"
#include "inspect/handlers.h"
#include "inspect/profile.h"
#include "inspect/svg_chart.h"
#include "util/atomic_file.h"
#include "vmm/stats.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define PAGE_W 1200
#define MARGIN 10

struct report {
	struct svgbuf body;
	double y;
	uint64_t exits;
	int reasons, histograms;
	bool flamegraph;
};

static void section(struct report *r, const char *title)
{
	svg_printf(&r->body, "<text class=\"title\" x=\"%d\" y=\"%.1f\">",
		   MARGIN, r->y + 20);
	svg_escape(&r->body, title);
	svg_printf(&r->body, "</text>\n");
	r->y += 30;
}

static int by_value(const void *a, const void *b)
{
	const struct svg_bar *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return strcmp(x->label, y->label);
}

/* Exits per reason over every vCPU (the stats provider), most first. */
static void draw_exits(struct report *r, struct vm *vm)
{
	static char names[STATS_REASONS][32];
	struct svg_bar bars[STATS_REASONS];
	size_t n = 0;
	int i, j;

	section(r, "Exits to kvmscope per reason");
	for (j = 0; j < STATS_REASONS; j++) {
		uint64_t sum = 0;

		for (i = 0; i < vm->nr_vcpus; i++)
			sum += __atomic_load_n(
				&vm->vcpus[i]->stats.reasons[j].count,
				__ATOMIC_RELAXED);
		if (!sum)
			continue;
		bars[n].label =
			stats_reason_name(j, names[j], sizeof(names[j]));
		bars[n].value = sum;
		r->exits += sum;
		n++;
	}
	qsort(bars, n, sizeof(bars[0]), by_value);
	r->reasons = n;
	r->y += svg_bar_chart(&r->body, MARGIN, r->y, PAGE_W - 2 * MARGIN,
			      "all vCPUs", bars, n);
}

/* Histograms per reason, then the busiest ports and MMIO regions. */
#define HIST_W ((PAGE_W - 3 * MARGIN) / 2)
#define HIST_H 170
#define TOP_IO 6

/* Place one histogram in the two-column grid. */
static void grid_hist(struct report *r, int *col, const char *title,
		      const struct stats_hist *h)
{
	char t[160];

	snprintf(t, sizeof(t), "%s: %" PRIu64 " exits", title, h->count);
	svg_log2_histogram(&r->body, MARGIN + *col * (HIST_W + MARGIN), r->y,
			   HIST_W, HIST_H, t, h->buckets, STATS_BUCKETS);
	r->histograms++;
	if (++*col == 2) {
		*col = 0;
		r->y += HIST_H + 10;
	}
}

static void draw_latency(struct report *r, struct vm *vm)
{
	static struct stats_io_sum io[STATS_IO_SLOTS];
	int nr_io, col = 0, i, j, k;
	char name[96];

	section(r,
		"Exit latency: KVM_RUN return to the next KVM_RUN (log2 buckets)");
	if (!stats_clock.enabled) {
		svg_printf(
			&r->body,
			"<text class=\"axis\" x=\"%d\" y=\"%.1f\">the exit statistics are off (KVMSCOPE_NO_EXIT_STATS)</text>\n",
			MARGIN, r->y + 12);
		r->y += 24;
		return;
	}
	for (j = 0; j < STATS_REASONS; j++) {
		struct stats_hist h;

		memset(&h, 0, sizeof(h));
		for (i = 0; i < vm->nr_vcpus; i++)
			stats_hist_load(&vm->vcpus[i]->stats.reasons[j], &h,
					true);
		if (!h.count)
			continue;
		grid_hist(r, &col, stats_reason_name(j, name, sizeof(name)),
			  &h);
	}
	nr_io = stats_gather_io(vm, io, STATS_IO_SLOTS);
	for (k = 0; k < nr_io && k < TOP_IO; k++) {
		if (!io[k].h.count)
			continue;
		stats_io_key_name(vm, io[k].key, name, sizeof(name));
		grid_hist(r, &col, name, &io[k].h);
	}
	if (col)
		r->y += HIST_H + 10;
	if (!r->histograms) {
		svg_printf(
			&r->body,
			"<text class=\"axis\" x=\"%d\" y=\"%.1f\">no exits yet</text>\n",
			MARGIN, r->y + 12);
		r->y += 24;
	}
}

static void draw_profile(struct report *r)
{
	const struct profile_result *p = profile_last_result();
	char sub[160];

	section(r, "Flame graph of the last profile");
	if (!p) {
		svg_printf(
			&r->body,
			"<text class=\"axis\" x=\"%d\" y=\"%.1f\">no profile yet: profile-start hz=N, then profile-stop path=FILE</text>\n",
			MARGIN, r->y + 12);
		r->y += 24;
		return;
	}
	snprintf(sub, sizeof(sub),
		 "%" PRIu64
		 " samples at %u Hz over %.2f s; width = share of samples",
		 p->samples, p->hz, p->duration_s);
	svg_printf(&r->body, "<text class=\"axis\" x=\"%d\" y=\"%.1f\">",
		   MARGIN, r->y + 10);
	svg_escape(&r->body, sub);
	svg_printf(&r->body, "</text>\n");
	r->y += 18;
	r->y += flamegraph_draw(&r->body, p->stacks, p->nr_stacks, MARGIN, r->y,
				PAGE_W - 2 * MARGIN);
	r->flamegraph = true;
}

static const char *const report_args[] = { "path", NULL };

/*
 * stats-report path=P: {"path", "exits", "reasons", "histograms",
 * "flamegraph": bool}. The page is written atomically.
 */
int api_cmd_stats_report(struct api_ctx *ctx, json_t *args, json_t **ret,
			 struct errmsg *err)
{
	struct report r = { .y = 40 };
	struct svgbuf page;
	const char *path;
	int e;

	e = api_args_only(args, report_args, err);
	if (!e)
		e = api_arg_str(args, "path", true, &path, err);
	if (e)
		return e;
	svg_init(&r.body);
	draw_exits(&r, ctx->vm);
	draw_latency(&r, ctx->vm);
	draw_profile(&r);
	svg_init(&page);
	svg_begin(&page, PAGE_W, (int)r.y + 20);
	svg_printf(
		&page,
		"<text class=\"title\" x=\"%d\" y=\"26\" text-anchor=\"middle\">kvmscope stats report</text>\n",
		PAGE_W / 2);
	svg_printf(&page, "%s", r.body.buf ? r.body.buf : "");
	svg_end(&page);
	if (page.oom || r.body.oom)
		e = errmsg_set(err, ENOMEM, "cannot write %s: out of memory",
			       path);
	else
		e = atomic_file_write(path, page.buf, page.len, err);
	svg_free(&page);
	svg_free(&r.body);
	if (e)
		return e;
	*ret = json_pack("{s:s, s:I, s:i, s:i, s:b}", "path", path, "exits",
			 (json_int_t)r.exits, "reasons", r.reasons,
			 "histograms", r.histograms, "flamegraph",
			 r.flamegraph);
	return 0;
}

const struct api_command cmd_report_commands[] = {
	{ "stats-report", api_cmd_stats_report, API_RUNS_ANYTIME, "path=FILE",
	  "one SVG page: exits per reason, latency histograms, the last profile's flame graph" },
};
const size_t cmd_report_command_count =
	sizeof(cmd_report_commands) / sizeof(cmd_report_commands[0]);
