/* SPDX-License-Identifier: GPL-2.0 */
/* What every per-vCPU inspection command needs first. */
#ifndef KVMSCOPE_INSPECT_VCPU_ARGS_H
#define KVMSCOPE_INSPECT_VCPU_ARGS_H

#include <linux/kvm.h>

#include "cmd/command.h"
#include "arch/x86/pagewalk.h"

struct vcpu;

/* The vCPU named by the required cpu=N argument. */
int inspect_arg_vcpu(struct api_ctx *ctx, json_t *args, struct vcpu **out,
		     struct errmsg *err);


#endif
