/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who stops the VM, what happens when it dies, and who hears about it.
 *
 * Holds. The VM is stopped while anyone holds it: the user (QMP 'stop',
 * --paused), a debugger (gdb's all-stop), a fatal end under --on-fatal
 * pause (never released), or kvmscope itself for a moment (a command
 * that pauses around itself; nests). Taking the first hold stops every
 * vCPU; dropping the last one resumes them. Each holder releases only its
 * own hold: QMP 'cont' refuses while another holder remains (the error
 * names it), and so does gdb's continue (it says who holds the VM and
 * keeps gdb's hold; see debug/gdb_run.c).
 * The --paused hold at start belongs to nobody in particular: the first
 * 'cont' or gdb continue drops it.
 *
 * Listeners. Run-state changes go to registered listeners with a reason:
 * STOP and RESUME on the transitions between running and stopped (not
 * for the internal hold, which is invisible to clients), FATAL when the
 * guest died and the VM stays for inspection, END once when the VM ends.
 * Listeners run on the main thread.
 *
 * Debug hook. A debugger registers one callback for debug exits
 * (KVM_EXIT_DEBUG, and an int3 that the host's emulator could not run);
 * the vCPU thread calls it and the core never names the debugger.
 */
#ifndef KVMSCOPE_VMM_RUNSTATE_H
#define KVMSCOPE_VMM_RUNSTATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/errmsg.h"

struct vcpu;
struct vm;

enum vm_holder {
	VM_HOLD_USER, /* QMP 'stop', --paused */
	VM_HOLD_DEBUGGER, /* gdb */
	VM_HOLD_FATAL, /* the guest died, --on-fatal pause */
	VM_HOLD_INTERNAL, /* a command pausing around itself */
	VM_HOLD_START, /* --paused: released by whoever resumes first */
	VM_NR_HOLDERS,
};

/* "user (QMP stop)", "gdb", "fatal", "internal": for messages. */
const char *vm_holder_name(enum vm_holder who);

/* What --on-fatal asked for. */
enum vm_on_fatal {
	VM_ON_FATAL_EXIT,
	VM_ON_FATAL_PAUSE,
};

enum vm_state_kind {
	VM_STATE_STOP, /* running -> stopped */
	VM_STATE_RESUME, /* stopped -> running */
	VM_STATE_FATAL, /* the guest died; the VM stays, held */
	VM_STATE_END, /* the VM ends now (the last event) */
};

struct vm_state_event {
	enum vm_state_kind kind;
	/* STOP/RESUME: whose hold caused it. */
	enum vm_holder holder;
	/*
	 * STOP: "user", "debug", "fatal". END: QEMU's SHUTDOWN reason
	 * ("guest-shutdown", "guest-reset", "guest-panic", "host-qmp-quit",
	 * "host-signal", "host-error"). FATAL: "triple-fault", "halted",
	 * "internal-error", "fail-entry", "guest-panic" (pvpanic).
	 */
	const char *reason;
	bool guest; /* END: the guest caused it */
	/* FATAL: QEMU's run state ("shutdown", "guest-panicked", "internal-error"). */
	const char *run_state;
	int status; /* END, FATAL: the exit status */
	const char *why; /* END, FATAL: one line */
	int cpu; /* FATAL: the vCPU it happened on, -1: none or every vCPU */
};

typedef void (*vm_state_fn)(void *opaque, const struct vm_state_event *ev);

/* Main thread, before vm_run or from a callback. -ENOSPC when full. */
int vm_add_state_listener(struct vm *vm, vm_state_fn fn, void *opaque);
void vm_remove_state_listener(struct vm *vm, vm_state_fn fn, void *opaque);

/*
 * Main thread: take who's hold. The first hold stops every vCPU (and
 * tells the listeners STOP unless who is VM_HOLD_INTERNAL, which nests).
 * Returns once every vCPU is parked outside KVM_RUN.
 */
void vm_hold(struct vm *vm, enum vm_holder who);
/*
 * Main thread: drop who's hold; the VM resumes (RESUME to listeners)
 * when no hold is left. Returns the set of holds that remain (bit per
 * enum vm_holder, internal excluded), 0 when the VM runs again.
 */
unsigned int vm_unhold(struct vm *vm, enum vm_holder who);
/* The holds taken now (bit per enum vm_holder, internal excluded). */
unsigned int vm_holds(struct vm *vm);
/*
 * 0 when dropping who's hold would resume the VM; else -EBUSY with err
 * naming the holders that remain and how to release them (used to
 * refuse QMP 'cont'). "what" names the request ("cont").
 */
int vm_check_resumable(struct vm *vm, enum vm_holder who, const char *what,
		       struct errmsg *err);

/* The guest died and the VM was kept (--on-fatal pause). */
bool vm_is_dead(struct vm *vm);
/*
 * The death, when vm_is_dead: QEMU run state, reason word, status, why,
 * vCPU. Any pointer may be NULL.
 */
void vm_death(struct vm *vm, const char **run_state, const char **reason,
	      int *status, const char **why, int *cpu);

/*
 * Debug exits. fn returns true when it consumed the event (see
 * gdbstub.h); without a hook, vm_debug_exit returns false.
 */
typedef bool (*vm_debug_exit_fn)(void *opaque, struct vcpu *vcpu,
				 bool from_int3);
void vm_set_debug_hook(struct vm *vm, vm_debug_exit_fn fn, void *opaque);
/* vCPU thread. */
bool vm_debug_exit(struct vcpu *vcpu, bool from_int3);

/*
 * Sampling (the profiler): vcpu_request_sample() asks a running vCPU for
 * its registers without stopping the others; its thread leaves KVM_RUN,
 * reads them and calls the sample hook from inside its loop, then runs
 * on. fn runs on the vCPU thread (one call at a time per vCPU, calls of
 * different vCPUs concurrently); opaque must outlive the VM. Requests
 * made while the vCPU is parked are answered after it resumes. While a
 * hook is set, KVM copies each vCPU's registers into kvm_run at every
 * KVM_RUN return (KVM_CAP_SYNC_REGS), so answering costs no ioctl; NULL
 * removes the hook and that copy.
 */
typedef void (*vm_sample_fn)(void *opaque, struct vcpu *vcpu,
			     const struct kvm_regs *regs,
			     const struct kvm_sregs *sregs);
void vm_set_sample_hook(struct vm *vm, vm_sample_fn fn, void *opaque);
/* Main thread: request one sample (requests not answered yet coalesce). */
void vcpu_request_sample(struct vcpu *vcpu);

#endif
