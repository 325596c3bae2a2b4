// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "arch/x86/bios_env.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/irq_routing.h"
#include "arch/x86/msr_filter.h"
#include "arch/x86/regs.h"
#include "devices/device_options.h"
#include "devices/legacy.h"
#include "devices/pci.h"
#include "devices/serial.h"
#include "util/log.h"
#include "vmm/console.h"
#include "vmm/exit_status.h"
#include "vmm/kvm_stats.h"
#include "vmm/sleep.h"
#include "vmm/stats.h"
#include "vmm/vcpu.h"
#include "vmm/kvm_hooks.h"
#include "vmm/vm.h"

/*
 * Real-mode support pages VMX needs (KVM_SET_TSS_ADDR takes three pages,
 * the identity map one more); placed in the 32-bit hole below the BIOS
 * ROM, away from the IOAPIC (0xfec00000) and LAPIC (0xfee00000).
 */
#define VM_TSS_ADDR 0xfffbd000ULL
#define VM_IDENTITY_MAP_ADDR 0xfffbc000ULL

/* Halt watchdog period; a deadlock is declared after two quiet rounds. */
#define WATCHDOG_PERIOD_MS 250
#define WATCHDOG_ROUNDS 2

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_EXTINT 0x700
#define APIC_MODE_NMI 0x400

static void irq_set_level(void *opaque, unsigned int irq, int level)
{
	struct vm *vm = opaque;
	struct kvm_irq_level l = { .irq = irq, .level = level };

	if (ioctl(vm->fd, KVM_IRQ_LINE, &l) < 0)
		log_debug("KVM_IRQ_LINE %u=%d failed: %s", irq, level,
			  strerror(errno));
}

/*
 * A device asked (from an exit on a vCPU thread, or from the main
 * thread): a fatal end keeps the registers of the vCPU that made it, the
 * one whose guest code wrote the port (pvpanic: the panicking CPU).
 */
static void ctl_request_end(void *opaque, int status, const char *why)
{
	struct vcpu *self = vcpu_self();
	struct vcpu_snapshot snap;

	if (self && self->vm == opaque && vm_status_is_fatal(status)) {
		vcpu_snapshot_capture(self, &snap);
		vm_request_end(opaque, status, why, &snap);
		return;
	}
	vm_request_end(opaque, status, why, NULL);
}

/* QEMU's SHUTDOWN reason for an end with this status. */
static const char *shutdown_reason(int status, bool *guest)
{
	*guest = true;
	switch (status) {
	case KS_STATUS_RESET:
	case KS_STATUS_TRIPLE_FAULT:
		return "guest-reset";
	case KS_STATUS_HALTED:
	case KS_STATUS_FAIL_ENTRY:
	case KS_STATUS_INTERNAL_ERROR:
	case KS_STATUS_GUEST_PANIC:
		return "guest-panic";
	case KS_STATUS_SIGNAL:
		*guest = false;
		return "host-signal";
	case KS_STATUS_VMM_ERROR:
	case KS_STATUS_USAGE:
		*guest = false;
		return "host-error";
	default: /* poweroff, debug exit, system event */
		return "guest-shutdown";
	}
}

static void wake_main(struct vm *vm)
{
	uint64_t one = 1;

	if (vm->end_efd >= 0 && write(vm->end_efd, &one, sizeof(one)) < 0)
		log_debug("end eventfd: %s", strerror(errno));
}

/*
 * Stop every vCPU at a death, before the main thread gets to it: a
 * device's death (pvpanic) returns to a vCPU that would run on into the
 * guest's panic path (a reboot with panic=N), and the other vCPUs would
 * run on too. Each parks at the top of its loop; vm_handle_death's
 * vm_pause (or the end) then only waits for them.
 */
static void freeze_vcpus(struct vm *vm)
{
	int i;

	__atomic_store_n(&vm->pause_req, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < vm->nr_vcpus; i++) {
		__atomic_store_n(&vm->vcpus[i]->run_while_paused, 0,
				 __ATOMIC_SEQ_CST);
		vcpu_kick(vm->vcpus[i]);
	}
}

