// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/svg.h"

void svg_init(struct svgbuf *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void svg_free(struct svgbuf *sb)
{
	free(sb->buf);
	memset(sb, 0, sizeof(*sb));
}

static bool reserve(struct svgbuf *sb, size_t more)
{
	size_t cap;
	char *n;

	if (sb->oom)
		return false;
	if (sb->len + more + 1 <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 4096;
	while (cap < sb->len + more + 1)
		cap *= 2;
	n = realloc(sb->buf, cap);
	if (!n) {
		sb->oom = true;
		return false;
	}
	sb->buf = n;
	sb->cap = cap;
	return true;
}

void svg_printf(struct svgbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(sb, n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, n + 1, fmt, ap);
	va_end(ap);
	sb->len += n;
}

void svg_escape_n(struct svgbuf *sb, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];
		const char *rep = NULL;

		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		default:
			/* XML 1.0 allows no control characters but tab/LF/CR. */
			if (c < 0x20 || c == 0x7f)
				continue;
		}
		if (rep) {
			svg_printf(sb, "%s", rep);
		} else if (reserve(sb, 1)) {
			sb->buf[sb->len++] = c;
			sb->buf[sb->len] = '\0';
		}
	}
}

void svg_escape(struct svgbuf *sb, const char *s)
{
	svg_escape_n(sb, s, strlen(s));
}

void svg_begin(struct svgbuf *sb, int w, int h)
{
	svg_printf(
		sb,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
		"<style>text { font-family: monospace; font-size: 12px; fill: #000; }\n"
		".title { font-size: 17px; } .axis { fill: #555; font-size: 11px; }\n"
		"rect.f:hover { stroke: #000; stroke-width: 0.5; }</style>\n"
		"<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#f8f8f0\"/>\n",
		w, h, w, h, w, h);
}

void svg_end(struct svgbuf *sb)
{
	svg_printf(sb, "</svg>\n");
}

uint32_t svg_name_color(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	unsigned int r, g, b;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 16777619u;
	}
	/* flamegraph.pl's "hot" palette: red to yellow. */
	r = 205 + (h & 0xff) % 51;
	g = ((h >> 8) & 0xff) % 231;
	b = ((h >> 16) & 0xff) % 56;
	return r << 16 | g << 8 | b;
}
