// SPDX-License-Identifier: GPL-2.0
/*
 * vmm/ktrace: kvm:kvm_exit's format file (a copy of a 6.18 host's, with
 * the VMX and SVM symbol tables), reason names, log2 buckets, and pairing
 * kvm_exit with the next kvm_entry into per-reason histograms.
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
#include <linux/perf_event.h>

#include "vmm/ktrace.h"

static char *format_text;
static struct ktrace_exit_format fmt;

static int setup(void **state)
{
	const char *src = getenv("KVMSCOPE_SOURCE_ROOT");
	char path[512];
	struct errmsg err = { 0 };
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/tests/unit/data/kvm_exit.format",
		 src ? src : ".");
	f = fopen(path, "r");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	format_text = calloc(1, n + 1);
	if (fread(format_text, 1, n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return ktrace_parse_exit_format(format_text, &fmt, &err);
}

static int teardown(void **state)
{
	free(format_text);
	return 0;
}

static void test_format(void **state)
{
	int size = 0;

	assert_int_equal(fmt.id, 103);
	assert_int_equal(fmt.reason_off, 8);
	assert_int_equal(fmt.reason_size, 4);
	assert_int_equal(fmt.isa_off, 24);
	assert_int_equal(ktrace_format_field(format_text, "vcpu_id", &size),
			 56);
	assert_int_equal(size, 4);
	assert_int_equal(ktrace_format_field(format_text, "nope", NULL), -1);
	/* "rip" must not match "guest_rip". */
	assert_int_equal(ktrace_format_field(format_text, "rip", NULL), -1);
	assert_true(fmt.has_vmx_table);
	assert_true(fmt.vmx.nr > 60);
	assert_true(fmt.other.nr > 100);
}

static void test_names(void **state)
{
	char b[48];

	assert_string_equal(ktrace_reason_name(&fmt, 1, 12, b, sizeof(b)),
			    "HLT");
	assert_string_equal(ktrace_reason_name(&fmt, 1, 10, b, sizeof(b)),
			    "CPUID");
	assert_string_equal(ktrace_reason_name(&fmt, 1, 48, b, sizeof(b)),
			    "EPT_VIOLATION");
	/* SVM: "0x040 + 14" is PF, -1 the invalid state. */
	assert_string_equal(ktrace_reason_name(&fmt, 2, 0x4e, b, sizeof(b)),
			    "PF excp");
	assert_string_equal(ktrace_reason_name(&fmt, 2, 0x400, b, sizeof(b)),
			    "npf");
	assert_string_equal(ktrace_reason_name(&fmt, 2, 0xffffffffu, b,
					       sizeof(b)),
			    "invalid_guest_state");
	assert_string_equal(ktrace_reason_name(&fmt, 1, 1000, b, sizeof(b)),
			    "isa1-1000");
}

static void test_bucket(void **state)
{
	assert_int_equal(ktrace_bucket(0), 0);
	assert_int_equal(ktrace_bucket(1), 0);
	assert_int_equal(ktrace_bucket(2), 1);
	assert_int_equal(ktrace_bucket(3), 1);
	assert_int_equal(ktrace_bucket(1023), 9);
	assert_int_equal(ktrace_bucket(1024), 10);
	assert_int_equal(ktrace_bucket(1ULL << 40), KTRACE_BUCKETS - 1);
}

/* A kvm_exit record as the kernel lays it out (this format's offsets). */
static size_t exit_rec(uint8_t *b, uint32_t isa, uint32_t reason)
{
	uint16_t type = 103;

	memset(b, 0, 72);
	memcpy(b, &type, 2);
	memcpy(b + 8, &reason, 4);
	memcpy(b + 24, &isa, 4);
	return 72;
}

static size_t type_rec(uint8_t *b, uint16_t type)
{
	memset(b, 0, 40);
	memcpy(b, &type, 2);
	return 40;
}

static void test_pairing(void **state)
{
	static struct ktrace_thread t;
	const int extra[] = { 77 };
	uint8_t b[80];
	size_t n;
	int i;

	memset(&t, 0, sizeof(t));
	/* HLT 1000 ns, HLT 3000 ns, CPUID 100 ns, one kvm_cpuid in between. */
	n = exit_rec(b, 1, 12);
	ktrace_account(&fmt, 115, extra, 1, &t, b, n, 10000);
	n = type_rec(b, 115);
	ktrace_account(&fmt, 115, extra, 1, &t, b, n, 11000);
	n = exit_rec(b, 1, 12 | 0x80000000u); /* flags are not the reason */
	ktrace_account(&fmt, 115, extra, 1, &t, b, n, 20000);
	n = type_rec(b, 115);
	ktrace_account(&fmt, 115, extra, 1, &t, b, n, 23000);
	n = exit_rec(b, 1, 10);
	ktrace_account(&fmt, 115, extra, 1, &t, b, n, 30000);
	n = type_rec(b, 77);
	ktrace_account(&fmt, 115, extra, 1, &t, b, n, 30050);
	n = type_rec(b, 115);
	ktrace_account(&fmt, 115, extra, 1, &t, b, n, 30100);
	/* An entry without an exit (tracing began mid-exit): not timed. */
	ktrace_account(&fmt, 115, extra, 1, &t, b, n, 40000);
	/* An exit not yet entered: counted, not timed. */
	n = exit_rec(b, 1, 10);
	ktrace_account(&fmt, 115, extra, 1, &t, b, n, 50000);

	assert_int_equal(t.exits, 4);
	assert_int_equal(t.entries, 4);
	assert_int_equal(t.extra[0], 1);
	assert_int_equal(t.nr_reasons, 2);
	for (i = 0; i < t.nr_reasons; i++) {
		const struct ktrace_reason *r = &t.reasons[i];

		if (r->code == 12) {
			assert_int_equal(r->count, 2);
			assert_int_equal(r->timed, 2);
			assert_int_equal(r->sum_ns, 4000);
			assert_int_equal(r->max_ns, 3000);
			assert_int_equal(r->hist[9], 1); /* 512..1023 */
			assert_int_equal(r->hist[11], 1); /* 2048..4095 */
		} else {
			assert_int_equal(r->code, 10);
			assert_int_equal(r->count, 2);
			assert_int_equal(r->timed, 1);
			assert_int_equal(r->sum_ns, 100);
			assert_int_equal(r->hist[6], 1); /* 64..127 */
		}
	}
}