/* end_lock held: keep a fatal end as a death instead. */
static bool keep_dead(struct vm *vm, int status, const char *why,
		      const struct vcpu_snapshot *snap)
{
	if (!vm->cfg || vm->cfg->on_fatal != VM_ON_FATAL_PAUSE ||
	    !vm_status_is_fatal(status) || vm->end_requested)
		return false;
	if (__atomic_load_n(&vm->dead_pending, __ATOMIC_SEQ_CST)) {
		/* Dead already: a second vCPU's fatal exit adds nothing. */
		log_warn("after the guest died: %s", why);
		return true;
	}
	vm->dead_status = status;
	vm->dead_cpu = snap ? snap->vcpu_id : -1;
	snprintf(vm->dead_why, sizeof(vm->dead_why), "%s", why);
	if (snap) {
		vm->dead_snapshot = *snap;
		vm->dead_has_snapshot = true;
	}
	__atomic_store_n(&vm->dead_pending, 1, __ATOMIC_SEQ_CST);
	freeze_vcpus(vm);
	wake_main(vm);
	return true;
}

void vm_request_end_reason(struct vm *vm, int status, const char *why,
			   const char *reason)
{
	vm_request_end(vm, status, why, NULL);
	pthread_mutex_lock(&vm->end_lock);
	if (reason && vm->end_requested && !vm->end_reason)
		vm->end_reason = reason;
	pthread_mutex_unlock(&vm->end_lock);
}

void vm_request_end(struct vm *vm, int status, const char *why,
		    const struct vcpu_snapshot *snap)
{
	pthread_mutex_lock(&vm->end_lock);
	if (!vm->end_requested && !keep_dead(vm, status, why, snap)) {
		vm->end_requested = true;
		vm->end_status = status;
		snprintf(vm->end_why, sizeof(vm->end_why), "%s", why);
		if (snap) {
			vm->end_snapshot = *snap;
			vm->end_has_snapshot = true;
		}
		if (vm_status_is_fatal(status))
			freeze_vcpus(vm);
		wake_main(vm);
	}
	pthread_mutex_unlock(&vm->end_lock);
}

int vm_watch_fd(struct vm *vm, int fd, uint32_t events, event_fn fn,
		void *opaque)
{
	return event_loop_add(&vm->loop, fd, events, fn, opaque);
}

int vm_rewatch_fd(struct vm *vm, int fd, uint32_t events)
{
	return event_loop_mod(&vm->loop, fd, events);
}

void vm_unwatch_fd(struct vm *vm, int fd)
{
	event_loop_del(&vm->loop, fd);
}

bool vm_is_stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->stopping, __ATOMIC_SEQ_CST);
}

static int setup_memslots(struct vm *vm, struct errmsg *err)
{
	const struct guest_region *g;
	int i;

	for (i = 0; (g = guest_memory_region_at(&vm->mem, i)); i++) {
		struct kvm_userspace_memory_region reg = {
			.slot = g->slot,
			.guest_phys_addr = g->gpa,
			.memory_size = g->size,
			.userspace_addr = (uintptr_t)g->hva,
		};

		if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0)
			return errmsg_set(
				err, errno,
				"KVM_SET_USER_MEMORY_REGION slot %u (gpa 0x%" PRIx64
				", %" PRIu64 " MiB) failed: %s",
				g->slot, g->gpa, g->size >> 20,
				strerror(errno));
	}
	return 0;
}

static int setup_irqchip(struct vm *vm, struct errmsg *err)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t identity = VM_IDENTITY_MAP_ADDR;
	int r;

	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR) < 0)
		return errmsg_set(err, errno, "KVM_SET_TSS_ADDR failed: %s",
				  strerror(errno));
	/* Optional: only VMX without unrestricted guest needs it. */
	if (kvm_check_cap(vm->fd, KVM_CAP_SET_IDENTITY_MAP_ADDR))
		ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &identity);
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return errmsg_set(
			err, errno,
			"KVM_CREATE_IRQCHIP (PIC + IOAPIC + LAPIC) failed: %s",
			strerror(errno));
	/* GSI 0 -> IOAPIC pin 2, as the MADT's interrupt source override says. */
	r = irq_routing_setup(vm->fd, err);
	if (r)
		return r;
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0)
		return errmsg_set(err, errno, "KVM_CREATE_PIT2 failed: %s",
				  strerror(errno));
	return 0;
}

