// SPDX-License-Identifier: GPL-2.0
/*
 * The printk ring reader on synthetic rings (printk_ring.h): records in
 * seq order, a block that wraps to the ring's start, an empty line,
 * overwritten and uncommitted descriptors skipped, texts capped at their
 * block, the dmesg line format with escapes, and headers that are not a
 * ring rejected with exact messages.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "os/printk.h"
#include "printk_ring.h"

static uint8_t img[RING_SIZE];
static struct vmcoreinfo vi;

static void layout(struct printk_layout *l)
{
	struct errmsg err = { { 0 } };

	assert_int_equal(vmcoreinfo_parse(ring_vmcoreinfo,
					  sizeof(ring_vmcoreinfo) - 1, &vi,
					  &err),
			 0);
	assert_int_equal(printk_layout_from_vmcoreinfo(&vi, l, &err), 0);
	assert_int_equal(l->prb, RING_VA);
	assert_int_equal(l->info_size, 88);
}

static const char *text(const struct printk_log *log, size_t i)
{
	return log->text + log->recs[i].text;
}

static void test_records(void **state)
{
	struct errmsg err = { { 0 } };
	struct printk_layout l;
	struct printk_log log;
	char line[128];

	layout(&l);
	/* ids 9..14 live in slots 1..6 */
	ring_init(img, 9, 14);
	ring_record(img, 9, 2, 20, 1500000000ULL, 1, 0x120, 0x138, "first");
	/* committed (1) is readable too; seq order differs from id order */
	ring_record(img, 10, 1, 22, 2000001000ULL, 0x80000001u, 0x138, 0x150,
		    "third");
	ring_record(img, 11, 2, 21, 1999999999ULL, 7, 0x150, 0x170,
		    "second\nline\x1b");
	/* an empty line: no data block at all */
	ring_record(img, 12, 2, 23, 3000000000ULL, 7, 3, 3, "");
	/* the writer has reserved it, not committed: skipped */
	ring_record(img, 13, 0, 24, 0, 7, 0x170, 0x188, "busy");
	/* a block that would wrap (0x1f0 + 0x30) is stored at data[0] */
	ring_record(img, 14, 2, 25, 4000000000ULL, 7, 0x1f0, 0x220,
		    "wrapped to the start");
	assert_int_equal(printk_read(&l, ring_read, img, &log, &err), 0);
	assert_int_equal(log.nr, 5);
	assert_int_equal(log.skipped, 1);
	assert_int_equal(log.ring_bytes, 256);
	assert_int_equal(log.recs[0].seq, 20);
	assert_string_equal(text(&log, 0), "first");
	assert_string_equal(text(&log, 1), "second\nline\x1b");
	assert_string_equal(text(&log, 2), "third");
	assert_int_equal(log.recs[2].caller_id, 0x80000001u);
	assert_string_equal(text(&log, 3), "");
	assert_string_equal(text(&log, 4), "wrapped to the start");

	printk_format(&log, &log.recs[0], line, sizeof(line));
	assert_string_equal(line, "[    1.500000] first");
	printk_format(&log, &log.recs[1], line, sizeof(line));
	assert_string_equal(line,
			    "[    1.999999] second\n[    1.999999] line\\x1b");
	/* truncated, still terminated */
	assert_int_equal(printk_format(&log, &log.recs[0], line, 8), 7);
	assert_string_equal(line, "[    1.");
	printk_log_free(&log);
}

