// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/elf.h"
#include "images.h"

static void test_parse_elf64(void **state)
{
	struct telf_opts o = tpvh_defaults();
	struct telf_layout l;
	struct timg img = telf_build(&o, &l);
	struct elf_file elf;
	struct elf_phdr ph;
	struct errmsg err;

	assert_int_equal(elf_parse(&elf, img.data, img.size, &err), 0);
	assert_true(elf.is64);
	assert_int_equal(elf.machine, ELF_EM_X86_64);
	assert_int_equal(elf.entry, o.entry);
	assert_int_equal(elf.phnum, 3);

	assert_int_equal(elf_get_phdr(&elf, 1, &ph), 0);
	assert_int_equal(ph.type, ELF_PT_LOAD);
	assert_int_equal(ph.offset, l.seg_off[1]);
	assert_int_equal(ph.paddr, o.seg[1].paddr);
	assert_int_equal(ph.vaddr, o.seg[1].vaddr);
	assert_int_equal(ph.filesz, o.seg[1].filesz);
	assert_int_equal(ph.memsz, o.seg[1].memsz);
	assert_true(elf_phdr_in_file(&elf, &ph));
	assert_int_equal(elf_get_phdr(&elf, 2, &ph), 0);
	assert_int_equal(ph.type, ELF_PT_NOTE);
	assert_int_equal(elf_get_phdr(&elf, 3, &ph), -EINVAL);
	timg_free(&img);
}

static void test_parse_elf32(void **state)
{
	struct telf_opts o = tmb_elf_defaults();
	struct timg img = telf_build(&o, NULL);
	struct elf_file elf;
	struct elf_phdr ph;

	assert_int_equal(elf_parse(&elf, img.data, img.size, NULL), 0);
	assert_false(elf.is64);
	assert_int_equal(elf.machine, ELF_EM_386);
	assert_int_equal(elf.entry, 0xc0100010);
	assert_int_equal(elf.phnum, 2);
	assert_int_equal(elf_get_phdr(&elf, 0, &ph), 0);
	assert_int_equal(ph.paddr, 0x100000);
	assert_int_equal(ph.vaddr, 0xc0100000);
	assert_int_equal(ph.memsz, 0x2000);
	timg_free(&img);
}

static void test_notes(void **state)
{
	struct telf_opts o = tpvh_defaults();
	struct timg img = telf_build(&o, NULL);
	struct elf_note_iter it;
	struct elf_file elf;
	struct elf_note n;

	assert_int_equal(elf_parse(&elf, img.data, img.size, NULL), 0);
	elf_note_iter_init(&it, &elf);
	assert_true(elf_note_next(&it, &n));
	assert_int_equal(n.type, 3);
	assert_int_equal(n.namesz, 4);
	assert_memory_equal(n.name, "GNU", 4);
	assert_int_equal(n.descsz, 8);
	assert_true(elf_note_next(&it, &n));
	assert_int_equal(n.type, ELF_NOTE_XEN_PHYS32_ENTRY);
	assert_int_equal(n.descsz, 8);
	assert_int_equal(t_get64(n.desc), 0x1000100);
	assert_false(elf_note_next(&it, &n));
	assert_false(elf_note_next(&it, &n));

	assert_true(elf_find_note(&elf, "Xen", 18, &n));
	assert_false(elf_find_note(&elf, "Xen", 17, &n));
	assert_false(elf_find_note(&elf, "Xe", 18, &n));
	assert_false(elf_find_note(&elf, "GNU", 18, &n));
	timg_free(&img);
}

