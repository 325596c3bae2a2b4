// SPDX-License-Identifier: GPL-2.0
/*
 * kallsyms decoding: synthetic tables laid out as scripts/kallsyms.c does
 * (kallsyms_builder.h), decoded and looked up by name and address; then
 * damaged tables, each rejected with its exact message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kallsyms_builder.h"

#define VA 0xffffffff81800000ULL

static struct kb kb;

static const struct kb_sym syms[] = {
	{ 0x0, 'A', "fixed_percpu_data" },
	{ 0x1000, 'A', "cpu_number" },
	{ 0xffffffff81000000ULL, 'T', "_text" },
	{ 0xffffffff81000000ULL, 'T', "startup_64" },
	{ 0xffffffff81000060ULL, 'T', "secondary_startup_64" },
	{ 0xffffffff81100000ULL, 't', "init_once" },
	{ 0xffffffff81200000ULL, 't', "init_once" },
	{ 0xffffffff81edfb80ULL, 'T', "start_kernel" },
	{ 0xffffffff81ee0000ULL, 'D', "init_task" },
	{ 0xffffffff81f7a000ULL, '?', "__nosave_begin" },
	{ 0xffffffff82000000ULL, 'B', "_end" },
};
#define NSYMS (sizeof(syms) / sizeof(syms[0]))

static void load_ok(struct kallsyms *ks, bool percpu)
{
	struct errmsg err = { { 0 } };

	kb_build(&kb, VA, syms, NSYMS, percpu);
	assert_int_equal(kallsyms_load(&kb.loc, kb_read, &kb, ks, &err), 0);
	assert_string_equal(err.text, "");
}

static void test_decodes_names_types_and_addresses(void **state)
{
	struct kallsyms ks;
	const struct ksym *s;
	uint64_t size;
	size_t count, i;
	char buf[64];

	load_ok(&ks, true);
	assert_int_equal(ks.nr, NSYMS);
	assert_true(ks.absolute_percpu);
	for (i = 0; i < NSYMS; i++) {
		assert_int_equal(ks.syms[i].addr, syms[i].addr);
		assert_string_equal(kallsyms_name(&ks, &ks.syms[i]),
				    syms[i].name);
		assert_int_equal(ks.syms[i].type, syms[i].type);
	}
	s = kallsyms_by_name(&ks, "start_kernel", &count);
	assert_non_null(s);
	assert_int_equal(s->addr, 0xffffffff81edfb80ULL);
	assert_int_equal(s->type, 'T');
	assert_int_equal(count, 1);
	s = kallsyms_by_name(&ks, "init_once", &count);
	assert_int_equal(count, 2);
	assert_int_equal(s->addr, 0xffffffff81100000ULL); /* the first */
	assert_null(kallsyms_by_name(&ks, "start_kerne", &count));
	assert_int_equal(count, 0);
	assert_null(kallsyms_by_name(&ks, "zzz", NULL));

	/* Aliases: the first in table order; size to the next address. */
	s = kallsyms_by_addr(&ks, 0xffffffff81000010ULL, &size);
	assert_string_equal(kallsyms_name(&ks, s), "_text");
	assert_int_equal(size, 0x60);
	assert_int_equal(kallsyms_describe(&ks, 0xffffffff81edfb9fULL, buf,
					   sizeof(buf)),
			 0);
	assert_string_equal(buf, "start_kernel+0x1f");
	assert_int_equal(kallsyms_describe(&ks, 0xffffffff81ee0000ULL, buf,
					   sizeof(buf)),
			 0);
	assert_string_equal(buf, "init_task+0x0");
	/* Per-cpu absolute symbols are offsets: by name, not by address. */
	assert_int_equal(kallsyms_describe(&ks, 0x1008, buf, sizeof(buf)),
			 -ENOENT);
	assert_int_equal(kallsyms_by_name(&ks, "cpu_number", NULL)->addr,
			 0x1000);
	assert_int_equal(kallsyms_describe(&ks, 0xffffffff80ffffffULL, buf,
					   sizeof(buf)),
			 -ENOENT);
	/* The last symbol names only its own address. */
	assert_int_equal(kallsyms_describe(&ks, 0xffffffff82000000ULL, buf,
					   sizeof(buf)),
			 0);
	assert_string_equal(buf, "_end+0x0");
	assert_int_equal(kallsyms_describe(&ks, 0xffffffff82000001ULL, buf,
					   sizeof(buf)),
			 -ENOENT);
	kallsyms_free(&ks);
}

static void test_plain_relative_offsets(void **state)
{
	struct kallsyms ks;

	struct errmsg err = { { 0 } };
	size_t i;

	/* Without absolute per-cpu symbols: base + (u32)offset. */
	kb_build(&kb, VA, syms + 2, NSYMS - 2, false);
	assert_int_equal(kallsyms_load(&kb.loc, kb_read, &kb, &ks, &err), 0);
	assert_false(ks.absolute_percpu);
	assert_int_equal(ks.relative_base, 0xffffffff81000000ULL);
	for (i = 2; i < NSYMS; i++)
		assert_int_equal(ks.syms[i - 2].addr, syms[i].addr);
	kallsyms_free(&ks);
}