/* LINT0 = ExtINT, LINT1 = NMI: the virtual-wire mode firmware leaves. */
static int setup_lapic(struct vcpu *vcpu)
{
	struct kvm_lapic_state lapic;
	uint32_t v;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	memcpy(&v, &lapic.regs[APIC_LVT0], 4);
	v = (v & ~0x700u & ~(1u << 16)) | APIC_MODE_EXTINT;
	memcpy(&lapic.regs[APIC_LVT0], &v, 4);
	memcpy(&v, &lapic.regs[APIC_LVT1], 4);
	v = (v & ~0x700u & ~(1u << 16)) | APIC_MODE_NMI;
	memcpy(&lapic.regs[APIC_LVT1], &v, 4);
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) < 0)
		return -errno;
	return 0;
}

/*
 * MSRs of features the guest's CPUID hides raise #GP. Without KVM's MSR
 * filter the guest reaches KVM's emulation of them, as it did before: say
 * so once, it is not fatal.
 */
/*
 * --cpu-features may set a bit KVM does not report as supported (QEMU
 * would filter it out): the guest then sees a feature the CPU or KVM may
 * not implement. That is what testing a guest's fallback paths needs, so
 * it is allowed, once said.
 */
static int check_cpu_features(struct vm *vm, struct errmsg *err)
{
	const struct cpuid_bit *unsupported;
	int r;

	r = cpu_features_check(&vm->cfg->cpu_features, vm->supported_cpuid,
			       &unsupported, err);
	if (!r && unsupported)
		log_warn(
			"--cpu-features +%s: KVM does not report it as supported; the guest sees it, but the CPU or KVM may not implement it",
			unsupported->name);
	return r;
}

static void install_msr_filter(struct vm *vm)
{
	/* VM-wide: every vCPU has the same features (only APIC ids differ). */
	struct cpuid_params p = {
		.nr_cpus = vm->cfg->nr_cpus, /* before the vCPUs exist */
		.tsc_deadline = vm->kvm.caps.tsc_deadline,
		.tmpl = vm->tmpl,
		.edits = &vm->cfg->cpu_features,
	};
	struct kvm_cpuid2 *cpuid = cpuid_build(vm->supported_cpuid, &p);
	int n, r;

	if (!cpuid) {
		log_warn(
			"MSR filter: out of memory; MSRs of hidden CPUID features stay accessible");
		return;
	}
	r = msr_filter_install(vm->kvm.fd, vm->fd, cpuid, &n);
	free(cpuid);

	if (r == -ENOTSUP)
		log_info(
			"KVM has no MSR filter (KVM_CAP_X86_MSR_FILTER): MSRs of hidden CPUID features stay accessible");
	else if (r)
		log_warn(
			"KVM_X86_SET_MSR_FILTER failed: %s; MSRs of hidden CPUID features stay accessible",
			strerror(-r));
	else if (n)
		log_debug(
			"MSR filter: %d MSRs of hidden CPUID features raise #GP",
			n);
}

/* Said once, for the boot vCPU: every vCPU gets the same features. */
static void warn_unhonoured_features(struct vm *vm, struct vcpu *vcpu)
{
	const struct cpu_feature_edit *bad[CPU_FEATURES_MAX_EDITS];
	struct kvm_cpuid2 *actual;
	int i, n;

	if (!vm->cfg->cpu_features.nr)
		return;
	actual = cpuid_get_vcpu(vcpu->fd);
	n = actual ? cpu_features_unhonoured(&vm->cfg->cpu_features, actual,
					     bad) :
		     0;
	for (i = 0; i < n; i++) {
		const struct cpu_feature_edit *e = bad[i];

		log_warn(
			"--cpu-features %c%s: this KVM did not take it: KVM_GET_CPUID2 still shows %s %s (kvm_pvm, for one, passes the host's CPUID leaf 0x%x through)",
			e->set ? '+' : '-', e->bit->name, e->bit->name,
			e->set ? "absent" : "present", e->bit->leaf);
	}
	free(actual);
}

