// SPDX-License-Identifier: GPL-2.0
/*
 * The exit statistics' arithmetic (vmm/stats): bucket boundaries of the
 * log2 histogram, recording an exit, quantiles from the buckets, I/O slots
 * and reason names; and KVM's stats descriptor parser (vmm/kvm_stats):
 * what it accepts, skips and refuses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "inspect/handlers.h"
#include "vmm/kvm_stats.h"
#include "vmm/stats.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

static void test_bucket_boundaries(void **state)
{
	unsigned int i;

	assert_int_equal(stats_bucket(0), 0);
	assert_int_equal(stats_bucket(1), 0);
	/* bucket i: 2^i <= d < 2^(i+1) */
	for (i = 1; i < STATS_BUCKETS; i++) {
		assert_int_equal(stats_bucket(1ULL << i), i);
		assert_int_equal(stats_bucket((1ULL << i) - 1), i - 1);
		if (i < STATS_BUCKETS - 1)
			assert_int_equal(stats_bucket((2ULL << i) - 1), i);
	}
	/* the last bucket is open-ended */
	assert_int_equal(stats_bucket(1ULL << 40), STATS_BUCKETS - 1);
	assert_int_equal(stats_bucket(UINT64_MAX), STATS_BUCKETS - 1);
}

static void test_hist_add_and_quantiles(void **state)
{
	struct stats_hist h, copy;
	uint64_t total = 0;
	int i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 99; i++)
		stats_hist_add(&h, 100); /* bucket 6: 64..127 */
	stats_hist_add(&h, 5000); /* bucket 12: 4096..8191 */
	assert_int_equal(h.count, 100);
	assert_int_equal(h.sum_ns, 99 * 100 + 5000);
	assert_int_equal(h.max_ns, 5000);
	assert_int_equal(h.buckets[6], 99);
	assert_int_equal(h.buckets[12], 1);
	for (i = 0; i < STATS_BUCKETS; i++)
		total += h.buckets[i];
	assert_int_equal(total, h.count);

	/* p50 inside bucket 6, p100 the maximum, never above it */
	assert_in_range(stats_hist_quantile(&h, 0.5), 64, 127);
	assert_in_range(stats_hist_quantile(&h, 0.99), 64, 127);
	assert_int_equal(stats_hist_quantile(&h, 1.0), 5000);
	assert_in_range(stats_hist_quantile(&h, 0.0), 64, 127);

	stats_hist_load(&h, &copy, false);
	assert_memory_equal(&h, &copy, sizeof(h));
	stats_hist_load(&h, &copy, true);
	assert_int_equal(copy.count, 200);
	assert_int_equal(copy.buckets[6], 198);
	assert_int_equal(copy.max_ns, 5000);

	memset(&h, 0, sizeof(h));
	assert_int_equal(stats_hist_quantile(&h, 0.5), 0);
}

static void test_exit_record_and_io_slots(void **state)
{
	struct vcpu_stats *s = calloc(1, sizeof(*s));
	uint64_t total = 0;
	int i, n;

	assert_non_null(s);
	stats_clock.enabled = true;
	stats_clock.tsc = false;
	stats_clock.mult = 1ULL << 32; /* ticks are ns */

	/* One exit at t=1000 handled until t=1300: 300 ns in kvmscope. */
	s->t_run = 400;
	s->t_exit = 1000;
	s->reason = 2; /* KVM_EXIT_IO */
	s->pending = true;
	stats_note_io(s, STATS_IO_PIO_OUT, 0x80);
	stats_close_exit(s, 1300);
	assert_false(s->pending);
	assert_int_equal(s->exits, 1);
	assert_int_equal(s->vmm_ns, 300);
	assert_int_equal(s->reasons[2].count, 1);
	assert_int_equal(s->reasons[2].buckets[8], 1); /* 256..511 */

	/* Every distinct key gets a slot until the table is full. */
	for (n = 0; n < STATS_IO_SLOTS + 10; n++) {
		s->pending = true;
		s->t_exit = 0;
		stats_note_io(s, STATS_IO_PIO_IN, n);
		stats_close_exit(s, 10);
	}
	for (i = 0; i < STATS_IO_SLOTS; i++) {
		assert_true(s->io[i].key != 0);
		total += s->io[i].h.count;
	}
	/* 0x80 out, then STATS_IO_SLOTS - 1 in-ports fit; the rest do not */
	assert_int_equal(total, STATS_IO_SLOTS);
	assert_int_equal(s->io_untracked, 11);
	assert_int_equal(STATS_IO_KIND(STATS_IO_KEY(STATS_IO_MMIO_RANGE, 5)),
			 STATS_IO_MMIO_RANGE);
	assert_int_equal(STATS_IO_VALUE(STATS_IO_KEY(STATS_IO_MMIO_RANGE, 5)),
			 5);
	free(s);
}

