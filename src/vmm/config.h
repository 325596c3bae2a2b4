/* SPDX-License-Identifier: GPL-2.0 */
/* What `kvmscope run` was asked to do, after option parsing and checks. */
#ifndef KVMSCOPE_VMM_CONFIG_H
#define KVMSCOPE_VMM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/boot.h"
#include "arch/x86/cpu_features.h"
#include "devices/devices.h" /* struct device_spec */

#define CONFIG_MIN_MEM (16ULL << 20)
#define CONFIG_MAX_MEM (1ULL << 40)
#define CONFIG_MAX_CPUS 255 /* xAPIC IDs; MADT/multiboot-era guests */
#define CONFIG_MAX_DEVICES 16


enum serial_mode {
	SERIAL_STDIO,
	SERIAL_FILE,
	SERIAL_NONE,
};

struct vm_config {
	const char *kernel_path;
	const char *initrd_paths[BOOT_MAX_INITRD];
	int nr_initrd;
	const char *append; /* NULL: none */
	uint64_t mem_size;
	int nr_cpus;
	enum serial_mode serial_mode;
	const char *serial_path; /* SERIAL_FILE */
	const char *cpu_template; /* "auto", "host", "pvm-safe" */
	struct cpu_feature_edits cpu_features; /* --cpu-features */
	const char *kvm_device; /* default /dev/kvm */
	bool stats; /* print exit counters at the end */
	bool restart_on_reboot; /* --on-reboot restart */
	const char *api_sock; /* --api-sock PATH, NULL: none */
	bool start_paused; /* --paused */
	const char *gdb; /* --gdb tcp:HOST:PORT|unix:PATH, NULL: none */
	const char *symbols_path; /* --symbols FILE */
	int on_fatal; /* enum vm_on_fatal (vmm/runstate.h) */
	struct device_spec devices[CONFIG_MAX_DEVICES]; /* in option order */
	int nr_devices;
	/* --rng / --no-rng given; neither: a Linux guest gets virtio-rng */
	bool rng_chosen;
};

#endif