static int setup_vcpu(struct vm *vm, struct vcpu *vcpu, struct errmsg *err)
{
	struct cpuid_params p = {
		.apic_id = vcpu->id,
		.nr_cpus = vm->nr_vcpus,
		.tsc_deadline = vm->kvm.caps.tsc_deadline,
		.tmpl = vm->tmpl,
		.edits = &vm->cfg->cpu_features,
	};
	/* KVM_SET_FPU ignores mxcsr; KVM's reset value is 0x1f80 anyway. */
	struct kvm_fpu fpu = { .fcw = 0x37f };
	struct kvm_cpuid2 *c = cpuid_build(vm->supported_cpuid, &p);
	int r;

	if (!c)
		return errmsg_set(err, ENOMEM, "out of memory");
	r = ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	if (r < 0) {
		r = errmsg_set(err, errno, "vCPU %d: KVM_SET_CPUID2 failed: %s",
			       vcpu->id, strerror(errno));
		free(c);
		return r;
	}
	free(c);
	if (vcpu->id == 0)
		warn_unhonoured_features(vm, vcpu);
	r = setup_lapic(vcpu);
	if (r)
		return errmsg_set(err, -r, "vCPU %d: LAPIC setup failed: %s",
				  vcpu->id, strerror(-r));
	if (ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0)
		return errmsg_set(err, errno, "vCPU %d: KVM_SET_FPU failed: %s",
				  vcpu->id, strerror(errno));
	return 0;
}

