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

int inspect_vcpu_paging(struct vm *vm, struct vcpu *vcpu, struct kvm_sregs *s,
			struct paging_ctx *pc, struct errmsg *err)
{
	unsigned int maxphy;
	bool gbpages;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, s) < 0)
		return errmsg_set(err, errno,
				  "KVM_GET_SREGS on vCPU %d failed: %s",
				  vcpu->id, strerror(errno));
	diag_guest_phys_bits(vm->supported_cpuid, &maxphy, &gbpages);
	if (paging_ctx_init(pc, s->cr0, s->cr3, s->cr4, s->efer, maxphy,
			    gbpages))
		return errmsg_set(
			err, EINVAL,
			"vCPU %d's CR0 0x%llx CR4 0x%llx EFER 0x%llx are no paging mode a CPU can be in",
			vcpu->id, (unsigned long long)s->cr0,
			(unsigned long long)s->cr4,
			(unsigned long long)s->efer);
	return 0;
}
