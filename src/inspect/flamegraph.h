/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flame graphs from folded stacks ("a;b;c count", root frame first), drawn
 * by kvmscope itself as SVG: one rect per frame, its width proportional
 * to the samples under it, a <title> tooltip with the count and share,
 * labels clipped to their rect, colours from the frame name's hash.
 */
#ifndef KVMSCOPE_INSPECT_FLAMEGRAPH_H
#define KVMSCOPE_INSPECT_FLAMEGRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "inspect/svg.h"

struct folded {
	char *stack; /* frames joined by ';', root first */
	uint64_t count;
};

#define FLAME_FRAME_H 16
#define FLAME_WIDTH 1200

/*
 * Draw the graph as a group into sb with its top-left corner at (x, y)
 * and width w: the root ("all") is the bottom row. Returns the height
 * drawn. n == 0 draws a one-line note.
 */
int flamegraph_draw(struct svgbuf *sb, const struct folded *e, size_t n,
		    double x, double y, double w);
/* A whole SVG document: title, subtitle (may be NULL), the graph. */
void flamegraph_svg(struct svgbuf *sb, const char *title, const char *subtitle,
		    const struct folded *e, size_t n);

#endif