int vm_init_bare(struct vm *vm)
{
	vm->fd = -1;
	vm->kvm.fd = -1;
	vm->end_efd = -1;
	vm->kvm_stats_fd = -1;
	vm->serial_out_fd = -1;
	vm->dead_cpu = -1;
	pthread_mutex_init(&vm->end_lock, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	return event_loop_init(&vm->loop);
}

int vm_create(struct vm *vm, const struct vm_config *cfg,
	      const struct cpu_template *tmpl, struct guest_memory *mem,
	      struct errmsg *err)
{
	int i, r;

	memset(vm, 0, sizeof(*vm));
	r = vm_init_bare(vm);
	if (r)
		return errmsg_set(err, -r, "epoll: %s", strerror(-r));
	vm->mem = *mem;
	memset(mem, 0, sizeof(*mem));
	vm->cfg = cfg;
	vm->tmpl = tmpl;

	r = kvm_host_open(&vm->kvm, cfg->kvm_device, err);
	if (r)
		return r;
	if (cfg->nr_cpus > vm->kvm.caps.max_vcpus)
		return errmsg_set(
			err, EINVAL,
			"--cpus %d is more than this host's KVM allows (%d): use --cpus %d or fewer",
			cfg->nr_cpus, vm->kvm.caps.max_vcpus,
			vm->kvm.caps.max_vcpus);
	vm->fd = ioctl(vm->kvm.fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return errmsg_set(err, errno, "KVM_CREATE_VM failed: %s",
				  strerror(errno));
	vm->end_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->end_efd < 0)
		return errmsg_set(err, errno, "eventfd: %s", strerror(errno));
	/* query-stats reads it; -1 on kernels without binary stats. */
	vm->kvm_stats_fd = ioctl(vm->fd, KVM_GET_STATS_FD, 0);
	vm->supported_cpuid = cpuid_get_supported(vm->kvm.fd);
	if (!vm->supported_cpuid)
		return errmsg_set(err, errno ? errno : ENOMEM,
				  "KVM_GET_SUPPORTED_CPUID failed");
	r = check_cpu_features(vm, err);
	if (r)
		return r;

	/*
	 * Before the irqchip: KVM waits for an SRCU grace period on every
	 * filter change, 11-17 ms here once the irqchip exists, ~0 before.
	 */
	install_msr_filter(vm);
	r = setup_memslots(vm, err);
	if (!r)
		r = setup_irqchip(vm, err);
	if (r)
		return r;

	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	vm->env = (struct device_env){
		.pio = &vm->pio,
		.mmio = &vm->mmio,
		.irq = { .set_level = irq_set_level, .opaque = vm },
		.ctl = { .request_end = ctl_request_end,
			 .request_suspend = vm_request_suspend,
			 .request_wakeup = vm_wakeup_request,
			 .opaque = vm },
		.loop = &vm->loop,
		.mem = &vm->mem,
		.ram_size = vm->mem.ram_size,
		.low_ram_end = guest_memory_low_end(&vm->mem),
		.high_ram_size = guest_memory_high_size(&vm->mem),
		.nr_cpus = cfg->nr_cpus,
		.console_out_fd = -1,
		.console_uart = &vm->serial,
	};
	r = kvm_hooks_init(vm, &vm->env.kvm, err);
	if (r)
		return r;
	vm->vcpus = calloc(cfg->nr_cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return errmsg_set(err, ENOMEM, "out of memory");
	vm->nr_vcpus = cfg->nr_cpus;
	for (i = 0; i < cfg->nr_cpus; i++) {
		r = vcpu_create(vm, i, &vm->vcpus[i]);
		if (r)
			return errmsg_set(err, -r,
					  "KVM_CREATE_VCPU %d failed: %s", i,
					  strerror(-r));
		r = setup_vcpu(vm, vm->vcpus[i], err);
		if (r)
			return r;
	}
	return vm_sleep_init(vm, err);
}

int vm_set_boot_entry(struct vm *vm, const struct boot_entry *entry,
		      struct errmsg *err)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct vcpu *bsp = vm->vcpus[0];
	int r;

	if (entry->bios_env) {
		r = bios_env_setup(&vm->mem, vm->fd, err);
		if (r)
			return r;
	}
	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) < 0)
		return errmsg_set(err, errno, "KVM_GET_SREGS failed: %s",
				  strerror(errno));
	r = regs_boot_state(&vm->mem, entry, &regs, &sregs);
	if (r)
		return errmsg_set(
			err, -r,
			"cannot write boot page tables/GDT into guest RAM");
	if (ioctl(bsp->fd, KVM_SET_SREGS, &sregs) < 0)
		return errmsg_set(err, errno, "KVM_SET_SREGS failed: %s",
				  strerror(errno));
	if (ioctl(bsp->fd, KVM_SET_REGS, &regs) < 0)
		return errmsg_set(err, errno, "KVM_SET_REGS failed: %s",
				  strerror(errno));
	return 0;
}

/*
 * Halt watchdog. With the in-kernel LAPIC, HLT never exits to user space,
 * so a guest that does "cli; hlt" would sleep forever. Every period, quiet
 * vCPUs (no exits since last time) are kicked and report their state; if
 * every vCPU is halted with interrupts off or waiting for SIPI, twice in a
 * row, nothing can ever wake them: end the VM with a diagnostic.
 */
struct watchdog {
	uint64_t gen;
	int quiet_rounds;
};

