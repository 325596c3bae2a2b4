// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/flamegraph.h"

struct fnode {
	char *name;
	uint64_t count;
	struct fnode **kids;
	size_t nr_kids, cap_kids;
};

static struct fnode *node_new(const char *name, size_t len)
{
	struct fnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strndup(name, len);
	if (!n->name) {
		free(n);
		return NULL;
	}
	return n;
}

static void node_free(struct fnode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nr_kids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n);
}

static struct fnode *node_child(struct fnode *p, const char *name, size_t len)
{
	struct fnode *c;
	size_t i;

	for (i = 0; i < p->nr_kids; i++)
		if (strlen(p->kids[i]->name) == len &&
		    !memcmp(p->kids[i]->name, name, len))
			return p->kids[i];
	if (p->nr_kids == p->cap_kids) {
		size_t cap = p->cap_kids ? p->cap_kids * 2 : 4;
		struct fnode **k = realloc(p->kids, cap * sizeof(*k));

		if (!k)
			return NULL;
		p->kids = k;
		p->cap_kids = cap;
	}
	c = node_new(name, len);
	if (c)
		p->kids[p->nr_kids++] = c;
	return c;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct fnode *const *)a)->name,
		      (*(struct fnode *const *)b)->name);
}

static void node_sort(struct fnode *n)
{
	size_t i;

	/* a leaf has no array at all: qsort must not see its NULL */
	if (n->nr_kids > 1)
		qsort(n->kids, n->nr_kids, sizeof(*n->kids), by_name);
	for (i = 0; i < n->nr_kids; i++)
		node_sort(n->kids[i]);
}

static int node_depth(const struct fnode *n)
{
	int d = 0, k;
	size_t i;

	for (i = 0; i < n->nr_kids; i++) {
		k = node_depth(n->kids[i]);
		if (k > d)
			d = k;
	}
	return d + 1;
}

static struct fnode *build(const struct folded *e, size_t n)
{
	struct fnode *root = node_new("all", 3);
	size_t i;

	if (!root)
		return NULL;
	for (i = 0; i < n; i++) {
		struct fnode *at = root;
		const char *s = e[i].stack, *semi;

		root->count += e[i].count;
		while (at && *s) {
			semi = strchr(s, ';');
			if (!semi)
				semi = s + strlen(s);
			at = node_child(at, s, semi - s);
			if (at)
				at->count += e[i].count;
			s = *semi ? semi + 1 : semi;
		}
	}
	node_sort(root);
	return root;
}

/* Monospace 12px: about 7.2 px per character. */
#define CHAR_W 7.2

struct draw {
	struct svgbuf *sb;
	double x0, ybase, w;
	uint64_t total;
};

static void draw_node(struct draw *d, const struct fnode *n, double x,
		      int level)
{
	double w = d->w * (double)n->count / (double)d->total;
	double y = d->ybase - (level + 1) * FLAME_FRAME_H;
	uint32_t rgb = level ? svg_name_color(n->name) : 0xd0d0d0;
	size_t len = strlen(n->name), fit;
	double kx = x;
	size_t i;

	if (w < 0.1)
		return;
	svg_printf(d->sb, "<g><title>");
	svg_escape(d->sb, n->name);
	svg_printf(d->sb, " (%" PRIu64 " samples, %.2f%%)</title>", n->count,
		   100.0 * (double)n->count / (double)d->total);
	svg_printf(
		d->sb,
		"<rect class=\"f\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"#%06x\" rx=\"2\" ry=\"2\"/>",
		x, y, w, FLAME_FRAME_H - 1, rgb);
	fit = w > 6 ? (size_t)((w - 6) / CHAR_W) : 0;
	if (fit >= 3) {
		svg_printf(d->sb, "<text x=\"%.2f\" y=\"%.1f\">", x + 3,
			   y + FLAME_FRAME_H - 4.5);
		if (len <= fit) {
			svg_escape(d->sb, n->name);
		} else {
			svg_escape_n(d->sb, n->name, fit - 2);
			svg_printf(d->sb, "..");
		}
		svg_printf(d->sb, "</text>");
	}
	svg_printf(d->sb, "</g>\n");
	for (i = 0; i < n->nr_kids; i++) {
		draw_node(d, n->kids[i], kx, level + 1);
		kx += d->w * (double)n->kids[i]->count / (double)d->total;
	}
}

int flamegraph_draw(struct svgbuf *sb, const struct folded *e, size_t n,
		    double x, double y, double w)
{
	struct fnode *root = build(e, n);
	struct draw d;
	int h;

	if (!root || !root->count) {
		node_free(root);
		svg_printf(sb,
			   "<text x=\"%.1f\" y=\"%.1f\">no samples</text>\n", x,
			   y + 14);
		return 20;
	}
	h = node_depth(root) * FLAME_FRAME_H;
	d.sb = sb;
	d.x0 = x;
	d.ybase = y + h;
	d.w = w;
	d.total = root->count;
	svg_printf(sb, "<g class=\"flamegraph\">\n");
	draw_node(&d, root, x, 0);
	svg_printf(sb, "</g>\n");
	node_free(root);
	return h;
}

void flamegraph_svg(struct svgbuf *sb, const char *title, const char *subtitle,
		    const struct folded *e, size_t n)
{
	struct fnode *root = build(e, n);
	int depth = root ? node_depth(root) : 1;
	int h = 70 + depth * FLAME_FRAME_H + 20;

	node_free(root);
	svg_begin(sb, FLAME_WIDTH, h);
	svg_printf(
		sb,
		"<text class=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">",
		FLAME_WIDTH / 2);
	svg_escape(sb, title);
	svg_printf(sb, "</text>\n");
	if (subtitle) {
		svg_printf(
			sb,
			"<text class=\"axis\" x=\"%d\" y=\"44\" text-anchor=\"middle\">",
			FLAME_WIDTH / 2);
		svg_escape(sb, subtitle);
		svg_printf(sb, "</text>\n");
	}
	flamegraph_draw(sb, e, n, 10, 60, FLAME_WIDTH - 20);
	svg_end(sb);
}