static void expect_error(const char *want);

/* Without BASE_RELATIVE: kallsyms_addresses, u64 per symbol. */
static void test_absolute_addresses_table(void **state)
{
	struct errmsg err = { { 0 } };
	struct kallsyms ks;
	size_t i, at;
	char buf[64];

	kb_build(&kb, VA, syms + 2, NSYMS - 2, false);
	at = (kb.len + 7) & ~7UL;
	for (i = 2; i < NSYMS; i++)
		memcpy(kb.buf + at + (i - 2) * 8, &syms[i].addr, 8);
	kb.loc.addresses = VA + at;
	kb.loc.offsets = kb.loc.relative_base = 0;
	assert_int_equal(kallsyms_load(&kb.loc, kb_read, &kb, &ks, &err), 0);
	for (i = 2; i < NSYMS; i++)
		assert_int_equal(ks.syms[i - 2].addr, syms[i].addr);
	assert_int_equal(kallsyms_describe(&ks, 0xffffffff81edfb81ULL, buf,
					   sizeof(buf)),
			 0);
	assert_string_equal(buf, "start_kernel+0x1");
	kallsyms_free(&ks);
	kb.loc.addresses = VA + KB_SIZE - 16;
	{
		char want[200];

		snprintf(
			want, sizeof(want),
			"kallsyms tables at 0x%llx are not valid: kallsyms_addresses at 0xffffffff8180fff0 (9 entries) is unreadable",
			(unsigned long long)kb.loc.names);
		expect_error(want);
	}
}

/* 300 symbols: a second marker; a 200-character name: 2-byte length. */
static void test_long_names_and_markers(void **state)
{
	static struct kb_sym many[300];
	static char names[300][220];
	struct errmsg err = { { 0 } };
	struct kallsyms ks;
	const struct ksym *s;
	size_t i;

	for (i = 0; i < 300; i++) {
		if (i == 7) {
			memset(names[i], 'x', 200);
			names[i][200] = '\0';
		} else {
			snprintf(names[i], sizeof(names[i]), "sym_%zu", i);
		}
		many[i] = (struct kb_sym){ 0xffffffff81000000ULL + i * 16, 't',
					   names[i] };
	}
	kb_build(&kb, VA, many, 300, true);
	assert_int_equal(kallsyms_load(&kb.loc, kb_read, &kb, &ks, &err), 0);
	assert_int_equal(ks.nr, 300);
	assert_int_equal(strlen(kallsyms_name(&ks, &ks.syms[7])), 200);
	s = kallsyms_by_name(&ks, "sym_299", NULL);
	assert_int_equal(s->addr, 0xffffffff81000000ULL + 299 * 16);
	kallsyms_free(&ks);
}

static void expect_error(const char *want)
{
	struct errmsg err = { { 0 } };
	struct kallsyms ks;

	assert_true(kallsyms_load(&kb.loc, kb_read, &kb, &ks, &err) < 0);
	assert_string_equal(err.text, want);
	assert_null(ks.syms);
}

static void poke32(uint64_t va, uint32_t v)
{
	memcpy(kb.buf + (va - kb.va), &v, 4);
}

