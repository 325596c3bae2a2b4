// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/boot.h"
#include "images.h"

static void test_names(void **state)
{
	assert_string_equal(boot_format_name(BOOT_FORMAT_BZIMAGE), "bzImage");
	assert_string_equal(boot_format_name(BOOT_FORMAT_PVH), "PVH ELF");
	assert_string_equal(boot_format_name(BOOT_FORMAT_MULTIBOOT),
			    "multiboot");
	assert_string_equal(boot_format_name(BOOT_FORMAT_UNKNOWN), "unknown");
	assert_string_equal(boot_format_name((enum boot_format)99), "unknown");
	assert_true(boot_format_is_linux(BOOT_FORMAT_BZIMAGE));
	assert_true(boot_format_is_linux(BOOT_FORMAT_PVH));
	assert_false(boot_format_is_linux(BOOT_FORMAT_MULTIBOOT));
	assert_false(boot_format_is_linux(BOOT_FORMAT_UNKNOWN));
}

/* Every format is one row, found by its format, with its own functions. */
static void test_loader_rows(void **state)
{
	const enum boot_format fmts[] = { BOOT_FORMAT_BZIMAGE, BOOT_FORMAT_PVH,
					  BOOT_FORMAT_MULTIBOOT };
	const struct boot_entry none = { 0 };
	const struct boot_loader *l;
	size_t i;

	(void)state;
	assert_null(boot_loader_for(BOOT_FORMAT_UNKNOWN));
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		l = boot_loader_for(fmts[i]);
		assert_non_null(l);
		assert_int_equal(l->format, fmts[i]);
		assert_non_null(l->detect);
		assert_non_null(l->load);
		assert_string_equal(boot_format_name(fmts[i]), l->name);
		assert_int_equal(boot_format_is_linux(fmts[i]), l->is_linux);
	}
	assert_ptr_equal(boot_loader_for(BOOT_FORMAT_BZIMAGE), &bzimage_loader);
	assert_ptr_equal(boot_loader_for(BOOT_FORMAT_PVH), &pvh_loader);
	assert_ptr_equal(boot_loader_for(BOOT_FORMAT_MULTIBOOT),
			 &multiboot_loader);
	/* multiboot kernels have no RSDP field: nothing to write, no error */
	assert_null(multiboot_loader.set_rsdp);
	assert_int_equal(
		boot_set_rsdp(NULL, BOOT_FORMAT_MULTIBOOT, &none, 0xe0000), 0);
	assert_int_equal(
		boot_set_rsdp(NULL, BOOT_FORMAT_UNKNOWN, &none, 0xe0000), 0);
}

static void test_bzimage(void **state)
{
	struct tbz_opts o = tbz_defaults();
	struct timg img = tbz_build(&o);

	assert_int_equal(boot_detect(img.data, img.size), BOOT_FORMAT_BZIMAGE);
	assert_int_equal(boot_detect(img.data, 0x250), BOOT_FORMAT_BZIMAGE);
	assert_int_equal(boot_detect(img.data, 0x24f), BOOT_FORMAT_UNKNOWN);
	/* Too old is still a bzImage: the loader says why it refuses. */
	t_put16(img.data + 0x206, 0x0200);
	assert_int_equal(boot_detect(img.data, img.size), BOOT_FORMAT_BZIMAGE);
	/* A multiboot header inside does not change that. */
	t_put32(img.data + 0x400, 0x1badb002);
	t_put32(img.data + 0x404, 0);
	t_put32(img.data + 0x408, (uint32_t)-0x1badb002);
	assert_int_equal(boot_detect(img.data, img.size), BOOT_FORMAT_BZIMAGE);
	img.data[0x1fe] = 0;
	assert_int_equal(boot_detect(img.data, img.size),
			 BOOT_FORMAT_MULTIBOOT);
	img.data[0x1fe] = 0x55;
	img.data[0x205] = 'X';
	assert_int_equal(boot_detect(img.data, img.size),
			 BOOT_FORMAT_MULTIBOOT);
	timg_free(&img);
}

