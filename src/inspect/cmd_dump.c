// SPDX-License-Identifier: GPL-2.0
/*
 * dump-guest-memory: QEMU's command (protocol="file:PATH", paging=false;
 * kvmscope also takes path=) writing an ELF core that crash and drgn open
 * (inspect/dump.c), with the guest kernel's VMCOREINFO in it when RAM has
 * one. The VM is paused around it, so every vCPU and page is from one
 * instant; a dead guest dumps as it died.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "inspect/dump.h"
#include "inspect/handlers.h"
#include "os/guest_kernel.h"
#include "os/kview.h"
#include "os/tasks.h"
#include "vmm/memory.h"
#include "vmm/vm.h"

/*
 * x86-64's direct map (page_offset_base when the kernel randomizes or
 * has 5-level paging, else the fixed 4-level base) and the image from
 * _text to _end, at phys_base + (_text - __START_KERNEL_map).
 */
static void linux_layout(struct vm *vm, const struct guest_kernel *gk,
			 const struct kallsyms *ks, struct dump_linux *lx)
{
	const struct ksym *text, *end, *pob;
	struct errmsg kerr;
	uint64_t base;

	if (!ks || !gk->have_phys_base)
		return;
	text = kallsyms_by_name(ks, "_text", NULL);
	end = kallsyms_by_name(ks, "_end", NULL);
	if (!text || !end || end->addr <= text->addr ||
	    text->addr < KERNEL_START_MAP ||
	    end->addr - text->addr > KERNEL_TEXT_REGION)
		return;
	lx->page_offset = gk->paging_levels == 5 ? 0xff11000000000000ULL :
						   0xffff888000000000ULL;
	pob = kallsyms_by_name(ks, "page_offset_base", NULL);
	if (pob && !guest_kernel_read_kva(&vm->mem, gk, pob->addr, &base,
					  sizeof(base), &kerr))
		lx->page_offset = base;
	lx->text_va = text->addr;
	lx->text_pa = text->addr - KERNEL_START_MAP + gk->phys_base;
	lx->text_size = end->addr - text->addr;
	lx->valid = true;
}

/*
 * Each vCPU's current task's PID, for the PRSTATUS notes; with no BTF or
 * an unreadable task the notes keep QEMU's numbering.
 */
static void linux_pids(struct vm *vm, struct dump_linux *lx)
{
	struct task_layout l;
	struct errmsg kerr;
	struct kview kv;
	int i;

	if (kview_open(vm, &kv, true, &kerr) ||
	    task_layout_from_btf(kv.kt, &l, &kerr))
		return;
	for (i = 0; i < vm->nr_vcpus && i < DUMP_MAX_PIDS; i++) {
		uint64_t task;
		uint32_t pid;

		if (kview_current_task(&kv, i, &task, &kerr) ||
		    kview_read(&kv, task + l.pid, &pid, sizeof(pid)))
			return;
		lx->pid[i] = (int32_t)pid;
	}
	lx->nr_pids = i;
	lx->have_pids = true;
}

/*
 * On the dump's probe thread, while the main thread writes RAM and then
 * waits for it (so it stands in for the main thread the getters want):
 * the guest kernel, found by scanning RAM for VMCOREINFO when nothing is
 * cached, its VMCOREINFO text, layout and PIDs. Without VMCOREINFO the
 * dump needs nothing else, so no banner search is paid for.
 */
static size_t dump_probe_linux(void *opaque, struct dump_linux *lx,
			       char *vmcoreinfo, size_t max)
{
	struct vm *vm = opaque;
	const struct guest_kernel *gk;
	const struct kallsyms *ks;
	struct errmsg kerr = { { 0 } };

	if (guest_kernel_get_vmcoreinfo(vm, &gk, &kerr))
		return 0;
	/* Symbols before the kernel: a later get may not probe under gk. */
	if (guest_kernel_symbols(vm, &ks, &kerr))
		ks = NULL;
	if (guest_kernel_get(vm, &gk, &kerr) || !gk->vi || gk->vi->len > max ||
	    guest_memory_read(&vm->mem, gk->vmcoreinfo_gpa, vmcoreinfo,
			      gk->vi->len))
		return 0;
	linux_layout(vm, gk, ks, lx);
	linux_pids(vm, lx);
	return gk->vi->len;
}

static int cmd_dump_guest_memory(struct api_ctx *ctx, json_t *args,
				 json_t **ret, struct errmsg *err)
{
	static const char *const allowed[] = { "path", "protocol", "paging",
					       "format", NULL };
	const char *path = NULL, *protocol = NULL, *format = NULL;
	struct dump_probe probe = { dump_probe_linux, ctx->vm };
	struct dump_result res;
	struct timespec t0, t1;
	bool paging = false, has_paging;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r && json_object_get(args, "path"))
		r = api_arg_str(args, "path", true, &path, err);
	if (!r && json_object_get(args, "protocol"))
		r = api_arg_str(args, "protocol", true, &protocol, err);
	if (!r && json_object_get(args, "format"))
		r = api_arg_str(args, "format", true, &format, err);
	if (!r)
		r = api_arg_bool(args, "paging", &paging, &has_paging, err);
	if (r)
		return r;
	if (protocol && strncmp(protocol, "file:", 5))
		return errmsg_set(
			err, EINVAL,
			"protocol '%s' is not supported: use file:PATH",
			protocol);
	if (protocol)
		path = protocol + 5;
	if (!path || !*path)
		return errmsg_set(
			err, EINVAL,
			"missing argument: path=FILE (or QEMU's protocol=file:FILE)");
	if (paging)
		return errmsg_set(
			err, EINVAL,
			"paging=true is not supported: the dump holds physical memory, which crash and drgn translate themselves");
	if (format && strcmp(format, "elf"))
		return errmsg_set(err, EINVAL,
				  "format '%s' is not supported: only elf",
				  format);
	guest_kernel_use(ctx->vm);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = dump_guest_memory(ctx->vm, path, &probe, &res, err);
	if (r)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*ret = json_pack("{s:s, s:I, s:I, s:i, s:i, s:b, s:f}", "path", path,
			 "size", (json_int_t)res.file_size, "bytes-written",
			 (json_int_t)res.bytes_written, "vcpus", res.nr_vcpus,
			 "segments", res.nr_segments, "vmcoreinfo",
			 res.vmcoreinfo, "seconds",
			 (double)(t1.tv_sec - t0.tv_sec) +
				 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

const struct api_command cmd_dump_commands[] = {
	{ "dump-guest-memory", cmd_dump_guest_memory, API_PAUSES_BRIEFLY,
	  "(path=STRING | protocol=STRING) [paging=BOOL] [format=STRING]",
	  "write the guest as an ELF core that crash and drgn open (vCPU registers, VMCOREINFO, all RAM), atomically" },
};
const size_t cmd_dump_command_count =
	sizeof(cmd_dump_commands) / sizeof(cmd_dump_commands[0]);
