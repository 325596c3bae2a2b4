// SPDX-License-Identifier: GPL-2.0
/*
 * kallsyms decoding (the layout is described in kallsyms.h). Guest tables
 * are read into host buffers through the caller's reader, page by page as
 * the decoder needs them, so nothing is read past a table's end by more
 * than a page and an unreadable page ends the stream instead of faulting.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/kallsyms.h"

#define PAGE 4096U

/* A guest byte stream read on demand, bounded. */
struct stream {
	kallsyms_read_fn read;
	void *opaque;
	uint64_t va;
	uint8_t *buf;
	size_t have, cap, max;
	bool ended; /* a page could not be read, or max reached */
};

/* Make [0, upto) available: 0, or -EFAULT when the stream ends first. */
static int stream_need(struct stream *s, size_t upto)
{
	while (s->have < upto) {
		uint64_t va = s->va + s->have;
		size_t n = PAGE - (size_t)(va & (PAGE - 1));

		if (s->ended)
			return -EFAULT;
		if (s->have + n > s->max) {
			n = s->max - s->have;
			if (!n) {
				s->ended = true;
				return -EFAULT;
			}
		}
		if (va + n < va) {
			s->ended = true;
			return -EFAULT;
		}
		if (s->have + n > s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64 * 1024;
			uint8_t *b;

			while (cap < s->have + n)
				cap *= 2;
			b = realloc(s->buf, cap);
			if (!b)
				return -ENOMEM;
			s->buf = b;
			s->cap = cap;
		}
		if (s->read(s->opaque, va, s->buf + s->have, n)) {
			s->ended = true;
			return -EFAULT;
		}
		s->have += n;
	}
	return 0;
}

struct decoder {
	const struct kallsyms_locations *loc;
	kallsyms_read_fn read;
	void *opaque;
	struct errmsg *err;
	/* token i's text: tokens + tok_off[i], tok_len[i] bytes */
	struct stream table;
	uint32_t tok_off[256];
	uint16_t tok_len[256];
};

