// SPDX-License-Identifier: GPL-2.0
/*
 * Run control: continue, step and vCont, the all-stop (a vCPU's stop, a
 * Ctrl-C), stop replies, threads (one per vCPU) and how gdb's hold on the
 * VM meets the other holders (QMP stop, a dead guest).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "debug/gdbstub_int.h"
#include "util/log.h"
#include "vmm/diag.h"
#include "vmm/exit_status.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/*
 * vCPU thread: stop them all. This vCPU parks when it re-enters its loop
 * (pause is requested); the others are kicked out of KVM_RUN; the main
 * thread finishes the stop with vm_hold() when it reads the eventfd.
 */
void gs_request_all_stop(struct gdbstub *gs, struct vcpu *self)
{
	struct vm *vm = gs->vm;
	uint64_t one = 1;
	int i;

	__atomic_store_n(&vm->pause_req, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpus[i];

		__atomic_store_n(&v->run_while_paused, 0, __ATOMIC_SEQ_CST);
		if (v != self)
			vcpu_kick(v);
	}
	if (write(gs->efd, &one, sizeof(one)) < 0)
		log_debug("gdb: eventfd: %s", strerror(errno));
}

void gs_set_state(struct gdbstub *gs, enum run_state st, int step_cpu)
{
	pthread_mutex_lock(&gs->lock);
	gs->state = st;
	gs->step_cpu = step_cpu;
	gs->stop_pending = false;
	pthread_mutex_unlock(&gs->lock);
}

uint64_t gs_vcpu_rip(struct vcpu *v)
{
	struct kvm_regs r;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0)
		return ~0ULL;
	return r.rip;
}

void gs_send_stop(struct gdbstub *gs, const struct gdb_stop *st)
{
	char reply[96];

	gdb_format_stop(st, reply, sizeof(reply));
	gs_send_packet(gs, reply);
}

/* Every vCPU is parked: tell gdb why, and remember it. */
static void finish_stop(struct gdbstub *gs, const struct gdb_stop *st, int cpu)
{
	gs_replant(gs);
	gs_set_state(gs, GS_STOPPED, -1);
	if (cpu >= 0 && cpu < gs->vm->nr_vcpus) {
		gs->g_cpu = cpu;
		gs->c_cpu = cpu;
	}
	gs->last_stop = *st;
	gs->last_stop_cpu = cpu;
	gs->last_stop_rip = cpu >= 0 ? gs_vcpu_rip(gs->vm->vcpus[cpu]) : ~0ULL;
	gs_send_stop(gs, st);
}

/*
 * Release one parked vCPU alone with single-step on: gdb's step (user) or
 * the stub's own step off a breakpoint. A breakpoint at RIP is taken out
 * for the step, or the step would only report it again.
 */
static void start_step(struct gdbstub *gs, int cpu, bool user)
{
	struct vcpu *v = gs->vm->vcpus[cpu];
	uint64_t rip = gs_vcpu_rip(v);
	int i;

	pthread_mutex_lock(&gs->lock);
	for (i = 0; i < gs->nr_bps; i++) {
		struct sw_bp *b = &gs->bps[i];

		if (b->gva == rip && !b->lifted) {
			b->lifted = true;
			guest_memory_write(&gs->vm->mem, b->gpa, &b->orig, 1);
		}
	}
	gs->mask_cpu = cpu;
	gs->mask_slots = 0;
	for (i = 0; i < HW_SLOTS; i++)
		if (gs->hw[i].used && gs->hw[i].type == 1 &&
		    gs->hw[i].addr == rip)
			gs->mask_slots |= 1u << i;
	pthread_mutex_unlock(&gs->lock);

	gs_sw_watch_snapshot(gs);
	gs_apply_debug(gs, v, true, true);
	gs_set_state(gs, user ? GS_STEPPING : GS_STEP_OVER, cpu);
	__atomic_store_n(&v->run_while_paused, 1, __ATOMIC_SEQ_CST);
	vm_release_vcpus(gs->vm);
}

