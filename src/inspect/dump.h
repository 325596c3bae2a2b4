/* SPDX-License-Identifier: GPL-2.0 */
/* dump-guest-memory's ELF core writer (dump.c). */
#ifndef KVMSCOPE_INSPECT_DUMP_H
#define KVMSCOPE_INSPECT_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"

struct vm;

/*
 * Where a Linux guest maps its RAM, for virtual addresses in the dump as
 * kdump writes them: RAM at page_offset + physical (the direct map), and
 * the kernel image [text_va, text_va + text_size) at text_pa. drgn and
 * crash read the kernel's page tables through these.
 */
#define DUMP_MAX_PIDS 256

struct dump_linux {
	bool valid;
	uint64_t page_offset;
	uint64_t text_va, text_pa, text_size;
	/*
	 * The PID of the task each vCPU runs (its per-CPU current_task), for
	 * NT_PRSTATUS pr_pid as the kernel's own crash_save_cpu writes it:
	 * drgn finds a running task's registers by that PID. Without it
	 * (have_pids false, a vCPU past nr_pids) pr_pid is vCPU index + 1,
	 * as QEMU writes.
	 */
	bool have_pids;
	int nr_pids;
	int32_t pid[DUMP_MAX_PIDS];
};

struct dump_result {
	uint64_t file_size;
	uint64_t bytes_written; /* the rest are holes (all-zero pages) */
	int nr_vcpus, nr_segments;
	bool vmcoreinfo;
};

/* The largest VMCOREINFO text a dump carries (the kernel's is a page). */
#define DUMP_VMCOREINFO_MAX 4096

/*
 * What the dump learns about the guest kernel: run on a thread of its
 * own while RAM is written (the VM is stopped throughout), it fills lx
 * and up to max bytes of VMCOREINFO text, returning their length (0: no
 * VMCOREINFO). It only reads guest memory and registers.
 */
struct dump_probe {
	size_t (*run)(void *opaque, struct dump_linux *lx, char *vmcoreinfo,
		      size_t max);
	void *opaque;
};

/*
 * Write the stopped VM to path as an ELF core; probe (or NULL) supplies
 * the Linux layout, the PIDs and the VMCOREINFO note. 0, or -errno with
 * err naming path; path is untouched on failure.
 */
int dump_guest_memory(struct vm *vm, const char *path,
		      const struct dump_probe *probe, struct dump_result *res,
		      struct errmsg *err);

#endif
