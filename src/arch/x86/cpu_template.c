// SPDX-License-Identifier: GPL-2.0
#include <cpuid.h>
#include <string.h>

#include "arch/x86/cpu_template.h"

#define EAX 0
#define EBX 1
#define ECX 2
#define EDX 3

/*
 * What an instruction emulator running guest kernel code cannot do (measured
 * on kvm_pvm with Linux 6.1 guests, see README "Hosts without VMX/SVM"):
 * lock cmpxchg16b hangs, xsave/xrstor fail, popcnt and clac/stac fail,
 * rdrand/rdseed are a risk, kernel SIMD code beyond SSE2 (the SSSE3
 * blake2s of the random driver, AES-NI, CLMUL, SSE4.2 crc32c, SHA-NI) is
 * unknown to the emulator, rdfsbase/wrfsbase are emulated wrongly and
 * silently (user thread-local storage reads 0), and "fast string"
 * memcpy/memset (ERMS/FSRM) is
 * ~3x slower than the plain loops when emulated. AVX/FMA/F16C/AVX2 depend
 * on XSAVE. The KVM paravirt features listed rely on hypercalls, which such
 * a host may never complete.
 */
static const struct cpuid_bit pvm_safe_hidden[] = {
	{ 0x1, 0, ECX, 1, "PCLMULQDQ" },
	{ 0x1, 0, ECX, 9, "SSSE3" },
	{ 0x1, 0, ECX, 13, "CX16" },
	{ 0x1, 0, ECX, 19, "SSE4_1" },
	{ 0x1, 0, ECX, 20, "SSE4_2" },
	{ 0x1, 0, ECX, 25, "AES" },
	{ 0x1, 0, ECX, 23, "POPCNT" },
	{ 0x1, 0, ECX, 26, "XSAVE" },
	{ 0x1, 0, ECX, 27, "OSXSAVE" },
	{ 0x1, 0, ECX, 28, "AVX" },
	{ 0x1, 0, ECX, 12, "FMA" },
	{ 0x1, 0, ECX, 29, "F16C" },
	{ 0x1, 0, ECX, 30, "RDRAND" },
	{ 0x7, 0, EBX, 0, "FSGSBASE" },
	{ 0x7, 0, EBX, 5, "AVX2" },
	{ 0x7, 0, EBX, 9, "ERMS" },
	{ 0x7, 0, EBX, 18, "RDSEED" },
	{ 0x7, 0, EBX, 20, "SMAP" },
	{ 0x7, 0, EBX, 29, "SHA_NI" },
	{ 0x7, 0, EDX, 4, "FSRM" },
	{ 0x40000001, 0, EAX, 7, "KVM_PV_UNHALT" },
	{ 0x40000001, 0, EAX, 11, "KVM_PV_SEND_IPI" },
	{ 0x40000001, 0, EAX, 13, "KVM_PV_SCHED_YIELD" },
};

/*
 * Such a KVM only honours clearing CPUID bits that KVM_GET_SUPPORTED_CPUID
 * itself reports (CX16 disappears from the guest's view; XSAVE and POPCNT do
 * not), so Linux is also told on its command line. clearcpuid= takes
 * Linux's X86_FEATURE numbers (word * 32 + bit): POPCNT 4*32+23 = 151,
 * RDRAND 158, ERMS 9*32+9 = 297, RDSEED 306, SMAP 308, FSRM 18*32+4 = 580,
 * PCLMULQDQ 129, SSSE3 137, SSE4_1 147, SSE4_2 148, AES 153, SHA_NI 317.
 * XSAVE and FSGSBASE have their own switches (noxsave, nofsgsbase).
 */
#define PVM_SAFE_LINUX_CMDLINE \
	"noxsave nofsgsbase "  \
	"clearcpuid=129,137,147,148,151,153,158,297,306,308,317,580"

static const struct cpu_template templates[] = {
	{
		.name = "host",
		.description = "everything KVM supports",
		.hidden = NULL,
		.nr_hidden = 0,
		.linux_cmdline = NULL,
	},
	{
		.name = "pvm-safe",
		.description =
			"hides what a KVM without VMX/SVM cannot emulate in guest kernel mode",
		.hidden = pvm_safe_hidden,
		.nr_hidden =
			sizeof(pvm_safe_hidden) / sizeof(pvm_safe_hidden[0]),
		.linux_cmdline = PVM_SAFE_LINUX_CMDLINE,
	},
};

bool host_has_hw_virt(void)
{
	unsigned int a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 5)))
		return true; /* VMX */
	if (__get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 2)))
		return true; /* SVM */
	return false;
}

const struct cpu_template *cpu_template_resolve(const char *name,
						const char **why)
{
	unsigned int i;

	*why = NULL;
	if (!strcmp(name, "auto")) {
		if (host_has_hw_virt())
			return &templates[0];
		*why = "the host CPU has neither VMX nor SVM, so this KVM emulates guest kernel code";
		return &templates[1];
	}
	for (i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		if (!strcmp(name, templates[i].name))
			return &templates[i];
	return NULL;
}

const char *cpu_template_names(void)
{
	return "auto, host, pvm-safe";
}
