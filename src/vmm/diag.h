/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoded vCPU diagnostics: a snapshot of a vCPU's state taken by its own
 * thread (only that thread may issue vCPU ioctls without waiting on
 * KVM_RUN), printed later by the main thread after the terminal is restored.
 */
#ifndef KVMSCOPE_VMM_DIAG_H
#define KVMSCOPE_VMM_DIAG_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIAG_CODE_BYTES 16

struct vcpu_snapshot {
	int vcpu_id;
	bool have_regs, have_sregs, have_events, have_dregs, have_mp;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events events;
	struct kvm_debugregs dregs;
	struct kvm_mp_state mp;
	/* Instruction bytes at CS:RIP (code_len 0 when unreadable). */
	uint8_t code[DIAG_CODE_BYTES];
	int code_len;
	uint64_t code_gpa;
	char code_note[96]; /* why code_len is short, if it is */
	/* Exit-specific detail lines (e.g. internal error data). */
	char detail[512];
};

struct vcpu;

/* Capture from the vCPU's own thread. */
void vcpu_snapshot_capture(struct vcpu *vcpu, struct vcpu_snapshot *snap);

/* Format the snapshot (registers, segments, control registers, code). */
size_t diag_format(const struct vcpu_snapshot *snap, char *buf, size_t size);

/* Helpers shared with later introspection code. */
const char *diag_cpu_mode(const struct kvm_sregs *sregs);
const char *diag_paging_mode(const struct kvm_sregs *sregs);
size_t diag_flags(char *buf, size_t size, uint64_t value,
		  const char *const names[], int nr);

/* Bit names (NULL for unnamed bits), indexed by bit number. */
extern const char *const diag_rflags_names[22];
extern const char *const diag_cr0_names[32];
extern const char *const diag_cr4_names[25];
extern const char *const diag_efer_names[16];

/* "none", "32-bit", "pae", "4-level" or "5-level" (control-protocol names). */
const char *diag_paging_short(const struct kvm_sregs *sregs);

/* MAXPHYADDR when CPUID does not say (the SDM's value for old CPUs). */
#define DIAG_DEFAULT_MAXPHYADDR 36

/*
 * Guest physical-address width (CPUID 0x80000008 EAX[7:0]) and 1 GiB page
 * support (0x80000001 EDX bit 26) from a CPUID table; cpuid may be NULL.
 */
void diag_guest_phys_bits(struct kvm_cpuid2 *cpuid, unsigned int *maxphyaddr,
			  bool *gbpages);


/*
 * Naming guest addresses in diagnostics and fallback logs: an upper layer
 * (the CLI with --symbols, the OS layer from guest memory) registers a
 * symbolizer; fn writes "name+0xoff" into buf and returns 0, or -ENOENT.
 * Process-wide; NULL fn removes it.
 */
typedef int (*diag_symbolize_fn)(void *opaque, uint64_t addr, char *buf,
				 size_t size);
void diag_set_symbolizer(diag_symbolize_fn fn, void *opaque);
/* " <name+0xoff>" into buf, or "" when nobody can name addr. */
void diag_symbolize(uint64_t addr, char *buf, size_t size);

#endif