static int invalid(struct decoder *d, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int invalid(struct decoder *d, int errnum, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return errmsg_set(d->err, errnum,
			  "kallsyms tables at 0x%" PRIx64 " are not valid: %s",
			  d->loc->names, why);
}

static int read_tokens(struct decoder *d)
{
	uint16_t index[256];
	int i, r;

	if (d->read(d->opaque, d->loc->token_index, index, sizeof(index)))
		return invalid(d, EFAULT,
			       "kallsyms_token_index at 0x%" PRIx64
			       " is unreadable",
			       d->loc->token_index);
	d->table = (struct stream){ .read = d->read,
				    .opaque = d->opaque,
				    .va = d->loc->token_table,
				    .max = KALLSYMS_TOKENS_MAX +
					   KALLSYMS_NAME_MAX };
	for (i = 0; i < 256; i++) {
		size_t off = index[i], n;
		uint8_t *nul;

		/* The whole token must lie in what can be read. */
		r = stream_need(&d->table, off + 1);
		if (r == -ENOMEM)
			return r;
		if (r)
			return invalid(
				d, EFAULT,
				"token %d at kallsyms_token_table+0x%zx is unreadable",
				i, off);
		for (;;) {
			nul = memchr(d->table.buf + off, 0,
				     d->table.have - off);
			if (nul || d->table.have - off >= KALLSYMS_NAME_MAX)
				break;
			r = stream_need(&d->table, d->table.have + 1);
			if (r == -ENOMEM)
				return r;
			if (r)
				break;
		}
		if (!nul ||
		    (size_t)(nul - (d->table.buf + off)) >= KALLSYMS_NAME_MAX)
			return invalid(
				d, EINVAL,
				"token %d at kallsyms_token_table+0x%zx has no NUL within %d bytes",
				i, off, KALLSYMS_NAME_MAX);
		n = (size_t)(nul - (d->table.buf + off));
		d->tok_off[i] = (uint32_t)off;
		d->tok_len[i] = (uint16_t)n;
	}
	return 0;
}

static int strtab_add(struct kallsyms *ks, size_t *cap, const char *s, size_t n,
		      uint32_t *at)
{
	if (ks->strtab_len + n + 1 > *cap) {
		size_t c = *cap ? *cap * 2 : 256 * 1024;
		char *t;

		while (c < ks->strtab_len + n + 1)
			c *= 2;
		if (c > UINT32_MAX)
			return -ENOMEM;
		t = realloc(ks->strtab, c);
		if (!t)
			return -ENOMEM;
		ks->strtab = t;
		*cap = c;
	}
	*at = (uint32_t)ks->strtab_len;
	memcpy(ks->strtab + ks->strtab_len, s, n);
	ks->strtab[ks->strtab_len + n] = '\0';
	ks->strtab_len += n + 1;
	return 0;
}

/* nm's letters, and '?' for symbols nm cannot classify. */
static bool type_char(char c)
{
	return c > 0x20 && c < 0x7f;
}

/* Every name, in table order, into ks->syms[i].name/type. */
static int read_names(struct decoder *d, struct kallsyms *ks,
		      const uint32_t *markers, size_t nr_markers)
{
	struct stream names = { .read = d->read,
				.opaque = d->opaque,
				.va = d->loc->names,
				.max = KALLSYMS_NAMES_MAX };
	char name[KALLSYMS_NAME_MAX];
	size_t off = 0, i, cap = 0;
	int r = 0;

	for (i = 0; i < ks->nr; i++) {
		size_t len, j, n = 0, k;

		if (markers && i % 256 == 0 && i / 256 < nr_markers &&
		    markers[i / 256] != off) {
			r = invalid(
				d, EINVAL,
				"kallsyms_markers[%zu] is 0x%x but symbol %zu starts at names+0x%zx",
				i / 256, markers[i / 256], i, off);
			goto out;
		}
		r = stream_need(&names,
				off + 2 <= names.max ? off + 2 : off + 1);
		if (r == -ENOMEM)
			goto out;
		if (r && stream_need(&names, off + 1))
			goto truncated;
		len = names.buf[off];
		if (len & 0x80) {
			if (names.have < off + 2)
				goto truncated;
			len = (len & 0x7f) | (size_t)names.buf[off + 1] << 7;
			off++;
		}
		off++;
		if (!len) {
			r = invalid(
				d, EINVAL,
				"symbol %zu at names+0x%zx has an empty name",
				i, off - 1);
			goto out;
		}
		r = stream_need(&names, off + len);
		if (r == -ENOMEM)
			goto out;
		if (r)
			goto truncated;
		for (j = 0; j < len; j++) {
			uint8_t t = names.buf[off + j];
			const char *tok =
				(const char *)d->table.buf + d->tok_off[t];

			if (n + d->tok_len[t] >= KALLSYMS_NAME_MAX) {
				r = invalid(
					d, EINVAL,
					"symbol %zu at names+0x%zx expands to more than %d characters",
					i, off, KALLSYMS_NAME_MAX - 1);
				goto out;
			}
			memcpy(name + n, tok, d->tok_len[t]);
			n += d->tok_len[t];
		}
		if (n < 2 || !type_char(name[0])) {
			r = invalid(
				d, EINVAL,
				"symbol %zu at names+0x%zx has no type and name (%zu characters)",
				i, off, n);
			goto out;
		}
		for (k = 1; k < n; k++)
			if ((unsigned char)name[k] <= 0x20 ||
			    (unsigned char)name[k] >= 0x7f) {
				r = invalid(
					d, EINVAL,
					"symbol %zu at names+0x%zx has byte 0x%02x in its name",
					i, off, (unsigned char)name[k]);
				goto out;
			}
		ks->syms[i].type = name[0];
		r = strtab_add(ks, &cap, name + 1, n - 1, &ks->syms[i].name);
		if (r)
			goto out;
		off += len;
	}
	ks->names_bytes = off;
	r = 0;
	goto out;
truncated:
	r = invalid(
		d, EFAULT,
		"the names stream ends at names+0x%zx, in symbol %zu of %zu",
		names.have, i, ks->nr);
out:
	free(names.buf);
	return r;
}

static int read_addresses(struct decoder *d, struct kallsyms *ks)
{
	const struct kallsyms_locations *loc = d->loc;
	size_t i, n = ks->nr;

	if (loc->offsets) {
		int32_t *off = malloc(n * sizeof(*off));
		uint64_t base;

		if (!off)
			return -ENOMEM;
		if (d->read(d->opaque, loc->offsets, off, n * sizeof(*off))) {
			free(off);
			return invalid(d, EFAULT,
				       "kallsyms_offsets at 0x%" PRIx64
				       " (%zu entries) is unreadable",
				       loc->offsets, n);
		}
		if (d->read(d->opaque, loc->relative_base, &base,
			    sizeof(base))) {
			free(off);
			return invalid(d, EFAULT,
				       "kallsyms_relative_base at 0x%" PRIx64
				       " is unreadable",
				       loc->relative_base);
		}
		/* Only ABSOLUTE_PERCPU stores negative offsets. */
		for (i = 0; i < n && off[i] >= 0; i++)
			;
		ks->absolute_percpu = i < n;
		ks->relative_base = base;
		for (i = 0; i < n; i++) {
			if (!ks->absolute_percpu)
				ks->syms[i].addr = base + (uint32_t)off[i];
			else if (off[i] >= 0)
				ks->syms[i].addr = (uint64_t)off[i];
			else
				ks->syms[i].addr =
					base - 1 - (uint64_t)(int64_t)off[i];
		}
		free(off);
		return 0;
	}
	{
		uint64_t *addr = malloc(n * sizeof(*addr));

		if (!addr)
			return -ENOMEM;
		if (d->read(d->opaque, loc->addresses, addr,
			    n * sizeof(*addr))) {
			free(addr);
			return invalid(d, EFAULT,
				       "kallsyms_addresses at 0x%" PRIx64
				       " (%zu entries) is unreadable",
				       loc->addresses, n);
		}
		for (i = 0; i < n; i++)
			ks->syms[i].addr = addr[i];
		free(addr);
	}
	return 0;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

static int cmp_name(const void *a, const void *b, void *opaque)
{
	const struct kallsyms *ks = opaque;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	int c = strcmp(kallsyms_name(ks, &ks->syms[i]),
		       kallsyms_name(ks, &ks->syms[j]));

	return c ? c : (i > j) - (i < j);
}

int kallsyms_load(const struct kallsyms_locations *loc, kallsyms_read_fn read,
		  void *opaque, struct kallsyms *ks, struct errmsg *err)
{
	struct decoder d = {
		.loc = loc, .read = read, .opaque = opaque, .err = err
	};
	uint32_t num, *markers = NULL;
	size_t nr_markers = 0, i;
	int r;

	memset(ks, 0, sizeof(*ks));
	if (!loc->names || !loc->num_syms || !loc->token_table ||
	    !loc->token_index || (!loc->offsets && !loc->addresses) ||
	    (loc->offsets && !loc->relative_base))
		return invalid(&d, EINVAL, "a table's location is missing");
	if (read(opaque, loc->num_syms, &num, sizeof(num)))
		return invalid(&d, EFAULT,
			       "kallsyms_num_syms at 0x%" PRIx64
			       " is unreadable",
			       loc->num_syms);
	if (num == 0 || num > KALLSYMS_MAX_SYMS)
		return invalid(&d, EINVAL, "kallsyms_num_syms is %u (1 to %u)",
			       num, KALLSYMS_MAX_SYMS);
	ks->nr = num;
	ks->syms = calloc(num, sizeof(*ks->syms));
	ks->by_name = malloc(num * sizeof(*ks->by_name));
	if (!ks->syms || !ks->by_name) {
		r = errmsg_set(err, ENOMEM, "out of memory for %u symbols",
			       num);
		goto fail;
	}
	if (loc->markers) {
		nr_markers = (num + 255) / 256;
		markers = malloc(nr_markers * sizeof(*markers));
		if (!markers) {
			r = -ENOMEM;
			goto fail;
		}
		if (read(opaque, loc->markers, markers,
			 nr_markers * sizeof(*markers))) {
			r = invalid(&d, EFAULT,
				    "kallsyms_markers at 0x%" PRIx64
				    " is unreadable",
				    loc->markers);
			goto fail;
		}
	}
	r = read_tokens(&d);
	if (!r)
		r = read_names(&d, ks, markers, nr_markers);
	if (!r)
		r = read_addresses(&d, ks);
	if (r)
		goto fail;
	free(d.table.buf);
	free(markers);
	qsort(ks->syms, ks->nr, sizeof(*ks->syms), cmp_addr);
	for (i = 0; i < ks->nr; i++)
		ks->by_name[i] = (uint32_t)i;
	qsort_r(ks->by_name, ks->nr, sizeof(*ks->by_name), cmp_name, ks);
	return 0;
fail:
	if (r == -ENOMEM && !err->text[0])
		errmsg_set(err, ENOMEM, "out of memory decoding kallsyms");
	free(d.table.buf);
	free(markers);
	kallsyms_free(ks);
	return r;
}

void kallsyms_free(struct kallsyms *ks)
{
	free(ks->syms);
	free(ks->by_name);
	free(ks->strtab);
	memset(ks, 0, sizeof(*ks));
}

const struct ksym *kallsyms_by_name(const struct kallsyms *ks, const char *name,
				    size_t *count)
{
	size_t lo = 0, hi = ks->nr, first, n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(kallsyms_name(ks, &ks->syms[ks->by_name[mid]]),
			   name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < ks->nr &&
	       !strcmp(kallsyms_name(ks, &ks->syms[ks->by_name[lo]]), name)) {
		n++;
		lo++;
	}
	if (count)
		*count = n;
	return n ? &ks->syms[ks->by_name[first]] : NULL;
}

const struct ksym *kallsyms_by_addr(const struct kallsyms *ks, uint64_t addr,
				    uint64_t *size)
{
	size_t lo = 0, hi = ks->nr, i, j;

	/*
	 * Below the base only absolute symbols lie: per-cpu offsets (0,
	 * 0x1000...), not addresses, so a user RIP must not become
	 * "fixed_percpu_data+0x401000". Found by name, never by address.
	 */
	if (addr < ks->relative_base)
		return NULL;
	/* The first symbol above addr... */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	/* ...so the one before covers it; aliases: the first of them. */
	i = lo - 1;
	while (i && ks->syms[i - 1].addr == ks->syms[i].addr)
		i--;
	j = lo;
	if (j == ks->nr) {
		if (addr != ks->syms[i].addr)
			return NULL;
		if (size)
			*size = 0;
		return &ks->syms[i];
	}
	if (size)
		*size = ks->syms[j].addr - ks->syms[i].addr;
	return &ks->syms[i];
}

int kallsyms_describe(const struct kallsyms *ks, uint64_t addr, char *buf,
		      size_t size)
{
	const struct ksym *s = kallsyms_by_addr(ks, addr, NULL);

	if (!s)
		return -ENOENT;
	snprintf(buf, size, "%s+0x%" PRIx64, kallsyms_name(ks, s),
		 addr - s->addr);
	return 0;
}
