/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest-OS views (guest-ps, guest-dmesg, read-symbol,
 * read-struct, guest-backtrace) need of one VM's kernel, in one place: the
 * kernel found in RAM (os/guest_kernel.h), its kallsyms, its BTF types
 * (os/ktypes.h, parsed once per VM and kept) and a reader of kernel
 * virtual memory. Main thread, VM paused by the command's policy.
 */
#ifndef KVMSCOPE_OS_KVIEW_H
#define KVMSCOPE_OS_KVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os/guest_kernel.h"
#include "os/ktypes.h"
#include "util/errmsg.h"

struct vm;

struct kview {
	struct vm *vm;
	const struct guest_kernel *gk;
	const struct kallsyms *ks;
	const struct ktypes *kt; /* NULL unless asked for */
};

/*
 * Fill kv: the kernel and its symbols always; the BTF types when
 * need_types (the first call per VM reads __start_BTF..__stop_BTF).
 * 0 or -errno with err naming what is missing and which kernel option
 * provides it.
 */
int kview_open(struct vm *vm, struct kview *kv, bool need_types,
	       struct errmsg *err);

/* Read kernel virtual memory (a kallsyms_read_fn): 0 or -EFAULT. */
int kview_read(void *kv, uint64_t va, void *buf, size_t len);

/* A symbol's address: 0, or -ENOENT with err naming it. */
int kview_symbol(const struct kview *kv, const char *name, uint64_t *addr,
		 struct errmsg *err);

/* The task a CPU runs now: per-cpu current_task. 0 or -errno. */
int kview_current_task(const struct kview *kv, int cpu, uint64_t *task,
		       struct errmsg *err);

#endif
