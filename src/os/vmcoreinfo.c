// SPDX-License-Identifier: GPL-2.0
/*
 * VMCOREINFO: parsing the text and finding it in guest RAM (vmcoreinfo.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/search.h"
#include "os/vmcoreinfo.h"
#include "util/parse.h"

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '(' || c == ')' ||
	       c == '.' || c == '-';
}

/* A short, printable quotation of a line for messages. */
static void quote(char *buf, size_t size, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
	}
	if (i < n && o + 4 < size)
		o += (size_t)snprintf(buf + o, size - o, "...");
	buf[o < size ? o : size - 1] = '\0';
}

static int check_identity(struct vmcoreinfo *vi, struct errmsg *err)
{
	const char *rel = vmcoreinfo_get(vi, "OSRELEASE");
	const char *bid = vmcoreinfo_get(vi, "BUILD-ID");
	const char *ps = vmcoreinfo_get(vi, "PAGESIZE");
	size_t i, n;
	long page;

	if (!rel)
		return errmsg_set(err, EINVAL, "no OSRELEASE");
	n = strlen(rel);
	if (n == 0 || n > 64)
		return errmsg_set(err, EINVAL,
				  "OSRELEASE is %zu characters (1 to 64)", n);
	for (i = 0; i < n; i++)
		if (rel[i] == ' ')
			return errmsg_set(err, EINVAL,
					  "OSRELEASE \"%s\" holds a space",
					  rel);
	if (!bid)
		return errmsg_set(err, EINVAL, "no BUILD-ID");
	n = strlen(bid);
	for (i = 0; i < n; i++)
		if (!((bid[i] >= '0' && bid[i] <= '9') ||
		      (bid[i] >= 'a' && bid[i] <= 'f')))
			break;
	if (n != 40 || i != n)
		return errmsg_set(
			err, EINVAL,
			"BUILD-ID \"%.48s\" is not 40 lower-case hex digits",
			bid);
	if (!ps)
		return errmsg_set(err, EINVAL, "no PAGESIZE");
	if (parse_int(ps, 4096, 65536, &page) || (page & (page - 1)))
		return errmsg_set(
			err, EINVAL,
			"PAGESIZE \"%.16s\" is not a power of two from 4096 to 65536",
			ps);
	vi->osrelease = rel;
	vi->build_id = bid;
	vi->page_size = (uint64_t)page;
	return 0;
}

int vmcoreinfo_parse(const char *text, size_t len, struct vmcoreinfo *vi,
		     struct errmsg *err)
{
	size_t end, pos = 0, i;
	int line = 0;
	char q[64];

	memset(vi, 0, sizeof(*vi));
	if (len > VMCOREINFO_MAX_BYTES)
		return errmsg_set(err, EINVAL,
				  "%zu bytes, more than the %d of VMCOREINFO",
				  len, VMCOREINFO_MAX_BYTES);
	end = strnlen(text, len);
	for (i = end; i < len; i++)
		if (text[i])
			return errmsg_set(
				err, EINVAL,
				"NUL byte at offset %zu inside the text", end);
	if (!end)
		return errmsg_set(err, EINVAL, "empty text");
	if (text[end - 1] != '\n')
		return errmsg_set(err, EINVAL, "the last line has no newline");
	memcpy(vi->text, text, end);
	vi->text[end] = '\0';
	vi->len = end;

	while (pos < end) {
		char *l = vi->text + pos;
		char *nl = memchr(l, '\n', end - pos);
		char *eq;
		size_t n = (size_t)(nl - l), k;
		int j;

		line++;
		quote(q, sizeof(q), text + pos, n);
		if (n > VMCOREINFO_MAX_LINE)
			return errmsg_set(
				err, EINVAL,
				"line %d is %zu characters (at most %d)", line,
				n, VMCOREINFO_MAX_LINE);
		eq = memchr(l, '=', n);
		if (!eq)
			return errmsg_set(err, EINVAL,
					  "line %d: no '=' in \"%s\"", line, q);
		k = (size_t)(eq - l);
		if (!k || k > VMCOREINFO_MAX_KEY)
			return errmsg_set(
				err, EINVAL,
				"line %d: key of %zu characters in \"%s\"",
				line, k, q);
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)l[i];