/* A fake perf ring: records written at head, wrapping at RING bytes. */
#define RING 256
static uint8_t ring[RING];
static struct perf_event_mmap_page meta;

static void ring_put(const void *rec, size_t len)
{
	size_t i, off = meta.data_head;

	for (i = 0; i < len; i++)
		ring[(off + i) % RING] = ((const uint8_t *)rec)[i];
	meta.data_head += len;
}

static void put_sample(uint64_t ns, const uint8_t *raw, uint32_t size)
{
	uint8_t rec[128];
	struct perf_event_header h = { PERF_RECORD_SAMPLE, 0,
				       (uint16_t)((sizeof(h) + 12 + size + 7) &
						  ~7u) };

	memset(rec, 0, sizeof(rec));
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + sizeof(h), &ns, 8);
	memcpy(rec + sizeof(h) + 8, &size, 4);
	memcpy(rec + sizeof(h) + 12, raw, size);
	ring_put(rec, h.size);
}

static void test_ring(void **state)
{
	static struct ktrace_thread t;
	static uint8_t scratch[65536];
	struct perf_event_header lh = { PERF_RECORD_LOST, 0, 24 };
	uint8_t raw[80], lost[24];
	uint64_t n5 = 5;
	int round;

	memset(&t, 0, sizeof(t));
	memset(&meta, 0, sizeof(meta));
	/* Start near the end so records wrap (header and body both). */
	meta.data_head = meta.data_tail = 1000 * RING - 20;
	for (round = 0; round < 20; round++) {
		size_t n = exit_rec(raw, 2, 0x78); /* SVM hlt */

		put_sample(round * 10000, raw, n);
		n = type_rec(raw, 115);
		put_sample(round * 10000 + 5000, raw, n);
		ktrace_read_ring(&meta, ring, RING, scratch, &fmt, 115, &t);
		assert_int_equal(meta.data_tail, meta.data_head);
	}
	/* A LOST record between an exit and its entry: not timed. */
	put_sample(900000, raw, exit_rec(raw, 2, 0x78));
	memcpy(lost, &lh, sizeof(lh));
	memset(lost + 8, 0, 8);
	memcpy(lost + 16, &n5, 8);
	ring_put(lost, sizeof(lost));
	put_sample(905000, raw, type_rec(raw, 115));
	ktrace_read_ring(&meta, ring, RING, scratch, &fmt, 115, &t);
	assert_int_equal(t.lost, 5);
	assert_int_equal(t.exits, 21);
	assert_int_equal(t.entries, 21);
	assert_int_equal(t.nr_reasons, 1);
	assert_int_equal(t.reasons[0].count, 21);
	assert_int_equal(t.reasons[0].timed, 20);
	assert_int_equal(t.reasons[0].sum_ns, 20 * 5000);
	assert_int_equal(t.reasons[0].hist[12], 20); /* 4096..8191 */

	/* Half a record (head mid-record) is left for the next read. */
	{
		uint64_t head = meta.data_head;

		put_sample(1000000, raw, exit_rec(raw, 2, 0x78));
		meta.data_head = head + 16;
		ktrace_read_ring(&meta, ring, RING, scratch, &fmt, 115, &t);
		assert_int_equal(meta.data_tail, head);
		assert_int_equal(t.exits, 21);
		meta.data_head = head + 96;
		ktrace_read_ring(&meta, ring, RING, scratch, &fmt, 115, &t);
		assert_int_equal(meta.data_tail, head + 96);
		assert_int_equal(t.exits, 22);
	}
}

static void test_bad_format(void **state)
{
	struct ktrace_exit_format f;
	struct errmsg err = { 0 };

	assert_int_equal(ktrace_parse_exit_format("name: x\nID: 5\n", &f, &err),
			 -EINVAL);
	assert_non_null(strstr(err.text, "exit_reason"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_pairing),
		cmocka_unit_test(test_bad_format),
		cmocka_unit_test(test_ring),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