static void test_reason_names(void **state)
{
	char buf[48];

	assert_string_equal(stats_reason_name(2, buf, sizeof(buf)), "io");
	assert_string_equal(stats_reason_name(6, buf, sizeof(buf)), "mmio");
	assert_string_equal(stats_reason_name(5, buf, sizeof(buf)), "hlt");
	assert_string_equal(stats_reason_name(8, buf, sizeof(buf)), "shutdown");
	assert_string_equal(stats_reason_name(17, buf, sizeof(buf)),
			    "internal-error");
	assert_string_equal(stats_reason_name(63, buf, sizeof(buf)),
			    "reason-63");
}

/* A stats file's descriptor block, built like KVM lays it out. */
#define NAME_SIZE 48
#define STRIDE (sizeof(struct kvm_stats_desc) + NAME_SIZE)

static void put_desc(uint8_t *block, int i, const char *name, uint32_t flags,
		     uint16_t size, uint32_t offset)
{
	struct kvm_stats_desc d = { .flags = flags,
				    .exponent = 0,
				    .size = size,
				    .offset = offset,
				    .bucket_size = 0 };

	memcpy(block + i * STRIDE, &d, sizeof(d));
	memset(block + i * STRIDE + sizeof(d), 0, NAME_SIZE);
	memcpy(block + i * STRIDE + sizeof(d), name, strnlen(name, NAME_SIZE));
}

static void test_kvm_stats_parse(void **state)
{
	struct kvm_stats_header hdr = { .name_size = NAME_SIZE, .num_desc = 4 };
	uint8_t block[4 * STRIDE];
	struct errmsg err = { { 0 } };
	struct kvm_stats *st;

	put_desc(block, 0, "exits", KVM_STATS_TYPE_CUMULATIVE, 1, 0);
	put_desc(block, 1, "halt_wait_hist",
		 KVM_STATS_TYPE_LOG_HIST | KVM_STATS_UNIT_SECONDS, 32, 8);
	/* an unknown type is skipped, as QEMU skips it */
	put_desc(block, 2, "future", 0xf, 1, 264);
	put_desc(block, 3, "guest_mode",
		 KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN, 1, 272);
	assert_int_equal(kvm_stats_parse(&hdr, block, sizeof(block), &st, &err),
			 0);
	assert_int_equal(st->nr, 3);
	assert_string_equal(st->stats[0].name, "exits");
	assert_string_equal(st->stats[1].name, "halt_wait_hist");
	assert_int_equal(st->stats[1].size, 32);
	assert_string_equal(st->stats[2].name, "guest_mode");
	assert_int_equal(st->data_size, 280);
	assert_string_equal(kvm_stat_type_name(st->stats[1].flags),
			    "log2-histogram");
	assert_string_equal(kvm_stat_unit_name(st->stats[1].flags), "seconds");
	assert_null(kvm_stat_unit_name(st->stats[0].flags));
	assert_string_equal(kvm_stat_unit_name(st->stats[2].flags), "boolean");
	assert_int_equal(kvm_stat_base(KVM_STATS_BASE_POW2), 2);
	assert_int_equal(kvm_stat_base(KVM_STATS_BASE_POW10), 10);
	kvm_stats_free(st);

	/* the block is shorter than num_desc descriptors */
	assert_int_equal(kvm_stats_parse(&hdr, block, sizeof(block) - 1, &st,
					 &err),
			 -EINVAL);
	assert_null(st);

	/* a name that fills name_size has no NUL */
	memset(block + sizeof(struct kvm_stats_desc), 'x', NAME_SIZE);
	assert_int_equal(kvm_stats_parse(&hdr, block, sizeof(block), &st, &err),
			 -EINVAL);
	assert_non_null(strstr(err.text, "NUL"));
	put_desc(block, 0, "", KVM_STATS_TYPE_CUMULATIVE, 1, 0);
	assert_int_equal(kvm_stats_parse(&hdr, block, sizeof(block), &st, &err),
			 -EINVAL);

	/* values outside the data block, unaligned or empty */
	put_desc(block, 0, "exits", KVM_STATS_TYPE_CUMULATIVE, 1,
		 KVM_STATS_MAX_DATA);
	assert_int_equal(kvm_stats_parse(&hdr, block, sizeof(block), &st, &err),
			 -EINVAL);
	put_desc(block, 0, "exits", KVM_STATS_TYPE_CUMULATIVE, 1, 4);
	assert_int_equal(kvm_stats_parse(&hdr, block, sizeof(block), &st, &err),
			 -EINVAL);
	put_desc(block, 0, "exits", KVM_STATS_TYPE_CUMULATIVE, 0, 0);
	assert_int_equal(kvm_stats_parse(&hdr, block, sizeof(block), &st, &err),
			 -EINVAL);
	/* a scalar with several values */
	put_desc(block, 0, "exits", KVM_STATS_TYPE_CUMULATIVE, 2, 0);
	assert_int_equal(kvm_stats_parse(&hdr, block, sizeof(block), &st, &err),
			 -EINVAL);

	/* header bounds */
	put_desc(block, 0, "exits", KVM_STATS_TYPE_CUMULATIVE, 1, 0);
	hdr.num_desc = KVM_STATS_MAX_DESC + 1;
	assert_int_equal(kvm_stats_parse(&hdr, block, sizeof(block), &st, &err),
			 -EINVAL);
	hdr.num_desc = 1;
	hdr.name_size = KVM_STATS_MAX_NAME + 1;
	assert_int_equal(kvm_stats_parse(&hdr, block, sizeof(block), &st, &err),
			 -EINVAL);
	hdr.name_size = 0;
	assert_int_equal(kvm_stats_parse(&hdr, block, sizeof(block), &st, &err),
			 -EINVAL);
	/* no descriptors at all is fine */
	hdr.name_size = NAME_SIZE;
	hdr.num_desc = 0;
	assert_int_equal(kvm_stats_parse(&hdr, NULL, 0, &st, &err), 0);
	assert_int_equal(st->nr, 0);
	kvm_stats_free(st);
}

