// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory contents: read-memory, write-memory and search-memory.
 *
 * Addresses, lengths and page tables all come from the client or the
 * guest, so every access is planned first as a list of guest-physical
 * chunks, each checked against the RAM regions (and, for virtual
 * addresses, translated page by page with the bounded walker), and only
 * then performed through guest_memory_read/write. A write that would
 * touch one bad byte therefore writes nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "inspect/handlers.h"
#include "inspect/vcpu_args.h"
#include "arch/x86/pagewalk.h"
#include "inspect/search.h"
#include "util/base64.h"
#include "util/parse.h"
#include "vmm/diag.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define MEM_IO_MAX (1024 * 1024) /* bytes per read-memory/write-memory */
#define PATTERN_MAX 4096
#define SEARCH_DEFAULT_MAX 1000
#define SEARCH_LIMIT 100000
/* Reverse mapping: virtual addresses listed per match and in total. */
#define GVAS_PER_MATCH 256
#define GVAS_TOTAL 200000

/* A checked piece of an access, contiguous in guest-physical memory. */
struct chunk {
	uint64_t gpa;
	size_t len;
};

struct plan {
	struct chunk *c;
	size_t n, cap;
	size_t len;
};

static int plan_add(struct plan *p, uint64_t gpa, size_t len,
		    struct errmsg *err)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct chunk *c = realloc(p->c, cap * sizeof(*c));

		if (!c)
			return errmsg_set(err, ENOMEM, "out of memory");
		p->c = c;
		p->cap = cap;
	}
	p->c[p->n].gpa = gpa;
	p->c[p->n].len = len;
	p->n++;
	p->len += len;
	return 0;
}

/*
 * Split [gpa, gpa + len) at region ends; the first byte outside RAM fails
 * the whole access and is named. gva, when not NULL, is the virtual
 * address gpa was translated from, for the message.
 */
static int plan_gpa(const struct guest_memory *mem, uint64_t gpa, size_t len,
		    const uint64_t *gva, struct plan *p, struct errmsg *err)
{
	while (len) {
		uint64_t span = guest_memory_span(mem, gpa);
		size_t n = span < len ? (size_t)span : len;
		char ram[160];
		int r;

		if (!n || !guest_memory_ptr(mem, gpa, n)) {
			guest_memory_ranges(mem, ram, sizeof(ram));
			if (gva)
				return errmsg_set(
					err, EFAULT,
					"gva 0x%" PRIx64
					" maps to gpa 0x%" PRIx64
					", which is not guest RAM (RAM: %s)",
					*gva, gpa, ram);
			return errmsg_set(err, EFAULT,
					  "gpa 0x%" PRIx64
					  " is not guest RAM (RAM: %s)",
					  gpa, ram);
		}
		r = plan_add(p, gpa, n, err);
		if (r)
			return r;
		gpa += n;
		len -= n;
	}
	return 0;
}

/* Translate page by page: each 4 KiB piece may map anywhere. */
static int plan_gva(const struct guest_memory *mem, const struct paging_ctx *pc,
		    uint64_t gva, size_t len, struct plan *p,
		    struct errmsg *err)
{
	struct walk_result res;
	int r;

	if (len && gva + (len - 1) < gva)
		return errmsg_set(err, EINVAL,
				  "gva 0x%" PRIx64
				  " + %zu wraps around the address space",
				  gva, len);
	while (len) {
		size_t n = 4096 - (size_t)(gva & 4095);

		if (n > len)
			n = len;
		if (pagewalk(mem, pc, gva, &res))
			return errmsg_set(err, EFAULT,
					  "gva 0x%" PRIx64
					  " is not mapped (%s)",
					  gva, res.why);
		r = plan_gpa(mem, res.gpa, n, &gva, p, err);
		if (r)
			return r;
		gva += n;
		len -= n;
	}
	return 0;
}

/*
 * What read-memory and write-memory address: gpa=, or gva= in cpu=N's or
 * pid=N's address space.
 */