/* A note whose name runs past its segment ends that segment's walk. */
static void test_bad_notes(void **state)
{
	struct telf_opts o = tpvh_defaults();
	struct telf_layout l;
	struct timg img = telf_build(&o, &l);
	size_t gnu = l.note_off - 24;
	struct elf_file elf;
	struct elf_note n;

	t_put32(img.data + gnu, 0xffffffff);
	assert_int_equal(elf_parse(&elf, img.data, img.size, NULL), 0);
	assert_false(elf_find_note(&elf, "Xen", 18, &n));
	t_put32(img.data + gnu, 4);

	t_put32(img.data + gnu + 4, 0xfffffffd);
	assert_false(elf_find_note(&elf, "Xen", 18, &n));
	t_put32(img.data + gnu + 4, 8);

	/* The Xen note's descriptor past the segment end. */
	t_put32(img.data + l.note_off + 4, 12);
	assert_false(elf_find_note(&elf, "Xen", 18, &n));
	t_put32(img.data + l.note_off + 4, 8);
	assert_true(elf_find_note(&elf, "Xen", 18, &n));

	/* PT_NOTE segment past EOF: skipped, not read. */
	t_put64(telf_phdr(&img, &l, l.note_phdr) + 8, img.size - 4);
	assert_false(elf_find_note(&elf, "Xen", 18, &n));
	t_put64(telf_phdr(&img, &l, l.note_phdr) + 8, UINT64_MAX - 8);
	assert_false(elf_find_note(&elf, "Xen", 18, &n));
	timg_free(&img);
}

static void expect_parse_error(const uint8_t *data, size_t size,
			       const char *needle)
{
	struct elf_file elf;
	struct errmsg err;

	memset(&err, 0, sizeof(err));
	assert_int_equal(elf_parse(&elf, data, size, &err), -ENOEXEC);
	if (!strstr(err.text, needle))
		fail_msg("message '%s' lacks '%s'", err.text, needle);
}

static void test_malformed(void **state)
{
	struct telf_opts o = tpvh_defaults();
	struct timg img = telf_build(&o, NULL);
	uint8_t saved[64];

	memcpy(saved, img.data, sizeof(saved));
	expect_parse_error(img.data, 3, "not an ELF");
	expect_parse_error((const uint8_t *)"hello world, this is text", 25,
			   "not an ELF");
	expect_parse_error(
		img.data, 40,
		"ELF header is truncated: the file has 40 bytes, the header needs 64");

	img.data[4] = 3;
	expect_parse_error(img.data, img.size, "class 3");
	memcpy(img.data, saved, sizeof(saved));

	img.data[5] = 2;
	expect_parse_error(img.data, img.size, "little-endian");
	memcpy(img.data, saved, sizeof(saved));

	t_put16(img.data + 54, 40);
	expect_parse_error(img.data, img.size, "program header size 40");
	memcpy(img.data, saved, sizeof(saved));

	t_put64(img.data + 32, img.size - 8);
	expect_parse_error(img.data, img.size, "past the end");
	t_put64(img.data + 32, UINT64_MAX - 16);
	expect_parse_error(img.data, img.size, "past the end");
	memcpy(img.data, saved, sizeof(saved));

	t_put16(img.data + 56, 0xffff);
	expect_parse_error(img.data, img.size, "extended");
	memcpy(img.data, saved, sizeof(saved));

	t_put16(img.data + 56, 0x1000);
	expect_parse_error(img.data, img.size, "past the end");
	timg_free(&img);
}

static void test_phdr_in_file(void **state)
{
	struct telf_opts o = tpvh_defaults();
	struct timg img = telf_build(&o, NULL);
	struct elf_file elf;
	struct elf_phdr ph;

	assert_int_equal(elf_parse(&elf, img.data, img.size, NULL), 0);
	assert_int_equal(elf_get_phdr(&elf, 0, &ph), 0);
	ph.offset = img.size;
	ph.filesz = 0;
	assert_true(elf_phdr_in_file(&elf, &ph));
	ph.filesz = 1;
	assert_false(elf_phdr_in_file(&elf, &ph));
	ph.offset = 16;
	ph.filesz = UINT64_MAX;
	assert_false(elf_phdr_in_file(&elf, &ph));
	ph.offset = UINT64_MAX;
	ph.filesz = 2;
	assert_false(elf_phdr_in_file(&elf, &ph));
	timg_free(&img);
}