static void test_garbage_is_rejected_exactly(void **state)
{
	char want[256];
	uint16_t idx;
	size_t names;

	kb_build(&kb, VA, syms, NSYMS, true);
	names = (size_t)(kb.loc.names - VA);
	snprintf(want, sizeof(want),
		 "kallsyms tables at 0x%llx are not valid: ",
		 (unsigned long long)kb.loc.names);

	poke32(kb.loc.num_syms, 0);
	strcat(want, "kallsyms_num_syms is 0 (1 to 2097152)");
	expect_error(want);

	kb_build(&kb, VA, syms, NSYMS, true);
	poke32(kb.loc.num_syms, 0xffffffff);
	snprintf(
		want, sizeof(want),
		"kallsyms tables at 0x%llx are not valid: kallsyms_num_syms is 4294967295 (1 to 2097152)",
		(unsigned long long)kb.loc.names);
	expect_error(want);

	/* More symbols than the names stream holds: it ends in garbage. */
	kb_build(&kb, VA, syms, NSYMS, true);
	poke32(kb.loc.num_syms, NSYMS + 1);
	kb.loc.markers = 0;
	snprintf(
		want, sizeof(want),
		"kallsyms tables at 0x%llx are not valid: symbol %zu at names+0x",
		(unsigned long long)kb.loc.names, NSYMS);
	{
		struct errmsg err = { { 0 } };
		struct kallsyms ks;

		assert_true(kallsyms_load(&kb.loc, kb_read, &kb, &ks, &err) <
			    0);
		assert_memory_equal(err.text, want, strlen(want));
	}

	/* An empty name (length byte 0). */
	kb_build(&kb, VA, syms, NSYMS, true);
	kb.buf[names] = 0;
	kb.loc.markers = 0;
	snprintf(
		want, sizeof(want),
		"kallsyms tables at 0x%llx are not valid: symbol 0 at names+0x0 has an empty name",
		(unsigned long long)kb.loc.names);
	expect_error(want);

	/* A marker that disagrees with the stream. */
	kb_build(&kb, VA, syms, NSYMS, true);
	poke32(kb.loc.markers, 5);
	snprintf(
		want, sizeof(want),
		"kallsyms tables at 0x%llx are not valid: kallsyms_markers[0] is 0x5 but symbol 0 starts at names+0x0",
		(unsigned long long)kb.loc.names);
	expect_error(want);

	/* A token index pointing past everything readable. */
	kb_build(&kb, VA, syms, NSYMS, true);
	idx = 0xfff0;
	memcpy(kb.buf + (kb.loc.token_index - VA) + 2 * 'T', &idx, 2);
	snprintf(
		want, sizeof(want),
		"kallsyms tables at 0x%llx are not valid: token 84 at kallsyms_token_table+0xfff0 is unreadable",
		(unsigned long long)kb.loc.names);
	expect_error(want);

	/* A token without its NUL: the rest of the buffer is 'a's. */
	kb_build(&kb, VA, syms, NSYMS, true);
	memset(kb.buf + kb.len, 'a', sizeof(kb.buf) - kb.len);
	idx = (uint16_t)(kb.len - (kb.loc.token_table - VA));
	memcpy(kb.buf + (kb.loc.token_index - VA) + 2 * 'T', &idx, 2);
	snprintf(
		want, sizeof(want),
		"kallsyms tables at 0x%llx are not valid: token 84 at kallsyms_token_table+0x%x has no NUL within 512 bytes",
		(unsigned long long)kb.loc.names, idx);
	expect_error(want);

	/* A name whose tokens expand past KSYM_NAME_LEN. */
	kb_build(&kb, VA, syms, NSYMS, true);
	kb.loc.markers = 0;
	kb.buf[names] = 0x80 | 0x7f;
	kb.buf[names + 1] = 1; /* 255 tokens */
	memset(kb.buf + names + 2, 0x81, 255); /* "kernel" each */
	snprintf(
		want, sizeof(want),
		"kallsyms tables at 0x%llx are not valid: symbol 0 at names+0x2 expands to more than 511 characters",
		(unsigned long long)kb.loc.names);
	expect_error(want);

	/* A control character in a name. */
	kb_build(&kb, VA, syms, NSYMS, true);
	kb.buf[names + 2] = 0x01;
	snprintf(
		want, sizeof(want),
		"kallsyms tables at 0x%llx are not valid: symbol 0 at names+0x1 has byte 0x01 in its name",
		(unsigned long long)kb.loc.names);
	expect_error(want);

	/* Unreadable offsets. */
	kb_build(&kb, VA, syms, NSYMS, true);
	kb.loc.offsets = 0x1000;
	snprintf(
		want, sizeof(want),
		"kallsyms tables at 0x%llx are not valid: kallsyms_offsets at 0x1000 (11 entries) is unreadable",
		(unsigned long long)kb.loc.names);
	expect_error(want);

	/* Missing locations. */
	kb_build(&kb, VA, syms, NSYMS, true);
	kb.loc.token_index = 0;
	snprintf(
		want, sizeof(want),
		"kallsyms tables at 0x%llx are not valid: a table's location is missing",
		(unsigned long long)kb.loc.names);
	expect_error(want);
}

/* The names stream ends at an unreadable page: an error, not a fault. */
static void test_names_end_at_unreadable_memory(void **state)
{
	struct errmsg err = { { 0 } };
	struct kallsyms ks;
	uint32_t n = 5000;

	kb_build(&kb, VA, syms, NSYMS, true);
	kb.loc.markers = 0;
	/* 5000 symbols of 'A'+"x" each: 3 bytes; past the buffer's end. */
	memcpy(kb.buf + (kb.loc.num_syms - VA), &n, 4);
	kb.loc.names = VA + KB_SIZE - 3 * 100;
	memset(kb.buf + KB_SIZE - 300, 0, 300);
	for (n = 0; n < 100; n++) {
		kb.buf[KB_SIZE - 300 + n * 3] = 2;
		kb.buf[KB_SIZE - 300 + n * 3 + 1] = 'A';
		kb.buf[KB_SIZE - 300 + n * 3 + 2] = 'x';
	}
	assert_true(kallsyms_load(&kb.loc, kb_read, &kb, &ks, &err) < 0);
	assert_string_equal(
		err.text,
		"kallsyms tables at 0xffffffff8180fed4 are not valid: the names stream ends at names+0x12c, in symbol 100 of 5000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decodes_names_types_and_addresses),
		cmocka_unit_test(test_plain_relative_offsets),
		cmocka_unit_test(test_absolute_addresses_table),
		cmocka_unit_test(test_long_names_and_markers),
		cmocka_unit_test(test_garbage_is_rejected_exactly),
		cmocka_unit_test(test_names_end_at_unreadable_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