static void put_mb(uint8_t *p, uint32_t flags)
{
	t_put32(p, 0x1badb002);
	t_put32(p + 4, flags);
	t_put32(p + 8, (uint32_t) - (0x1badb002U + flags));
}

static void test_multiboot_search(void **state)
{
	static uint8_t buf[16384];

	memset(buf, 0, sizeof(buf));
	put_mb(buf + 8180, 3);
	assert_int_equal(boot_detect(buf, sizeof(buf)), BOOT_FORMAT_MULTIBOOT);
	/* The header must end within the first 8 KiB and the file. */
	assert_int_equal(boot_detect(buf, 8191), BOOT_FORMAT_UNKNOWN);
	memset(buf, 0, sizeof(buf));
	put_mb(buf + 8184, 3);
	assert_int_equal(boot_detect(buf, sizeof(buf)), BOOT_FORMAT_UNKNOWN);
	memset(buf, 0, sizeof(buf));
	put_mb(buf + 0x102, 3);
	assert_int_equal(boot_detect(buf, sizeof(buf)), BOOT_FORMAT_UNKNOWN);
	memset(buf, 0, sizeof(buf));
	put_mb(buf, 0x10003);
	assert_int_equal(boot_detect(buf, 12), BOOT_FORMAT_MULTIBOOT);
	assert_int_equal(boot_detect(buf, 11), BOOT_FORMAT_UNKNOWN);
	buf[8]++;
	assert_int_equal(boot_detect(buf, sizeof(buf)), BOOT_FORMAT_UNKNOWN);
	/* A bad first header does not hide a good one after it. */
	put_mb(buf + 64, 0);
	assert_int_equal(boot_detect(buf, sizeof(buf)), BOOT_FORMAT_MULTIBOOT);
}

static void test_elf(void **state)
{
	struct telf_opts o = tpvh_defaults();
	struct timg img = telf_build(&o, NULL);

	assert_int_equal(boot_detect(img.data, img.size), BOOT_FORMAT_PVH);
	timg_free(&img);

	o.pvh_descsz = 4;
	img = telf_build(&o, NULL);
	assert_int_equal(boot_detect(img.data, img.size), BOOT_FORMAT_PVH);
	timg_free(&img);

	o.pvh_descsz = 2;
	img = telf_build(&o, NULL);
	assert_int_equal(boot_detect(img.data, img.size), BOOT_FORMAT_UNKNOWN);
	timg_free(&img);

	o.pvh_descsz = 4;
	o.mb_header = 1;
	o.mb_flags = 2;
	img = telf_build(&o, NULL);
	assert_int_equal(boot_detect(img.data, img.size),
			 BOOT_FORMAT_MULTIBOOT);
	timg_free(&img);

	o.mb_header = 0;
	o.pvh_note = 0;
	img = telf_build(&o, NULL);
	assert_int_equal(boot_detect(img.data, img.size), BOOT_FORMAT_UNKNOWN);
	timg_free(&img);

	assert_int_equal(boot_detect(NULL, 0), BOOT_FORMAT_UNKNOWN);
	assert_int_equal(boot_detect((const uint8_t *)"", 0),
			 BOOT_FORMAT_UNKNOWN);
}

static void expect_unknown(const uint8_t *data, size_t size, const char *name,
			   const char *needle)
{
	struct boot_request req;
	struct guest_memory mem;
	struct boot_entry entry;
	struct errmsg err;

	memset(&req, 0, sizeof(req));
	memset(&err, 0, sizeof(err));
	req.kernel = (struct boot_file){ name, data, size };
	req.cmdline = "";
	assert_int_equal(guest_memory_alloc(&mem, 16 << 20), 0);
	assert_int_equal(boot_load(&mem, &req, &entry, &err), -ENOEXEC);
	guest_memory_free(&mem);
	if (!strstr(err.text, needle))
		fail_msg("message '%s' lacks '%s'", err.text, needle);
	/* Every such message says what would have worked. */
	assert_non_null(strstr(err.text, "bzImage"));
	assert_non_null(strstr(err.text, "CONFIG_PVH=y"));
	assert_non_null(strstr(err.text, "multiboot v1"));
	assert_null(strchr(err.text, '\n'));
}