static void watchdog_tick(struct vm *vm, struct watchdog *wd)
{
	bool all_stuck = true, any_halted = false;
	const struct vcpu_snapshot *snap = NULL;
	int i;

	/* Held vCPUs are parked: nothing to learn, nothing to declare. */
	if (vm_is_paused(vm) || vm->dead) {
		wd->quiet_rounds = 0;
		return;
	}
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		uint64_t exits = __atomic_load_n(&v->exits, __ATOMIC_RELAXED);
		uint64_t done =
			__atomic_load_n(&v->probe_gen_done, __ATOMIC_SEQ_CST);
		int idle = __atomic_load_n(&v->idle, __ATOMIC_SEQ_CST);

		if (exits != v->watch_exits || done != wd->gen ||
		    (idle != VCPU_IDLE_HALTED_NOIRQ &&
		     idle != VCPU_IDLE_WAIT_SIPI))
			all_stuck = false;
		if (idle == VCPU_IDLE_HALTED_NOIRQ && done == wd->gen &&
		    !snap) {
			any_halted = true;
			snap = &v->idle_snap;
		}
		v->watch_exits = exits;
	}
	if (all_stuck && any_halted) {
		if (++wd->quiet_rounds >= WATCHDOG_ROUNDS) {
			vm_request_end(
				vm, KS_STATUS_HALTED,
				"every vCPU is halted with interrupts disabled (cli; hlt) or waiting for SIPI: nothing can wake the guest",
				snap);
			return;
		}
	} else {
		wd->quiet_rounds = 0;
	}
	/* Ask every vCPU that had no exits to report its state. */
	wd->gen++;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpus[i];

		__atomic_store_n(&v->probe_gen_req, wd->gen, __ATOMIC_SEQ_CST);
		__atomic_store_n(&v->probe_req, 1, __ATOMIC_SEQ_CST);
		vcpu_kick(v);
	}
}

static void print_stats(struct vm *vm)
{
	fflush(stderr);
	stats_print_table(vm, stderr);
	fflush(stderr);
	log_warn("exits: unclaimed pio reads %" PRIu64 " writes %" PRIu64
		 ", unclaimed mmio reads %" PRIu64 " writes %" PRIu64,
		 vm->pio.unclaimed_reads, vm->pio.unclaimed_writes,
		 vm->mmio.unclaimed_reads, vm->mmio.unclaimed_writes);
}

static void report_end(struct vm *vm)
{
	static char dump[4096];

	if (vm->dead) {
		log_warn("%s; the guest had died: %s (exit status %d)",
			 vm->end_why, vm->dead_why, vm->end_status);
	} else if (vm->end_has_snapshot) {
		diag_format(&vm->end_snapshot, dump, sizeof(dump));
		log_error("%s", vm->end_why);
		fputs(dump, stderr);
		fflush(stderr);
		log_error("exit status %d", vm->end_status);
	} else if (vm->end_status == KS_STATUS_RESET ||
		   vm->end_status == KS_STATUS_SIGNAL) {
		log_warn("%s (exit status %d)", vm->end_why, vm->end_status);
	} else {
		log_info("%s (exit status %d)", vm->end_why, vm->end_status);
	}
}

static void on_signal(void *opaque, int fd, uint32_t events)
{
	struct signalfd_siginfo si;
	char why[64];

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	snprintf(why, sizeof(why), "stopped by %s",
		 si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
	vm_request_end(opaque, KS_STATUS_SIGNAL, why, NULL);
}

struct watchdog_source {
	struct vm *vm;
	struct watchdog wd;
};

static void on_watchdog(void *opaque, int fd, uint32_t events)
{
	struct watchdog_source *w = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) > 0)
		watchdog_tick(w->vm, &w->wd);
}

static void on_end_request(void *opaque, int fd, uint32_t events)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	vm_handle_death(opaque);
	vm_handle_suspend(opaque);
}

/* Tell the listeners the VM ends; a dead VM ends with its fatal status. */
static void announce_end(struct vm *vm)
{
	struct vm_state_event ev = { .kind = VM_STATE_END, .cpu = -1 };
	const char *reason;

	if (vm->dead) {
		vm->end_status = vm->dead_status;
		vm->end_has_snapshot = false; /* printed when it died */
	}
	reason = shutdown_reason(vm->end_status, &ev.guest);
	if (vm->end_reason) {
		reason = vm->end_reason;
		ev.guest = false;
	}
	ev.reason = reason;
	ev.status = vm->end_status;
	ev.why = vm->end_why;
	vm_notify_state(vm, &ev);
}

