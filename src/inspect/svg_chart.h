/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Charts for stats-report: a horizontal bar chart (exits per reason) and
 * a log2 latency histogram (bucket i counts [2^i, 2^(i+1)) ns), drawn into
 * an SVG document at a given place. Labels are XML-escaped; every bar has
 * a <title> tooltip with its exact value.
 */
#ifndef KVMSCOPE_INSPECT_SVG_CHART_H
#define KVMSCOPE_INSPECT_SVG_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "inspect/svg.h"

struct svg_bar {
	const char *label;
	uint64_t value;
};

#define SVG_BAR_ROW_H 18

/*
 * Bars in the order given, scaled to the largest, at (x, y) with width w;
 * returns the height drawn (title row included). n == 0 draws "no data".
 */
int svg_bar_chart(struct svgbuf *sb, double x, double y, double w,
		  const char *title, const struct svg_bar *bars, size_t n);

/*
 * The buckets from the first to the last non-empty one as columns in a
 * w x h box at (x, y), with their lower bounds as axis labels; returns
 * the height drawn (h). All empty draws "no data".
 */
int svg_log2_histogram(struct svgbuf *sb, double x, double y, double w,
		       double h, const char *title, const uint64_t *buckets,
		       size_t n);

/* 2^i ns as "1ns", "512ns", "1us", "2ms", "1s", "2^70ns"... */
void svg_pow2_ns_label(unsigned int i, char *buf, size_t size);

#endif
