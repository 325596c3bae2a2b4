// SPDX-License-Identifier: GPL-2.0
/*
 * Pausing (the mechanism: vCPU threads park outside KVM_RUN), holds on top
 * of it, death kept for inspection, state listeners and the debug hook.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "vmm/exit_status.h"
#include "vmm/kvm.h"
#include "vmm/kvm_hooks.h"
#include "vmm/runstate.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

static const char *const holder_names[VM_NR_HOLDERS] = {
	[VM_HOLD_USER] = "the user (QMP 'stop' or --paused)",
	[VM_HOLD_DEBUGGER] = "gdb",
	[VM_HOLD_FATAL] = "the guest's death",
	[VM_HOLD_INTERNAL] = "kvmscope (a command in progress)",
	[VM_HOLD_START] = "--paused",
	[VM_HOLD_SUSPEND] = "the guest's ACPI S3 sleep",
};

/* STOP reasons, by holder. */
static const char *const stop_reasons[VM_NR_HOLDERS] = {
	[VM_HOLD_USER] = "user",   [VM_HOLD_DEBUGGER] = "debug",
	[VM_HOLD_FATAL] = "fatal", [VM_HOLD_INTERNAL] = "internal",
	[VM_HOLD_START] = "start",
	[VM_HOLD_SUSPEND] = "suspend",
};

const char *vm_holder_name(enum vm_holder who)
{
	return who < VM_NR_HOLDERS ? holder_names[who] : "?";
}

bool vm_vcpu_must_park(struct vm *vm, struct vcpu *vcpu)
{
	return vm_is_paused(vm) &&
	       !__atomic_load_n(&vcpu->run_while_paused, __ATOMIC_SEQ_CST);
}

void vm_park_vcpu(struct vm *vm, struct vcpu *vcpu)
{
	pthread_mutex_lock(&vm->pause_lock);
	vm->nr_parked++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (vm_vcpu_must_park(vm, vcpu) && !vm_is_stopping(vm))
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->nr_parked--;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

static int running_vcpus(struct vm *vm)
{
	int i, n = 0;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->thread_started &&
		    !__atomic_load_n(&vm->vcpus[i]->exited, __ATOMIC_SEQ_CST))
			n++;
	return n;
}

void vm_pause(struct vm *vm)
{
	bool requested =
		__atomic_exchange_n(&vm->pause_req, 1, __ATOMIC_SEQ_CST);
	int i;

	/*
	 * Kick whatever still runs: everything on a new pause, the vCPUs
	 * released alone otherwise. A vCPU thread may have requested the
	 * pause itself (the gdb stub's all-stop, which kicks the others):
	 * wait for the parking all the same.
	 */
	for (i = 0; i < vm->nr_vcpus; i++)
		if (__atomic_exchange_n(&vm->vcpus[i]->run_while_paused, 0,
					__ATOMIC_SEQ_CST) ||
		    !requested)
			vcpu_kick(vm->vcpus[i]);
	/*
	 * Wait for every live thread to park. A thread that leaves its loop
	 * instead (the VM is ending, or its vCPU died) counts as stopped: it
	 * broadcasts too.
	 */
	pthread_mutex_lock(&vm->pause_lock);
	while (vm->nr_parked < running_vcpus(vm))
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	pthread_mutex_unlock(&vm->pause_lock);
	/* Device threads stop touching guest RAM too (kvm_hooks.c). */
	kvm_hooks_run_state(vm, false);
}

