// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel types from DWARF (ktypes_dwarf.c through ktypes.c): the fixture
 * ktypes_dwarf_fixture.c, compiled by gcc -g at build time in DWARF 5, 4
 * and strict 2, read back through ktypes_struct/ktypes_member, every
 * offset and size compared with offsetof/sizeof of the same definitions
 * compiled here (bitfields by setting them and finding their bits); the C
 * type names, enum values, pointer targets (a pointer to its own struct),
 * the lazy conversion, the depth bound, files refused with one line, and
 * corrupted and truncated copies of the fixture that must not crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <cmocka.h>
#include <dwarf.h>
#include <elfutils/libdw.h>

#include "ktypes_dwarf_fixture.h"
#include "os/ktypes.h"
#include "os/ktypes_dwarf.h"

#define MSIZE(T, m) sizeof(((T *)0)->m)

static const char *fixture(const char *name, char *buf, size_t size)
{
	const char *dir = getenv("KVMSCOPE_DWARF_FIXTURES");

	snprintf(buf, size, "%s/%s", dir ? dir : ".", name);
	return buf;
}

/* *state: the fixture's file name, then its types. */
static int open_fixture(void **state)
{
	struct ktypes *kt = calloc(1, sizeof(*kt));
	struct errmsg err = { { 0 } };
	char path[512];

	if (!kt)
		return -1;
	fixture(*state, path, sizeof(path));
	if (ktypes_from_elf(path, kt, &err)) {
		print_error("%s\n", err.text);
		free(kt);
		return -1;
	}
	*state = kt;
	return 0;
}

static int close_fixture(void **state)
{
	ktypes_free(*state);
	free(*state);
	return 0;
}

static void check_member(struct ktypes *kt, const char *st, const char *path,
			 size_t off, size_t size)
{
	struct errmsg err = { { 0 } };
	struct kmember m;
	int r = ktypes_member(kt, st, path, &m, &err);

	if (r)
		print_error("%s.%s: %s\n", st, path, err.text);
	assert_int_equal(r, 0);
	if (m.offset != off || m.size != size)
		print_error("%s.%s: %u+%u, expected %zu+%zu\n", st, path,
			    m.offset, m.size, off, size);
	assert_int_equal(m.offset, off);
	assert_int_equal(m.size, size);
	assert_false(m.bitfield);
}

static void check_struct(struct ktypes *kt, const char *name, size_t size)
{
	struct errmsg err = { { 0 } };
	uint32_t got;
	int id;

	assert_int_equal(ktypes_struct(kt, name, &id, &got, &err), 0);
	assert_int_equal(got, size);
}

/* Where a set bitfield's bits are in its struct: first bit, width. */
static void find_bits(const void *p, size_t size, unsigned int *first,
		      unsigned int *width)
{
	const uint8_t *b = p;
	unsigned int i, n = 0, start = 0;
	bool seen = false;

	for (i = 0; i < size * 8; i++) {
		if (b[i / 8] >> (i % 8) & 1) {
			if (!seen)
				start = i;
			seen = true;
			n++;
		}
	}
	*first = start;
	*width = n;
}

#define EXPECT_BITS(field, value)                                             \
	do {                                                                  \
		struct bits v;                                                \
		unsigned int first, width;                                    \
		memset(&v, 0, sizeof(v));                                     \
		v.field = value;                                              \
		find_bits(&v, sizeof(v), &first, &width);                     \
		check_bits(kt, #field,                                        \
			   first + 8 * offsetof(struct outer, flags), width); \
	} while (0)

static void check_bits(struct ktypes *kt, const char *field, unsigned int first,
		       unsigned int width)
{
	struct errmsg err = { { 0 } };
	char path[64];
	struct kmember m;

	snprintf(path, sizeof(path), "flags.%s", field);
	assert_int_equal(ktypes_member(kt, "outer", path, &m, &err), 0);
	if (m.offset * 8 + m.bit_offset != first || m.bit_size != width)
		print_error("%s: bit %u width %u, expected %u width %u\n", path,
			    m.offset * 8 + m.bit_offset, m.bit_size, first,
			    width);
	assert_true(m.bitfield);
	assert_int_equal(m.offset * 8 + m.bit_offset, first);
	assert_int_equal(m.bit_size, width);
	assert_int_equal(m.size, (m.bit_offset + m.bit_size + 7) / 8);
}

