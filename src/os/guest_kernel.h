/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's Linux kernel as kvmscope sees it from RAM alone: its
 * identity (release, build id, page size), where it was loaded (KASLR
 * offset, phys_base), its paging levels, a way to translate kernel
 * virtual addresses, and its symbols (kallsyms). This is the OS layer's
 * API for later guest-OS commands (guest-ps, guest-dmesg, read-struct):
 *
 *   guest_kernel_get()      the cached kernel info (probing RAM at first use)
 *   guest_kernel_read_kva() read kernel virtual memory (the kernel's own
 *                           page tables, swapper_pg_dir, or a vCPU's CR3)
 *   guest_kernel_symbols()  the kallsyms table (decoded at first use)
 *
 * Each field says where it came from (the "method"): "vmcoreinfo" (the
 * kernel's VMCOREINFO note), "banner" (the "Linux version" string),
 * "page-tables" (the lowest mapping of the kernel text region), "cr4"
 * (CR4.LA57 of vCPU 0), or "unavailable".
 *
 * Probing and decoding are pure functions of guest memory (tests build
 * synthetic kernels in a buffer); the per-VM cache adds threads: the
 * getters run on the main thread, and the symbolizer registered for
 * diagnostics never blocks or locks (see guest_kernel.c).
 */
#ifndef KVMSCOPE_OS_GUEST_KERNEL_H
#define KVMSCOPE_OS_GUEST_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/pagewalk.h"
#include "os/kallsyms.h"
#include "os/vmcoreinfo.h"
#include "util/errmsg.h"
#include "vmm/memory.h"

#define KERNEL_START_MAP 0xffffffff80000000ULL /* __START_KERNEL_map */
#define KERNEL_TEXT_REGION (1ULL << 30) /* KERNEL_IMAGE_SIZE with KASLR */
/* CONFIG_PHYSICAL_START's default: _text of an unrelocated kernel. */
#define KERNEL_DEFAULT_TEXT (KERNEL_START_MAP + 0x1000000ULL)

struct guest_kernel {
	/* VMCOREINFO: the chosen candidate, if any. */
	struct vmcoreinfo *vi;
	uint64_t vmcoreinfo_gpa; /* of its text */
	bool vmcoreinfo_in_note;
	bool vmcoreinfo_consistent; /* its init_uts_ns holds OSRELEASE */
	int vmcoreinfo_valid; /* valid candidates found */
	int vmcoreinfo_rejected; /* candidates that did not parse */
	char vmcoreinfo_why[200]; /* the first rejection's reason */
	uint64_t bytes_scanned;

	char os_release[65];
	const char *os_release_method;
	char build_id[41];
	const char *build_id_method;
	uint64_t page_size;
	const char *page_size_method;

	/* "Linux version ..." when VMCOREINFO is missing. */
	char banner[256];
	uint64_t banner_gpa;
	char compiler[192]; /* the banner's second parenthesised group */

	bool have_kaslr;
	int64_t kaslr_offset; /* virtual: _text - 0xffffffff81000000 */
	const char *kaslr_method;
	bool have_phys_base;
	uint64_t phys_base; /* __pa(x) = x - __START_KERNEL_map + phys_base */
	const char *phys_base_method;
	int paging_levels; /* 4, 5, 0: unknown */
	const char *paging_method;

	/* Kernel virtual -> guest physical. */
	bool have_pc;
	struct paging_ctx pc;
	const char *pc_method; /* "swapper_pg_dir", "vcpu0-cr3" */

	bool have_kallsyms_loc;
	struct kallsyms_locations kallsyms_loc;
};

/*
 * Find the kernel in guest RAM. cpu_pc (may be NULL) is vCPU 0's paging
 * context, used when VMCOREINFO is missing (or does not give its page
 * tables); maxphyaddr is the guest's physical-address width (0: 36).
 * Returns 0 with gk filled (free with guest_kernel_free), or -ENOENT with
 * err "no Linux kernel found in guest RAM: ..." naming what was tried.
 */
int guest_kernel_probe(const struct guest_memory *mem,
		       const struct paging_ctx *cpu_pc, unsigned int maxphyaddr,
		       struct guest_kernel *gk, struct errmsg *err);
/*
 * The same with flags: GK_PROBE_VMCOREINFO_ONLY returns -ENOENT at once
 * when RAM holds no valid VMCOREINFO (no banner search, no page-table
 * fallback): for a caller that needs nothing else, such as a dump.
 */
#define GK_PROBE_VMCOREINFO_ONLY 1U
int guest_kernel_probe_flags(const struct guest_memory *mem,
			     const struct paging_ctx *cpu_pc,
			     unsigned int maxphyaddr, unsigned int flags,
			     struct guest_kernel *gk, struct errmsg *err);
void guest_kernel_free(struct guest_kernel *gk);

/* Kernel virtual address to guest physical: 0 or -EFAULT (err set). */
int guest_kernel_kva_to_gpa(const struct guest_memory *mem,
			    const struct guest_kernel *gk, uint64_t va,
			    uint64_t *gpa, struct errmsg *err);
/* Read len bytes of kernel virtual memory, page by page: 0 or -EFAULT. */
int guest_kernel_read_kva(const struct guest_memory *mem,
			  const struct guest_kernel *gk, uint64_t va, void *buf,
			  size_t len, struct errmsg *err);

/*
 * Decode kallsyms at gk's locations: 0, -ENOENT (no locations: err says
 * which kernel options provide them), or kallsyms_load's errors.
 */
int guest_kernel_load_kallsyms(const struct guest_memory *mem,
			       const struct guest_kernel *gk,
			       struct kallsyms *ks, struct errmsg *err);

struct vm;

/*
 * Per-VM cache, main thread. attach before vm_run (with_symbolizer: name
 * RIPs in diagnostics from guest kallsyms; false when --symbols does);
 * detach before vm_destroy. Each boot is a new VM, so a guest reset
 * (which ends the VM, --on-reboot restart boots a new one) starts empty.
 * Commands on a VM nobody attached attach it themselves.
 */
int guest_kernel_attach(struct vm *vm, bool with_symbolizer);
void guest_kernel_detach(struct vm *vm);
/*
 * Forget what was found (a kernel replaced in place, RAM rewritten):
 * pointers from guest_kernel_symbols and a published table's kernel info
 * are gone after it. Main thread.
 */
void guest_kernel_invalidate(struct vm *vm);

/*
 * The cached kernel info. Probed at first use and again while nothing
 * came from VMCOREINFO (the kernel writes it during boot); vCPU 0's page
 * tables are used when the VM is stopped. Main thread. *gk stays valid
 * until detach; while no VMCOREINFO was found, a later call may refresh
 * its contents (so keep gk, not pointers into it such as gk->vi).
 */
int guest_kernel_get(struct vm *vm, const struct guest_kernel **gk,
		     struct errmsg *err);
/*
 * guest_kernel_get for a caller that only wants a kernel with VMCOREINFO:
 * with nothing cached, the probe looks for VMCOREINFO alone and caches
 * nothing when there is none (-ENOENT), so a later guest_kernel_get
 * still tries the banner. The main thread, or a thread it waits for.
 */
int guest_kernel_get_vmcoreinfo(struct vm *vm, const struct guest_kernel **gk,
				struct errmsg *err);
/* Attach to vm on the calling (main) thread if nothing is attached yet. */
void guest_kernel_use(struct vm *vm);
/* The kallsyms table, decoded at first use and cached. Main thread. */
int guest_kernel_symbols(struct vm *vm, const struct kallsyms **ks,
			 struct errmsg *err);

#endif
