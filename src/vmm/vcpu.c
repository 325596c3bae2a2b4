// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/exit_status.h"
#include "vmm/kvm_stats.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/* SIGUSR1 only interrupts KVM_RUN; the handler has nothing to do. */
#define VCPU_KICK_SIGNAL SIGUSR1

static void kick_handler(int sig)
{
	(void)sig;
}

void vcpu_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must return -EINTR. */
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

int vcpu_create(struct vm *vm, int id, struct vcpu **out)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));
	void *run;

	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->kvm_stats_fd = -1;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0) {
		int e = errno;

		free(vcpu);
		return -e;
	}
	/*
	 * Now, while no thread is in KVM_RUN: every vCPU ioctl waits for
	 * the vCPU's mutex, which KVM_RUN holds (a halted vCPU for ever).
	 * Reading the fd later (pread) needs no mutex.
	 */
	vcpu->kvm_stats_fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, 0);
	if (id == 0)
		stats_setup(ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0));
	run = mmap(NULL, vm->kvm.vcpu_mmap_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED) {
		int e = errno;

		close(vcpu->fd);
		free(vcpu);
		return -e;
	}
	vcpu->run = run;
	*out = vcpu;
	return 0;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	munmap(vcpu->run, vcpu->vm->kvm.vcpu_mmap_size);
	if (vcpu->kvm_stats_fd >= 0)
		close(vcpu->kvm_stats_fd);
	kvm_stats_free(vcpu->kvm_stats);
	close(vcpu->fd);
	free(vcpu);
}

bool vcpu_msr(struct vcpu *vcpu, unsigned long req, uint32_t index,
	      uint64_t *data)
{
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) +
			      sizeof(struct kvm_msr_entry)];
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.hdr.entries[0].index = index;
	m.hdr.entries[0].data = *data;
	if (ioctl(vcpu->fd, req, &m) != 1)
		return false;
	*data = m.hdr.entries[0].data;
	return true;
}

void vcpu_kick(struct vcpu *vcpu)
{
	/*
	 * immediate_exit first: if the signal lands before the thread enters
	 * KVM_RUN, KVM_RUN still returns -EINTR at once.
	 */
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (vcpu->thread_started)
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

/* Answer the halt watchdog: is this vCPU stuck in a state it cannot leave? */
static void vcpu_answer_probe(struct vcpu *vcpu)
{
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	uint64_t gen = __atomic_load_n(&vcpu->probe_gen_req, __ATOMIC_SEQ_CST);
	int idle = VCPU_IDLE_RUNNING;

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) == 0) {
		if (mp.mp_state == KVM_MP_STATE_UNINITIALIZED ||
		    mp.mp_state == KVM_MP_STATE_INIT_RECEIVED) {
			idle = VCPU_IDLE_WAIT_SIPI;
		} else if (mp.mp_state == KVM_MP_STATE_HALTED &&
			   ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0 &&
			   !(regs.rflags & (1u << 9))) {
			idle = VCPU_IDLE_HALTED_NOIRQ;
			vcpu_snapshot_capture(vcpu, &vcpu->idle_snap);
		}
	}
	__atomic_store_n(&vcpu->idle, idle, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vcpu->probe_gen_done, gen, __ATOMIC_SEQ_CST);
}

/*
 * Answer a profiler's sample request: registers to the sample hook. While
 * a hook is set KVM syncs them into kvm_run at every KVM_RUN return (the
 * EINTR that brought this request too), which costs no ioctl; without
 * KVM_CAP_SYNC_REGS they are read with two.
 */
static void vcpu_answer_sample(struct vcpu *vcpu)
{
	const uint64_t sync = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	vm_sample_fn fn =
		__atomic_load_n(&vcpu->vm->sample_hook, __ATOMIC_SEQ_CST);
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (!fn)
		return;
	if ((__atomic_load_n(&vcpu->run->kvm_valid_regs, __ATOMIC_SEQ_CST) &
	     sync) == sync) {
		regs = vcpu->run->s.regs.regs;
		sregs = vcpu->run->s.regs.sregs;
	} else if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
		   ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		return;
	}
	fn(__atomic_load_n(&vcpu->vm->sample_opaque, __ATOMIC_SEQ_CST), vcpu,
	   &regs, &sregs);
}

/* The vCPU this thread runs, for devices' requests made from an exit. */
static __thread struct vcpu *this_vcpu;

struct vcpu *vcpu_self(void)
{
	return this_vcpu;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	sigset_t set;

