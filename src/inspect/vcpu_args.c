// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "inspect/vcpu_args.h"
#include "os/commands.h"
#include "vmm/diag.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

int inspect_arg_vcpu(struct api_ctx *ctx, json_t *args, struct vcpu **out,
		     struct errmsg *err)
{
	long cpu;
	int r;

	r = api_arg_int(args, "cpu", true, 0, ctx->vm->nr_vcpus - 1, &cpu, NULL,
			err);
	if (r)
		return r;
	*out = ctx->vm->vcpus[cpu];
	return 0;
}

int inspect_arg_space(struct api_ctx *ctx, json_t *args, struct addr_space *as,
		      struct errmsg *err)
{
	bool has_cpu;
	uint64_t cr3;
	long cpu = 0;
	int r;

	memset(as, 0, sizeof(*as));
	r = api_arg_int(args, "pid", false, 0, 0x7fffffff, &as->pid,
			&as->by_pid, err);
	if (r)
		return r;
	if (!as->by_pid)
		r = inspect_arg_vcpu(ctx, args, &as->vcpu, err);
	else {
		r = api_arg_int(args, "cpu", false, 0, ctx->vm->nr_vcpus - 1,
				&cpu, &has_cpu, err);
		as->vcpu = ctx->vm->vcpus[cpu];
	}
	if (!r)
		r = vcpu_paging_ctx(as->vcpu, &as->sregs, &as->pc, err);
	if (r || !as->by_pid)
		return r;
	r = os_task_cr3(ctx->vm, as->pid, &cr3, as->comm, sizeof(as->comm),
			err);
	if (r)
		return r;
	/* The process's tables, walked in the mode the kernel runs in. */
	if (as->pc.mode != PAGING_4LEVEL && as->pc.mode != PAGING_5LEVEL)
		return errmsg_set(
			err, EINVAL,
			"vCPU %d is not in long mode with paging: pid= needs the guest kernel running",
			as->vcpu->id);
	as->pc.cr3 = cr3;
	return 0;
}