void vm_resume(struct vm *vm)
{
	kvm_hooks_run_state(vm, true);
	pthread_mutex_lock(&vm->pause_lock);
	__atomic_store_n(&vm->pause_req, 0, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

void vm_release_vcpus(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

bool vm_is_paused(struct vm *vm)
{
	return __atomic_load_n(&vm->pause_req, __ATOMIC_SEQ_CST);
}

int vm_add_state_listener(struct vm *vm, vm_state_fn fn, void *opaque)
{
	if (vm->nr_listeners == VM_MAX_STATE_LISTENERS)
		return -ENOSPC;
	vm->listeners[vm->nr_listeners].fn = fn;
	vm->listeners[vm->nr_listeners].opaque = opaque;
	vm->nr_listeners++;
	return 0;
}

void vm_remove_state_listener(struct vm *vm, vm_state_fn fn, void *opaque)
{
	int i;

	for (i = 0; i < vm->nr_listeners; i++) {
		if (vm->listeners[i].fn != fn ||
		    vm->listeners[i].opaque != opaque)
			continue;
		memmove(&vm->listeners[i], &vm->listeners[i + 1],
			(vm->nr_listeners - i - 1) * sizeof(vm->listeners[0]));
		vm->nr_listeners--;
		return;
	}
}

void vm_notify_state(struct vm *vm, const struct vm_state_event *ev)
{
	int i;

	for (i = 0; i < vm->nr_listeners; i++)
		vm->listeners[i].fn(vm->listeners[i].opaque, ev);
}

static void notify_transition(struct vm *vm, enum vm_state_kind kind,
			      enum vm_holder who)
{
	struct vm_state_event ev = {
		.kind = kind,
		.holder = who,
		.reason = stop_reasons[who],
		.cpu = -1,
	};

	vm_notify_state(vm, &ev);
}

unsigned int vm_holds(struct vm *vm)
{
	return vm->holds;
}

/* Holds clients see as STOP/RESUME: not the internal or suspend ones. */
static bool silent_holder(enum vm_holder who)
{
	return who == VM_HOLD_INTERNAL || who == VM_HOLD_SUSPEND;
}

void vm_hold(struct vm *vm, enum vm_holder who)
{
	bool stopped = vm->holds || vm->internal_holds;
	bool visible = vm->holds & ~(1u << VM_HOLD_SUSPEND);

	if (who == VM_HOLD_INTERNAL)
		vm->internal_holds++;
	else
		vm->holds |= 1u << who;
	if (!stopped)
		vm_pause(vm);
	if (!visible && !silent_holder(who))
		notify_transition(vm, VM_STATE_STOP, who);
}

unsigned int vm_unhold(struct vm *vm, enum vm_holder who)
{
	if (who == VM_HOLD_INTERNAL) {
		if (!vm->internal_holds)
			return vm->holds;
		vm->internal_holds--;
	} else {
		unsigned int mine = 1u << who;

		/* Whoever resumes first also ends the --paused hold. */
		if (who == VM_HOLD_USER || who == VM_HOLD_DEBUGGER)
			mine |= 1u << VM_HOLD_START;
		if (!(vm->holds & mine))
			return vm->holds;
		vm->holds &= ~mine;
	}
	if (vm->holds || vm->internal_holds)
		return vm->holds;
	vm_resume(vm);
	if (!silent_holder(who))
		notify_transition(vm, VM_STATE_RESUME, who);
	return 0;
}

int vm_check_resumable(struct vm *vm, enum vm_holder who, const char *what,
		       struct errmsg *err)
{
	unsigned int others = vm->holds & ~(1u << who) & ~(1u << VM_HOLD_START);

	if (others & (1u << VM_HOLD_FATAL))
		return errmsg_set(
			err, EBUSY,
			"'%s' refused: the guest is dead (%s: %s); inspect it, then 'quit' ends kvmscope with status %d",
			what,
			vm->dead_status == KS_STATUS_TRIPLE_FAULT ?
				"triple fault" :
			vm->dead_status == KS_STATUS_GUEST_PANIC ?
				"guest panic" :
				"fatal exit",
			vm->dead_why, vm->dead_status);
	if (others & (1u << VM_HOLD_SUSPEND))
		return errmsg_set(
			err, EBUSY,
			"'%s' refused: the guest is suspended (ACPI S3); its RTC alarm or 'system_wakeup' wakes it",
			what);
	if (others & (1u << VM_HOLD_DEBUGGER))
		return errmsg_set(
			err, EBUSY,
			"'%s' refused: the VM is held stopped by gdb; continue or detach in gdb",
			what);
	if (others & (1u << VM_HOLD_USER))
		return errmsg_set(
			err, EBUSY,
			"'%s' refused: the VM is held stopped by the user (QMP 'stop'); 'cont' on the control socket resumes it",
			what);
	return 0;
}

bool vm_is_dead(struct vm *vm)
{
	return vm->dead;
}

/* Fatal statuses: QEMU's run state and the reason word. */
static const struct {
	int status;
	const char *run_state, *reason;
} fatal_kinds[] = {
	{ KS_STATUS_TRIPLE_FAULT, "shutdown", "triple-fault" },
	{ KS_STATUS_HALTED, "guest-panicked", "halted" },
	{ KS_STATUS_FAIL_ENTRY, "internal-error", "fail-entry" },
	{ KS_STATUS_INTERNAL_ERROR, "internal-error", "internal-error" },
	{ KS_STATUS_GUEST_PANIC, "guest-panicked", "guest-panic" },
};

bool vm_status_is_fatal(int status)
{
	size_t i;

	for (i = 0; i < sizeof(fatal_kinds) / sizeof(fatal_kinds[0]); i++)
		if (fatal_kinds[i].status == status)
			return true;
	return false;
}

void vm_death(struct vm *vm, const char **run_state, const char **reason,
	      int *status, const char **why, int *cpu)
{
	const char *rs = "running", *re = "";
	size_t i;

	for (i = 0;
	     vm->dead && i < sizeof(fatal_kinds) / sizeof(fatal_kinds[0]);
	     i++) {
		if (fatal_kinds[i].status != vm->dead_status)
			continue;
		rs = fatal_kinds[i].run_state;
		re = fatal_kinds[i].reason;
	}
	if (run_state)
		*run_state = rs;
	if (reason)
		*reason = re;
	if (status)
		*status = vm->dead_status;
	if (why)
		*why = vm->dead_why;
	if (cpu)
		*cpu = vm->dead_cpu;
}

void vm_handle_death(struct vm *vm)
{
	struct vm_state_event ev = { .kind = VM_STATE_FATAL };
	static char dump[4096];
	bool visible = vm->holds;

	if (vm->dead || !__atomic_load_n(&vm->dead_pending, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&vm->end_lock);
	vm->dead = true;
	pthread_mutex_unlock(&vm->end_lock);

	log_error("%s", vm->dead_why);
	if (vm->dead_has_snapshot) {
		diag_format(&vm->dead_snapshot, dump, sizeof(dump));
		fputs(dump, stderr);
	}
	log_error(
		"the guest is dead; kvmscope keeps it for inspection (--on-fatal pause): 'quit' ends it with exit status %d",
		vm->dead_status);
	fflush(stderr);

	/* Parked before anyone hears of it, so they can read every vCPU. */
	if (!vm->holds && !vm->internal_holds)
		vm_pause(vm);
	vm->holds |= 1u << VM_HOLD_FATAL;
	vm_death(vm, &ev.run_state, &ev.reason, &ev.status, &ev.why, &ev.cpu);
	vm_notify_state(vm, &ev);
	if (!visible)
		notify_transition(vm, VM_STATE_STOP, VM_HOLD_FATAL);
}

void vm_set_debug_hook(struct vm *vm, vm_debug_exit_fn fn, void *opaque)
{
	vm->debug_opaque = opaque;
	vm->debug_hook = fn;
}

bool vm_debug_exit(struct vcpu *vcpu, bool from_int3)
{
	struct vm *vm = vcpu->vm;

	return vm->debug_hook &&
	       vm->debug_hook(vm->debug_opaque, vcpu, from_int3);
}

void vm_set_sample_hook(struct vm *vm, vm_sample_fn fn, void *opaque)
{
	/* KVM copies the registers into kvm_run at every KVM_RUN return. */
	const uint64_t sync = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	bool have = vm->nr_vcpus &&
		    (kvm_check_cap(vm->fd, KVM_CAP_SYNC_REGS) & sync) == sync;
	int i;

	/* opaque is never cleared: a vCPU may have loaded fn just now. */
	if (fn)
		__atomic_store_n(&vm->sample_opaque, opaque, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->sample_hook, fn, __ATOMIC_SEQ_CST);
	for (i = 0; have && i < vm->nr_vcpus; i++)
		__atomic_store_n(&vm->vcpus[i]->run->kvm_valid_regs,
				 fn ? sync : 0, __ATOMIC_SEQ_CST);
}

void vcpu_request_sample(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->sample_req, 1, __ATOMIC_SEQ_CST);
	vcpu_kick(vcpu);
}
