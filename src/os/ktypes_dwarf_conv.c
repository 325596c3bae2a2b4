// SPDX-License-Identifier: GPL-2.0
/*
 * One DWARF type DIE into the BTF, with the types it references (pointers
 * through the work list); see ktypes_dwarf.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <dwarf.h>
#include <elfutils/libdw.h>

#include "os/ktypes_dwarf_priv.h"
#include "util/log.h"

#define MAX_DIMS 16
#define MAX_VLEN 0xffff

static int die_error(struct errmsg *err, Dwarf_Die *die, const char *what)
{
	return errmsg_set(err, EINVAL, "DWARF DIE 0x%llx: %s",
			  (unsigned long long)dwarf_dieoffset(die), what);
}

static bool attr_udata(Dwarf_Die *die, unsigned int name, Dwarf_Word *v)
{
	Dwarf_Attribute a;

	return dwarf_attr_integrate(die, name, &a) && !dwarf_formudata(&a, v);
}

bool ktypes_dwarf_is_decl(Dwarf_Die *die)
{
	bool flag = false;
	Dwarf_Attribute a;

	return dwarf_attr_integrate(die, DW_AT_declaration, &a) &&
	       !dwarf_formflag(&a, &flag) && flag;
}

/* The DIE's DW_AT_type as a BTF id: 0 (void) when it has none. */
static int conv_ref(struct ktypes_dwarf *d, Dwarf_Die *die, int depth,
		    struct errmsg *err)
{
	Dwarf_Attribute a;
	Dwarf_Die t;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a))
		return 0;
	if (!dwarf_formref_die(&a, &t))
		return die_error(err, die, "its type reference is not valid");
	return ktypes_dwarf_conv(d, &t, depth + 1, err);
}

/* A type BTF cannot say, of known size: that many opaque bytes. */
static int opaque(struct ktypes_dwarf *d, Dwarf_Die *die, const char *why)
{
	int size = dwarf_bytesize(die);

	d->skipped++;
	log_debug("DWARF DIE 0x%llx (tag 0x%x): %s; %d opaque bytes",
		  (unsigned long long)dwarf_dieoffset(die), dwarf_tag(die), why,
		  size > 0 ? size : 0);
	if (size <= 0)
		return 0;
	if (!d->byte_id)
		d->byte_id = btf__add_int(d->btf, "unsigned char", 1, 0);
	if (!d->index_id)
		d->index_id = btf__add_int(d->btf, "__ARRAY_SIZE_TYPE__", 4, 0);
	if (d->byte_id < 0 || d->index_id < 0)
		return -ENOMEM;
	return btf__add_array(d->btf, d->index_id, d->byte_id, (uint32_t)size);
}

static int conv_base(struct ktypes_dwarf *d, Dwarf_Die *die)
{
	const char *name = dwarf_diename(die);
	int size = dwarf_bytesize(die);
	Dwarf_Word enc = 0;

	if (!name || !*name || size <= 0)
		return opaque(d, die, "a base type without name or size");
	attr_udata(die, DW_AT_encoding, &enc);
	if (enc == DW_ATE_float &&
	    (size == 2 || size == 4 || size == 8 || size == 12 || size == 16))
		return btf__add_float(d->btf, name, (size_t)size);
	if (size != 1 && size != 2 && size != 4 && size != 8 && size != 16)
		return opaque(d, die, "an integer of a size BTF has not");
	switch (enc) {
	case DW_ATE_signed:
	case DW_ATE_signed_char:
		return btf__add_int(d->btf, name, (size_t)size, BTF_INT_SIGNED);
	case DW_ATE_boolean:
		return btf__add_int(d->btf, name, (size_t)size, BTF_INT_BOOL);
	case DW_ATE_unsigned:
	case DW_ATE_unsigned_char:
	case DW_ATE_UTF:
		return btf__add_int(d->btf, name, (size_t)size, 0);
	default:
		return opaque(d, die, "a base type encoding BTF has not");
	}
}

