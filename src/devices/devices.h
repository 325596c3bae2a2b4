/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a device model gets from the VM: the buses to register on, a way to
 * drive interrupt lines, a way to end the VM, and the facts it reports
 * (RAM layout, CPU count). Devices never include KVM headers, so they are
 * unit-testable without /dev/kvm.
 */
#ifndef KVMSCOPE_DEVICES_DEVICES_H
#define KVMSCOPE_DEVICES_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "util/errmsg.h"
#include "util/event_loop.h"
#include "util/log.h"
#include "vmm/bus.h"
#include "vmm/memory.h"

struct irq_sink {
	/* Drive ISA/GSI line irq to level (0 or 1). */
	void (*set_level)(void *opaque, unsigned int irq, int level);
	void *opaque;
};

struct vm_control {
	/*
	 * End the VM with the given process exit status (see exit_status.h);
	 * why is a short human-readable reason. The first request wins.
	 */
	void (*request_end)(void *opaque, int status, const char *why);
	/*
	 * vCPU thread: the guest entered ACPI S3. The VM parks every vCPU
	 * (the caller's on its next loop turn). At each wake event while it
	 * sleeps, wake(dev, source) runs on the main thread and says whether
	 * the machine wakes (recording why, e.g. WAK_STS) before any vCPU
	 * runs again. NULL: no S3.
	 */
	void (*request_suspend)(void *opaque,
				bool (*wake)(void *dev, const char *source),
				void *dev);
	/*
	 * Main thread: a wake event happened (source: "rtc"); it wakes the
	 * VM when suspended and does nothing otherwise. NULL: none.
	 */
	void (*request_wakeup)(void *opaque, const char *source);
	void *opaque;
};

/*
 * What KVM offers devices that bypass the vCPU thread (vm.c fills these
 * in; each returns 0 or -errno, -EOPNOTSUPP when the host lacks the
 * capability, and then the device falls back to the exit path).
 */
struct kvm_hooks {
	/* KVM_IOEVENTFD: fd is signalled on a guest write of len bytes at
	 * addr (any value); assign false removes it again. */
	int (*ioeventfd)(void *opaque, bool mmio, uint64_t addr, uint32_t len,
			 int fd, bool assign);
	/* The same, signalled only for a write of exactly data. */
	int (*ioeventfd_match)(void *opaque, bool mmio, uint64_t addr,
			       uint32_t len, uint64_t data, int fd,
			       bool assign);
	/* A GSI routed as MSI (address, data): allocate with *gsi < 0,
	 * update when *gsi >= 0; msi_route_free gives it back. */
	int (*msi_route)(void *opaque, int *gsi, uint64_t address,
			 uint32_t data);
	void (*msi_route_free)(void *opaque, int gsi);
	/* KVM_IRQFD: writing fd raises gsi; assign false disconnects. */
	int (*irqfd)(void *opaque, int gsi, int fd, bool assign);
	/* KVM_SIGNAL_MSI once (the bridge delivering a pending vector). */
	int (*signal_msi)(void *opaque, uint64_t address, uint32_t data);
	/*
	 * Call fn(dev, running) on the main thread when the VM stops (every
	 * vCPU parked: user/debugger/fatal hold, dump, S3) and resumes, so a
	 * device's I/O thread stops touching guest memory while it is
	 * inspected. fn must return only once the device is quiet.
	 */
	int (*add_run_listener)(void *opaque, void (*fn)(void *dev,
							 bool running),
				void *dev);
	void *opaque;
};

struct device_env {
	struct bus *pio;
	struct bus *mmio;
	struct irq_sink irq;
	struct vm_control ctl;
	struct kvm_hooks kvm;
	/* Guest RAM, for DMA: only through memory.h's checked helpers. */
	struct guest_memory *mem;
	/* The main thread's loop, for host timers (NULL: none, e.g. tests). */
	struct event_loop *loop;
	uint64_t ram_size; /* total */
	uint64_t low_ram_end; /* end of RAM below 4 GiB */
	uint64_t high_ram_size; /* RAM above 4 GiB */
	int nr_cpus;
	/* COM1, the console: its output fd (-1: none) and where it goes. */
	int console_out_fd;
	struct serial **console_uart;
};

/*
 * One row per device, defined next to the device's code and listed in
 * legacy.c's table: a name for messages (with the ports it claims) and
 * its registration (0 or -errno; the bus owns the device afterwards,
 * except COM1, which env->console_uart hands to the VM).
 */
struct device_desc {
	const char *name;
	int (*register_fn)(const struct device_env *env);
};

/*
 * A device asked for on the command line: --disk SPEC is kind
 * "virtio-blk", --net SPEC "virtio-net", --rng "virtio-rng", --device
 * NAME[,ARGS] kind NAME with spec ARGS. devices/device_options.c has the
 * row that checks spec and adds the device.
 */
struct device_spec {
	const char *kind;
	const char *spec; /* "" when none */
};

/*
 * One row per device the command line can add (struct device_spec
 * above), defined next to the device and listed in
 * devices/device_options.c. add checks spec (a user's string: errors are
 * one line naming the option and the fix, e.g. "--disk /x: No such file
 * or directory") and adds the device; it runs before any vCPU does, so a
 * bad option stops the VM before it starts.
 */
struct pci_host;
struct device_option {
	const char *kind; /* "virtio-blk" */
	int (*add)(const struct device_env *env, struct pci_host *host,
		   const char *spec, struct errmsg *err);
};

/*
 * Log a guest mistake at debug level. A guest can repeat the same mistake
 * in a loop, so each call site logs its first DEVICE_LOG_BURST occurrences
 * and then goes quiet, saying so once.
 */
#define DEVICE_LOG_BURST 8
#define device_log_guest(...)                                                  \
	do {                                                                   \
		static unsigned int dlg_count_;                                \
		unsigned int dlg_n_;                                           \
                                                                               \
		if (log_verbosity < LOG_DEBUG)                                 \
			break;                                                 \
		dlg_n_ = __atomic_fetch_add(&dlg_count_, 1, __ATOMIC_RELAXED); \
		if (dlg_n_ < DEVICE_LOG_BURST)                                 \
			log_debug(__VA_ARGS__);                                \
		if (dlg_n_ == DEVICE_LOG_BURST - 1)                            \
			log_debug("(not logging that again)");                 \
	} while (0)

#endif