static void test_overwritten_and_capped(void **state)
{
	struct errmsg err = { { 0 } };
	struct printk_layout l;
	struct printk_log log;

	layout(&l);
	ring_init(img, 16, 17);
	/* slot 0 holds id 8 (an older lap): id 16 is gone */
	ring_record(img, 8, 2, 1, 0, 1, 0x100, 0x110, "old");
	/* text_len claims more than the block holds: capped at the block */
	ring_record(img, 17, 2, 2, 0, 1, 0x110, 0x120, "12345678");
	memcpy(img + RING_INFOS + 1 * 88 + 16, &(uint16_t){ 500 }, 2);
	assert_int_equal(printk_read(&l, ring_read, img, &log, &err), 0);
	assert_int_equal(log.nr, 1);
	assert_int_equal(log.skipped, 1);
	assert_int_equal(log.recs[0].len, 8);
	printk_log_free(&log);

	/* positions from two laps apart, or misaligned: skipped */
	ring_init(img, 1, 2);
	ring_record(img, 1, 2, 1, 0, 1, 0x100, 0x310, "x");
	ring_record(img, 2, 2, 2, 0, 1, 0x104, 0x120, "y");
	assert_int_equal(printk_read(&l, ring_read, img, &log, &err), 0);
	assert_int_equal(log.nr, 0);
	assert_int_equal(log.skipped, 2);
	printk_log_free(&log);
}

static void test_bad_headers(void **state)
{
	struct errmsg err = { { 0 } };
	struct printk_layout l;
	struct printk_log log;
	uint32_t bits = 30;

	layout(&l);
	ring_init(img, 5, 3);
	assert_int_equal(printk_read(&l, ring_read, img, &log, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"the printk ring at 0xffffffff82000040 is not valid: tail id 5, head id 3");
	ring_init(img, 0, 8); /* more ids than descriptors */
	assert_int_equal(printk_read(&l, ring_read, img, &log, &err), -EINVAL);
	ring_init(img, 0, 1);
	memcpy(img + RING_RB, &bits, 4);
	assert_int_equal(printk_read(&l, ring_read, img, &log, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"the printk ring at 0xffffffff82000040 is not valid: 30 descriptor bits, 8 text bits");
	/* descs pointing nowhere */
	ring_init(img, 0, 1);
	ring_put64(img, RING_RB + 8, 0x1000);
	assert_int_equal(printk_read(&l, ring_read, img, &log, &err), -EFAULT);
	/* prb pointing nowhere */
	ring_init(img, 0, 1);
	ring_put64(img, RING_PRB, 0x1000);
	assert_int_equal(printk_read(&l, ring_read, img, &log, &err), -EFAULT);
	assert_string_equal(err.text,
			    "prb points at 0x1000, which cannot be read");
}

static void test_layout_errors(void **state)
{
	static const char no_prb[] =
		"OSRELEASE=5.4.0\n"
		"BUILD-ID=0123456789abcdef0123456789abcdef01234567\n"
		"PAGESIZE=4096\nSYMBOL(log_buf)=ffffffff82000000\n";
	struct errmsg err = { { 0 } };
	struct printk_layout l;
	char text[sizeof(ring_vmcoreinfo) + 16];
	char *p;

	assert_int_equal(
		vmcoreinfo_parse(no_prb, sizeof(no_prb) - 1, &vi, &err), 0);
	assert_int_equal(printk_layout_from_vmcoreinfo(&vi, &l, &err), -ENOENT);
	assert_string_equal(
		err.text,
		"the guest's VMCOREINFO has no SYMBOL(prb): its kernel predates the lockless printk ring (Linux 5.10)");
	/* a field outside its structure */
	strcpy(text, ring_vmcoreinfo);
	p = strstr(text, "OFFSET(printk_info.seq)=0");
	memcpy(p + strlen("OFFSET(printk_info.seq)="), "9", 1);
	assert_int_equal(vmcoreinfo_parse(text, strlen(text), &vi, &err), 0);
	assert_int_equal(printk_layout_from_vmcoreinfo(&vi, &l, &err), 0);
	strcpy(text, ring_vmcoreinfo);
	p = strstr(text, "SIZE(printk_info)=88");
	memcpy(p + strlen("SIZE(printk_info)="), "16", 2);
	assert_int_equal(vmcoreinfo_parse(text, strlen(text), &vi, &err), 0);
	assert_int_equal(printk_layout_from_vmcoreinfo(&vi, &l, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"the guest's VMCOREINFO printk layout is inconsistent (a field lies outside its structure)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_overwritten_and_capped),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_layout_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
