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

/*
 * The address space a gva= lives in: cpu=N's page tables (cpu required
 * unless pid is given), or with pid=N a guest process's, found in the
 * guest kernel's task list (as crash's `vtop` after `set PID`); cpu= then
 * only gives the paging mode (default vCPU 0). The VM must be stopped.
 */
struct addr_space {
	struct vcpu *vcpu;
	struct kvm_sregs sregs;
	struct paging_ctx pc;
	bool by_pid;
	long pid;
	char comm[17];
};

int inspect_arg_space(struct api_ctx *ctx, json_t *args, struct addr_space *as,
		      struct errmsg *err);

#endif
