// SPDX-License-Identifier: GPL-2.0
/* One VM's kernel for the guest-OS views; see kview.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "os/kview.h"
#include "util/log.h"
#include "vmm/vm.h"

/*
 * The BTF of the last VM asked: parsing costs ~20 ms for 2 MiB. Keyed by
 * the VM and where the blob was; a new boot is a new VM.
 */
static struct {
	struct vm *vm;
	struct ktypes kt;
	bool valid;
	struct vm *file_failed; /* --symbols had no BTF for this VM */
} btf_cache;

int kview_read(void *opaque, uint64_t va, void *buf, size_t len)
{
	const struct kview *kv = opaque;
	struct errmsg err;

	return guest_kernel_read_kva(&kv->vm->mem, kv->gk, va, buf, len, &err);
}

int kview_symbol(const struct kview *kv, const char *name, uint64_t *addr,
		 struct errmsg *err)
{
	const struct ksym *s = kallsyms_by_name(kv->ks, name, NULL);

	if (!s)
		return errmsg_set(err, ENOENT,
				  "the guest kernel's kallsyms has no %s",
				  name);
	*addr = s->addr;
	return 0;
}

/*
 * --symbols vmlinux with a .BTF section overrides the guest's own BTF, as
 * its symbols override kallsyms (a kernel built without BTF, or whose BTF
 * in RAM was overwritten). 0 with kv->kt set, or -ENOENT to use RAM.
 */
static int load_file_types(struct kview *kv, struct errmsg *err)
{
	const char *path = kv->vm->cfg ? kv->vm->cfg->symbols_path : NULL;
	struct errmsg ferr;

	if (!path || btf_cache.file_failed == kv->vm)
		return -ENOENT;
	if (btf_cache.valid && btf_cache.vm == kv->vm && !btf_cache.kt.va) {
		kv->kt = &btf_cache.kt;
		return 0;
	}
	if (btf_cache.valid)
		ktypes_free(&btf_cache.kt);
	btf_cache.valid = false;
	if (ktypes_from_elf(path, &btf_cache.kt, &ferr)) {
		/* Once per VM: the file will not grow a .BTF meanwhile. */
		log_info("%s; using the guest's BTF from RAM", ferr.text);
		btf_cache.file_failed = kv->vm;
		return -ENOENT;
	}
	(void)err;
	btf_cache.vm = kv->vm;
	btf_cache.valid = true;
	kv->kt = &btf_cache.kt;
	return 0;
}

static int load_types(struct kview *kv, struct errmsg *err)
{
	uint64_t start, stop;
	void *blob;
	int r;

	if (!load_file_types(kv, err))
		return 0;
	if (btf_cache.valid && btf_cache.vm == kv->vm &&
	    !kview_symbol(kv, "__start_BTF", &start, err) &&
	    start == btf_cache.kt.va) {
		kv->kt = &btf_cache.kt;
		return 0;
	}
	if (kview_symbol(kv, "__start_BTF", &start, err) ||
	    kview_symbol(kv, "__stop_BTF", &stop, err))
		return errmsg_set(
			err, ENOENT,
			"the guest kernel has no BTF (no __start_BTF in its kallsyms): build it with CONFIG_DEBUG_INFO_BTF=y, or give --symbols vmlinux");
	if (stop <= start || stop - start > KTYPES_MAX_BTF)
		return errmsg_set(
			err, EINVAL,
			"the guest's BTF bounds are not valid: __start_BTF 0x%llx, __stop_BTF 0x%llx",
			(unsigned long long)start, (unsigned long long)stop);
	blob = malloc(stop - start);
	if (!blob)
		return errmsg_set(err, ENOMEM, "out of memory");
	if (kview_read(kv, start, blob, stop - start)) {
		free(blob);
		return errmsg_set(err, EFAULT,
				  "the guest's BTF at 0x%llx cannot be read",
				  (unsigned long long)start);
	}
	if (btf_cache.valid)
		ktypes_free(&btf_cache.kt);
	btf_cache.valid = false;
	r = ktypes_parse(blob, stop - start, start, &btf_cache.kt, err);
	free(blob);
	if (r)
		return r;
	btf_cache.vm = kv->vm;
	btf_cache.valid = true;
	kv->kt = &btf_cache.kt;
	return 0;
}

int kview_open(struct vm *vm, struct kview *kv, bool need_types,
	       struct errmsg *err)
{
	int r;

	memset(kv, 0, sizeof(*kv));
	kv->vm = vm;
	/* Symbols first: a later get may not probe again under gk. */
	r = guest_kernel_symbols(vm, &kv->ks, err);
	if (!r)
		r = guest_kernel_get(vm, &kv->gk, err);
	if (!r && need_types)
		r = load_types(kv, err);
	return r;
}

int kview_current_task(const struct kview *kv, int cpu, uint64_t *task,
		       struct errmsg *err)
{
	uint64_t offsets, var, base;
	int r;

	r = kview_symbol(kv, "__per_cpu_offset", &offsets, err);
	if (!r)
		r = kview_symbol(kv, "current_task", &var, err);
	if (r)
		return r;
	if (cpu < 0 || cpu >= 8192 ||
	    kview_read((void *)kv, offsets + 8 * (uint64_t)cpu, &base, 8) ||
	    kview_read((void *)kv, base + var, task, 8))
		return errmsg_set(err, EFAULT,
				  "cannot read CPU %d's current_task", cpu);
	return 0;
}