/* Release the vCPUs of the plan, with every breakpoint in. */
static void start_continue(struct gdbstub *gs)
{
	struct vm *vm = gs->vm;
	bool step = gs->nr_sww > 0;
	int i;

	gs_sw_watch_snapshot(gs);
	for (i = 0; i < vm->nr_vcpus; i++)
		gs_apply_debug(gs, vm->vcpus[i], step, false);
	gs_set_state(gs, GS_RUNNING, -1);
	if (gs->plan_all) {
		vm_unhold(vm, VM_HOLD_DEBUGGER);
		return;
	}
	for (i = 0; i < vm->nr_vcpus; i++)
		if (gs->plan[i])
			__atomic_store_n(&vm->vcpus[i]->run_while_paused, 1,
					 __ATOMIC_SEQ_CST);
	vm_release_vcpus(vm);
}

/* Was the last stop a breakpoint this vCPU still sits on? */
static bool needs_step_over(struct gdbstub *gs, int cpu)
{
	uint64_t rip;
	int i;

	if (cpu != gs->last_stop_cpu ||
	    (gs->last_stop.kind != GDB_STOP_SWBREAK &&
	     gs->last_stop.kind != GDB_STOP_HWBREAK))
		return false;
	rip = gs_vcpu_rip(gs->vm->vcpus[cpu]);
	if (rip != gs->last_stop_rip)
		return false;
	if (gs_find_bp_gva(gs, rip))
		return true;
	for (i = 0; i < HW_SLOTS; i++)
		if (gs->hw[i].used && gs->hw[i].type == 1 &&
		    gs->hw[i].addr == rip)
			return true;
	return false;
}

/* ---- other holders ---------------------------------------------------- */

static const char *death_cause(int status)
{
	switch (status) {
	case KS_STATUS_TRIPLE_FAULT:
		return "triple fault";
	case KS_STATUS_HALTED:
		return "halted for good";
	case KS_STATUS_FAIL_ENTRY:
		return "VM entry failed";
	case KS_STATUS_GUEST_PANIC:
		return "guest kernel panic";
	default:
		return "KVM internal error";
	}
}

/*
 * The stop a dead guest reports, on the vCPU that died: SIGSEGV when it
 * faulted (triple fault, internal error, failed entry), SIGTRAP when it
 * halted for good.
 */
static void death_stop(struct gdbstub *gs, struct gdb_stop *st, int *cpu)
{
	int status, dcpu;

	vm_death(gs->vm, NULL, NULL, &status, NULL, &dcpu);
	if (dcpu < 0 || dcpu >= gs->vm->nr_vcpus)
		dcpu = gs->g_cpu;
	*st = (struct gdb_stop){
		.sig = status == KS_STATUS_HALTED ? GDB_SIGTRAP : GDB_SIGSEGV,
		.thread = dcpu + 1,
	};
	*cpu = dcpu;
}

/*
 * Continue or step while another holder keeps the VM stopped: the guest
 * is dead (--on-fatal pause), or the user stopped it (QMP 'stop'). gdb is
 * all-stop and waits for a stop reply after c/s/vCont, which nothing would
 * send while the other hold lasts; so the request is refused at once: an
 * 'O' packet (console output) names the holder and how it lets go, and a
 * stop reply ends gdb's wait (the death's signal for a dead guest,
 * SIGTRAP otherwise). gdb's own hold stays: when the user resumes, the VM
 * still waits for gdb, whose next continue runs it. Returns true when the
 * request was refused.
 */
static bool refuse_resume(struct gdbstub *gs)
{
	struct errmsg err = { { 0 } };
	struct gdb_stop st;
	const char *why;
	int status, cpu;

	if (vm_is_dead(gs->vm)) {
		vm_death(gs->vm, NULL, NULL, &status, &why, NULL);
		gs_console_printf(
			gs,
			"kvmscope: the guest is dead (%s: %s); only inspection works; quit kvmscope with 'monitor quit' or 'kill' (exit status %d)\n",
			death_cause(status), why, status);
		death_stop(gs, &st, &cpu);
		gs_send_stop(gs, &st);
		return true;
	}
	if (!vm_check_resumable(gs->vm, VM_HOLD_DEBUGGER, "continue", &err))
		return false;
	gs_console_printf(
		gs,
		"kvmscope: the VM stays paused: %s; gdb keeps its hold too, continue again once it is released\n",
		err.text);
	st = (struct gdb_stop){ .sig = GDB_SIGTRAP, .thread = gs->g_cpu + 1 };
	gs_send_stop(gs, &st);
	return true;
}