struct target {
	bool virt;
	uint64_t addr;
	struct vcpu *vcpu;
	struct paging_ctx pc;
};

static int parse_target(struct api_ctx *ctx, json_t *args, const char *cmd,
			struct target *t, struct errmsg *err)
{
	struct addr_space as;
	bool has_gpa, has_gva, has_cpu;
	char what[48];
	uint64_t gpa = 0, gva = 0;
	int r;

	memset(t, 0, sizeof(*t));
	r = api_arg_u64(args, "gpa", false, &gpa, &has_gpa, err);
	if (!r)
		r = api_arg_u64(args, "gva", false, &gva, &has_gva, err);
	if (r)
		return r;
	has_cpu = json_object_get(args, "cpu") != NULL ||
		  json_object_get(args, "pid") != NULL;
	if (has_gpa && (has_gva || has_cpu))
		return errmsg_set(
			err, EINVAL,
			"give either gpa=ADDR or cpu=N (or pid=N) with gva=ADDR, not both");
	if (!has_gpa && !has_gva)
		return errmsg_set(
			err, EINVAL,
			"missing argument: gpa=ADDR, or cpu=N (or pid=N) with gva=ADDR");
	if (has_gva && !has_cpu)
		return errmsg_set(
			err, EINVAL,
			"gva= needs cpu=N or pid=N: a virtual address means something only in one address space");
	if (has_gpa) {
		t->addr = gpa;
		return 0;
	}
	t->virt = true;
	t->addr = gva;
	snprintf(what, sizeof(what), "%s gva=", cmd);
	r = api_require_stopped(ctx, what, err);
	if (!r)
		r = inspect_arg_space(ctx, args, &as, err);
	if (r)
		return r;
	t->vcpu = as.vcpu;
	t->pc = as.pc;
	return 0;
}

