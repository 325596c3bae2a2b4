/* SPDX-License-Identifier: GPL-2.0 */
/* A vCPU: its fd, kvm_run page, host thread and KVM_RUN loop. */
#ifndef KVMSCOPE_VMM_VCPU_H
#define KVMSCOPE_VMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/pagewalk.h"
#include "util/errmsg.h"
#include "vmm/diag.h"
#include "vmm/stats.h"

struct vm;
struct kvm_stats;

/* What the halt watchdog learned when it last probed a quiet vCPU. */
enum vcpu_idle {
	VCPU_IDLE_UNKNOWN = 0,
	VCPU_IDLE_RUNNING, /* runnable (or halted with interrupts on) */
	VCPU_IDLE_HALTED_NOIRQ, /* halted with RFLAGS.IF = 0 */
	VCPU_IDLE_WAIT_SIPI, /* AP not started yet (INIT / wait-for-SIPI) */
};

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	int tid; /* host thread id */
	int exited; /* atomic: the thread left its loop */
	/*
	 * atomic: keep running while the VM is paused (the gdb stub steps one
	 * vCPU this way while the others stay parked). See vm_release_vcpus.
	 */
	int run_while_paused;

	/*
	 * Exits that reached user space (not KVM_RUN's -EINTR), written only
	 * by this vCPU's thread, read by the watchdog with __atomic loads.
	 */
	uint64_t exits;
	/* The provider's record (stats.h); written only by this thread. */
	struct vcpu_stats stats;
	int kvm_stats_fd; /* KVM_GET_STATS_FD, -1 without */
	struct kvm_stats *kvm_stats; /* its descriptors, read at first use */

	/* Watchdog probe: main sets probe_req then kicks; vCPU answers. */
	int probe_req; /* atomic */
	uint64_t probe_gen_req; /* atomic */
	uint64_t probe_gen_done; /* atomic */
	int idle; /* atomic, enum vcpu_idle */
	struct vcpu_snapshot idle_snap; /* valid when idle == HALTED_NOIRQ */
	uint64_t watch_exits; /* main thread only */

	/* Profiler sample: main sets sample_req then kicks (runstate.h). */
	int sample_req; /* atomic */

	/* Emulator fallbacks log once per RIP. */
	uint64_t logged_rips[16];
	int nr_logged_rips;
};

int vcpu_create(struct vm *vm, int id, struct vcpu **out);
void vcpu_destroy(struct vcpu *vcpu);
int vcpu_start(struct vcpu *vcpu);
/* Make the vCPU leave KVM_RUN soon (immediate_exit + signal). */
void vcpu_kick(struct vcpu *vcpu);
/* The vCPU the calling thread runs; NULL outside vCPU threads. */
struct vcpu *vcpu_self(void);
void vcpu_join(struct vcpu *vcpu);
/* Install the (empty) kick signal handler; once per process. */
void vcpu_signals_init(void);

/* Exit dispatch (exits.c): returns false when the VM must end. */
bool vcpu_handle_exit(struct vcpu *vcpu);
/* Emulation-failure fallbacks (fallback.c): true when completed. */
bool vcpu_try_emulation_fallback(struct vcpu *vcpu);

const char *kvm_exit_reason_name(uint32_t reason);

/*
 * KVM_GET_MSRS or KVM_SET_MSRS (req) of one MSR: *data is read or written.
 * False when KVM refuses it. vCPU thread, or any thread while paused.
 */
bool vcpu_msr(struct vcpu *vcpu, unsigned long req, uint32_t index,
	      uint64_t *data);

/*
 * Read up to len instruction bytes at CS:rip (vCPU thread only: uses
 * KVM_TRANSLATE). Returns the number read; note says why it stopped short.
 */
int vcpu_read_code(struct vcpu *vcpu, const struct kvm_sregs *sregs,
		   uint64_t rip, uint8_t *buf, int len, uint64_t *first_gpa,
		   char *note, size_t note_size);

/*
 * The page walker's view of a stopped vCPU (or from its own thread): its
 * control registers (returned in s) plus the physical address width and
 * 1 GiB page support KVM offers guests.
 */
int vcpu_paging_ctx(struct vcpu *vcpu, struct kvm_sregs *s,
		    struct paging_ctx *pc, struct errmsg *err);

/*
 * Deliver exception vector (0-31) to the guest on its next entry, as the
 * CPU would have raised it. -EBUSY when an event is already in flight
 * (never stacked on top of one). vCPU thread, or any thread while paused.
 */
int vcpu_inject_exception(struct vcpu *vcpu, unsigned int vector,
			  bool has_error_code, uint32_t error_code);

/*
 * Deliver vector n (0-255) through the IDT as an injected interrupt (no
 * error code, as INT n delivers it), with the same rules as above.
 */
int vcpu_inject_interrupt(struct vcpu *vcpu, unsigned int vector);

#endif
