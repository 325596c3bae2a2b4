// SPDX-License-Identifier: GPL-2.0
/* Kernel structure layouts from the guest's BTF; see ktypes.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "os/ktypes.h"
#include "os/ktypes_dwarf.h"

int ktypes_parse(const void *blob, size_t size, uint64_t va, struct ktypes *kt,
		 struct errmsg *err)
{
	struct btf *btf;

	memset(kt, 0, sizeof(*kt));
	if (size < 24 || size > KTYPES_MAX_BTF)
		return errmsg_set(
			err, EINVAL,
			"the guest's BTF at 0x%llx is not valid: %zu bytes (24 to %u expected)",
			(unsigned long long)va, size, KTYPES_MAX_BTF);
	/* libbpf copies the data; blob stays the caller's. */
	btf = btf__new(blob, (uint32_t)size);
	if (!btf)
		return errmsg_set(
			err, EINVAL,
			"the guest's BTF at 0x%llx is not valid: libbpf refused it (%s)",
			(unsigned long long)va, strerror(errno));
	kt->btf = btf;
	kt->va = va;
	kt->size = size;
	snprintf(kt->source, sizeof(kt->source), "guest RAM at 0x%llx",
		 (unsigned long long)va);
	return 0;
}

/* libbpf says "failed to find '.BTF' ELF section" on stderr: we say why. */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return 0;
}

int ktypes_from_elf(const char *path, struct ktypes *kt, struct errmsg *err)
{
	libbpf_print_fn_t old;
	struct btf *btf;
	uint32_t size = 0;
	int e;

	memset(kt, 0, sizeof(*kt));
	old = libbpf_set_print(libbpf_quiet);
	btf = btf__parse_elf(path, NULL);
	e = errno ? errno : EINVAL;
	libbpf_set_print(old);
	if (!btf) {
		int r;

		if (e != ENOENT && e != ENODATA) {
			char why[128];

			if (e == LIBBPF_ERRNO__FORMAT)
				snprintf(why, sizeof(why), "not an ELF file");
			else
				libbpf_strerror(e, why, sizeof(why));
			return errmsg_set(err, e < 4000 ? e : EINVAL,
					  "cannot read types from %s: %s", path,
					  why);
		}
		r = ktypes_dwarf_open(path, &kt->dwarf, &kt->btf, err);
		if (r == -ENODATA)
			return errmsg_set(err, ENOENT,
					  "%s has neither .BTF nor DWARF types",
					  path);
		if (r)
			return r;
		snprintf(kt->source, sizeof(kt->source), "--symbols %s (DWARF)",
			 path);
		return 0;
	}
	btf__raw_data(btf, &size);
	kt->btf = btf;
	kt->size = size;
	snprintf(kt->source, sizeof(kt->source), "--symbols %s", path);
	return 0;
}

void ktypes_free(struct ktypes *kt)
{
	ktypes_dwarf_close(kt->dwarf);
	btf__free(kt->btf);
	memset(kt, 0, sizeof(*kt));
}

/* Through typedefs, const, volatile, restrict. */
static const struct btf_type *skip_mods(const struct btf *btf, int *id)
{
	const struct btf_type *t = btf__type_by_id(btf, (uint32_t)*id);
	int hops = 0;

	while (t && hops++ < 32 &&
	       (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t) ||
		btf_is_restrict(t))) {
		*id = (int)t->type;
		t = btf__type_by_id(btf, t->type);
	}
	return t;
}

int ktypes_struct(const struct ktypes *kt, const char *name, int *id,
		  uint32_t *size, struct errmsg *err)
{
	const struct btf_type *t;
	int tid;

	if (kt->dwarf) {
		/* converted on first use; a structure, else a union */
		int r = ktypes_dwarf_struct(kt->dwarf, name, false, &tid, err);

		if (r == -ENOENT)
			r = ktypes_dwarf_struct(kt->dwarf, name, true, &tid,
						err);
		if (r == -ENOENT)
			return errmsg_set(err, ENOENT, "%s has no struct %s",
					  kt->source, name);
		if (r)
			return r;
	} else {
		tid = btf__find_by_name_kind(kt->btf, name, BTF_KIND_STRUCT);
		if (tid < 0)
			tid = btf__find_by_name_kind(kt->btf, name,
						     BTF_KIND_UNION);
	}
	if (tid < 0)
		return errmsg_set(err, ENOENT,
				  "the guest's BTF has no struct %s", name);
	t = btf__type_by_id(kt->btf, (uint32_t)tid);
	if (!t)
		return errmsg_set(err, ENOENT,
				  "the guest's BTF has no struct %s", name);
	*id = tid;
	*size = t->size;
	return 0;
}

/*
 * Find member name in composite type id, descending into anonymous
 * members. Fills m relative to the composite's start.
 */
static bool find_in(const struct btf *btf, int id, const char *name, int depth,
		    struct kmember *m)
{
	const struct btf_type *t = skip_mods(btf, &id);
	const struct btf_member *mem;
	uint16_t i, n;

