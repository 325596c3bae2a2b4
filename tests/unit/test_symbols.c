// SPDX-License-Identifier: GPL-2.0
/* Symbol tables: System.map and ELF .symtab parsing, lookups, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <cmocka.h>

#include "inspect/symbols.h"

static const char map[] = "ffffffff81000000 T _text\n"
			  "ffffffff81000000 T startup_64\n"
			  "ffffffff81001000 t do_thing\n"
			  "ffffffff81002000 A absolute_ignored\n"
			  "garbage line\n"
			  "ffffffff81003000 D some_data\n"
			  "ffffffff81004000 T last_func";

static void test_system_map(void **state)
{
	struct symbols s;
	struct errmsg err;
	char buf[128];

	(void)state;
	assert_int_equal(
		symbols_parse(&s, (const uint8_t *)map, strlen(map), &err), 0);
	assert_int_equal(s.nr, 5);
	assert_int_equal(
		symbols_describe(&s, 0xffffffff81001234, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "do_thing+0x234");
	assert_int_equal(
		symbols_describe(&s, 0xffffffff81002010, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "do_thing+0x1010"); /* 'A' skipped */
	assert_int_equal(
		symbols_describe(&s, 0xffffffff81004000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "last_func+0x0");
	assert_int_equal(symbols_describe(&s, 0xffffffff80000000, buf,
					  sizeof(buf)),
			 -ENOENT);
	/* Unsized symbols reach 1 MiB, not forever. */
	assert_int_equal(symbols_describe(&s, 0xffffffff81004000 + (2 << 20),
					  buf, sizeof(buf)),
			 -ENOENT);
	symbols_free(&s);
}

static void put(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		*p++ = v & 0xff;
		v >>= 8;
	}
}

/* A minimal ELF64 with a .symtab (2 symbols) and its .strtab. */
static size_t make_elf(uint8_t *d, size_t cap)
{
	const char strtab[] = "\0func_a\0obj_b\0";
	size_t strtab_off = 64, sym_off = 128, sh_off = 256;

	memset(d, 0, cap);
	memcpy(d,
	       "\x7f"
	       "ELF",
	       4);
	d[4] = 2; /* ELFCLASS64 */
	d[5] = 1; /* little-endian */
	d[6] = 1; /* EV_CURRENT */
	put(d + 0x10, 2, 2); /* ET_EXEC */
	put(d + 0x12, 62, 2); /* EM_X86_64 */
	put(d + 0x14, 1, 4);
	put(d + 0x34, 64, 2); /* e_ehsize */
	put(d + 0x28, sh_off, 8);
	put(d + 0x3a, 64, 2);
	put(d + 0x3c, 3, 2);
	memcpy(d + strtab_off, strtab, sizeof(strtab));
	/* symbol 0 is the null symbol; 1: func_a sized 0x100 at 0x1000 */
	put(d + sym_off + 24 + 0, 1, 4);
	d[sym_off + 24 + 4] = 0x12; /* global func */
	put(d + sym_off + 24 + 6, 1, 2);
	put(d + sym_off + 24 + 8, 0x1000, 8);
	put(d + sym_off + 24 + 16, 0x100, 8);
	/* 2: obj_b sized 8 at 0x2000 */
	put(d + sym_off + 48 + 0, 8, 4);
	d[sym_off + 48 + 4] = 0x11;
	put(d + sym_off + 48 + 6, 1, 2);
	put(d + sym_off + 48 + 8, 0x2000, 8);
	put(d + sym_off + 48 + 16, 8, 8);
	/* section 1: symtab (link 2), section 2: strtab */
	put(d + sh_off + 64 + 4, 2, 4);
	put(d + sh_off + 64 + 0x18, sym_off, 8);
	put(d + sh_off + 64 + 0x20, 72, 8);
	put(d + sh_off + 64 + 0x28, 2, 4);
	put(d + sh_off + 128 + 4, 3, 4);
	put(d + sh_off + 128 + 0x18, strtab_off, 8);
	put(d + sh_off + 128 + 0x20, sizeof(strtab), 8);
	return sh_off + 3 * 64;
}