			if (i < k ? !key_char((char)c) : (c < 0x20 || c > 0x7e))
				return errmsg_set(
					err, EINVAL,
					"line %d: byte 0x%02x at column %zu in \"%s\"",
					line, c, i + 1, q);
		}
		if (vi->nr == VMCOREINFO_MAX_KEYS)
			return errmsg_set(err, EINVAL, "more than %d lines",
					  VMCOREINFO_MAX_KEYS);
		*eq = '\0';
		*nl = '\0';
		for (j = 0; j < vi->nr; j++)
			if (!strcmp(vi->entries[j].key, l))
				return errmsg_set(err, EINVAL,
						  "line %d: key %s given twice",
						  line, l);
		vi->entries[vi->nr].key = l;
		vi->entries[vi->nr].value = eq + 1;
		vi->nr++;
		pos += n + 1;
	}
	return check_identity(vi, err);
}

const char *vmcoreinfo_get(const struct vmcoreinfo *vi, const char *key)
{
	int i;

	for (i = 0; i < vi->nr; i++)
		if (!strcmp(vi->entries[i].key, key))
			return vi->entries[i].value;
	return NULL;
}

int vmcoreinfo_hex(const struct vmcoreinfo *vi, const char *key, uint64_t *out,
		   struct errmsg *err)
{
	const char *v = vmcoreinfo_get(vi, key);
	uint64_t x = 0;
	size_t i, n;

	if (!v)
		return -ENOENT;
	n = strlen(v);
	if (!n || n > 16)
		return errmsg_set(err, EINVAL,
				  "VMCOREINFO %s=%s is not a 64-bit hex number",
				  key, v);
	for (i = 0; i < n; i++) {
		int d = parse_hex_digit(v[i]);

		if (d < 0)
			return errmsg_set(
				err, EINVAL,
				"VMCOREINFO %s=%s is not a 64-bit hex number",
				key, v);
		x = x << 4 | (uint64_t)d;
	}
	*out = x;
	return 0;
}

int vmcoreinfo_symbol(const struct vmcoreinfo *vi, const char *name,
		      uint64_t *out, struct errmsg *err)
{
	char key[VMCOREINFO_MAX_KEY + 1];

	if ((size_t)snprintf(key, sizeof(key), "SYMBOL(%s)", name) >=
	    sizeof(key))
		return -ENOENT;
	return vmcoreinfo_hex(vi, key, out, err);
}

int vmcoreinfo_number(const struct vmcoreinfo *vi, const char *name,
		      int64_t *out, struct errmsg *err)
{
	char key[VMCOREINFO_MAX_KEY + 1];
	const char *v;
	long x;

	if ((size_t)snprintf(key, sizeof(key), "NUMBER(%s)", name) >=
	    sizeof(key))
		return -ENOENT;
	v = vmcoreinfo_get(vi, key);
	if (!v)
		return -ENOENT;
	if (parse_int(v, INT64_MIN, INT64_MAX, &x))
		return errmsg_set(err, EINVAL,
				  "VMCOREINFO %s=%s is not a decimal number",
				  key, v);
	*out = x;
	return 0;
}

/* The note header that vmcoreinfo_note puts before the text, if any. */
static bool note_header(const struct guest_memory *mem, uint64_t gpa,
			uint32_t *descsz)
{
	uint8_t h[VMCOREINFO_NOTE_HEADER];
	uint32_t namesz, type;

	if (gpa < VMCOREINFO_NOTE_HEADER ||
	    guest_memory_read(mem, gpa - VMCOREINFO_NOTE_HEADER, h, sizeof(h)))
		return false;
	memcpy(&namesz, h, 4);
	memcpy(descsz, h + 4, 4);
	memcpy(&type, h + 8, 4);
	return namesz == sizeof(VMCOREINFO_NOTE_NAME) && type == 0 &&
	       *descsz >= 1 && *descsz <= VMCOREINFO_MAX_BYTES &&
	       !memcmp(h + 12, VMCOREINFO_NOTE_NAME "\0\0", 12);
}

int vmcoreinfo_read_at(const struct guest_memory *mem, uint64_t gpa,
		       struct vmcoreinfo *vi, bool *in_note, struct errmsg *err)
{
	char buf[VMCOREINFO_MAX_BYTES];
	uint32_t descsz = 0;
	size_t len;