static int plan_target(struct api_ctx *ctx, const struct target *t, size_t len,
		       struct plan *p, struct errmsg *err)
{
	if (t->virt)
		return plan_gva(&ctx->vm->mem, &t->pc, t->addr, len, p, err);
	return plan_gpa(&ctx->vm->mem, t->addr, len, NULL, p, err);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Hex digits in pairs, optionally after "0x", whitespace between bytes. */
static int hex_decode(const char *s, const char *name, uint8_t **out,
		      size_t *out_len, size_t max, struct errmsg *err)
{
	size_t n = strlen(s), len = 0, i = 0;
	uint8_t *buf;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		i = 2;
	buf = malloc(n / 2 + 1);
	if (!buf)
		return errmsg_set(err, ENOMEM, "out of memory");
	while (i < n) {
		int hi, lo;

		if (is_space(s[i])) {
			i++;
			continue;
		}
		hi = parse_hex_digit(s[i]);
		lo = i + 1 < n ? parse_hex_digit(s[i + 1]) : -1;
		if (hi < 0 || lo < 0) {
			free(buf);
			if (hi >= 0 && i + 1 >= n)
				return errmsg_set(
					err, EINVAL,
					"%s: odd number of hex digits", name);
			return errmsg_set(
				err, EINVAL,
				"%s: '%c' at offset %zu is not a hex digit",
				name, hi < 0 ? s[i] : s[i + 1],
				hi < 0 ? i : i + 1);
		}
		if (len == max) {
			free(buf);
			return errmsg_set(err, EINVAL,
					  "%s: more than %zu bytes", name, max);
		}
		buf[len++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/* {"space": "physical"|"virtual", "addr", "len", "data": base64} */
int api_cmd_read_memory(struct api_ctx *ctx, json_t *args, json_t **ret,
			struct errmsg *err)
{
	static const char *const allowed[] = { "gpa", "cpu", "pid", "gva", "len",
					       NULL };
	struct plan p = { 0 };
	struct target t;
	uint8_t *buf = NULL;
	char *b64 = NULL;
	size_t i, off = 0;
	long len;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_int(args, "len", true, 1, MEM_IO_MAX, &len, NULL,
				err);
	if (!r)
		r = parse_target(ctx, args, "read-memory", &t, err);
	if (!r)
		r = plan_target(ctx, &t, (size_t)len, &p, err);
	if (r)
		goto out;
	buf = malloc((size_t)len);
	if (!buf) {
		r = errmsg_set(err, ENOMEM, "out of memory for %ld bytes", len);
		goto out;
	}
	for (i = 0; i < p.n; i++) {
		if (guest_memory_read(&ctx->vm->mem, p.c[i].gpa, buf + off,
				      p.c[i].len)) {
			r = errmsg_set(err, EFAULT,
				       "gpa 0x%" PRIx64 " is not guest RAM",
				       p.c[i].gpa);
			goto out;
		}
		off += p.c[i].len;
	}
	b64 = base64_encode(buf, (size_t)len);
	if (!b64) {
		r = errmsg_set(err, ENOMEM, "out of memory");
		goto out;
	}
	*ret = json_pack("{s:s, s:o, s:i, s:s}", "space",
			 t.virt ? "virtual" : "physical", "addr",
			 api_hex(t.addr), "len", (int)len, "data", b64);
out:
	free(b64);
	free(buf);
	free(p.c);
	return r;
}

/* {"written": n}; the whole range is checked before a byte is written. */
int api_cmd_write_memory(struct api_ctx *ctx, json_t *args, json_t **ret,
			 struct errmsg *err)
{
	static const char *const allowed[] = { "gpa",  "cpu", "pid", "gva",
					       "data", "hex", NULL };
	const char *data = NULL, *hex = NULL;
	struct plan p = { 0 };
	struct target t;
	uint8_t *buf = NULL;
	size_t len = 0, i, off = 0;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_str(args, "data", false, &data, err);
	if (!r)
		r = api_arg_str(args, "hex", false, &hex, err);
	if (r)
		return r;
	if (!!data == !!hex)
		return errmsg_set(
			err, EINVAL,
			"give the bytes as exactly one of data=BASE64 or hex=HEX");
	if (data)
		r = base64_decode(data, strlen(data), MEM_IO_MAX, "data", &buf,
				  &len, err);
	else
		r = hex_decode(hex, "hex", &buf, &len, MEM_IO_MAX, err);
	if (r)
		return r;
	if (!len) {
		r = errmsg_set(err, EINVAL, "nothing to write: %s is empty",
			       data ? "data" : "hex");
		goto out;
	}
	r = parse_target(ctx, args, "write-memory", &t, err);
	if (!r)
		r = plan_target(ctx, &t, len, &p, err);
	if (r)
		goto out;
	for (i = 0; i < p.n; i++) {
		/* Planned chunks are RAM: this cannot fail half-way. */
		if (guest_memory_write(&ctx->vm->mem, p.c[i].gpa, buf + off,
				       p.c[i].len)) {
			r = errmsg_set(
				err, EFAULT,
				"gpa 0x%" PRIx64
				" is not guest RAM (after writing %zu bytes)",
				p.c[i].gpa, off);
			goto out;
		}
		off += p.c[i].len;
	}
	*ret = json_pack("{s:I}", "written", (json_int_t)len);
out:
	free(buf);
	free(p.c);
	return r;
}

struct match {
	uint64_t gpa;
	json_t *gvas;
	unsigned int nr_gvas;
	bool gvas_truncated;
};

struct search_out {
	struct match *m;
	size_t n, max;
	uint64_t base; /* gpa of the buffer being scanned */
	size_t gvas_total;
};

static enum search_next record_match(void *opaque, size_t off)
{
	struct search_out *so = opaque;

	so->m[so->n++].gpa = so->base + off;
	return so->n < so->max ? SEARCH_CONTINUE : SEARCH_COUNT_ONLY;
}

/*
 * For one mapped range, every recorded match inside its physical range
 * gains the virtual address that maps it. Matches are sorted by gpa, so a
 * binary search finds the first; mappings arrive in VA order, so each
 * match's list comes out sorted.
 */
static int add_gvas(void *opaque, const struct mapping *map)
{
	struct search_out *so = opaque;
	size_t lo = 0, hi = so->n, j;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (so->m[mid].gpa < map->pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (j = lo; j < so->n && so->m[j].gpa - map->pa < map->size; j++) {
		struct match *m = &so->m[j];

		if (m->nr_gvas >= GVAS_PER_MATCH ||
		    so->gvas_total >= GVAS_TOTAL) {
			m->gvas_truncated = true;
			continue;
		}
		json_array_append_new(m->gvas,
				      api_hex(map->va + (m->gpa - map->pa)));
		m->nr_gvas++;
		so->gvas_total++;
	}
	return 0;
}

static int cmp_match(const void *a, const void *b)
{
	const struct match *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/* The search pattern from pattern= (the string's bytes) or hex=. */
static int parse_pattern(json_t *args, uint8_t **pat, size_t *plen,
			 struct errmsg *err)
{
	const char *text = NULL, *hex = NULL;
	int r;

	r = api_arg_str(args, "pattern", false, &text, err);
	if (!r)
		r = api_arg_str(args, "hex", false, &hex, err);
	if (r)
		return r;
	if (!!text == !!hex)
		return errmsg_set(
			err, EINVAL,
			"give the pattern as exactly one of pattern=STRING or hex=HEX");
	if (hex) {
		r = hex_decode(hex, "hex", pat, plen, PATTERN_MAX, err);
	} else {
		/* JSON strings may hold NULs: take the length from jansson. */
		size_t n = json_string_length(json_object_get(args, "pattern"));

		if (n > PATTERN_MAX)
			return errmsg_set(err, EINVAL,
					  "pattern: more than %d bytes",
					  PATTERN_MAX);
		*pat = malloc(n ? n : 1);
		if (!*pat)
			return errmsg_set(err, ENOMEM, "out of memory");
		memcpy(*pat, text, n);
		*plen = n;
	}
	if (!r && !*plen) {
		free(*pat);
		*pat = NULL;
		r = errmsg_set(err, EINVAL, "the pattern is empty");
	}
	return r;
}

/*
 * {"matches": [{"gpa", "gvas" (with cpu=)}], "count" (all matches, also
 *  beyond max), "truncated", "bytes_searched", "seconds"}. With cpu=,
 * "gvas_truncated" marks a match whose virtual addresses were cut short
 * and "mappings_truncated" says the page tables were too large to walk
 * completely (both only when true).
 */
int api_cmd_search_memory(struct api_ctx *ctx, json_t *args, json_t **ret,
			  struct errmsg *err)
{
	static const char *const allowed[] = { "pattern", "hex", "gpa-start",
					       "gpa-end", "cpu", "pid", "max",
					       NULL };
	const struct guest_memory *mem = &ctx->vm->mem;
	const struct guest_region *g;
	struct search_out so = { 0 };
	struct mappings_stats mstats = { 0 };
	struct search_pattern sp;
	struct timespec t0, t1;
	struct paging_ctx pc;
	uint64_t start = 0, end = UINT64_MAX, count = 0, searched = 0;
	bool has_end, with_cpu;
	uint8_t *pat = NULL;
	size_t plen = 0, i;
	long max = SEARCH_DEFAULT_MAX;
	json_t *list;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_u64(args, "gpa-start", false, &start, NULL, err);
	if (!r)
		r = api_arg_u64(args, "gpa-end", false, &end, &has_end, err);
	if (!r)
		r = api_arg_int(args, "max", false, 0, SEARCH_LIMIT, &max, NULL,
				err);
	if (r)
		return r;
	if (has_end && end <= start)
		return errmsg_set(err, EINVAL,
				  "gpa-end 0x%" PRIx64
				  " must lie above gpa-start 0x%" PRIx64
				  " (the end is exclusive)",
				  end, start);
	with_cpu = json_object_get(args, "cpu") != NULL ||
		   json_object_get(args, "pid") != NULL;
	if (with_cpu) {
		struct addr_space as;

		r = api_require_stopped(ctx, "search-memory cpu=/pid=", err);
		if (!r)
			r = inspect_arg_space(ctx, args, &as, err);
		if (r)
			return r;
		pc = as.pc;
	}
	r = parse_pattern(args, &pat, &plen, err);
	if (r)
		return r;

	so.max = (size_t)max;
	so.m = calloc(so.max ? so.max : 1, sizeof(*so.m));
	if (!so.m) {
		free(pat);
		return errmsg_set(err, ENOMEM, "out of memory for %ld matches",
				  max);
	}
	search_prepare(&sp, pat, plen);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Regions are disjoint in guest-physical space: a match cannot
	 * straddle two of them, so each is scanned on its own, in place. */
	for (i = 0; (g = guest_memory_region_at(mem, (int)i)); i++) {
		uint64_t lo = start > g->gpa ? start : g->gpa;
		uint64_t hi = g->gpa + g->size;
		const uint8_t *hay;

		if (end < hi)
			hi = end;
		if (lo >= hi)
			continue;
		searched += hi - lo;
		hay = guest_memory_ptr(mem, lo, hi - lo);
		if (!hay)
			continue;
		so.base = lo;
		count += search_scan_populated(
			&sp, hay, (size_t)(hi - lo),
			so.n < so.max ? record_match : NULL, &so);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if (with_cpu) {
		qsort(so.m, so.n, sizeof(*so.m), cmp_match);
		for (i = 0; i < so.n; i++)
			so.m[i].gvas = json_array();
		/* One walk of the whole address space serves every match. */
		pagewalk_mappings(mem, &pc, 0, add_gvas, &so, &mstats);
	}
	list = json_array();
	for (i = 0; i < so.n; i++) {
		json_t *m = json_pack("{s:o}", "gpa", api_hex(so.m[i].gpa));

		if (with_cpu) {
			json_object_set_new(m, "gvas", so.m[i].gvas);
			if (so.m[i].gvas_truncated)
				json_object_set_new(m, "gvas_truncated",
						    json_true());
		}
		json_array_append_new(list, m);
	}
	*ret = json_pack("{s:o, s:I, s:b, s:I, s:f}", "matches", list, "count",
			 (json_int_t)count, "truncated", count > so.n,
			 "bytes_searched", (json_int_t)searched, "seconds",
			 (double)(t1.tv_sec - t0.tv_sec) +
				 (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (with_cpu && mstats.truncated)
		json_object_set_new(*ret, "mappings_truncated", json_true());
	free(so.m);
	free(pat);
	return 0;
}

/* The commands this file serves: one row per command, next to its handler. */
const struct api_command cmd_memory_commands[] = {
	{ "read-memory", api_cmd_read_memory, API_RUNS_ANYTIME,
	  "(gpa=ADDR | cpu=N gva=ADDR | pid=N gva=ADDR) len=N",
	  "read up to 1 MiB of guest memory (gva= needs a stopped VM; pid= reads a guest process's memory)" },
	{ "write-memory", api_cmd_write_memory, API_RUNS_ANYTIME,
	  "(gpa=ADDR | cpu=N gva=ADDR | pid=N gva=ADDR) (data=BASE64 | hex=HEX)",
	  "write guest memory, all or nothing (gva= needs a stopped VM)" },
	{ "search-memory", api_cmd_search_memory, API_RUNS_ANYTIME,
	  "(pattern=STRING | hex=HEX) [gpa-start=ADDR] [gpa-end=ADDR] [cpu=N | pid=N] [max=N]",
	  "find a byte pattern in guest RAM (cpu= or pid= adds the virtual addresses of that address space and needs a stopped VM)" },
};
const size_t cmd_memory_command_count =
	sizeof(cmd_memory_commands) / sizeof(cmd_memory_commands[0]);
