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

#include "util/event_loop.h"
#include "util/log.h"
#include "vmm/bus.h"

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

struct device_env {
	struct bus *pio;
	struct bus *mmio;
	struct irq_sink irq;
	struct vm_control ctl;
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