static void test_layouts(void **state)
{
	struct ktypes *kt = *state;

	assert_non_null(strstr(kt->source, "(DWARF)"));
	check_struct(kt, "outer", sizeof(struct outer));
	check_struct(kt, "node", sizeof(struct node));
	check_struct(kt, "bits", sizeof(struct bits));
	check_struct(kt, "number", sizeof(union number));
	check_struct(kt, "nest60", sizeof(struct nest60));
#define M(path, member)                                                 \
	check_member(kt, "outer", path, offsetof(struct outer, member), \
		     MSIZE(struct outer, member))
	M("id", id);
	M("lo", lo); /* in a struct in a union, both anonymous */
	M("hi", hi);
	M("word", word);
	M("inner", inner);
	M("inner.tag", inner.tag);
	M("inner.stamp", inner.stamp);
	M("head", head);
	M("list", list);
	M("list.prev", list.prev);
	M("list.key", list.key);
	M("matrix", matrix);
	M("name", name);
	M("color", color);
	M("wide", wide);
	M("callback", callback);
	M("cvp", cvp);
	M("self", self);
	M("flags", flags);
	M("flags.e", flags.e);
	M("opaque", opaque);
	M("num", num);
	M("num.c", num.c);
	M("num.l", num.l);
	M("ok", ok);
	M("ratio", ratio);
#undef M
	/* a flexible array: at the end, no bytes */
	check_member(kt, "outer", "tail", offsetof(struct outer, tail), 0);
	check_member(kt, "nest60", "in.in.in.pad",
		     offsetof(struct nest60, in.in.in.pad), sizeof(int));
	EXPECT_BITS(a, 7);
	EXPECT_BITS(b, 31);
	EXPECT_BITS(c, -1);
	EXPECT_BITS(d, (1UL << 40) - 1);
	EXPECT_BITS(f, 1);
	EXPECT_BITS(g, (1UL << 20) - 1);
}

static const char *member_type(struct ktypes *kt, const char *path, int *id,
			       char *buf, size_t size)
{
	struct errmsg err = { { 0 } };
	struct kmember m;

	assert_int_equal(ktypes_member(kt, "outer", path, &m, &err), 0);
	*id = m.type_id;
	return ktypes_type_name(kt, m.type_id, buf, size);
}

