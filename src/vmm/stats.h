/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmscope's own statistics provider ("kvmscope" in query-stats), always on:
 * per vCPU, every KVM_RUN return is counted by exit reason, and the time
 * from KVM_RUN returning to the next KVM_RUN (what kvmscope spent on the
 * exit) goes into a log2 histogram, per reason and, for I/O, per port and
 * direction and per MMIO region (the bus range that claimed it, or the
 * 4 KiB page of an unclaimed access). Time inside KVM_RUN is guest time;
 * time parked (the VM paused) is neither. Reasons never seen have no
 * entries in query-stats (query-stats-schemas lists them all).
 *
 * Hot path: no locks. A vCPU's record is written only by its own thread
 * (plain read-modify-write, relaxed atomic stores); readers on other
 * threads use relaxed atomic 64-bit loads, so every value they see is one
 * the writer stored (never torn), though a histogram read while the vCPU
 * runs may be a few exits ahead of or behind its count.
 *
 * Histogram buckets (STATS_BUCKETS of them): bucket i counts durations d in
 * nanoseconds with 2^i <= d < 2^(i+1); bucket 0 also takes d < 2, and the
 * last bucket is open-ended (d >= 2^31 ns). This is NOT KVM's log2
 * convention (KVM: bucket 0 is d = 0, bucket i >= 1 is 2^(i-1) <= d < 2^i).
 *
 * Clock: rdtsc converted with KVM_GET_TSC_KHZ when the host's TSC is
 * invariant (measured here: rdtsc 8 ns, clock_gettime 17.6 ns through the
 * vDSO), else CLOCK_MONOTONIC.
 *
 * KVMSCOPE_NO_EXIT_STATS=1 in the environment turns the provider off (a
 * benchmark knob: bench/exit-latency measures kvmscope with and without it).
 */
#ifndef KVMSCOPE_VMM_STATS_H
#define KVMSCOPE_VMM_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

#define STATS_BUCKETS 32
#define STATS_REASONS 64 /* KVM_EXIT_* below this are counted */
#define STATS_IO_SLOTS 256 /* distinct ports/regions tracked per vCPU */

struct stats_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t max_ns;
	uint64_t buckets[STATS_BUCKETS];
};

/* What an I/O exit touched: kind in bits 56-59, the rest below. */
enum stats_io_kind {
	STATS_IO_NONE = 0,
	STATS_IO_PIO_IN = 1, /* port in bits 0-15 */
	STATS_IO_PIO_OUT = 2,
	STATS_IO_MMIO_RANGE = 3, /* index into vm->mmio.ranges[] */
	STATS_IO_MMIO_UNCLAIMED = 4, /* guest physical page number */
};

#define STATS_IO_KEY(kind, v) (((uint64_t)(kind) << 56) | (uint64_t)(v))
#define STATS_IO_KIND(key) ((enum stats_io_kind)(((key) >> 56) & 0xf))
#define STATS_IO_VALUE(key) ((key) & ((1ULL << 56) - 1))

struct stats_io_slot {
	uint64_t key; /* 0: free; published with a release store */
	struct stats_hist h;
};

struct vcpu_stats {
	/* Written by the vCPU thread only. */
	uint64_t t_run; /* ticks at the last KVM_RUN entry */
	uint64_t t_exit; /* ticks when it returned */
	uint32_t reason; /* of the exit being handled */
	bool pending; /* an exit is being handled */
	uint64_t io_key; /* set by the exit handler, 0: none */

	/* Read by any thread (relaxed atomic loads). */
	uint64_t exits;
	uint64_t guest_ns;
	uint64_t vmm_ns;
	uint64_t io_untracked; /* I/O exits past STATS_IO_SLOTS keys */
	struct stats_hist reasons[STATS_REASONS];
	struct stats_io_slot io[STATS_IO_SLOTS];
};

/* Process-wide clock set-up, once before any vCPU runs. */
struct stats_clock {
	bool enabled; /* false with KVMSCOPE_NO_EXIT_STATS=1 */
	bool tsc; /* ticks are TSC cycles, else nanoseconds */
	uint64_t mult; /* ns = ticks * mult >> 32 */
};
extern struct stats_clock stats_clock;