/* A real KVM stats file of this project's host (a fuzz seed), by fd. */
static void test_kvm_stats_open_host_file(void **state)
{
	const char *root = getenv("KVMSCOPE_SOURCE_ROOT");
	char path[512];
	uint8_t buf[16384];
	struct errmsg err = { { 0 } };
	struct kvm_stats *st;
	uint64_t *vals;
	ssize_t n;
	size_t i;
	int fd, mfd, found = 0;

	snprintf(path, sizeof(path), "%s/tests/fuzz/seeds/kvm_stats/host_vcpu",
		 root ? root : ".");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_true(n > 24);
	mfd = memfd_create("stats", 0);
	assert_int_equal(write(mfd, buf, n), n);
	assert_int_equal(kvm_stats_open(mfd, &st, &err), 0);
	assert_int_equal(st->nr, 47);
	vals = malloc(st->data_size);
	assert_non_null(vals);
	assert_int_equal(kvm_stats_read(st, vals, &err), 0);
	for (i = 0; i < st->nr; i++) {
		if (!strcmp(st->stats[i].name, "halt_wait_hist")) {
			assert_string_equal(
				kvm_stat_type_name(st->stats[i].flags),
				"log2-histogram");
			assert_int_equal(st->stats[i].exponent, -9);
			found++;
		}
		if (!strcmp(st->stats[i].name, "exits"))
			found++;
	}
	assert_int_equal(found, 2);
	free(vals);
	kvm_stats_free(st);
	close(mfd);
	/* a truncated file is refused, not read past */
	mfd = memfd_create("stats", 0);
	assert_int_equal(write(mfd, buf, 200), 200);
	assert_int_equal(kvm_stats_open(mfd, &st, &err), -EIO);
	close(mfd);
	assert_int_equal(kvm_stats_open(-1, &st, &err), -ENOTSUP);
}

static void nop_read(void *o, uint64_t off, uint8_t *d, uint32_t len)
{
}

static void nop_write(void *o, uint64_t off, const uint8_t *d, uint32_t len)
{
}

static const struct bus_ops nop_ops = { .read = nop_read, .write = nop_write };

static json_t *find_stat(json_t *stats, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(
		stats, i,
		e) if (!strcmp(json_string_value(json_object_get(e, "name")),
			       name)) return json_object_get(e, "value");
	return NULL;
}

