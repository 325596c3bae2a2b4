// SPDX-License-Identifier: GPL-2.0
/*
 * kvmscope's statistics provider: the out-of-line half of the hot path
 * (recording a finished exit), the readers' helpers and the --stats table.
 * See stats.h for the rules.
 */
#include <cpuid.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vmm/stats.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

struct stats_clock stats_clock = { .enabled = true, .mult = 1ULL << 32 };

/* CPUID.80000007H:EDX[8]: the TSC runs at a constant rate in all states. */
static bool tsc_invariant(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007)
		return false;
	__get_cpuid(0x80000007, &a, &b, &c, &d);
	return d & (1u << 8);
}

void stats_setup(long tsc_khz)
{
	const char *off = getenv("KVMSCOPE_NO_EXIT_STATS");

	stats_clock.enabled = !(off && *off && strcmp(off, "0"));
	if (tsc_khz > 0 && tsc_invariant()) {
		stats_clock.tsc = true;
		/* ns per tick = 1e6 / khz, as a 32.32 fixed-point factor. */
		stats_clock.mult = (uint64_t)((1000000ULL << 32) / tsc_khz);
	} else {
		stats_clock.tsc = false;
		stats_clock.mult = 1ULL << 32;
	}
	log_debug("exit statistics: %s, clock %s (TSC %ld kHz)",
		  stats_clock.enabled ? "on" : "off (KVMSCOPE_NO_EXIT_STATS)",
		  stats_clock.tsc ? "rdtsc" : "CLOCK_MONOTONIC", tsc_khz);
}

static struct stats_hist *io_hist(struct vcpu_stats *s, uint64_t key)
{
	/* Fibonacci hashing; linear probing over a table that never shrinks. */
	unsigned int i = (unsigned int)((key * 0x9E3779B97F4A7C15ULL) >> 56);
	unsigned int n;

	for (n = 0; n < STATS_IO_SLOTS; n++, i = (i + 1) % STATS_IO_SLOTS) {
		struct stats_io_slot *slot = &s->io[i];

		if (slot->key == key)
			return &slot->h;
		if (!slot->key) {
			/* The histogram is zero: publishing the key is enough. */
			__atomic_store_n(&slot->key, key, __ATOMIC_RELEASE);
			return &slot->h;
		}
	}
	return NULL;
}

void stats_close_exit(struct vcpu_stats *s, uint64_t now)
{
	uint64_t ns = stats_ticks_to_ns(now - s->t_exit);
	struct stats_hist *h;

	s->pending = false;
	__atomic_store_n(&s->exits, s->exits + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->vmm_ns, s->vmm_ns + ns, __ATOMIC_RELAXED);
	stats_hist_add(&s->reasons[s->reason < STATS_REASONS ? s->reason : 0],
		       ns);
	if (!s->io_key)
		return;
	h = io_hist(s, s->io_key);
	if (h)
		stats_hist_add(h, ns);
	else
		__atomic_store_n(&s->io_untracked, s->io_untracked + 1,
				 __ATOMIC_RELAXED);
}

void stats_hist_load(const struct stats_hist *h, struct stats_hist *out,
		     bool sum)
{
	uint64_t max = __atomic_load_n(&h->max_ns, __ATOMIC_RELAXED);
	int i;

	if (!sum)
		memset(out, 0, sizeof(*out));
	out->count += __atomic_load_n(&h->count, __ATOMIC_RELAXED);
	out->sum_ns += __atomic_load_n(&h->sum_ns, __ATOMIC_RELAXED);
	if (max > out->max_ns)
		out->max_ns = max;
	for (i = 0; i < STATS_BUCKETS; i++)
		out->buckets[i] +=
			__atomic_load_n(&h->buckets[i], __ATOMIC_RELAXED);
}

uint64_t stats_hist_quantile(const struct stats_hist *h, double q)
{
	uint64_t total = 0, seen = 0, lo, hi, v;
	double rank, frac;
	int i;

	for (i = 0; i < STATS_BUCKETS; i++)
		total += h->buckets[i];
	if (!total)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* The sample of rank ceil(q * total), 1-based. */
	rank = q * (double)total;
	if (rank < 1)
		rank = 1;
	for (i = 0; i < STATS_BUCKETS; i++) {
		if (!h->buckets[i] || (double)(seen + h->buckets[i]) < rank) {
			seen += h->buckets[i];
			continue;
		}
		lo = i ? 1ULL << i : 0;
		hi = i == STATS_BUCKETS - 1 ?
			     (h->max_ns > lo ? h->max_ns : lo) :
			     (1ULL << (i + 1)) - 1;
		frac = (rank - (double)seen) / (double)h->buckets[i];
		v = lo + (uint64_t)(frac * (double)(hi - lo));
		if (h->max_ns && v > h->max_ns)
			v = h->max_ns;
		return v;
	}
	return h->max_ns;
}

const char *stats_reason_name(uint32_t reason, char *buf, size_t size)
{
	const char *n = kvm_exit_reason_name(reason);
	size_t i;

	if (!strcmp(n, "?")) {
		snprintf(buf, size, "reason-%u", reason);
		return buf;
	}
	for (i = 0; n[i] && i + 1 < size; i++)
		buf[i] = n[i] == '_' ? '-' : tolower((unsigned char)n[i]);
	buf[i] = '\0';
	return buf;
}

/* Durations for people: 950 ns, 12.3 us, 4.5 ms, 2.1 s. */
static const char *fmt_ns(uint64_t ns, char *buf, size_t size)
{
	if (ns < 10000)
		snprintf(buf, size, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, size, "%.1f us", ns / 1e3);
	else if (ns < 1000000000ULL)
		snprintf(buf, size, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, size, "%.1f s", ns / 1e9);
	return buf;
}