/* PTR to 0 now, patched when the work list converts the target. */
static int conv_ptr(struct ktypes_dwarf *d, Dwarf_Die *die, struct errmsg *err)
{
	struct slot *s;
	Dwarf_Attribute a;
	Dwarf_Die t;
	int id;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a))
		return btf__add_ptr(d->btf, 0);
	if (!dwarf_formref_die(&a, &t))
		return die_error(err, die, "its type reference is not valid");
	s = hmap_find(&d->dies, NULL, dwarf_dieoffset(&t) + 1);
	if (s && s->val >= 0)
		return btf__add_ptr(d->btf, (int)s->val);
	id = btf__add_ptr(d->btf, 0);
	if (id < 0)
		return id;
	if (d->npend == d->pcap) {
		size_t cap = d->pcap ? 2 * d->pcap : 256;
		struct pending *p = realloc(d->pend, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		d->pend = p;
		d->pcap = cap;
	}
	d->pend[d->npend++] = (struct pending){ id, dwarf_dieoffset(&t) };
	return id;
}

static int conv_qual(struct ktypes_dwarf *d, Dwarf_Die *die, int depth,
		     struct errmsg *err)
{
	const char *name;
	int to = conv_ref(d, die, depth, err);

	if (to < 0)
		return to;
	switch (dwarf_tag(die)) {
	case DW_TAG_typedef:
		name = dwarf_diename(die);
		return name && *name ? btf__add_typedef(d->btf, name, to) : to;
	case DW_TAG_const_type:
		return btf__add_const(d->btf, to);
	case DW_TAG_volatile_type:
		return btf__add_volatile(d->btf, to);
	case DW_TAG_restrict_type:
		return btf__add_restrict(d->btf, to);
	default: /* _Atomic and other qualifiers BTF has not: the type */
		return to;
	}
}

/* Elements of one subrange: DW_AT_count, or upper - lower + 1, or 0. */
static uint32_t subrange_count(struct ktypes_dwarf *d, Dwarf_Die *sub)
{
	Dwarf_Word n, lo = 0, hi;
	Dwarf_Attribute a;

	if (attr_udata(sub, DW_AT_count, &n))
		return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	if (!dwarf_attr_integrate(sub, DW_AT_upper_bound, &a))
		return 0; /* a flexible array member */
	if (dwarf_formudata(&a, &hi)) {
		opaque(d, sub, "an array bound that is not a constant");
		return 0;
	}
	attr_udata(sub, DW_AT_lower_bound, &lo);
	/* C's upper bound of a flexible array is -1: no elements */
	if (hi == (Dwarf_Word)-1 || hi < lo || hi - lo >= UINT32_MAX)
		return 0;
	return (uint32_t)(hi - lo + 1);
}

static int conv_array(struct ktypes_dwarf *d, Dwarf_Die *die, int depth,
		      struct errmsg *err)
{
	uint32_t dims[MAX_DIMS];
	int elem, id, n = 0, i;
	Dwarf_Die c;

