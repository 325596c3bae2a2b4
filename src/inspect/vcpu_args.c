// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "inspect/vcpu_args.h"
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