/* What '?' reports after attaching: a plain stop, or the guest's death. */
void gs_attach_stop(struct gdbstub *gs)
{
	int cpu;

	gs->last_stop = (struct gdb_stop){ .sig = GDB_SIGTRAP, .thread = 1 };
	gs->last_stop_cpu = -1;
	if (!vm_is_dead(gs->vm))
		return;
	death_stop(gs, &gs->last_stop, &cpu);
	gs->g_cpu = cpu;
	gs->c_cpu = cpu;
}

/*
 * State listener (main thread). The guest died (--on-fatal pause) while
 * gdb waited in a continue or step: stop everything gdb released and send
 * the stop reply gdb waits for, taking gdb's hold again (no STOP event:
 * the VM is held already). Registers and memory stay readable.
 */
void gs_on_vm_state(void *opaque, const struct vm_state_event *ev)
{
	struct gdbstub *gs = opaque;
	struct gdb_stop st;
	int cpu;

	if (ev->kind != VM_STATE_FATAL || gs->conn_fd < 0 ||
	    gs->state == GS_IDLE)
		return;
	death_stop(gs, &st, &cpu);
	if (gs->state == GS_STOPPED) {
		gs->last_stop = st;
		return;
	}
	vm_hold(gs->vm, VM_HOLD_DEBUGGER);
	/* vCPUs gdb released alone (a step, a partial vCont) park too. */
	vm_pause(gs->vm);
	gs_console_printf(gs, "kvmscope: the guest died: %s\n", ev->why);
	finish_stop(gs, &st, cpu);
}

/*
 * Resume per the plan: a step (one vCPU, the others stay parked) or a
 * continue of the planned vCPUs, after stepping the vCPU that stopped at a
 * breakpoint off it. Refused while someone else holds the VM.
 */
static void resume(struct gdbstub *gs, int step_cpu)
{
	int cpu = gs->last_stop_cpu;

	if (refuse_resume(gs))
		return;
	if (step_cpu >= 0) {
		start_step(gs, step_cpu, true);
		return;
	}
	if (cpu >= 0 && (gs->plan_all || gs->plan[cpu]) &&
	    needs_step_over(gs, cpu)) {
		start_step(gs, cpu, false);
		return;
	}
	start_continue(gs);
}