static void test_types(void **state)
{
	struct ktypes *kt = *state;
	struct errmsg err = { { 0 } };
	const struct btf_type *t;
	const struct btf_enum *e;
	char buf[128];
	int id, outer, node, i;
	uint32_t size;

	assert_int_equal(ktypes_struct(kt, "outer", &outer, &size, &err), 0);
	assert_int_equal(ktypes_struct(kt, "node", &node, &size, &err), 0);
	assert_string_equal(member_type(kt, "name", &id, buf, sizeof(buf)),
			    "char[16]");
	assert_string_equal(member_type(kt, "head", &id, buf, sizeof(buf)),
			    "node_t *");
	assert_string_equal(member_type(kt, "list", &id, buf, sizeof(buf)),
			    "struct node");
	assert_string_equal(
		member_type(kt, "inner.stamp", &id, buf, sizeof(buf)), "u64_t");
	assert_string_equal(member_type(kt, "opaque", &id, buf, sizeof(buf)),
			    "struct fwd_only *");
	t = btf__type_by_id(kt->btf, btf__type_by_id(kt->btf, id)->type);
	assert_true(btf_is_fwd(t));
	assert_string_equal(member_type(kt, "callback", &id, buf, sizeof(buf)),
			    "function pointer");
	t = btf__type_by_id(kt->btf, btf__type_by_id(kt->btf, id)->type);
	assert_true(btf_is_func_proto(t));
	assert_int_equal(btf_vlen(t), 3); /* o, n, ... */
	assert_int_equal(btf_params(t)[2].type, 0);
	/* pointers reach their targets: the struct itself, the list node */
	member_type(kt, "self", &id, buf, sizeof(buf));
	assert_string_equal(buf, "struct outer *");
	assert_int_equal(btf__type_by_id(kt->btf, id)->type, outer);
	member_type(kt, "list.next", &id, buf, sizeof(buf));
	assert_int_equal(btf__type_by_id(kt->btf, id)->type, node);
	/* int matrix[3][5]: 3 arrays of 5 ints */
	member_type(kt, "matrix", &id, buf, sizeof(buf));
	t = btf__type_by_id(kt->btf, id);
	assert_true(btf_is_array(t));
	assert_int_equal(btf_array(t)->nelems, 3);
	assert_int_equal(
		btf_array(btf__type_by_id(kt->btf, btf_array(t)->type))->nelems,
		5);
	member_type(kt, "tail", &id, buf, sizeof(buf));
	assert_int_equal(btf_array(btf__type_by_id(kt->btf, id))->nelems, 0);
	/* enum color {RED = 1, GREEN = 2, BLUE = -3} */
	assert_string_equal(member_type(kt, "color", &id, buf, sizeof(buf)),
			    "enum color");
	t = btf__type_by_id(kt->btf, id);
	assert_true(btf_is_enum(t));
	assert_int_equal(btf_vlen(t), 3);
	e = btf_enum(t);
	for (i = 0; i < 3; i++) {
		const char *n = btf__name_by_offset(kt->btf, e[i].name_off);

		assert_int_equal(e[i].val, !strcmp(n, "RED")   ? RED :
					   !strcmp(n, "GREEN") ? GREEN :
								 BLUE);
	}
	member_type(kt, "wide", &id, buf, sizeof(buf));
	t = btf__type_by_id(kt->btf, id);
	assert_true(btf_is_enum64(t));
	assert_int_equal(t->size, sizeof(enum wide));
	assert_true(btf_enum64_value(&btf_enum64(t)[1]) == WIDE_BIG);
	member_type(kt, "ok", &id, buf, sizeof(buf));
	t = btf__type_by_id(kt->btf, id);
	assert_true(btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL));
	member_type(kt, "ratio", &id, buf, sizeof(buf));
	assert_true(btf_is_float(btf__type_by_id(kt->btf, id)));
	member_type(kt, "cvp", &id, buf, sizeof(buf));
	t = btf__type_by_id(kt->btf, btf__type_by_id(kt->btf, id)->type);
	assert_true(btf_is_const(t) || btf_is_volatile(t));
}

static void test_lazy_and_missing(void **state)
{
	struct ktypes *kt = *state;
	struct errmsg err = { { 0 } };
	struct ktypes_dwarf_stats st;
	uint32_t size;
	int id;

	/* nothing converted before it is asked for */
	ktypes_dwarf_stats(kt->dwarf, &st);
	assert_int_equal(st.converted, 0);
	check_struct(kt, "node", sizeof(struct node));
	ktypes_dwarf_stats(kt->dwarf, &st);
	/* node, its int, the one pointer type of next and prev: no more */
	assert_int_equal(st.converted, 3);
	assert_int_equal(ktypes_struct(kt, "nosuch", &id, &size, &err),
			 -ENOENT);
	assert_non_null(strstr(err.text, "has no struct nosuch"));
	ktypes_dwarf_stats(kt->dwarf, &st);
	assert_true(st.complete);
	assert_int_equal(st.units, 1);
	/* nest70 fails if it comes before the levels below it, then not */
	assert_in_range(ktypes_dwarf_convert_all(kt->dwarf), 0, 1);
	assert_int_equal(ktypes_dwarf_convert_all(kt->dwarf), 0);
	check_struct(kt, "nest70", sizeof(struct nest70));
}

static void test_depth_bound(void **state)
{
	struct ktypes *kt = *state;
	struct errmsg err = { { 0 } };
	uint32_t size;
	int id;

	/* 71 embedded levels, converted from scratch: refused, no crash */
	assert_int_equal(ktypes_struct(kt, "nest70", &id, &size, &err), -ELOOP);
	assert_non_null(strstr(err.text, "nested more than 64 deep"));
	/* the levels below were not spoiled, and once they are converted
	 * the rest is shallow */
	check_struct(kt, "nest60", sizeof(struct nest60));
	check_struct(kt, "nest70", sizeof(struct nest70));
}

static void refused(const char *path, int code, const char *text)
{
	struct errmsg err = { { 0 } };
	struct ktypes kt;
	int r = ktypes_from_elf(path, &kt, &err);

	if (r != code || !strstr(err.text, text))
		print_error("%s: %d %s\n", path, r, err.text);
	assert_int_equal(r, code);
	assert_non_null(strstr(err.text, text));
}

