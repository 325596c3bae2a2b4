/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A growing SVG document in memory and what every picture kvmscope draws
 * needs: XML escaping (names come from symbol files and the guest),
 * deterministic colours from a name, the document frame.
 */
#ifndef KVMSCOPE_INSPECT_SVG_H
#define KVMSCOPE_INSPECT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svgbuf {
	char *buf;
	size_t len, cap;
	bool oom; /* an append failed: the document is incomplete */
};

void svg_init(struct svgbuf *sb);
void svg_free(struct svgbuf *sb);
void svg_printf(struct svgbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* s with & < > " ' escaped (and control characters dropped). */
void svg_escape(struct svgbuf *sb, const char *s);
/* The same for at most n bytes of s. */
void svg_escape_n(struct svgbuf *sb, const char *s, size_t n);

/* <svg ...> with a viewBox of w x h, the shared styles; and its end. */
void svg_begin(struct svgbuf *sb, int w, int h);
void svg_end(struct svgbuf *sb);

/* A warm flame-graph colour from name's hash: 0xRRGGBB, stable. */
uint32_t svg_name_color(const char *name);

#endif
