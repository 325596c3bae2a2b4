/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One VM: its KVM fds, guest RAM, buses, devices and vCPU threads, and the
 * main thread's event loop (signals, console, halt watchdog, end requests).
 */
#ifndef KVMSCOPE_VMM_VM_H
#define KVMSCOPE_VMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/boot.h"
#include "arch/x86/cpu_template.h"
#include "devices/devices.h"
#include "util/event_loop.h"
#include "vmm/bus.h"
#include "vmm/config.h"
#include "vmm/diag.h"
#include "vmm/kvm.h"
#include "vmm/memory.h"
#include "vmm/runstate.h"

#define VM_MAX_STATE_LISTENERS 8

struct serial;
struct vcpu;
struct kvm_stats;
struct vm_sleep;

struct vm {
	const struct vm_config *cfg;
	struct kvm_host kvm;
	int fd; /* VM fd */
	struct guest_memory mem;
	struct bus pio;
	struct bus mmio;
	struct device_env env;
	struct kvm_hooks_state *hooks; /* vmm/kvm_hooks.c */
	struct pci_host *pci; /* owned by the pio bus (0xcf8) */
	struct serial *serial;
	int serial_out_fd;
	const struct cpu_template *tmpl;
	struct kvm_cpuid2 *supported_cpuid;

	int nr_vcpus;
	struct vcpu **vcpus;

	/* KVM_GET_STATS_FD of the VM (-1 without), descriptors at first use. */
	int kvm_stats_fd;
	struct kvm_stats *kvm_stats;

	/* Ending: the first request wins; the main thread acts on it. */
	pthread_mutex_t end_lock;
	bool end_requested;
	int end_status;
	char end_why[256];
	const char *end_reason; /* QEMU's SHUTDOWN reason */
	bool end_has_snapshot;
	struct vcpu_snapshot end_snapshot;
	int end_efd; /* eventfd the main loop waits on */

	int stopping; /* atomic: vCPU threads leave their loop */

	/*
	 * Pause: vCPU threads park outside KVM_RUN while pause_req is set.
	 * Only the main thread pauses and resumes; while paused it may issue
	 * vCPU ioctls itself (KVM_RUN holds the vCPU mutex otherwise).
	 */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond; /* parked count changed / resume */
	int pause_req; /* atomic */
	int nr_parked;

	/* Holds (runstate.h); main thread only. */
	unsigned int holds; /* bit per enum vm_holder */
	int internal_holds; /* nesting depth of VM_HOLD_INTERNAL */

	/* A death kept for inspection (--on-fatal pause). */
	int dead_pending; /* atomic: set by vm_request_end, handled by main */
	bool dead;
	int dead_status;
	int dead_cpu;
	char dead_why[256];
	bool dead_has_snapshot;
	struct vcpu_snapshot dead_snapshot;

	struct {
		vm_state_fn fn;
		void *opaque;
	} listeners[VM_MAX_STATE_LISTENERS];
	int nr_listeners;

	vm_debug_exit_fn debug_hook;
	void *debug_opaque;

	struct vm_sleep *sleep; /* ACPI S3 (sleep.h) */

	vm_sample_fn sample_hook; /* atomic (runstate.h) */
	void *sample_opaque;

	/* The main thread's loop: sources registered with vm_watch_fd. */
	struct event_loop loop;
};

/*
 * What every struct vm needs before anything else touches it: locks,
 * the event loop, fds marked closed. vm_create does it; tests that drive
 * a VM without KVM (no vCPU threads) call it on a zeroed struct.
 */
int vm_init_bare(struct vm *vm);

/*
 * Create the VM around guest RAM that already holds the loaded kernel (the
 * VM takes mem over): memslots, irqchip, PIT, devices and vCPUs (not
 * started). Loading first means a bad kernel is rejected before any VM
 * exists.
 */
int vm_create(struct vm *vm, const struct vm_config *cfg,
	      const struct cpu_template *tmpl, struct guest_memory *mem,
	      struct errmsg *err);
/* Put the boot vCPU in the state the kernel's entry protocol expects. */
int vm_set_boot_entry(struct vm *vm, const struct boot_entry *entry,
		      struct errmsg *err);
/*
 * Attach COM1 (output to serial_out_fd, input from console_in_fd; -1 for
 * none), start the vCPU threads and run the main loop until the VM ends.
 * Returns the process exit status (printing the end diagnostic), or -errno
 * with err filled when the VM could not start.
 */
int vm_run(struct vm *vm, int serial_out_fd, int console_in_fd,
	   struct errmsg *err);

/*
 * Event sources of the main loop (util/event_loop.h): the control socket,
 * the gdb stub and the console register their fds here. Main thread only.
 */
int vm_watch_fd(struct vm *vm, int fd, uint32_t events, event_fn fn,
		void *opaque);
int vm_rewatch_fd(struct vm *vm, int fd, uint32_t events);
void vm_unwatch_fd(struct vm *vm, int fd);
void vm_destroy(struct vm *vm);
/*
 * vm_destroy when the process exits next: the host's VM teardown (tens of
 * ms with an in-kernel irqchip) runs after the exit, not before it.
 */
void vm_destroy_at_exit(struct vm *vm);

/*
 * From any thread: end the VM (first caller wins); snap may be NULL. A
 * fatal status (triple fault, halted for good, fail entry, internal
 * error) under --on-fatal pause does not end the VM: it dies and stays,
 * held, for inspection (runstate.h); ending a dead VM later (quit, a
 * signal) returns the fatal status.
 */
void vm_request_end(struct vm *vm, int status, const char *why,
		    const struct vcpu_snapshot *snap);
/* The same, naming QEMU's SHUTDOWN reason ("host-qmp-quit"...). */
void vm_request_end_reason(struct vm *vm, int status, const char *why,
			   const char *reason);
bool vm_is_stopping(struct vm *vm);

/*
 * Stop every vCPU at a consistent point: returns once all of them are parked
 * outside KVM_RUN (or have exited). Main thread only. Idempotent. The
 * mechanism under vm_hold()/vm_unhold(), which clients use instead.
 */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
bool vm_is_paused(struct vm *vm);
/*
 * vCPU thread: must it park? True while a pause is requested, unless the
 * vCPU was released alone (vcpu->run_while_paused, the gdb stub's steps).
 */
bool vm_vcpu_must_park(struct vm *vm, struct vcpu *vcpu);
/* vCPU thread: park here while vm_vcpu_must_park() holds. */
void vm_park_vcpu(struct vm *vm, struct vcpu *vcpu);
/*
 * Main thread, while paused: wake the parked vCPUs whose run_while_paused
 * was set, so they run while the others stay parked. vm_pause() clears
 * every run_while_paused and parks them again.
 */
void vm_release_vcpus(struct vm *vm);

/* Core-internal (runstate.c <-> vm.c). */
void vm_notify_state(struct vm *vm, const struct vm_state_event *ev);
bool vm_status_is_fatal(int status);
/* Main thread: act on a death vm_request_end kept (print, hold, tell). */
void vm_handle_death(struct vm *vm);

#endif