static void test_elf_symtab(void **state)
{
	uint8_t d[512];
	size_t n = make_elf(d, sizeof(d));
	struct symbols s;
	struct errmsg err;
	char buf[64];

	(void)state;
	if (symbols_parse(&s, d, n, &err))
		fail_msg("%s", err.text);
	assert_int_equal(s.nr, 2);
	assert_int_equal(symbols_describe(&s, 0x10ff, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "func_a+0xff");
	/* Sized: past the end is not func_a. */
	assert_int_equal(symbols_describe(&s, 0x1100, buf, sizeof(buf)),
			 -ENOENT);
	symbols_free(&s);
}

static void test_bad_input(void **state)
{
	uint8_t d[512];
	size_t n = make_elf(d, sizeof(d));
	struct symbols s;
	struct errmsg err;

	(void)state;
	/* Section headers past the end of the file. */
	assert_int_not_equal(symbols_parse(&s, d, n - 1, &err), 0);
	/* Symtab offset past the end: skipped, so no symbols. */
	make_elf(d, sizeof(d));
	put(d + 256 + 64 + 0x18, 0xffffffffffff0000ULL, 8);
	assert_int_not_equal(symbols_parse(&s, d, n, &err), 0);
	/* Unterminated string table. */
	make_elf(d, sizeof(d));
	put(d + 256 + 128 + 0x20, 3, 8);
	assert_int_not_equal(symbols_parse(&s, d, n, &err), 0);
	/* Text that is no System.map. */
	assert_int_not_equal(
		symbols_parse(&s, (const uint8_t *)"hello\n", 6, &err), 0);
	assert_non_null(strstr(err.text, "no symbols"));
	assert_int_equal(symbols_describe(NULL, 0x1000, (char *)d, 8), -ENOENT);
}

/*
 * The project's own multiboot test kernel: an ELF32 (objcopy'd from the
 * 64-bit link) with DWARF. meson passes its path; nm gives the address.
 */
/* Line number of the first line after "label:" in the source file. */
static int line_after_label(const char *file, const char *label)
{
	char text[512];
	int n = 0, found = 0;
	FILE *f = fopen(file, "r");

	assert_non_null(f);
	while (fgets(text, sizeof(text), f)) {
		n++;
		if (found) {
			fclose(f);
			return n;
		}
		found = !strncmp(text, label, strlen(label)) &&
			text[strlen(label)] == ':';
	}
	fclose(f);
	fail_msg("%s: no label %s", file, label);
	return -1;
}

static void test_testkernel_elf32_with_lines(void **state)
{
	const char *path = getenv("KVMSCOPE_TESTKERNEL");
	const char *src = getenv("KVMSCOPE_SOURCE_ROOT");
	struct errmsg err;
	struct symbols s;
	char buf[256], want[PATH_MAX + 64], boot_s[512];
	char root[PATH_MAX], cwd[PATH_MAX];
	uint64_t addr = 0;
	size_t i;

	(void)state;
	assert_non_null(path);
	assert_non_null(src);
	if (symbols_load(&s, path, &err))
		fail_msg("%s", err.text);
	assert_non_null(s.elf);
	for (i = 0; i < s.nr; i++)
		if (!strcmp(s.syms[i].name, "halt_forever"))
			addr = s.syms[i].addr;
	assert_true(addr >= 0x100000 && addr < 0x200000);
	assert_int_equal(symbols_describe(&s, addr + 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "halt_forever+0x1");
	/* halt_forever's first instruction is on the line after its label */
	snprintf(boot_s, sizeof(boot_s), "%s/guests/testkernel/boot.S", src);
	/* relative to the working directory when it is the source root */
	assert_non_null(realpath(src, root));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s%sguests/testkernel/boot.S:%d",
		 strcmp(cwd, root) ? root : "", strcmp(cwd, root) ? "/" : "",
		 line_after_label(boot_s, "halt_forever"));
	assert_int_equal(symbols_source_line(&s, addr, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
	/* no line for an address outside every compilation unit */
	assert_int_equal(symbols_source_line(&s, 0x10, buf, sizeof(buf)),
			 -ENOENT);
	symbols_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_map),
		cmocka_unit_test(test_elf_symtab),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_testkernel_elf32_with_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
