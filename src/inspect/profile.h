/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest profiling without an agent: a timerfd on the main loop asks the
 * selected vCPUs for a sample N times a second (vcpu_request_sample: a
 * kick, a register read on the vCPU's own thread, no stop of the others);
 * samples become stacks "vcpuN;kernel|user;frame;...;frame" and are folded
 * into counts when the profile stops.
 */
#ifndef KVMSCOPE_INSPECT_PROFILE_H
#define KVMSCOPE_INSPECT_PROFILE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inspect/flamegraph.h"
#include "util/errmsg.h"

struct vm;
struct vcpu;

#define PROFILE_MIN_HZ 1
#define PROFILE_MAX_HZ 10000
#define PROFILE_MAX_FRAMES 64

/*
 * The stack of one sample, outermost frame first and the sampled RIP
 * last, into pcs (at most max); returns the number of frames. It runs on
 * the vCPU's thread with the vCPU out of KVM_RUN, so it may read guest
 * memory and registers. Without a walker a sample is its RIP alone; the
 * OS layer registers one that walks the guest kernel's stack.
 */
typedef int (*profile_stack_fn)(void *opaque, struct vcpu *vcpu,
				const struct kvm_regs *regs,
				const struct kvm_sregs *sregs, uint64_t *pcs,
				int max);
void profile_set_stack_walker(profile_stack_fn fn, void *opaque);
int profile_sample_frames(struct vcpu *vcpu, const struct kvm_regs *regs,
			  const struct kvm_sregs *sregs, uint64_t *pcs,
			  int max);

/* "kernel" (CPL 0-2, real mode) or "user" (CPL 3, virtual-8086). */
const char *profile_mode_name(const struct kvm_sregs *sregs);
/*
 * A frame's name: the symbolizer's name without offset or source line
 * ("spin_forever+0x12 at smp.c:40" -> "spin_forever"), with ';' and
 * blanks replaced (they separate folded frames and counts); without a
 * symbol the address rounded down to 16 bytes, "0xffffffff81001230".
 */
void profile_frame_name(uint64_t pc, char *buf, size_t size);
/* The same from a symbolizer's text (sym NULL or "" when none). */
void profile_frame_name_from(uint64_t pc, const char *sym, char *buf,
			     size_t size);

struct profile_func {
	char *name;
	uint64_t samples;
};

struct profile_result {
	struct folded *stacks; /* by count, most first */
	size_t nr_stacks;
	struct profile_func *funcs; /* leaf frames, by samples, most first */
	size_t nr_funcs;
	uint64_t samples; /* == sum of stacks[].count */
	uint64_t requested, dropped;
	int nr_vcpus;
	bool *selected; /* [nr_vcpus] */
	uint64_t *per_vcpu; /* [nr_vcpus] */
	double duration_s;
	unsigned int hz;
};

void profile_result_free(struct profile_result *r);

/* Fold raw stacks (tests, profile_stop): stacks[i] with one count each. */
int profile_fold(const char *const *stacks, size_t n, struct profile_result *r);

/* Main thread. cpus[nr_vcpus] selects the vCPUs to sample. */
int profile_start(struct vm *vm, unsigned int hz, const bool *cpus,
		  struct errmsg *err);
bool profile_running(void);
/* Stop sampling and fold what was taken into *r (caller frees). */
int profile_stop(struct vm *vm, struct profile_result *r, struct errmsg *err);

/* Write r's folded stacks ("a;b;c count" lines) to path, atomically. */
int profile_write_folded(const struct profile_result *r, const char *path,
			 struct errmsg *err);
/* Write r's flame graph SVG to path, atomically. */
int profile_write_svg(const struct profile_result *r, const char *path,
		      struct errmsg *err);

/*
 * The last profile that profile-stop wrote (stats-report draws it): keep
 * takes r over (r is emptied); NULL before the first.
 */
void profile_keep_result(struct profile_result *r);
const struct profile_result *profile_last_result(void);

#endif