/* The eventfd: a vCPU stopped for gdb (or a stop raced with a request). */
void gs_on_vcpu_event(struct gdbstub *gs)
{
	struct gdb_stop st;
	enum run_state state;
	bool pending;
	uint64_t v;
	int cpu;

	if (read(gs->efd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&gs->lock);
	pending = gs->stop_pending;
	st = gs->pending;
	cpu = gs->pending_cpu;
	state = gs->state;
	pthread_mutex_unlock(&gs->lock);

	/*
	 * Nothing pending: a stale signal (the stop it announced was already
	 * reported, or taken by Ctrl-C), or a stop while gdb already holds
	 * the VM stopped (something else resumed it; the vCPUs park again on
	 * their own). Pausing here could stop a VM gdb has resumed since.
	 */
	if (state == GS_IDLE || state == GS_STOPPED || !pending)
		return;
	/* The requester set pause_req; wait until all are parked. */
	vm_hold(gs->vm, VM_HOLD_DEBUGGER);
	if (state == GS_STEP_OVER && cpu == gs->step_cpu &&
	    st.kind == GDB_STOP_SIGNAL) {
		gs_replant(gs);
		start_continue(gs);
		return;
	}
	finish_stop(gs, &st, cpu);
}

/* Ctrl-C from gdb. */
void gs_interrupt(struct gdbstub *gs)
{
	struct gdb_stop st = { .sig = GDB_SIGINT };
	bool pending;
	int cpu, i;

	if (gs->state == GS_STOPPED || gs->state == GS_IDLE)
		return;
	vm_hold(gs->vm, VM_HOLD_DEBUGGER);
	pthread_mutex_lock(&gs->lock);
	pending = gs->stop_pending;
	if (pending) {
		/* A real event beat the interrupt: report that instead. */
		st = gs->pending;
		cpu = gs->pending_cpu;
	} else if (gs->state == GS_STEPPING || gs->state == GS_STEP_OVER) {
		cpu = gs->step_cpu;
	} else {
		/* Name a vCPU that was running, the selected one if it was. */
		cpu = gs->g_cpu;
		for (i = 0;
		     !gs->plan_all && !gs->plan[cpu] && i < gs->vm->nr_vcpus;
		     i++)
			if (gs->plan[i])
				cpu = i;
	}
	pthread_mutex_unlock(&gs->lock);
	if (!pending)
		st.thread = cpu + 1;
	finish_stop(gs, &st, cpu);
}

bool gs_valid_thread(struct gdbstub *gs, long tid)
{
	return tid >= 1 && tid <= gs->vm->nr_vcpus;
}

/* 'c', 'C', 's', 'S': [sig;][addr] sets RIP first. */
void gs_cmd_resume_legacy(struct gdbstub *gs, const struct gdb_req *req)
{
	const char *pkt = req->pkt;
	bool step = pkt[0] == 's' || pkt[0] == 'S';
	const char *s = pkt + 1;
	uint64_t sig, addr;
	int cpu, i;

	if (pkt[0] == 'C' || pkt[0] == 'S') {
		/* Signals mean nothing to a VM: accepted and dropped. */
		if (!gdb_parse_hex(&s, &sig) || (*s && *s != ';')) {
			gs_send_error(gs, EINVAL);
			return;
		}
		if (*s == ';')
			s++;
		else
			s = "";
	}
	cpu = gs->c_cpu >= 0 ? gs->c_cpu : gs->g_cpu;
	if (*s) {
		struct kvm_regs r;
		struct vcpu *v = gs->vm->vcpus[cpu];

		if (!gdb_parse_hex(&s, &addr) || *s ||
		    ioctl(v->fd, KVM_GET_REGS, &r) < 0) {
			gs_send_error(gs, EINVAL);
			return;
		}
		r.rip = addr;
		if (ioctl(v->fd, KVM_SET_REGS, &r) < 0) {
			gs_send_error(gs, errno);
			return;
		}
	}
	gs->plan_all = true;
	for (i = 0; i < gs->vm->nr_vcpus; i++)
		gs->plan[i] = 1;
	resume(gs, step ? cpu : -1);
}

/* vCont;ACTION[:TID]... (the parser takes it from the first ';'). */
void gs_cmd_vcont(struct gdbstub *gs, const struct gdb_req *req)
{
	struct gdb_vcont_action acts[GDB_VCONT_MAX];
	int n = gdb_parse_vcont(req->args - 1, acts, GDB_VCONT_MAX);
	int nr = gs->vm->nr_vcpus, i, k, step_cpu = -1, any = 0;
	char *done;

	if (n < 0) {
		gs_send_error(gs, EINVAL);
		return;
	}
	done = calloc(nr, 1);
	if (!done) {
		gs_send_error(gs, ENOMEM);
		return;
	}
	memset(gs->plan, 0, nr);
	/* The leftmost action that applies to a thread wins. */
	for (k = 0; k < n; k++) {
		for (i = 0; i < nr; i++) {
			if (done[i] ||
			    (acts[k].tid != -1 && acts[k].tid != i + 1))
				continue;
			done[i] = 1;
			if (acts[k].op == 's' && step_cpu < 0)
				step_cpu = i;
			else if (acts[k].op == 'c' || acts[k].op == 's')
				gs->plan[i] = 1;
		}
		if (acts[k].tid != -1 && !gs_valid_thread(gs, acts[k].tid)) {
			free(done);
			gs_send_error(gs, ESRCH);
			return;
		}
	}
	free(done);
	for (i = 0; i < nr; i++)
		any += gs->plan[i];
	if (step_cpu < 0 && !any) {
		/* Only 't' (or nothing) for every thread: stay stopped. */
		gs_send_packet(gs, "OK");
		return;
	}
	gs->plan_all = any == nr;
	resume(gs, step_cpu);
}

void gs_cmd_thread_info_first(struct gdbstub *gs, const struct gdb_req *req)
{
	int nr = gs->vm->nr_vcpus, i, off = 1;
	/* "m" and "t," per thread: a thread id is at most 8 hex digits. */
	char *buf = malloc(2 + 9 * (size_t)nr);

	if (!buf) {
		gs_send_error(gs, ENOMEM);
		return;
	}
	buf[0] = 'm';
	buf[1] = '\0';
	for (i = 0; i < nr; i++)
		off += sprintf(buf + off, "%s%x", i ? "," : "", i + 1);
	gs_send_packet(gs, buf);
	free(buf);
}

void gs_cmd_thread_info_next(struct gdbstub *gs, const struct gdb_req *req)
{
	gs_send_packet(gs, "l");
}

void gs_cmd_current_thread(struct gdbstub *gs, const struct gdb_req *req)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "QC%x", gs->g_cpu + 1);
	gs_send_packet(gs, buf);
}

