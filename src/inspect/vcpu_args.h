/* SPDX-License-Identifier: GPL-2.0 */
/* What every per-vCPU inspection command needs first. */
#ifndef KVMSCOPE_INSPECT_VCPU_ARGS_H
#define KVMSCOPE_INSPECT_VCPU_ARGS_H

#include <linux/kvm.h>

#include "api/commands.h"
#include "inspect/pagewalk.h"

struct vcpu;

/* The vCPU named by the required cpu=N argument. */
int inspect_arg_vcpu(struct api_ctx *ctx, json_t *args, struct vcpu **out,
		     struct errmsg *err);

/*
 * The walker's view of a stopped vCPU: its control registers (returned in
 * s) plus the physical address width and 1 GiB page support KVM offers
 * guests.
 */
int inspect_vcpu_paging(struct vm *vm, struct vcpu *vcpu, struct kvm_sregs *s,
			struct paging_ctx *pc, struct errmsg *err);

#endif