	*in_note = note_header(mem, gpa, &descsz);
	if (*in_note) {
		len = descsz;
	} else {
		/* vmcoreinfo_data: the text up to its page's end at most. */
		len = VMCOREINFO_MAX_BYTES - (size_t)(gpa & 4095);
	}
	if (guest_memory_read(mem, gpa, buf, len))
		return errmsg_set(err, EFAULT,
				  "gpa 0x%" PRIx64 " + %zu is not guest RAM",
				  gpa, len);
	if (!*in_note)
		len = strnlen(buf, len);
	return vmcoreinfo_parse(buf, len, vi, err);
}

struct scan_ctx {
	const struct guest_memory *mem;
	struct vmcoreinfo_scan *s;
	uint64_t base;
	vmcoreinfo_score_fn score;
	void *opaque;
};

/* Keep c if there is room or it beats the worst kept; false: drop it. */
static bool keep(struct vmcoreinfo_scan *s, struct vmcoreinfo_candidate *c)
{
	int i, worst = 0;

	if (s->nr < VMCOREINFO_MAX_CANDIDATES) {
		s->candidates[s->nr++] = *c;
		return true;
	}
	for (i = 1; i < s->nr; i++)
		if (s->candidates[i].score <= s->candidates[worst].score)
			worst = i;
	if (c->score <= s->candidates[worst].score)
		return false;
	free(s->candidates[worst].vi);
	memmove(&s->candidates[worst], &s->candidates[worst + 1],
		(size_t)(s->nr - worst - 1) * sizeof(*c));
	s->candidates[s->nr - 1] = *c;
	return true;
}

static enum search_next on_hit(void *opaque, size_t off)
{
	struct scan_ctx *ctx = opaque;
	struct vmcoreinfo_scan *s = ctx->s;
	uint64_t gpa = ctx->base + off;
	struct vmcoreinfo_candidate c = { .gpa = gpa };
	struct errmsg err = { { 0 } };
	uint32_t descsz;

	s->hits++;
	if ((gpa & 4095) && !note_header(ctx->mem, gpa, &descsz)) {
		s->ignored++;
		return SEARCH_CONTINUE;
	}
	c.vi = malloc(sizeof(*c.vi));
	if (!c.vi)
		return SEARCH_CONTINUE;
	if (vmcoreinfo_read_at(ctx->mem, gpa, c.vi, &c.in_note, &err)) {
		if (!s->rejected++) {
			s->first_rejected_gpa = gpa;
			snprintf(s->first_rejected_why,
				 sizeof(s->first_rejected_why), "%.159s",
				 err.text);
		}
		free(c.vi);
		return SEARCH_CONTINUE;
	}
	s->valid++;
	c.score = ctx->score ? ctx->score(ctx->opaque, &c) : 0;
	if (!keep(s, &c))
		free(c.vi);
	return SEARCH_CONTINUE;
}

int vmcoreinfo_scan(const struct guest_memory *mem, struct vmcoreinfo_scan *s,
		    vmcoreinfo_score_fn score, void *opaque)
{
	static const char pat[] = "OSRELEASE=";
	struct scan_ctx c = {
		.mem = mem, .s = s, .score = score, .opaque = opaque
	};
	const struct guest_region *g;
	struct search_pattern sp;
	int i;

	memset(s, 0, sizeof(*s));
	search_prepare(&sp, (const uint8_t *)pat, sizeof(pat) - 1);
	for (i = 0; (g = guest_memory_region_at(mem, i)); i++) {
		const uint8_t *hay = guest_memory_ptr(mem, g->gpa, g->size);

		if (!hay)
			continue;
		c.base = g->gpa;
		s->bytes_scanned += g->size;
		search_scan_populated(&sp, hay, (size_t)g->size, on_hit, &c);
	}
	return s->valid;
}

void vmcoreinfo_scan_free(struct vmcoreinfo_scan *s)
{
	int i;

	for (i = 0; i < s->nr; i++) {
		free(s->candidates[i].vi);
		s->candidates[i].vi = NULL;
	}
	s->nr = 0;
}
