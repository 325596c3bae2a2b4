// SPDX-License-Identifier: GPL-2.0
/*
 * A guest kernel structure's bytes printed member by member with the
 * kernel's own BTF, as crash's `struct NAME ADDR` does: integers (signed,
 * bitfields), pointers, enums by enumerator, char arrays as text, small
 * arrays element by element, nested structures to a depth. Everything is
 * interpreted from a copy of the bytes; the BTF is the guest's, so sizes
 * and offsets are checked against that copy before any byte is used.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include "os/kstruct.h"

#define KSTRUCT_MAX_ELEMS 16 /* array elements shown */

static const struct btf_type *resolve(const struct btf *btf, int *id)
{
	const struct btf_type *t = btf__type_by_id(btf, (uint32_t)*id);
	int hops = 0;

	while (t && hops++ < 32 &&
	       (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t) ||
		btf_is_restrict(t) || btf_is_type_tag(t))) {
		*id = (int)t->type;
		t = btf__type_by_id(btf, t->type);
	}
	return t;
}

static uint64_t load(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, p, size > 8 ? 8 : size);
	return v;
}

static json_t *int_json(uint64_t v, unsigned int size, bool is_signed)
{
	/* A hostile BTF may give an integer any size: 1 to 8 bytes only. */
	if (size == 0 || size > 8)
		return json_string("(integer of an impossible size)");
	if (is_signed && size < 8 && (v >> (size * 8 - 1)) & 1)
		v |= ~0ULL << (size * 8);
	if (is_signed)
		return json_integer((json_int_t)v);
	if (v > (uint64_t)INT64_MAX) {
		char s[24];

		snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
		return json_string(s);
	}
	return json_integer((json_int_t)v);
}

static json_t *hex_json(uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "0x%llx", (unsigned long long)v);
	return json_string(s);
}

/* Printable text up to the first NUL; other bytes as \xNN. */
static json_t *text_json(const uint8_t *p, size_t n)
{
	char buf[4 * 256 + 1];
	size_t i, o = 0;

	for (i = 0; i < n && p[i] && o + 5 < sizeof(buf); i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			buf[o++] = (char)p[i];
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
					      "\\x%02x", p[i]);
	}
	buf[o] = '\0';
	return json_string(buf);
}

static json_t *value_json(const struct ktypes *kt, int id, const uint8_t *p,
			  size_t avail, int depth);

static json_t *fields_json(const struct ktypes *kt, int id, const uint8_t *p,
			   size_t avail, int depth, uint32_t base,
			   json_t *fields);

static json_t *array_json(const struct ktypes *kt, const struct btf_type *t,
			  const uint8_t *p, size_t avail, int depth)
{
	const struct btf_array *a = btf_array(t);
	int eid = (int)a->type;
	const struct btf_type *et = resolve(kt->btf, &eid);
	__s64 esize = btf__resolve_size(kt->btf, a->type);
	json_t *arr;
	uint32_t i;

	if (!et || esize <= 0 || (uint64_t)esize * a->nelems > avail)
		return json_string("(array beyond the bytes read)");
	/* pahole encodes char as a signed byte named "char", not BTF_INT_CHAR */
	if (btf_is_int(et) && esize == 1 &&
	    ((btf_int_encoding(et) & BTF_INT_CHAR) ||
	     !strcmp(btf__name_by_offset(kt->btf, et->name_off) ?: "", "char")))
		return text_json(p, a->nelems);
	if (a->nelems > KSTRUCT_MAX_ELEMS && !btf_is_int(et) && !btf_is_ptr(et))
		return json_sprintf("[%u elements]", a->nelems);
	arr = json_array();
	for (i = 0; i < a->nelems && i < KSTRUCT_MAX_ELEMS; i++)
		json_array_append_new(
			arr, value_json(kt, (int)a->type, p + i * esize,
					(size_t)esize, depth + 1));
	if (a->nelems > KSTRUCT_MAX_ELEMS)
		json_array_append_new(
			arr, json_sprintf("... %u more",
					  a->nelems - KSTRUCT_MAX_ELEMS));
	return arr;
}

static json_t *value_json(const struct ktypes *kt, int id, const uint8_t *p,
			  size_t avail, int depth)
{
	const struct btf_type *t = resolve(kt->btf, &id);
	__s64 size = btf__resolve_size(kt->btf, (uint32_t)id);

	if (!t || depth > KSTRUCT_MAX_DEPTH + 4)
		return json_string("?");
	if (size < 0 || (uint64_t)size > avail)
		return json_string("(beyond the bytes read)");
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (btf_int_bits(t) == 1 ||
		    (btf_int_encoding(t) & BTF_INT_BOOL))
			return json_boolean(p[0] != 0);
		return int_json(load(p, (unsigned int)size), (unsigned int)size,
				btf_int_encoding(t) & BTF_INT_SIGNED);
	case BTF_KIND_PTR:
		return hex_json(load(p, 8));
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = btf_enum(t);
		uint64_t v = load(p, (unsigned int)size);
		uint16_t i;

		for (i = 0; i < btf_vlen(t); i++)
			if ((uint32_t)e[i].val == (uint32_t)v)
				return json_string(
					btf__name_by_offset(kt->btf, e[i].name_off) ?:
						"?");
		return int_json(v, (unsigned int)size, false);
	}
	case BTF_KIND_ARRAY:
		return array_json(kt, t, p, avail, depth);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (depth >= KSTRUCT_MAX_DEPTH)
			return json_string("{...}");
		return fields_json(kt, id, p, (size_t)size, depth + 1, 0,
				   json_array());
	default:
		return hex_json(load(p, (unsigned int)(size > 8 ? 8 : size)));
	}
}

/* The members of composite id at p, appended to fields (anonymous ones
   flattened in with their offsets). */
static json_t *fields_json(const struct ktypes *kt, int id, const uint8_t *p,
			   size_t avail, int depth, uint32_t base,
			   json_t *fields)
{
	const struct btf_type *t = resolve(kt->btf, &id);
	const struct btf_member *m;
	char tname[160];
	uint16_t i;

	if (!t || !btf_is_composite(t) || depth > KSTRUCT_MAX_DEPTH + 4)
		return fields;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(kt->btf, m[i].name_off);
		uint32_t bits = btf_member_bit_offset(t, i);
		uint32_t bsize = btf_member_bitfield_size(t, i);
		uint32_t off = bits / 8;
		json_t *v;

		if (off > avail)
			break;
		if (!name || !*name) {
			fields_json(kt, (int)m[i].type, p + off, avail - off,
				    depth + 1, base + off, fields);
			continue;
		}
		if (bsize) {
			uint64_t raw = 0, val;

			if (off + 8 <= avail)
				raw = load(p + off, 8);
			else
				raw = load(p + off,
					   (unsigned int)(avail - off));
			val = (raw >> (bits & 7)) &
			      (bsize >= 64 ? ~0ULL : (1ULL << bsize) - 1);
			v = json_integer((json_int_t)val);
		} else {
			v = value_json(kt, (int)m[i].type, p + off, avail - off,
				       depth);
		}
		json_array_append_new(
			fields,
			json_pack("{s:s, s:s, s:i, s:o}", "name", name, "type",
				  ktypes_type_name(kt, (int)m[i].type, tname,
						   sizeof(tname)),
				  "offset", (int)(base + off), "value", v));
	}
	return fields;
}

json_t *kstruct_fields(const struct ktypes *kt, int id, const uint8_t *bytes,
		       size_t len, int depth)
{
	return fields_json(kt, id, bytes, len, depth, 0, json_array());
}