static void print_row(FILE *out, const char *name, const struct stats_hist *h)
{
	char mean[24], p50[24], p99[24], max[24];

	fprintf(out, "exits: %-28s %10" PRIu64 " %10s %10s %10s %10s\n", name,
		h->count, fmt_ns(h->count ? h->sum_ns / h->count : 0, mean, 24),
		fmt_ns(stats_hist_quantile(h, 0.5), p50, 24),
		fmt_ns(stats_hist_quantile(h, 0.99), p99, 24),
		fmt_ns(h->max_ns, max, 24));
}

/* An I/O key's display name; mmio needs the VM's bus for the device. */
void stats_io_key_name(struct vm *vm, uint64_t key, char *buf, size_t size)
{
	uint64_t v = STATS_IO_VALUE(key);

	switch (STATS_IO_KIND(key)) {
	case STATS_IO_PIO_IN:
	case STATS_IO_PIO_OUT:
		snprintf(buf, size, "io 0x%" PRIx64 " %s", v,
			 STATS_IO_KIND(key) == STATS_IO_PIO_IN ? "in" : "out");
		break;
	case STATS_IO_MMIO_RANGE:
		if (v < (uint64_t)vm->mmio.nr_ranges)
			snprintf(buf, size, "mmio %s 0x%" PRIx64,
				 vm->mmio.ranges[v].name ?
					 vm->mmio.ranges[v].name :
					 "?",
				 vm->mmio.ranges[v].base);
		else
			snprintf(buf, size, "mmio range %" PRIu64, v);
		break;
	default:
		snprintf(buf, size, "mmio unclaimed 0x%" PRIx64, v << 12);
		break;
	}
}

static int io_sum_cmp(const void *a, const void *b)
{
	const struct stats_io_sum *x = a, *y = b;

	/* busiest first; equal counts by key, so output is deterministic */
	if (x->h.count != y->h.count)
		return x->h.count < y->h.count ? 1 : -1;
	return x->key < y->key ? -1 : x->key > y->key;
}

int stats_gather_io(struct vm *vm, struct stats_io_sum *sums, int max)
{
	int n = 0, c, i, j;

	for (c = 0; c < vm->nr_vcpus; c++) {
		struct vcpu_stats *s = &vm->vcpus[c]->stats;

		for (i = 0; i < STATS_IO_SLOTS; i++) {
			uint64_t key = __atomic_load_n(&s->io[i].key,
						       __ATOMIC_ACQUIRE);

			if (!key)
				continue;
			for (j = 0; j < n && sums[j].key != key; j++)
				;
			if (j == n) {
				if (n == max)
					continue;
				memset(&sums[n], 0, sizeof(sums[n]));
				sums[n++].key = key;
			}
			stats_hist_load(&s->io[i].h, &sums[j].h, true);
		}
	}
	if (n > 1)
		qsort(sums, n, sizeof(sums[0]), io_sum_cmp);
	return n;
}

#define TABLE_IO_ROWS 16

void stats_print_table(struct vm *vm, FILE *out)
{
	uint64_t exits = 0, guest = 0, vmm = 0;
	static struct stats_io_sum sums[STATS_IO_SLOTS];
	struct stats_hist h;
	char name[64], a[24], b[24];
	int c, r, n;

	if (!stats_clock.enabled) {
		fprintf(out,
			"exits: statistics are off (KVMSCOPE_NO_EXIT_STATS)\n");
		return;
	}
	for (c = 0; c < vm->nr_vcpus; c++) {
		struct vcpu_stats *s = &vm->vcpus[c]->stats;

		exits += __atomic_load_n(&s->exits, __ATOMIC_RELAXED);
		guest += __atomic_load_n(&s->guest_ns, __ATOMIC_RELAXED);
		vmm += __atomic_load_n(&s->vmm_ns, __ATOMIC_RELAXED);
	}
	fprintf(out,
		"exits: %" PRIu64
		" total; time in guest %s, in kvmscope %s (%.1f%% in guest)\n",
		exits, fmt_ns(guest, a, 24), fmt_ns(vmm, b, 24),
		guest + vmm ? 100.0 * guest / (guest + vmm) : 0.0);
	fprintf(out, "exits: %-28s %10s %10s %10s %10s %10s\n", "reason",
		"count", "mean", "p50", "p99", "max");
	for (r = 0; r < STATS_REASONS; r++) {
		memset(&h, 0, sizeof(h));
		for (c = 0; c < vm->nr_vcpus; c++)
			stats_hist_load(&vm->vcpus[c]->stats.reasons[r], &h,
					true);
		if (!h.count)
			continue;
		print_row(out, kvm_exit_reason_name(r), &h);
		for (c = 0; c < vm->nr_vcpus && vm->nr_vcpus > 1; c++) {
			stats_hist_load(&vm->vcpus[c]->stats.reasons[r], &h,
					false);
			if (!h.count)
				continue;
			snprintf(name, sizeof(name), "  cpu%d", c);
			print_row(out, name, &h);
		}
	}
	n = stats_gather_io(vm, sums, STATS_IO_SLOTS);
	if (n)
		fprintf(out, "exits: %-28s %10s %10s %10s %10s %10s\n",
			"port / MMIO region", "count", "mean", "p50", "p99",
			"max");
	for (r = 0; r < n && r < TABLE_IO_ROWS; r++) {
		stats_io_key_name(vm, sums[r].key, name, sizeof(name));
		print_row(out, name, &sums[r].h);
	}
	if (n > TABLE_IO_ROWS)
		fprintf(out,
			"exits: (%d more ports and regions: query-stats)\n",
			n - TABLE_IO_ROWS);
}