/*
 * Read the environment and pick the clock. tsc_khz is the host TSC rate
 * (KVM_GET_TSC_KHZ on a vCPU), 0 when unknown. Idempotent.
 */
void stats_setup(long tsc_khz);

static inline uint64_t stats_ticks(void)
{
	struct timespec ts;

	if (stats_clock.tsc)
		return __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline uint64_t stats_ticks_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * stats_clock.mult) >> 32);
}

/* Bucket of a duration in ns (see the top of this file). */
static inline unsigned int stats_bucket(uint64_t ns)
{
	unsigned int b = 63 - __builtin_clzll(ns | 1);

	return b < STATS_BUCKETS ? b : STATS_BUCKETS - 1;
}

/* Single writer: plain arithmetic, stores readers may load atomically. */
static inline void stats_hist_add(struct stats_hist *h, uint64_t ns)
{
	unsigned int b = stats_bucket(ns);

	__atomic_store_n(&h->buckets[b], h->buckets[b] + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&h->sum_ns, h->sum_ns + ns, __ATOMIC_RELAXED);
	if (ns > h->max_ns)
		__atomic_store_n(&h->max_ns, ns, __ATOMIC_RELAXED);
	__atomic_store_n(&h->count, h->count + 1, __ATOMIC_RELAXED);
}

/* Out of line: the I/O slot lookup and the record of a finished exit. */
void stats_close_exit(struct vcpu_stats *s, uint64_t now);

/* vCPU thread, right before KVM_RUN (and once more when it leaves). */
static inline void stats_before_run(struct vcpu_stats *s)
{
	uint64_t now;

	if (!stats_clock.enabled)
		return;
	now = stats_ticks();
	if (s->pending)
		stats_close_exit(s, now);
	s->t_run = now;
}

/* vCPU thread, right after KVM_RUN returned (reason: run->exit_reason). */
static inline void stats_after_run(struct vcpu_stats *s, uint32_t reason)
{
	uint64_t now;

	if (!stats_clock.enabled)
		return;
	now = stats_ticks();
	__atomic_store_n(&s->guest_ns,
			 s->guest_ns + stats_ticks_to_ns(now - s->t_run),
			 __ATOMIC_RELAXED);
	s->t_exit = now;
	s->reason = reason;
	s->io_key = 0;
	s->pending = true;
}

/* Exit handlers: name what the exit being handled touched. */
static inline void stats_note_io(struct vcpu_stats *s, enum stats_io_kind kind,
				 uint64_t value)
{
	s->io_key = STATS_IO_KEY(kind, value);
}

/*
 * Readers, from any thread. A snapshot of one histogram (relaxed loads);
 * sum: add into out instead of overwriting it.
 */
void stats_hist_load(const struct stats_hist *h, struct stats_hist *out,
		     bool sum);
/*
 * Duration at quantile q (0..1) from the buckets, interpolating linearly
 * inside the bucket that holds it and never above max_ns. 0 when empty.
 */
uint64_t stats_hist_quantile(const struct stats_hist *h, double q);
/* The lowercase name of a KVM_EXIT_* reason ("io", "internal-error"). */
const char *stats_reason_name(uint32_t reason, char *buf, size_t size);

struct vm;
/* --stats: the provider as a table (per reason, ports, MMIO regions). */
void stats_print_table(struct vm *vm, FILE *out);

/* Every vCPU's I/O slots summed per key (port, MMIO range or page). */
struct stats_io_sum {
	uint64_t key;
	struct stats_hist h;
};

/* Up to max keys into sums, busiest first; returns how many. */
int stats_gather_io(struct vm *vm, struct stats_io_sum *sums, int max);
/* "io 0x80 out", "mmio <device> 0x<base>", "mmio unclaimed 0x<page>". */
void stats_io_key_name(struct vm *vm, uint64_t key, char *buf, size_t size);

#endif