	this_vcpu = vcpu;
	vcpu->tid = gettid();
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!vm_is_stopping(vm)) {
		/* Closes the last exit's record: its handling ends here. */
		stats_before_run(&vcpu->stats);
		if (vm_vcpu_must_park(vm, vcpu)) {
			vm_park_vcpu(vm, vcpu);
			continue;
		}
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			int e = errno;
			struct vcpu_snapshot snap;
			char why[160];

			if (e == EINTR || e == EAGAIN) {
				/* KVM sets KVM_EXIT_INTR for both. */
				stats_after_run(&vcpu->stats, KVM_EXIT_INTR);
				__atomic_store_n(&vcpu->run->immediate_exit, 0,
						 __ATOMIC_SEQ_CST);
				if (__atomic_exchange_n(&vcpu->probe_req, 0,
							__ATOMIC_SEQ_CST))
					vcpu_answer_probe(vcpu);
				if (__atomic_exchange_n(&vcpu->sample_req, 0,
							__ATOMIC_SEQ_CST))
					vcpu_answer_sample(vcpu);
				continue;
			}
			vcpu_snapshot_capture(vcpu, &snap);
			snprintf(why, sizeof(why),
				 "vCPU %d: KVM_RUN failed: %s", vcpu->id,
				 strerror(e));
			vm_request_end(vm, KS_STATUS_VMM_ERROR, why, &snap);
			break;
		}
		stats_after_run(&vcpu->stats, vcpu->run->exit_reason);
		__atomic_store_n(&vcpu->exits, vcpu->exits + 1,
				 __ATOMIC_RELAXED);
		if (!vcpu_handle_exit(vcpu))
			break;
	}
	/* The exit that ended the loop is counted too. */
	stats_before_run(&vcpu->stats);
	/* Let a pause in progress stop waiting for this thread. */
	pthread_mutex_lock(&vm->pause_lock);
	__atomic_store_n(&vcpu->exited, 1, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	int r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

	if (r)
		return -r;
	vcpu->thread_started = true;
	return 0;
}

void vcpu_join(struct vcpu *vcpu)
{
	if (vcpu->thread_started)
		pthread_join(vcpu->thread, NULL);
	vcpu->thread_started = false;
}

int vcpu_paging_ctx(struct vcpu *vcpu, struct kvm_sregs *s,
		    struct paging_ctx *pc, struct errmsg *err)
{
	unsigned int maxphy;
	bool gbpages;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, s) < 0)
		return errmsg_set(err, errno,
				  "KVM_GET_SREGS on vCPU %d failed: %s",
				  vcpu->id, strerror(errno));
	diag_guest_phys_bits(vcpu->vm->supported_cpuid, &maxphy, &gbpages);
	if (paging_ctx_init(pc, s->cr0, s->cr3, s->cr4, s->efer, maxphy,
			    gbpages))
		return errmsg_set(
			err, EINVAL,
			"vCPU %d's CR0 0x%llx CR4 0x%llx EFER 0x%llx are no paging mode a CPU can be in",
			vcpu->id, (unsigned long long)s->cr0,
			(unsigned long long)s->cr4,
			(unsigned long long)s->efer);
	return 0;
}

/* The vCPU's events, unless one is already in flight (never stacked). */
static int events_for_injection(struct vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, ev) < 0)
		return -errno;
	if (ev->exception.injected || ev->exception.pending ||
	    ev->interrupt.injected || ev->nmi.injected)
		return -EBUSY;
	return 0;
}

int vcpu_inject_exception(struct vcpu *vcpu, unsigned int vector,
			  bool has_error_code, uint32_t error_code)
{
	struct kvm_vcpu_events ev;
	int r;

	if (vector > 31)
		return -EINVAL;
	r = events_for_injection(vcpu, &ev);
	if (r)
		return r;
	ev.exception.injected = 1;
	ev.exception.nr = vector;
	ev.exception.has_error_code = has_error_code;
	ev.exception.error_code = error_code;
	ev.flags = 0;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	return 0;
}

int vcpu_inject_interrupt(struct vcpu *vcpu, unsigned int vector)
{
	struct kvm_vcpu_events ev;
	int r;

	if (vector > 255)
		return -EINVAL;
	r = events_for_injection(vcpu, &ev);
	if (r)
		return r;
	ev.interrupt.injected = 1;
	ev.interrupt.nr = vector;
	ev.interrupt.soft = 0;
	/* The instruction that raised it ends an STI / MOV SS shadow. */
	ev.interrupt.shadow = 0;
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	return 0;
}
