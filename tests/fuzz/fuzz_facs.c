// SPDX-License-Identifier: GPL-2.0
/*
 * vmm/sleep.c's reading of the FACS, which the guest writes, on arbitrary
 * bytes (the first ACPI_FACS_SIZE of the input, zero-padded). The entry it
 * picks must be one firmware can take: real mode below 1 MiB + 64 KiB
 * with IP in 0-15, or an EIP that fits 32 bits; nothing else.
 */
#include <stdint.h>
#include <string.h>

#include "arch/x86/acpi.h"
#include "vmm/sleep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t facs[ACPI_FACS_SIZE] = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	enum wake_mode mode;
	uint64_t ip;
	uint16_t cs;

	memcpy(facs, data, size < sizeof(facs) ? size : sizeof(facs));
	mode = sleep_wake_entry(facs, &cs, &ip);
	memset(&sregs, 0, sizeof(sregs));
	memset(&regs, 0, sizeof(regs));
	switch (mode) {
	case WAKE_REAL_MODE:
		if (ip > 0xf || ((uint64_t)cs << 4) + ip >= 0x100000 ||
		    ((uint64_t)cs << 4) + ip == 0)
			__builtin_trap();
		sleep_set_entry(mode, cs, ip, &sregs, &regs);
		if (sregs.cs.base != (uint64_t)cs << 4 || regs.rip != ip)
			__builtin_trap();
		break;
	case WAKE_PROTECTED_MODE:
		if (!ip || ip > UINT32_MAX || cs)
			__builtin_trap();
		sleep_set_entry(mode, cs, ip, &sregs, &regs);
		if (!(sregs.cr0 & 1) || regs.rip != ip)
			__builtin_trap();
		break;
	case WAKE_NO_VECTOR:
		if (cs || ip)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	return 0;
}