int vm_run(struct vm *vm, int serial_out_fd, int console_in_fd,
	   struct errmsg *err)
{
	struct itimerspec period = {
		.it_interval = { 0, WATCHDOG_PERIOD_MS * 1000000L },
		.it_value = { 0, WATCHDOG_PERIOD_MS * 1000000L },
	};
	struct watchdog_source wd = { .vm = vm };
	struct console *console = NULL;
	int sfd, tfd, i, r;
	sigset_t sigs;

	/* Devices now: COM1 needs the console's output fd. */
	vm->serial_out_fd = serial_out_fd;
	vm->env.console_out_fd = serial_out_fd;
	r = legacy_devices_register(&vm->env, err);
	if (!r)
		r = pci_host_create(&vm->env, &vm->pci, err);
	if (!r)
		r = device_options_add(&vm->env, vm->pci, vm->cfg->devices,
				       vm->cfg->nr_devices, err);
	if (r)
		return r;
	r = console_open(&console, console_in_fd, vm->serial, vm->env.ctl, err);
	if (r)
		return r;

	/* Signals for the main loop only; vCPU threads inherit the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sigdelset(&sigs, SIGUSR1);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sfd < 0 || tfd < 0 ||
	    vm_watch_fd(vm, sfd, EPOLLIN, on_signal, vm) ||
	    vm_watch_fd(vm, tfd, EPOLLIN, on_watchdog, &wd) ||
	    vm_watch_fd(vm, vm->end_efd, EPOLLIN, on_end_request, vm) ||
	    console_watch(console, &vm->loop) ||
	    timerfd_settime(tfd, 0, &period, NULL)) {
		console_close(console);
		return errmsg_set(err, errno, "event loop setup failed: %s",
				  strerror(errno));
	}
	vcpu_signals_init();
	vm_sleep_record_platform(vm);

	/* --paused: every vCPU parks before its first guest instruction. */
	if (vm->cfg->start_paused) {
		vm->holds |= 1u << VM_HOLD_START;
		__atomic_store_n(&vm->pause_req, 1, __ATOMIC_SEQ_CST);
	}
	for (i = 0; i < vm->nr_vcpus; i++) {
		r = vcpu_start(vm->vcpus[i]);
		if (r) {
			vm_request_end(vm, KS_STATUS_VMM_ERROR,
				       "cannot start a vCPU thread", NULL);
			break;
		}
	}

	while (!vm->end_requested) {
		r = event_loop_run_once(&vm->loop, -1);
		if (r < 0) {
			log_error("main loop: %s", strerror(-r));
			vm_request_end(vm, KS_STATUS_VMM_ERROR,
				       "main loop failed", NULL);
		}
	}

	announce_end(vm);
	__atomic_store_n(&vm->stopping, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond); /* parked threads leave */
	pthread_mutex_unlock(&vm->pause_lock);
	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(vm->vcpus[i]);
	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_join(vm->vcpus[i]);
	vm_unwatch_fd(vm, sfd);
	vm_unwatch_fd(vm, tfd);
	vm_unwatch_fd(vm, vm->end_efd);
	console_close(console);
	close(sfd);
	close(tfd);
	report_end(vm);
	if (vm->cfg->stats)
		print_stats(vm);
	return vm->end_status;
}

void vm_destroy(struct vm *vm)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(vm->vcpus[i]);
	free(vm->vcpus);
	/* vCPUs are gone: nothing can reach the devices any more. */
	bus_release(&vm->pio);
	bus_release(&vm->mmio);
	kvm_hooks_free(vm);
	if (vm->serial)
		serial_destroy(vm->serial);
	free(vm->supported_cpuid);
	vm_sleep_free(vm);
	if (vm->kvm_stats_fd >= 0)
		close(vm->kvm_stats_fd);
	kvm_stats_free(vm->kvm_stats);
	guest_memory_free(&vm->mem);
	if (vm->end_efd >= 0)
		close(vm->end_efd);
	event_loop_free(&vm->loop);
	if (vm->fd >= 0)
		close(vm->fd);
	kvm_host_close(&vm->kvm);
}