/* T: is the thread alive? Every vCPU is. */
void gs_cmd_thread_alive(struct gdbstub *gs, const struct gdb_req *req)
{
	const char *s = req->args;
	long tid;

	if (gdb_parse_thread_id(&s, &tid) && !*s && gs_valid_thread(gs, tid))
		gs_send_packet(gs, "OK");
	else
		gs_send_error(gs, ESRCH);
}

void gs_cmd_thread_extra(struct gdbstub *gs, const struct gdb_req *req)
{
	const char *args = req->args;
	char text[128], hex[2 * sizeof(text) + 1];
	struct kvm_sregs s;
	long tid;

	if (!gdb_parse_thread_id(&args, &tid) || *args ||
	    !gs_valid_thread(gs, tid)) {
		gs_send_error(gs, ESRCH);
		return;
	}
	/* A running vCPU's ioctls wait for KVM_RUN: ask parked ones only. */
	if (gs->state == GS_STOPPED &&
	    ioctl(gs->vm->vcpus[tid - 1]->fd, KVM_GET_SREGS, &s) == 0)
		snprintf(text, sizeof(text), "vCPU %ld, %s, CPL %u", tid - 1,
			 diag_cpu_mode(&s), s.cs.dpl);
	else
		snprintf(text, sizeof(text), "vCPU %ld", tid - 1);
	gdb_hex_encode(text, strlen(text), hex);
	gs_send_packet(gs, hex);
}

/* Hg (registers and memory) and Hc (legacy c/s) select a thread. */
void gs_cmd_set_thread(struct gdbstub *gs, const struct gdb_req *req)
{
	const char *pkt = req->pkt;
	const char *s = pkt + 2;
	long tid;

	if ((pkt[1] != 'g' && pkt[1] != 'c') ||
	    !gdb_parse_thread_id(&s, &tid) || *s ||
	    (tid > 0 && !gs_valid_thread(gs, tid))) {
		gs_send_error(gs, ESRCH);
		return;
	}
	if (pkt[1] == 'g' && tid > 0)
		gs->g_cpu = tid - 1;
	else if (pkt[1] == 'c')
		gs->c_cpu = tid > 0 ? tid - 1 : -1;
	gs_send_packet(gs, "OK");
}

/* '?': why the target stopped, as last reported. */
void gs_cmd_stop_reason(struct gdbstub *gs, const struct gdb_req *req)
{
	gs_send_stop(gs, &gs->last_stop);
}
