/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPU templates: named sets of CPUID features kvmscope hides from the
 * guest. "host" hides nothing beyond what KVM cannot virtualise. "pvm-safe"
 * hides what a KVM without VMX/SVM (an instruction emulator running guest
 * kernel code, e.g. kvm_pvm) cannot execute, and, because such a KVM may
 * ignore CPUID bits it does not itself report as supported, also tells
 * Linux guests on their command line.
 */
#ifndef KVMSCOPE_ARCH_X86_CPU_TEMPLATE_H
#define KVMSCOPE_ARCH_X86_CPU_TEMPLATE_H

#include <stdbool.h>
#include <stdint.h>

struct cpuid_bit {
	uint32_t leaf;
	uint32_t subleaf;
	uint8_t reg; /* 0 = EAX, 1 = EBX, 2 = ECX, 3 = EDX */
	uint8_t bit;
	const char *name;
};

struct cpu_template {
	const char *name;
	const char *description;
	const struct cpuid_bit *hidden;
	int nr_hidden;
	/* Added to a Linux guest's command line; NULL for none. */
	const char *linux_cmdline;
};

/*
 * Resolve --cpu-template: "auto" picks "pvm-safe" when the host CPU has
 * neither VMX nor SVM (so KVM must emulate guest kernel code), else "host".
 * Returns NULL for an unknown name. *why explains an automatic choice.
 */
const struct cpu_template *cpu_template_resolve(const char *name,
						const char **why);
/* Names of all templates, comma separated, for error messages. */
const char *cpu_template_names(void);
/* True when the host CPU reports VMX or SVM. */
bool host_has_hw_virt(void);

#endif