/* Overlapping PT_NOTE segments cannot make the walk quadratic. */
static void test_note_budget(void **state)
{
	enum { NPH = 200, NOTES = 100 };
	size_t notes_off = 64 + NPH * 56, size = notes_off + NOTES * 12;
	uint8_t *d = calloc(1, size);
	struct elf_note_iter it;
	struct elf_file elf;
	struct elf_note n;
	unsigned int count = 0;
	int i;

	memcpy(d, "\177ELF\2\1\1", 7);
	t_put16(d + 18, 62);
	t_put64(d + 32, 64);
	t_put16(d + 54, 56);
	t_put16(d + 56, NPH);
	for (i = 0; i < NPH; i++) {
		uint8_t *p = d + 64 + i * 56;

		t_put32(p, ELF_PT_NOTE);
		t_put64(p + 8, notes_off);
		t_put64(p + 32, NOTES * 12);
	}
	/* Empty notes: name and descriptor sizes 0. */
	assert_int_equal(elf_parse(&elf, d, size, NULL), 0);
	elf_note_iter_init(&it, &elf);
	while (elf_note_next(&it, &n))
		count++;
	assert_int_equal(count, ELF_MAX_NOTES);
	assert_false(elf_find_note(&elf, "Xen", 18, &n));
	free(d);
}

/*
 * Every prefix of a valid file: the exact error while the ELF header or
 * the program headers are cut, then a parse whose PVH note is found once
 * the whole PT_NOTE segment is in the file, and not before.
 */
static void test_every_truncation(void **state)
{
	struct telf_opts o = tpvh_defaults();
	struct telf_layout lay;
	struct timg img = telf_build(&o, &lay);
	/* Three program headers (two PT_LOAD, the PT_NOTE) end at 232. */
	size_t ph_end = lay.phoff + 3 * lay.phentsize;
	/* The Xen note (12-byte header, "Xen\0", 8-byte descriptor) ends
	 * its PT_NOTE segment. */
	size_t note_end = lay.note_off + 12 + 4 + 8;
	struct elf_file elf;
	struct elf_note n;
	struct errmsg err;
	char want[sizeof(err.text)];
	size_t len;

	assert_int_equal(ph_end, 232);
	assert_int_equal(note_end, 280);
	for (len = 0; len <= img.size; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		int r;

		memcpy(copy, img.data, len);
		memset(&err, 0, sizeof(err));
		r = elf_parse(&elf, copy, len, &err);
		if (len < 16)
			snprintf(want, sizeof(want),
				 "not an ELF file (no \\177ELF magic)");
		else if (len < 64)
			snprintf(want, sizeof(want),
				 "ELF header is truncated: the file has %zu bytes, the header needs 64",
				 len);
		else if (len < ph_end)
			snprintf(want, sizeof(want),
				 "ELF program headers at offset 0x40 (3 x 56 bytes) extend past the end of the file (%zu bytes): the file is truncated",
				 len);
		else
			want[0] = '\0';
		if (want[0]) {
			if (r != -ENOEXEC || strcmp(err.text, want))
				fail_msg("%zu bytes: got %d '%s', want -ENOEXEC '%s'",
					 len, r, err.text, want);
		} else {
			bool found;

			if (r != 0)
				fail_msg("%zu bytes: got %d '%s', want 0", len,
					 r, err.text);
			assert_int_equal(elf.phnum, 3);
			found = elf_find_note(&elf, "Xen", 18, &n);
			if (found != (len >= note_end))
				fail_msg("%zu bytes: Xen note %s", len,
					 found ? "found" : "not found");
			if (found) {
				assert_int_equal(n.descsz, 8);
				assert_int_equal(t_get64(n.desc), o.pvh_entry);
			}
		}
		free(copy);
	}
	timg_free(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_elf64),
		cmocka_unit_test(test_parse_elf32),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_bad_notes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_phdr_in_file),
		cmocka_unit_test(test_note_budget),
		cmocka_unit_test(test_every_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