static void test_refused_files(void **state)
{
	char path[512];
	FILE *f;

	refused(fixture("ktypes_dwarf_fixture.o", path, sizeof(path)), -EINVAL,
		"is a relocatable object: give the linked vmlinux");
	refused(fixture("ktypes_dwarf_nodebug.so", path, sizeof(path)), -ENOENT,
		"has neither .BTF nor DWARF types");
	snprintf(path, sizeof(path), "/tmp/ktypes-dwarf-garbage-%d", getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not an ELF file at all\n", f);
	fclose(f);
	refused(path, -EINVAL, "not an ELF file");
	unlink(path);
	refused("/nonexistent/vmlinux", -ENOENT, "cannot open");
}

/*
 * Whatever the copy holds: open, look up, convert all, never crash.
 * 0: not opened, 1: struct outer found, 2: opened but outer not found.
 */
static int exercise(const char *path)
{
	static const char *const paths[] = { "id",	"lo",	"inner.stamp",
					     "flags.d", "self", "matrix" };
	struct errmsg err = { { 0 } };
	struct kmember m;
	struct ktypes kt;
	uint32_t size;
	size_t i;
	int id;

	int ret = 2;

	if (ktypes_from_elf(path, &kt, &err))
		return 0;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!ktypes_member(&kt, "outer", paths[i], &m, &err))
			assert_true(m.offset + m.size <= 4096);
	if (!ktypes_struct(&kt, "outer", &id, &size, &err)) {
		char buf[128];

		ktypes_type_name(&kt, id, buf, sizeof(buf));
		ret = 1;
	}
	if (kt.dwarf)
		ktypes_dwarf_convert_all(kt.dwarf);
	ktypes_free(&kt);
	return ret;
}

static void section(Elf *elf, const char *want, size_t *off, size_t *size)
{
	Elf_Scn *scn = NULL;
	size_t shstr;

	assert_int_equal(elf_getshdrstrndx(elf, &shstr), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		gelf_getshdr(scn, &sh);
		if (!strcmp(elf_strptr(elf, shstr, sh.sh_name), want)) {
			*off = sh.sh_offset;
			*size = sh.sh_size;
			return;
		}
	}
	fail_msg("no section %s", want);
}

static void test_corrupted_copies(void **state)
{
	char src[512], path[64];
	size_t len, info, info_len, abbrev, abbrev_len, i;
	uint8_t *orig, *copy;
	uint32_t seed = 12345;
	int seen[3] = { 0 };
	Elf *elf;
	FILE *f;
	int fd;

	fd = open(fixture("ktypes_dwarf_fixture5.so", src, sizeof(src)),
		  O_RDONLY);
	assert_true(fd >= 0);
	len = (size_t)lseek(fd, 0, SEEK_END);
	orig = malloc(len);
	copy = malloc(len);
	assert_int_equal(pread(fd, orig, len, 0), (ssize_t)len);
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)orig, len);
	section(elf, ".debug_info", &info, &info_len);
	section(elf, ".debug_abbrev", &abbrev, &abbrev_len);
	elf_end(elf);
	close(fd);
	snprintf(path, sizeof(path), "/tmp/ktypes-dwarf-copy-%d", getpid());
	for (i = 0; i < 400; i++) {
		int flips = 1 + (int)(i % 8), k;

		memcpy(copy, orig, len);
		for (k = 0; k < flips; k++) {
			bool in_abbrev = (i & 3) == 3;
			size_t at;

			seed = seed * 1103515245 + 12345;
			at = in_abbrev ? abbrev + (seed >> 8) % abbrev_len :
					 info + (seed >> 8) % info_len;
			copy[at] = (uint8_t)(seed >> 4);
		}
		f = fopen(path, "w");
		assert_non_null(f);
		/* every 16th: a truncated file too */
		fwrite(copy, 1, i % 16 ? len : len * (i % 64 + 1) / 66, f);
		fclose(f);
		seen[exercise(path)]++;
	}
	unlink(path);
	/* the corruption reached every outcome: refused, read, spoiled */
	print_message("copies: %d refused, %d with outer, %d without\n",
		      seen[0], seen[1], seen[2]);
	assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
	free(orig);
	free(copy);
}

