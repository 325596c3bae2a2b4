/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Builds kallsyms tables the way scripts/kallsyms.c lays them out, for
 * the kallsyms and VMCOREINFO tests: tokens are single characters plus a
 * few multi-character ones ("start_", "kernel", "init"), names are
 * compressed greedily, offsets are base-relative (optionally with
 * absolute per-cpu symbols). The tables go into one buffer whose first
 * byte is at virtual address kb->va.
 */
#ifndef KVMSCOPE_TESTS_KALLSYMS_BUILDER_H
#define KVMSCOPE_TESTS_KALLSYMS_BUILDER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "os/kallsyms.h"

struct kb_sym {
	uint64_t addr;
	char type;
	const char *name;
};

#define KB_SIZE (64 * 1024)

struct kb {
	uint64_t va;
	uint8_t buf[KB_SIZE];
	size_t len;
	struct kallsyms_locations loc;
	char tokens[256][16];
};

static inline size_t kb_put(struct kb *kb, const void *p, size_t n,
			    size_t align)
{
	size_t at = (kb->len + align - 1) & ~(align - 1);

	memcpy(kb->buf + at, p, n);
	kb->len = at + n;
	return at;
}

static inline void kb_tokens(struct kb *kb)
{
	static const char *const multi[] = { "start_", "kernel", "init" };
	int i;

	for (i = 0; i < 256; i++) {
		kb->tokens[i][0] = (char)i;
		kb->tokens[i][1] = '\0';
	}
	for (i = 0; i < 3; i++)
		strcpy(kb->tokens[0x80 + i], multi[i]);
}

/* Greedy compression of "type+name" into token numbers; returns count. */
static inline size_t kb_compress(struct kb *kb, const char *s, uint8_t *out)
{
	size_t n = 0;

	while (*s) {
		int best = (unsigned char)*s, i;
		size_t blen = 1;

		for (i = 0x80; i < 0x83; i++) {
			size_t l = strlen(kb->tokens[i]);

			if (!strncmp(s, kb->tokens[i], l) && l > blen) {
				best = i;
				blen = l;
			}
		}
		out[n++] = (uint8_t)best;
		s += blen;
	}
	return n;
}

/*
 * Lay out syms (sorted by address) at kb->va: offsets, relative_base,
 * num_syms, names, markers, token_table, token_index.
 */
static inline void kb_build(struct kb *kb, uint64_t va,
			    const struct kb_sym *syms, size_t n,
			    bool absolute_percpu)
{
	uint64_t base = 0;
	uint32_t num = (uint32_t)n, *markers;
	uint16_t index[256];
	size_t i, off = 0, names_at;
	char full[KALLSYMS_NAME_MAX + 2];
	uint8_t comp[KALLSYMS_NAME_MAX + 2];

	memset(kb->buf, 0, sizeof(kb->buf));
	kb->len = 0;
	kb->va = va;
	kb_tokens(kb);
	for (i = 0; i < n; i++)
		if (!(absolute_percpu && syms[i].addr < 0x100000)) {
			base = syms[i].addr;
			break;
		}
	kb->loc.offsets = va + kb->len;
	for (i = 0; i < n; i++) {
		int32_t o;

		if (!absolute_percpu)
			o = (int32_t)(uint32_t)(syms[i].addr - base);
		else if (syms[i].addr < 0x100000)
			o = (int32_t)syms[i].addr;
		else
			o = (int32_t)(base - syms[i].addr - 1);
		kb_put(kb, &o, 4, 4);
	}
	kb->loc.relative_base = va + kb_put(kb, &base, 8, 8);
	kb->loc.num_syms = va + kb_put(kb, &num, 4, 8);
	names_at = kb->len = (kb->len + 7) & ~7UL;
	kb->loc.names = va + names_at;
	markers = calloc((n + 255) / 256, 4);
	for (i = 0; i < n; i++) {
		size_t c;
		uint8_t len[2];

		if (i % 256 == 0)
			markers[i / 256] = (uint32_t)off;
		snprintf(full, sizeof(full), "%c%s", syms[i].type,
			 syms[i].name);
		c = kb_compress(kb, full, comp);
		if (c > 0x7f) {
			len[0] = (uint8_t)((c & 0x7f) | 0x80);
			len[1] = (uint8_t)(c >> 7);
			kb_put(kb, len, 2, 1);
			off += 2;
		} else {
			len[0] = (uint8_t)c;
			kb_put(kb, len, 1, 1);
			off += 1;
		}
		kb_put(kb, comp, c, 1);
		off += c;
	}
	kb->loc.markers = va + kb_put(kb, markers, ((n + 255) / 256) * 4, 8);
	free(markers);
	kb->loc.token_table = va + ((kb->len + 7) & ~7UL);
	kb->len = (kb->len + 7) & ~7UL;
	for (i = 0; i < 256; i++) {
		size_t l = strlen(kb->tokens[i]) + 1;

		index[i] = (uint16_t)(va + kb->len - kb->loc.token_table);
		kb_put(kb, kb->tokens[i], l, 1);
	}
	kb->loc.token_index = va + kb_put(kb, index, sizeof(index), 8);
}

/* A kallsyms_read_fn over the builder's buffer. */
static inline int kb_read(void *opaque, uint64_t va, void *buf, size_t len)
{
	struct kb *kb = opaque;

	if (va < kb->va || va - kb->va > sizeof(kb->buf) ||
	    len > sizeof(kb->buf) - (va - kb->va))
		return -EFAULT;
	memcpy(buf, kb->buf + (va - kb->va), len);
	return 0;
}

#endif