	if (!t || !btf_is_composite(t) || depth > KTYPES_MAX_DEPTH)
		return false;
	mem = btf_members(t);
	n = btf_vlen(t);
	for (i = 0; i < n; i++) {
		const char *mname = btf__name_by_offset(btf, mem[i].name_off);
		uint32_t bits = btf_member_bit_offset(t, i);
		uint32_t bsize = btf_member_bitfield_size(t, i);
		int mid = (int)mem[i].type;
		__s64 sz;

		if (mname && *mname) {
			if (strcmp(mname, name))
				continue;
			sz = btf__resolve_size(btf, (uint32_t)mid);
			m->type_id = mid;
			m->bitfield = bsize != 0 || (bits & 7);
			m->offset = bits / 8;
			if (m->bitfield) {
				m->bit_offset = (uint8_t)(bits & 7);
				m->bit_size = (uint8_t)(bsize ? bsize : 1);
				m->size = (m->bit_offset + m->bit_size + 7) / 8;
			} else {
				m->bit_offset = m->bit_size = 0;
				m->size = sz > 0 ? (uint32_t)sz : 0;
			}
			return true;
		}
		/* An anonymous struct or union: its members are ours. */
		if (find_in(btf, mid, name, depth + 1, m)) {
			m->offset += bits / 8;
			return true;
		}
	}
	return false;
}

int ktypes_member(const struct ktypes *kt, const char *name, const char *path,
		  struct kmember *m, struct errmsg *err)
{
	char part[128];
	const char *p = path;
	uint32_t total = 0, outer;
	int id, depth = 0, r;

	r = ktypes_struct(kt, name, &id, &outer, err);
	if (r)
		return r;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (!n || n >= sizeof(part) || ++depth > KTYPES_MAX_DEPTH)
			return errmsg_set(err, EINVAL,
					  "member path '%s' is not valid",
					  path);
		memcpy(part, p, n);
		part[n] = '\0';
		if (!find_in(kt->btf, id, part, 0, m))
			return errmsg_set(err, ENOENT,
					  "struct %s has no member '%s'", name,
					  path);
		total += m->offset;
		id = m->type_id;
		p += n;
		if (*p == '.')
			p++;
	}
	if (depth == 0)
		return errmsg_set(err, EINVAL, "member path is empty");
	m->offset = total;
	/* The BTF is the guest's: a member outside its struct is a lie. */
	if ((uint64_t)m->offset + m->size > outer)
		return errmsg_set(
			err, EINVAL,
			"the guest's BTF puts %s.%s at %u+%u, beyond the struct's %u bytes",
			name, path, m->offset, m->size, outer);
	return 0;
}

int ktypes_member_any(const struct ktypes *kt, const char *name,
		      const char *const paths[], struct kmember *m,
		      const char **found, struct errmsg *err)
{
	int i, r = -ENOENT;

	for (i = 0; paths[i]; i++) {
		r = ktypes_member(kt, name, paths[i], m, err);
		if (r != -ENOENT) {
			if (!r && found)
				*found = paths[i];
			return r;
		}
	}
	return r;
}

static const char *type_name(const struct ktypes *kt, int id, char *buf,
			     size_t size, int depth)
{
	const struct btf_type *t = btf__type_by_id(kt->btf, (uint32_t)id);
	const char *name;
	char inner[128];

	if (!size)
		return buf;
	/* A hostile BTF may make qualifiers point at each other. */
	if (!t || depth > KTYPES_MAX_DEPTH) {
		snprintf(buf, size, "?");
		return buf;
	}
	name = btf__name_by_offset(kt->btf, t->name_off);
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
		snprintf(buf, size, "struct %s",
			 name && *name ? name : "{...}");
		break;
	case BTF_KIND_UNION:
		snprintf(buf, size, "union %s", name && *name ? name : "{...}");
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		snprintf(buf, size, "enum %s", name && *name ? name : "{...}");
		break;
	case BTF_KIND_FWD: /* a DWARF declaration: C names it the same */
		snprintf(buf, size, "%s %s", btf_kflag(t) ? "union" : "struct",
			 name && *name ? name : "?");
		break;
	case BTF_KIND_PTR: {
		/* One level of recursion per pointer, bounded by the buffer. */
		const struct btf_type *to = btf__type_by_id(kt->btf, t->type);

		if (!to || t->type == 0)
			snprintf(buf, size, "void *");
		else if (btf_is_func_proto(to))
			snprintf(buf, size, "function pointer");
		else if (btf_is_ptr(to))
			snprintf(buf, size, "pointer *");
		else
			snprintf(buf, size, "%s *",
				 type_name(kt, (int)t->type, inner,
					   sizeof(inner), depth + 1));
		break;
	}
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		const struct btf_type *elem = btf__type_by_id(kt->btf, a->type);

		snprintf(buf, size, "%s[%u]",
			 elem && !btf_is_array(elem) ?
				 type_name(kt, (int)a->type, inner,
					   sizeof(inner), depth + 1) :
				 "array",
			 a->nelems);
		break;
	}
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
		snprintf(buf, size, "%s", name && *name ? name : "?");
		break;
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT: {
		const struct btf_type *to = btf__type_by_id(kt->btf, t->type);

		snprintf(buf, size, "%s",
			 to && !btf_is_ptr(to) && !btf_is_array(to) ?
				 type_name(kt, (int)t->type, inner,
					   sizeof(inner), depth + 1) :
				 "qualified");
		break;
	}
	default:
		snprintf(buf, size, "%s", name && *name ? name : "?");
	}
	return buf;
}

const char *ktypes_type_name(const struct ktypes *kt, int id, char *buf,
			     size_t size)
{
	return type_name(kt, id, buf, size, 0);
}
