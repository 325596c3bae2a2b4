/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel exits: the kvm:kvm_exit / kvm:kvm_entry tracepoints of a set of
 * host threads (this VM's vCPU threads), read through perf_event_open on
 * the tracepoints (one ring buffer per thread, all of its events in it, in
 * order), so exits KVM handles itself (CPUID, MSR, HLT, page faults,
 * interrupts) are counted and timed per reason: from kvm_exit to the next
 * kvm_entry of the same thread, in log2 histograms.
 *
 * perf events die with their fds, so nothing outlives kvmscope (no tracefs
 * instance to remove, even after SIGKILL). tracefs is still needed for the
 * tracepoints' ids and formats. A reader thread drains the buffers; the
 * vCPU threads do nothing for it.
 */
#ifndef KVMSCOPE_VMM_KTRACE_H
#define KVMSCOPE_VMM_KTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"

#define KTRACE_BUCKETS 32 /* bucket i: 2^i <= ns < 2^(i+1) */
#define KTRACE_MAX_REASONS 96
#define KTRACE_MAX_SYMS 256
#define KTRACE_MAX_EXTRA 16

/* One __print_symbolic table of a tracepoint's print format. */
struct ktrace_symtab {
	int nr;
	struct {
		int64_t value;
		char name[32];
	} sym[KTRACE_MAX_SYMS];
};

/* What kvmscope needs of kvm:kvm_exit's format file. */
struct ktrace_exit_format {
	int id;
	int reason_off, reason_size;
	int isa_off; /* -1: no isa field */
	bool has_vmx_table; /* "(REC->isa == 1) ? __print_symbolic(...)" */
	struct ktrace_symtab vmx; /* isa == 1, reason & 0xffff */
	struct ktrace_symtab other; /* the remaining table (SVM's) */
};

/*
 * Parse a format file's text. Returns 0, or -EINVAL with err set when the
 * fields kvmscope needs are missing.
 */
int ktrace_parse_exit_format(const char *text, struct ktrace_exit_format *f,
			     struct errmsg *err);
/* "ID: N" of a format file; -1 when absent. */
int ktrace_format_id(const char *text);
/* Field offset (and size) by name; -1 when absent. */
int ktrace_format_field(const char *text, const char *name, int *size);
/*
 * The reason's name: the format's symbol ("HLT", "npf"), else
 * "isa<I>-<N>" (or "<N>" without an isa field). Writes into buf.
 */
const char *ktrace_reason_name(const struct ktrace_exit_format *f, uint32_t isa,
			       uint32_t reason, char *buf, size_t size);

/* The log2 bucket of a duration. */
int ktrace_bucket(uint64_t ns);

struct ktrace_reason {
	uint32_t isa, code;
	uint64_t count; /* kvm_exit records */
	uint64_t timed; /* paired with a kvm_entry: the histogram's total */
	uint64_t sum_ns;
	uint64_t max_ns;
	uint64_t hist[KTRACE_BUCKETS];
};

/* One thread's tallies (a copy, from ktrace_snapshot). */
struct ktrace_thread {
	int tid;
	int nr_reasons;
	struct ktrace_reason reasons[KTRACE_MAX_REASONS];
	uint64_t exits, entries;
	uint64_t lost; /* records the kernel dropped (buffer full) */
	uint64_t extra[KTRACE_MAX_EXTRA]; /* counts of ktrace_extra_name(i) */
	/* Pairing state (reader thread). */
	bool pending;
	uint32_t pend_isa, pend_code;
	uint64_t pend_ns;
};

struct ktrace;

/*
 * Start tracing the threads tids[0..n). events: the other kvm tracepoints
 * to count: NULL or "none", "default" (kvm_cpuid, kvm_msr, kvm_pio, ...),
 * "all" (also kvm_emulate_insn, kvm_fpu) or "kvm_a,kvm_b".
 * -errno with err naming why (no tracefs, not root, no kvm tracepoints, an
 * unknown event) and what to do.
 */
int ktrace_start(const int *tids, int n, const char *events,
		 struct ktrace **out, struct errmsg *err);
/* Stop reading, close every perf fd, free. NULL is fine. */
void ktrace_stop(struct ktrace *kt);
/* How many threads are traced. */
int ktrace_threads(struct ktrace *kt);
/* Copy of thread i's tallies (0 <= i < n); false when out of range. */
bool ktrace_snapshot(struct ktrace *kt, int i, struct ktrace_thread *out);
const struct ktrace_exit_format *ktrace_format(struct ktrace *kt);
/* Seconds since ktrace_start. */
double ktrace_elapsed(struct ktrace *kt);
/* The extra tracepoints counted (kvm_cpuid, kvm_msr, ...); "" past them. */
int ktrace_extra_count(struct ktrace *kt);
const char *ktrace_extra_name(struct ktrace *kt, int i);
/* The tracefs directory in use. */
const char *ktrace_tracefs(void);

/*
 * Feed one raw tracepoint record (what PERF_SAMPLE_RAW carries) at time
 * ns to thread t (for tests and the reader). entry_id is kvm_entry's id.
 */
void ktrace_account(const struct ktrace_exit_format *f, int entry_id,
		    const int *extra_ids, int nr_extra, struct ktrace_thread *t,
		    const uint8_t *raw, size_t size, uint64_t ns);

/*
 * Read the records between a perf ring's data_tail and data_head (meta is
 * its first page, data its ring_size bytes, a power of two; scratch holds
 * a record that wraps, 64 KiB), account them to t and advance data_tail.
 */
void ktrace_read_ring(void *meta, uint8_t *data, size_t ring_size,
		      uint8_t *scratch, const struct ktrace_exit_format *f,
		      int entry_id, struct ktrace_thread *t);

#endif