/* MMIO regions named by the device that claimed them, in both outputs. */
static void test_query_stats_names_regions(void **state)
{
	static struct vm vm;
	struct vcpu *cpu = calloc(1, sizeof(*cpu));
	struct vcpu *cpus[1] = { cpu };
	struct api_ctx ctx = { .vm = &vm };
	struct errmsg err = { { 0 } };
	json_t *args, *ret = NULL, *stats;
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	assert_non_null(cpu);
	memset(&vm, 0, sizeof(vm));
	assert_int_equal(vm_init_bare(&vm), 0);
	bus_init(&vm.pio, "pio");
	bus_init(&vm.mmio, "mmio");
	assert_int_equal(bus_register(&vm.mmio, 0xfed00000, 0x1000, &nop_ops,
				      NULL, "hpet"),
			 0);
	vm.nr_vcpus = 1;
	vm.vcpus = cpus;
	cpu->vm = &vm;
	cpu->kvm_stats_fd = -1;
	stats_clock.enabled = true;
	stats_clock.tsc = false;
	stats_clock.mult = 1ULL << 32;

	/* two claimed accesses of 100 ns, one unclaimed of 3000 ns */
	cpu->stats.t_exit = 0;
	cpu->stats.pending = true;
	cpu->stats.reason = 6; /* KVM_EXIT_MMIO */
	stats_note_io(&cpu->stats, STATS_IO_MMIO_RANGE, 0);
	stats_close_exit(&cpu->stats, 100);
	cpu->stats.pending = true;
	stats_note_io(&cpu->stats, STATS_IO_MMIO_RANGE, 0);
	stats_close_exit(&cpu->stats, 100);
	cpu->stats.pending = true;
	stats_note_io(&cpu->stats, STATS_IO_MMIO_UNCLAIMED, 0xd0000);
	stats_close_exit(&cpu->stats, 3000);

	args = json_pack("{s:s, s:[{s:s}]}", "target", "vm", "providers",
			 "provider", "kvmscope");
	assert_int_equal(api_cmd_query_stats(&ctx, args, &ret, &err), 0);
	json_decref(args);
	assert_int_equal(json_array_size(ret), 1);
	stats = json_object_get(json_array_get(ret, 0), "stats");
	assert_int_equal(json_integer_value(find_stat(
				 stats, "mmio.hpet.0xfed00000.count")),
			 2);
	assert_int_equal(
		json_integer_value(json_array_get(
			find_stat(stats, "mmio.hpet.0xfed00000.latency-ns"),
			6)),
		2);
	assert_int_equal(json_integer_value(find_stat(
				 stats, "mmio.unclaimed.0xd0000000.count")),
			 1);
	assert_int_equal(json_integer_value(find_stat(stats, "exits")), 3);
	json_decref(ret);

	/* no binary stats here: kvm is left out unless asked for */
	args = json_pack("{s:s}", "target", "vcpu");
	assert_int_equal(api_cmd_query_stats(&ctx, args, &ret, &err), 0);
	json_decref(args);
	assert_int_equal(json_array_size(ret), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(ret, 0), "provider")),
			    "kvmscope");
	stats = json_object_get(json_array_get(ret, 0), "stats");
	assert_int_equal(
		json_integer_value(find_stat(stats, "exit.mmio.count")), 3);
	json_decref(ret);
	args = json_pack("{s:s, s:[{s:s}]}", "target", "vcpu", "providers",
			 "provider", "kvm");
	assert_int_equal(api_cmd_query_stats(&ctx, args, &ret, &err), -EIO);
	json_decref(args);

	mem = open_memstream(&text, &len);
	assert_non_null(mem);
	stats_print_table(&vm, mem);
	fclose(mem);
	assert_non_null(strstr(text, "exits: 3 total"));
	assert_non_null(strstr(text, "exits: MMIO "));
	assert_non_null(strstr(text, "exits: mmio hpet 0xfed00000 "));
	assert_non_null(strstr(text, "exits: mmio unclaimed 0xd0000000 "));
	free(text);
	free(cpu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_boundaries),
		cmocka_unit_test(test_hist_add_and_quantiles),
		cmocka_unit_test(test_exit_record_and_io_slots),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_kvm_stats_parse),
		cmocka_unit_test(test_kvm_stats_open_host_file),
		cmocka_unit_test(test_query_stats_names_regions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