/* The top-level DIE of struct name in dw. */
static bool find_struct(Dwarf *dw, const char *name, Dwarf_Die *out)
{
	Dwarf_CU *cu = NULL, *next;
	Dwarf_Die cud, c;

	while (!dwarf_get_units(dw, cu, &next, NULL, NULL, &cud, NULL)) {
		cu = next;
		if (dwarf_child(&cud, &c))
			continue;
		do {
			const char *n = dwarf_diename(&c);

			if (dwarf_tag(&c) == DW_TAG_structure_type && n &&
			    !strcmp(n, name)) {
				*out = c;
				return true;
			}
		} while (!dwarf_siblingof(&c, &c));
	}
	return false;
}

/*
 * A struct that contains itself, which no compiler writes: cyc_a.b's
 * DW_AT_type (a CU-relative ref4) rewritten to cyc_a's own DIE.
 */
static void test_embedded_cycle(void **state)
{
	struct errmsg err = { { 0 } };
	char src[512], path[64];
	Dwarf_Attribute a;
	Dwarf_Die st, m;
	struct ktypes kt;
	uint8_t *buf;
	uint32_t ref, size;
	size_t len, at;
	Dwarf *dw;
	Elf *elf;
	FILE *f;
	int fd, id;

	fd = open(fixture(*state, src, sizeof(src)), O_RDONLY);
	assert_true(fd >= 0);
	len = (size_t)lseek(fd, 0, SEEK_END);
	buf = malloc(len);
	assert_int_equal(pread(fd, buf, len, 0), (ssize_t)len);
	close(fd);
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)buf, len);
	dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	assert_non_null(dw);
	assert_true(find_struct(dw, "cyc_a", &st));
	assert_int_equal(dwarf_child(&st, &m), 0);
	assert_int_equal(dwarf_siblingof(&m, &m), 0); /* before, then b */
	assert_string_equal(dwarf_diename(&m), "b");
	assert_non_null(dwarf_attr(&m, DW_AT_type, &a));
	assert_int_equal(dwarf_whatform(&a), DW_FORM_ref4);
	/* the section is read in place: valp points into buf */
	assert_true(a.valp > buf && a.valp + 4 <= buf + len);
	at = (size_t)(a.valp - buf);
	ref = (uint32_t)dwarf_cuoffset(&st);
	dwarf_end(dw);
	elf_end(elf);
	memcpy(buf + at, &ref, sizeof(ref));
	snprintf(path, sizeof(path), "/tmp/ktypes-dwarf-cycle-%d", getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	free(buf);
	assert_int_equal(ktypes_from_elf(path, &kt, &err), 0);
	unlink(path);
	assert_int_equal(ktypes_struct(&kt, "cyc_a", &id, &size, &err),
			 -EINVAL);
	if (!strstr(err.text, "a type that contains itself"))
		print_error("%s\n", err.text);
	assert_non_null(strstr(err.text, "struct cyc_a cannot be converted"));
	assert_non_null(strstr(err.text, "a type that contains itself"));
	/* again: remembered as bad, still one line, no loop */
	assert_int_equal(ktypes_struct(&kt, "cyc_a", &id, &size, &err),
			 -EINVAL);
	/* the rest of the file is unharmed */
	check_struct(&kt, "cyc_b", sizeof(struct cyc_b));
	check_struct(&kt, "outer", sizeof(struct outer));
	ktypes_free(&kt);
}

#define ON(test, n)                                                   \
	{                                                             \
#test " dwarf" #n, test, open_fixture, close_fixture, \
			(void *)"ktypes_dwarf_fixture" #n ".so"       \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ON(test_layouts, 5),
		ON(test_layouts, 4),
		ON(test_layouts, 2),
		ON(test_types, 5),
		ON(test_types, 4),
		ON(test_types, 2),
		ON(test_lazy_and_missing, 5),
		ON(test_depth_bound, 5),
		ON(test_depth_bound, 2),
		{ "test_embedded_cycle dwarf5", test_embedded_cycle, NULL, NULL,
		  (void *)"ktypes_dwarf_fixture5.so" },
		{ "test_embedded_cycle dwarf2", test_embedded_cycle, NULL, NULL,
		  (void *)"ktypes_dwarf_fixture2.so" },
		cmocka_unit_test(test_refused_files),
		cmocka_unit_test(test_corrupted_copies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