	if (!dwarf_hasattr_integrate(die, DW_AT_type))
		return die_error(err, die, "an array without element type");
	elem = conv_ref(d, die, depth, err);
	if (elem < 0)
		return elem;
	if (dwarf_child(die, &c) == 0) {
		do {
			if (dwarf_tag(&c) != DW_TAG_subrange_type)
				continue;
			if (n == MAX_DIMS)
				return die_error(
					err, die,
					"an array of more than 16 dimensions");
			dims[n++] = subrange_count(d, &c);
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	if (!n)
		dims[n++] = 0;
	if (!d->index_id)
		d->index_id = btf__add_int(d->btf, "__ARRAY_SIZE_TYPE__", 4, 0);
	if (d->index_id < 0)
		return d->index_id;
	/* int a[2][3] is an array of 2 arrays of 3: innermost first */
	for (id = elem, i = n - 1; i >= 0 && id >= 0; i--)
		id = btf__add_array(d->btf, d->index_id, id, dims[i]);
	return id;
}

/* A member's offset in bits, from any of DWARF's three spellings. */
static int member_bits(Dwarf_Die *m, uint32_t bit_size, uint64_t *bits,
		       struct errmsg *err)
{
	Dwarf_Word v, byte = 0, bo, storage;
	Dwarf_Attribute a;

	if (attr_udata(m, DW_AT_data_bit_offset, &v)) {
		*bits = v;
		return 0;
	}
	if (dwarf_attr_integrate(m, DW_AT_data_member_location, &a) &&
	    dwarf_formudata(&a, &byte)) {
		/* DWARF 2: a location expression DW_OP_plus_uconst N */
		Dwarf_Op *ops;
		size_t nops;

		if (dwarf_getlocation(&a, &ops, &nops) || nops != 1 ||
		    (ops[0].atom != DW_OP_plus_uconst &&
		     ops[0].atom != DW_OP_constu))
			return die_error(
				err, m,
				"a member location that is not a constant");
		byte = ops[0].number;
	}
	if (byte > UINT32_MAX)
		return die_error(err, m, "a member offset beyond 4 GiB");
	*bits = byte * 8;
	if (bit_size && attr_udata(m, DW_AT_bit_offset, &bo)) {
		/* DWARF 2/3: from the storage unit's most significant bit */
		Dwarf_Attribute ta;
		Dwarf_Die t;
		int tsize;

		if (!attr_udata(m, DW_AT_byte_size, &storage)) {
			if (!dwarf_attr_integrate(m, DW_AT_type, &ta) ||
			    !dwarf_formref_die(&ta, &t) ||
			    (tsize = dwarf_bytesize(&t)) <= 0)
				return die_error(
					err, m,
					"a bitfield without storage size");
			storage = (Dwarf_Word)tsize;
		}
		if (storage > 16 || bo + bit_size > storage * 8)
			return die_error(err, m,
					 "a bitfield outside its storage");
		*bits += storage * 8 - bo - bit_size;
	}
	return 0;
}

struct field {
	const char *name;
	int type;
	uint32_t bits, bit_size;
};

static int conv_members(struct ktypes_dwarf *d, Dwarf_Die *die, int depth,
			uint32_t size, struct field **out, size_t *nout,
			struct errmsg *err)
{
	struct field *f = NULL;
	size_t n = 0, cap = 0;
	Dwarf_Die c;
	int r = 0;

	if (dwarf_child(die, &c) == 0) {
		do {
			Dwarf_Word bs = 0;
			uint64_t bits = 0;
			int type;

			if (dwarf_tag(&c) != DW_TAG_member)
				continue; /* functions, nested definitions */
			if (!dwarf_hasattr_integrate(&c, DW_AT_type)) {
				r = die_error(err, &c, "a member without type");
				break;
			}
			attr_udata(&c, DW_AT_bit_size, &bs);
			if (bs > 255) {
				r = die_error(err, &c,
					      "a bitfield wider than 255 bits");
				break;
			}
			r = member_bits(&c, (uint32_t)bs, &bits, err);
			if (r)
				break;
			if (bits + bs > (uint64_t)size * 8 ||
			    (bs && bits > 0xffffff)) {
				r = die_error(
					err, &c,
					"a member beyond its structure's size");
				break;
			}
			type = conv_ref(d, &c, depth, err);
			if (type < 0) {
				r = type;
				break;
			}
			if (dwarf_tag(die) == DW_TAG_union_type && bits) {
				/* BTF's unions have every member at 0 */
				opaque(d, &c, "a union member not at offset 0");
				continue;
			}
			if (n == MAX_VLEN) {
				r = die_error(err, die,
					      "more than 65535 members");
				break;
			}
			if (n == cap) {
				struct field *g;

				cap = cap ? 2 * cap : 16;
				g = realloc(f, cap * sizeof(*f));
				if (!g) {
					r = -ENOMEM;
					break;
				}
				f = g;
			}
			f[n++] = (struct field){ dwarf_diename(&c), type,
						 (uint32_t)bits, (uint32_t)bs };
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	if (r) {
		free(f);
		return r;
	}
	*out = f;
	*nout = n;
	return 0;
}

static int conv_composite(struct ktypes_dwarf *d, Dwarf_Die *die, int depth,
			  struct errmsg *err)
{
	bool is_union = dwarf_tag(die) == DW_TAG_union_type;
	const char *name = dwarf_diename(die);
	int size = dwarf_bytesize(die), id, r = 0;
	struct field *f;
	size_t n, i;

	if (ktypes_dwarf_is_decl(die) || size < 0) {
		if (!name || !*name)
			return size < 0 && !ktypes_dwarf_is_decl(die) ?
				       die_error(
					       err, die,
					       "an anonymous structure without size") :
				       0;
		return btf__add_fwd(d->btf, name,
				    is_union ? BTF_FWD_UNION : BTF_FWD_STRUCT);
	}
	r = conv_members(d, die, depth, (uint32_t)size, &f, &n, err);
	if (r)
		return r;
	id = is_union ? btf__add_union(d->btf, name, (uint32_t)size) :
			btf__add_struct(d->btf, name, (uint32_t)size);
	for (i = 0; i < n && id >= 0; i++) {
		r = btf__add_field(d->btf, f[i].name, f[i].type, f[i].bits,
				   f[i].bit_size);
		if (r < 0)
			id = r;
	}
	free(f);
	return id;
}

struct enumerator {
	const char *name;
	uint64_t val;
};

static int conv_enum(struct ktypes_dwarf *d, Dwarf_Die *die)
{
	const char *name = dwarf_diename(die);
	int size = dwarf_bytesize(die), id;
	struct enumerator *e = NULL;
	bool neg = false, wide = false;
	size_t n = 0, cap = 0, i;
	Dwarf_Die c;

	if (ktypes_dwarf_is_decl(die))
		return name && *name ?
			       btf__add_fwd(d->btf, name, BTF_FWD_ENUM) :
			       0;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return opaque(d, die, "an enum of a size BTF has not");
	if (dwarf_child(die, &c) == 0) {
		do {
			Dwarf_Attribute a;
			Dwarf_Sword sv;
			Dwarf_Word uv;

			if (dwarf_tag(&c) != DW_TAG_enumerator ||
			    !dwarf_diename(&c) ||
			    !dwarf_attr_integrate(&c, DW_AT_const_value, &a))
				continue;
			if (dwarf_whatform(&a) == DW_FORM_sdata ||
			    dwarf_whatform(&a) == DW_FORM_implicit_const) {
				if (dwarf_formsdata(&a, &sv))
					continue;
				uv = (Dwarf_Word)sv;
				neg |= sv < 0;
				wide |= sv < INT_MIN;
			} else if (dwarf_formudata(&a, &uv)) {
				continue;
			}
			wide |= !neg && uv > UINT_MAX;
			if (n == MAX_VLEN)
				break;
			if (n == cap) {
				struct enumerator *g;

				cap = cap ? 2 * cap : 16;
				g = realloc(e, cap * sizeof(*e));
				if (!g) {
					free(e);
					return -ENOMEM;
				}
				e = g;
			}
			e[n++] = (struct enumerator){ dwarf_diename(&c), uv };
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	wide |= size == 8;
	id = wide ? btf__add_enum64(d->btf, name, (uint32_t)size, neg) :
		    btf__add_enum(d->btf, name, (uint32_t)size);
	for (i = 0; i < n && id >= 0; i++) {
		int r = wide ? btf__add_enum64_value(d->btf, e[i].name,
						     e[i].val) :
			       btf__add_enum_value(
				       d->btf, e[i].name,
				       neg ? (int64_t)e[i].val :
					     (int64_t)(uint32_t)e[i].val);
		if (r < 0)
			id = r;
	}
	free(e);
	return id;
}

static int conv_proto(struct ktypes_dwarf *d, Dwarf_Die *die, int depth,
		      struct errmsg *err)
{
	int ret = conv_ref(d, die, depth, err), *p = NULL, id;
	const char **names = NULL;
	size_t n = 0, cap = 0, i;
	Dwarf_Die c;

	if (ret < 0)
		return ret;
	if (dwarf_child(die, &c) == 0) {
		do {
			int tag = dwarf_tag(&c), t = 0;

			if (tag != DW_TAG_formal_parameter &&
			    tag != DW_TAG_unspecified_parameters)
				continue;
			if (tag == DW_TAG_formal_parameter) {
				t = conv_ref(d, &c, depth, err);
				if (t < 0) {
					free(p);
					free(names);
					return t;
				}
			}
			if (n == MAX_VLEN)
				break;
			if (n == cap) {
				int *q;
				const char **nq;

				cap = cap ? 2 * cap : 8;
				q = realloc(p, cap * sizeof(*p));
				if (q)
					p = q;
				nq = q ? realloc(names, cap * sizeof(*nq)) :
					 NULL;
				if (!nq) {
					free(p);
					free(names);
					return -ENOMEM;
				}
				names = nq;
			}
			names[n] = tag == DW_TAG_formal_parameter ?
					   dwarf_diename(&c) :
					   NULL;
			p[n++] = t; /* 0 without a name: "..." */
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	id = btf__add_func_proto(d->btf, ret);
	for (i = 0; i < n && id >= 0; i++) {
		int r = btf__add_func_param(d->btf, names[i], p[i]);

		if (r < 0)
			id = r;
	}
	free(p);
	free(names);
	return id;
}

static int conv_tag(struct ktypes_dwarf *d, Dwarf_Die *die, int depth,
		    struct errmsg *err)
{
	switch (dwarf_tag(die)) {
	case DW_TAG_base_type:
		return conv_base(d, die);
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		return conv_ptr(d, die, err);
	case DW_TAG_typedef:
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:
	case DW_TAG_immutable_type:
		return conv_qual(d, die, depth, err);
	case DW_TAG_array_type:
		return conv_array(d, die, depth, err);
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
		return conv_composite(d, die, depth, err);
	case DW_TAG_enumeration_type:
		return conv_enum(d, die);
	case DW_TAG_subroutine_type:
		return conv_proto(d, die, depth, err);
	case DW_TAG_unspecified_type:
		return 0;
	default:
		return opaque(d, die, "a type tag BTF has not");
	}
}

int ktypes_dwarf_conv(struct ktypes_dwarf *d, Dwarf_Die *die, int depth,
		      struct errmsg *err)
{
	uint64_t key = dwarf_dieoffset(die) + 1;
	struct slot *s = hmap_find(&d->dies, NULL, key);
	int id;

	if (s && s->val >= 0)
		return (int)s->val;
	if (s && s->val == IN_PROGRESS)
		return die_error(err, die, "a type that contains itself");
	if (s && s->val == FAILED)
		return die_error(err, die,
				 "a type that could not be converted");
	if (depth > KTYPES_DWARF_MAX_DEPTH) {
		/* -ELOOP: the path was too deep, not the type bad */
		errmsg_set(err, ELOOP,
			   "DWARF DIE 0x%llx: types nested more than %d deep",
			   (unsigned long long)(key - 1),
			   KTYPES_DWARF_MAX_DEPTH);
		return -ELOOP;
	}
	if (btf__type_cnt(d->btf) > KTYPES_DWARF_MAX_TYPES)
		return die_error(err, die, "more than 1M types");
	if (hmap_put(&d->dies, NULL, key, IN_PROGRESS))
		return errmsg_set(err, ENOMEM, "out of memory");
	id = conv_tag(d, die, depth, err);
	/* a libbpf refusal (or no memory) sets no message: name the DIE */
	if (id < 0 && !err->text[0])
		errmsg_set(err, -id, "DWARF DIE 0x%llx: libbpf refused it (%s)",
			   (unsigned long long)(key - 1), strerror(-id));
	s = hmap_find(&d->dies, NULL, key); /* the map may have grown */
	/* too deep from here: a lookup that starts nearer may succeed */
	s->val = id == -ELOOP ? NOT_YET : id < 0 ? FAILED : id;
	if (id >= 0)
		d->converted++;
	return id;
}

void ktypes_dwarf_drain(struct ktypes_dwarf *d)
{
	while (d->npend) {
		struct pending p = d->pend[--d->npend];
		struct btf_type *t;
		struct errmsg err;
		Dwarf_Die die;
		int id = -EINVAL;

		err.text[0] = '\0';

		if (dwarf_offdie(d->dw, p.target, &die))
			id = ktypes_dwarf_conv(d, &die, 0, &err);
		if (id < 0) {
			d->skipped++;
			log_debug("a pointer's target stays void: %s",
				  err.text[0] ? err.text : "no DIE there");
			continue;
		}
		/* libbpf has no setter; the type is in its writable copy */
		t = (struct btf_type *)btf__type_by_id(d->btf,
						       (uint32_t)p.ptr_id);
		if (t)
			t->type = (uint32_t)id;
	}
}
