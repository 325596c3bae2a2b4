// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "inspect/svg_chart.h"

#define LABEL_W 200.0
#define VALUE_W 90.0

static void title_text(struct svgbuf *sb, double x, double y, const char *title)
{
	svg_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">", x,
		   y);
	svg_escape(sb, title);
	svg_printf(sb, "</text>\n");
}

int svg_bar_chart(struct svgbuf *sb, double x, double y, double w,
		  const char *title, const struct svg_bar *bars, size_t n)
{
	double bar_w = w - LABEL_W - VALUE_W, yy;
	uint64_t max = 0, sum = 0;
	size_t i;

	title_text(sb, x, y + 14, title);
	for (i = 0; i < n; i++) {
		if (bars[i].value > max)
			max = bars[i].value;
		sum += bars[i].value;
	}
	if (!n || !max) {
		svg_printf(
			sb,
			"<text class=\"axis\" x=\"%.1f\" y=\"%.1f\">no data</text>\n",
			x, y + 34);
		return 44;
	}
	svg_printf(sb, "<g class=\"bars\">\n");
	for (i = 0; i < n; i++) {
		double bw = bar_w * (double)bars[i].value / (double)max;

		yy = y + 22 + i * SVG_BAR_ROW_H;
		svg_printf(sb, "<g><title>");
		svg_escape(sb, bars[i].label);
		svg_printf(sb, ": %" PRIu64 " (%.2f%%)</title>", bars[i].value,
			   100.0 * (double)bars[i].value / (double)sum);
		svg_printf(sb,
			   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
			   x + LABEL_W - 6, yy + 12.5);
		svg_escape(sb, bars[i].label);
		svg_printf(sb, "</text>");
		svg_printf(
			sb,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"#%06x\"/>",
			x + LABEL_W, yy + 2, bw > 0.5 ? bw : 0.5,
			SVG_BAR_ROW_H - 4, 0x4a7ab5);
		svg_printf(sb,
			   "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\">%" PRIu64
			   "</text></g>\n",
			   x + LABEL_W + bw + 4, yy + 12.5, bars[i].value);
	}
	svg_printf(sb, "</g>\n");
	return 22 + n * SVG_BAR_ROW_H + 8;
}

void svg_pow2_ns_label(unsigned int i, char *buf, size_t size)
{
	static const char *const units[] = { "ns", "us", "ms", "s" };
	uint64_t v;
	unsigned int u = 0;

	if (i >= 64) {
		snprintf(buf, size, "2^%uns", i);
		return;
	}
	v = 1ull << i;
	/* 1024 ns is shown as 1us: the buckets are powers of two. */
	while (u < 3 && v >= 1000) {
		v = (v + 500) / 1000;
		u++;
	}
	snprintf(buf, size, "%" PRIu64 "%s", v, units[u]);
}

int svg_log2_histogram(struct svgbuf *sb, double x, double y, double w,
		       double h, const char *title, const uint64_t *buckets,
		       size_t n)
{
	double plot_y = y + 22, plot_h = h - 22 - 18, col_w;
	size_t first = n, last = 0, i, every;
	uint64_t max = 0, sum = 0;
	char lo[24], hi[24];

	title_text(sb, x, y + 14, title);
	for (i = 0; i < n; i++) {
		if (!buckets[i])
			continue;
		if (first == n)
			first = i;
		last = i;
		if (buckets[i] > max)
			max = buckets[i];
		sum += buckets[i];
	}
	if (!sum) {
		svg_printf(
			sb,
			"<text class=\"axis\" x=\"%.1f\" y=\"%.1f\">no data</text>\n",
			x, y + 34);
		return h;
	}
	col_w = w / (double)(last - first + 1);
	every = col_w >= 42 ? 1 : (size_t)(42 / col_w) + 1;
	svg_printf(sb, "<g class=\"histogram\">\n");
	svg_printf(
		sb,
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n",
		x, plot_y + plot_h, x + w, plot_y + plot_h);
	for (i = first; i <= last; i++) {
		double bh = plot_h * (double)buckets[i] / (double)max;
		double cx = x + (i - first) * col_w;

		svg_pow2_ns_label(i, lo, sizeof(lo));
		svg_pow2_ns_label(i + 1, hi, sizeof(hi));
		svg_printf(
			sb,
			"<g><title>[%s, %s): %" PRIu64
			" (%.2f%%)</title><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#%06x\"/></g>\n",
			lo, hi, buckets[i],
			100.0 * (double)buckets[i] / (double)sum, cx + 1,
			plot_y + plot_h - bh, col_w > 3 ? col_w - 2 : 1, bh,
			0xd2691e);
		if ((i - first) % every == 0)
			svg_printf(
				sb,
				"<text class=\"axis\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
				cx + 1, plot_y + plot_h + 13, lo);
	}
	svg_printf(
		sb,
		"<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">max %" PRIu64
		", total %" PRIu64 "</text>\n",
		x + w, y + 14, max, sum);
	svg_printf(sb, "</g>\n");
	return h;
}