static void test_unknown_messages(void **state)
{
	static const char text[] = "#!/bin/sh\necho this is a script\n";
	static uint8_t buf[4096];
	struct telf_opts o = tpvh_defaults();
	struct timg img;
	char longname[1000];
	size_t i;

	expect_unknown((const uint8_t *)text, sizeof(text) - 1, "run.sh",
		       "run.sh looks like a text file");
	expect_unknown(NULL, 0, "empty.bin", "empty.bin is empty");

	o.pvh_note = 0;
	img = telf_build(&o, NULL);
	expect_unknown(img.data, img.size, "vmlinux",
		       "vmlinux is an ELF file without a PVH note");
	expect_unknown(img.data, img.size, "vmlinux", "multiboot header");
	expect_unknown(img.data, 30, "vmlinux", "malformed ELF");
	timg_free(&img);

	o = tmb_elf_defaults();
	img = telf_build(&o, NULL);
	img.data[116 + 8] ^= 0xff;
	expect_unknown(img.data, img.size, "k.elf", "checksum is wrong");
	timg_free(&img);

	memset(buf, 0, sizeof(buf));
	t_put32(buf + 16, 0xe85250d6);
	expect_unknown(buf, sizeof(buf), "mb2", "multiboot2");

	memset(buf, 0, sizeof(buf));
	t_put16(buf + 0x1fe, 0xaa55);
	expect_unknown(buf, sizeof(buf), "boot.img", "HdrS");

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "MZ", 2);
	expect_unknown(buf, sizeof(buf), "Image", "PE/EFI");

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	buf[0] = 0;
	expect_unknown(buf, sizeof(buf), "blob", "blob is not a kernel format");

	/* A long name is cut so that the advice still fits. */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	expect_unknown(buf, sizeof(buf), longname, "not a kernel format");
	expect_unknown(buf, sizeof(buf), NULL, "kernel is not a kernel");
}

/*
 * Every prefix of every known format: detected exactly from the length at
 * which the format's marker is complete (bzImage: the 0x250-byte minimum
 * header; PVH: the Xen note's PT_NOTE segment; multiboot: the 12-byte
 * header), unknown before.
 */
static void test_truncations(void **state)
{
	struct tbz_opts b = tbz_defaults();
	struct telf_opts p = tpvh_defaults(), m = tmb_elf_defaults();
	struct tmb_aout_opts a = tmb_aout_defaults();
	struct telf_layout pl, ml;
	struct timg imgs[4];
	size_t from[4];
	enum boot_format fmt[4] = { BOOT_FORMAT_BZIMAGE, BOOT_FORMAT_PVH,
				    BOOT_FORMAT_MULTIBOOT,
				    BOOT_FORMAT_MULTIBOOT };
	size_t i, len;

	imgs[0] = tbz_build(&b);
	from[0] = 0x250;
	imgs[1] = telf_build(&p, &pl);
	from[1] = pl.note_off + 12 + 4 + 8; /* end of the PT_NOTE segment */
	imgs[2] = telf_build(&m, &ml);
	from[2] = ml.mb_off + 12;
	imgs[3] = tmb_aout_build(&a);
	from[3] = a.hoff + 12;
	for (i = 0; i < 4; i++) {
		assert_true(from[i] <= imgs[i].size);
		for (len = 0; len <= imgs[i].size; len++) {
			uint8_t *copy = malloc(len ? len : 1);
			enum boot_format want =
				len >= from[i] ? fmt[i] : BOOT_FORMAT_UNKNOWN;
			enum boot_format got;

			memcpy(copy, imgs[i].data, len);
			got = boot_detect(copy, len);
			if (got != want)
				fail_msg(
					"image %zu cut to %zu bytes: %s, want %s",
					i, len, boot_format_name(got),
					boot_format_name(want));
			free(copy);
		}
		timg_free(&imgs[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_loader_rows),
		cmocka_unit_test(test_bzimage),
		cmocka_unit_test(test_multiboot_search),
		cmocka_unit_test(test_elf),
		cmocka_unit_test(test_unknown_messages),
		cmocka_unit_test(test_truncations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
