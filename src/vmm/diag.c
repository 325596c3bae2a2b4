// SPDX-License-Identifier: GPL-2.0
/*
 * Decoded vCPU state for end-of-VM diagnostics: what a person needs to see
 * to understand why the guest died, on one screen.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/cpuid.h"
#include "arch/x86/disasm.h"
#include "vmm/diag.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define X86_CR0_PE (1ULL << 0)
#define X86_CR0_PG (1ULL << 31)
#define X86_CR4_PAE (1ULL << 5)
#define X86_CR4_LA57 (1ULL << 12)
#define X86_EFER_LMA (1ULL << 10)

const char *const diag_rflags_names[22] = {
	"CF", NULL, "PF", NULL, "AF", NULL, "ZF", "SF", "TF",  "IF",  "DF",
	"OF", NULL, NULL, "NT", NULL, "RF", "VM", "AC", "VIF", "VIP", "ID",
};
const char *const diag_cr0_names[32] = {
	"PE",	     "MP",	  "EM",	       "TS",	    "ET",	 "NE",
	[16] = "WP", [18] = "AM", [29] = "NW", [30] = "CD", [31] = "PG",
};
const char *const diag_cr4_names[25] = {
	"VME",	"PVI", "TSD",	   "DE",	 "PSE",	    "PAE",  "MCE",
	"PGE",	"PCE", "OSFXSR",   "OSXMMEXCPT", "UMIP",    "LA57", "VMXE",
	"SMXE", NULL,  "FSGSBASE", "PCIDE",	 "OSXSAVE", NULL,   "SMEP",
	"SMAP", "PKE", "CET",	   "PKS",
};
const char *const diag_efer_names[16] = {
	"SCE",	       [8] = "LME",    [10] = "LMA",   [11] = "NXE",
	[12] = "SVME", [13] = "LMSLE", [14] = "FFXSR", [15] = "TCE",
};

size_t diag_flags(char *buf, size_t size, uint64_t value,
		  const char *const names[], int nr)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < nr && off < size; i++) {
		if (!(value & (1ULL << i)) || !names[i])
			continue;
		off += snprintf(buf + off, size - off, "%s%s", off ? " " : "",
				names[i]);
	}
	return off < size ? off : size - 1;
}

const char *diag_cpu_mode(const struct kvm_sregs *s)
{
	if (!(s->cr0 & X86_CR0_PE))
		return "real mode";
	if (s->efer & X86_EFER_LMA)
		return s->cs.l ? "64-bit long mode" : "compatibility mode";
	return s->cs.db ? "32-bit protected mode" : "16-bit protected mode";
}

const char *diag_paging_mode(const struct kvm_sregs *s)
{
	if (!(s->cr0 & X86_CR0_PG))
		return "paging off";
	if (s->efer & X86_EFER_LMA)
		return (s->cr4 & X86_CR4_LA57) ? "5-level paging" :
						 "4-level paging";
	return (s->cr4 & X86_CR4_PAE) ? "PAE paging" : "32-bit paging";
}

const char *diag_paging_short(const struct kvm_sregs *s)
{
	if (!(s->cr0 & X86_CR0_PG))
		return "none";
	if (s->efer & X86_EFER_LMA)
		return (s->cr4 & X86_CR4_LA57) ? "5-level" : "4-level";
	return (s->cr4 & X86_CR4_PAE) ? "pae" : "32-bit";
}

void diag_guest_phys_bits(struct kvm_cpuid2 *cpuid, unsigned int *maxphyaddr,
			  bool *gbpages)
{
	struct kvm_cpuid_entry2 *e;

	*maxphyaddr = DIAG_DEFAULT_MAXPHYADDR;
	*gbpages = false;
	if (!cpuid)
		return;
	e = cpuid_find(cpuid, 0x80000008, 0);
	/* Outside 32..52 is no CPU's value: keep the architectural default. */
	if (e && (e->eax & 0xff) >= 32 && (e->eax & 0xff) <= 52)
		*maxphyaddr = e->eax & 0xff;
	e = cpuid_find(cpuid, 0x80000001, 0);
	if (e)
		*gbpages = e->edx & (1u << 26);
}

/* Guest-physical address of a linear address, through KVM_TRANSLATE. */
static int linear_to_gpa(struct vcpu *vcpu, const struct kvm_sregs *s,
			 uint64_t la, uint64_t *gpa)
{
	struct kvm_translation tr = { .linear_address = la };

	if (!(s->cr0 & X86_CR0_PG)) {
		*gpa = la;
		return 0;
	}
	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0)
		return -errno;
	if (!tr.valid)
		return -EFAULT;
	*gpa = tr.physical_address;
	return 0;
}

int vcpu_read_code(struct vcpu *vcpu, const struct kvm_sregs *s, uint64_t rip,
		   uint8_t *buf, int len, uint64_t *first_gpa, char *note,
		   size_t note_size)
{
	uint64_t la = s->cs.base + rip;
	int done = 0;

	if (!(s->efer & X86_EFER_LMA) || !s->cs.l)
		la &= 0xffffffffULL;
	note[0] = '\0';
	while (done < len) {
		uint64_t gpa = 0;
		int chunk = 4096 - (int)((la + done) & 4095);

		if (chunk > len - done)
			chunk = len - done;
		if (linear_to_gpa(vcpu, s, la + done, &gpa) < 0) {
			snprintf(note, note_size,
				 "linear address 0x%" PRIx64 " is not mapped",
				 la + done);
			break;
		}
		if (done == 0)
			*first_gpa = gpa;
		if (guest_memory_read(&vcpu->vm->mem, gpa, buf + done, chunk)) {
			snprintf(note, note_size,
				 "guest-physical 0x%" PRIx64 " is not RAM",
				 gpa);
			break;
		}
		done += chunk;
	}
	return done;
}

void vcpu_snapshot_capture(struct vcpu *vcpu, struct vcpu_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->vcpu_id = vcpu->id;
	snap->have_regs = ioctl(vcpu->fd, KVM_GET_REGS, &snap->regs) == 0;
	snap->have_sregs = ioctl(vcpu->fd, KVM_GET_SREGS, &snap->sregs) == 0;
	snap->have_events =
		ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &snap->events) == 0;
	snap->have_dregs = ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &snap->dregs) ==
			   0;
	snap->have_mp = ioctl(vcpu->fd, KVM_GET_MP_STATE, &snap->mp) == 0;
	if (snap->have_regs && snap->have_sregs)
		snap->code_len = vcpu_read_code(
			vcpu, &snap->sregs, snap->regs.rip, snap->code,
			DIAG_CODE_BYTES, &snap->code_gpa, snap->code_note,
			sizeof(snap->code_note));
}

static const char *mp_state_name(uint32_t st)
{
	static const char *const names[] = {
		[KVM_MP_STATE_RUNNABLE] = "runnable",
		[KVM_MP_STATE_UNINITIALIZED] =
			"uninitialized (waiting for INIT)",
		[KVM_MP_STATE_INIT_RECEIVED] = "wait-for-SIPI",
		[KVM_MP_STATE_HALTED] = "halted",
		[KVM_MP_STATE_SIPI_RECEIVED] = "SIPI received",
	};

	if (st < sizeof(names) / sizeof(names[0]) && names[st])
		return names[st];
	return "other";
}

#define OUT(...)                                                             \
	do {                                                                 \
		if (off < size)                                              \
			off += snprintf(buf + off, size - off, __VA_ARGS__); \
	} while (0)

static size_t format_segment(char *buf, size_t size, const char *name,
			     const struct kvm_segment *seg)
{
	size_t off = 0;

	OUT("  %-4s %04x base %016llx limit %08x type %x%s dpl %u%s%s%s%s\n",
	    name, seg->selector, (unsigned long long)seg->base, seg->limit,
	    seg->type, seg->s ? "" : " sys", seg->dpl,
	    seg->present ? " P" : " not-present", seg->l ? " L" : "",
	    seg->db ? " D/B" : "", seg->g ? " G" : "");
	return off < size ? off : size;
}

size_t diag_format(const struct vcpu_snapshot *snap, char *buf, size_t size)
{
	const struct kvm_regs *r = &snap->regs;
	const struct kvm_sregs *s = &snap->sregs;
	char flags[160];
	size_t off = 0;
	int i;

	buf[0] = '\0';
	if (snap->detail[0])
		OUT("  %s\n", snap->detail);
	if (snap->have_mp)
		OUT("  vCPU %d state: %s\n", snap->vcpu_id,
		    mp_state_name(snap->mp.mp_state));
	if (snap->have_regs) {
		diag_flags(flags, sizeof(flags), r->rflags, diag_rflags_names,
			   22);
		char sym[160];

		diag_symbolize(r->rip, sym, sizeof(sym));
		OUT("  RIP %016llx%s  RFLAGS %08llx [%s] IOPL %llu\n",
		    (unsigned long long)r->rip, sym,
		    (unsigned long long)r->rflags, flags,
		    (unsigned long long)(r->rflags >> 12) & 3);
		OUT("  RAX %016llx  RBX %016llx  RCX %016llx  RDX %016llx\n",
		    (unsigned long long)r->rax, (unsigned long long)r->rbx,
		    (unsigned long long)r->rcx, (unsigned long long)r->rdx);
		OUT("  RSI %016llx  RDI %016llx  RBP %016llx  RSP %016llx\n",
		    (unsigned long long)r->rsi, (unsigned long long)r->rdi,
		    (unsigned long long)r->rbp, (unsigned long long)r->rsp);
		OUT("  R8  %016llx  R9  %016llx  R10 %016llx  R11 %016llx\n",
		    (unsigned long long)r->r8, (unsigned long long)r->r9,
		    (unsigned long long)r->r10, (unsigned long long)r->r11);
		OUT("  R12 %016llx  R13 %016llx  R14 %016llx  R15 %016llx\n",
		    (unsigned long long)r->r12, (unsigned long long)r->r13,
		    (unsigned long long)r->r14, (unsigned long long)r->r15);
	}
	if (snap->have_sregs) {
		OUT("  mode: %s, CPL %u, %s\n", diag_cpu_mode(s), s->ss.dpl,
		    diag_paging_mode(s));
		if (off < size)
			off += format_segment(buf + off, size - off, "CS",
					      &s->cs);
		if (off < size)
			off += format_segment(buf + off, size - off, "SS",
					      &s->ss);
		if (off < size)
			off += format_segment(buf + off, size - off, "DS",
					      &s->ds);
		if (off < size)
			off += format_segment(buf + off, size - off, "ES",
					      &s->es);
		if (off < size)
			off += format_segment(buf + off, size - off, "FS",
					      &s->fs);
		if (off < size)
			off += format_segment(buf + off, size - off, "GS",
					      &s->gs);
		if (off < size)
			off += format_segment(buf + off, size - off, "TR",
					      &s->tr);
		OUT("  GDTR %016llx/%04x  IDTR %016llx/%04x  LDTR %04x\n",
		    (unsigned long long)s->gdt.base, s->gdt.limit,
		    (unsigned long long)s->idt.base, s->idt.limit,
		    s->ldt.selector);
		diag_flags(flags, sizeof(flags), s->cr0, diag_cr0_names, 32);
		OUT("  CR0 %016llx [%s]  CR2 %016llx  CR3 %016llx\n",
		    (unsigned long long)s->cr0, flags,
		    (unsigned long long)s->cr2, (unsigned long long)s->cr3);
		diag_flags(flags, sizeof(flags), s->cr4, diag_cr4_names, 25);
		OUT("  CR4 %016llx [%s]  CR8 %llx\n",
		    (unsigned long long)s->cr4, flags,
		    (unsigned long long)s->cr8);
		diag_flags(flags, sizeof(flags), s->efer, diag_efer_names, 16);
		OUT("  EFER %016llx [%s]  APIC base %016llx\n",
		    (unsigned long long)s->efer, flags,
		    (unsigned long long)s->apic_base);
	}
	if (snap->have_events) {
		const struct kvm_vcpu_events *e = &snap->events;

		if (e->exception.injected || e->exception.pending)
			OUT("  pending exception: vector %u%s error code %x\n",
			    e->exception.nr,
			    e->exception.injected ? " (injected)" : "",
			    e->exception.has_error_code ?
				    e->exception.error_code :
				    0);
		if (e->interrupt.injected)
			OUT("  pending interrupt: vector %u\n",
			    e->interrupt.nr);
		if (e->nmi.pending || e->nmi.injected)
			OUT("  NMI pending\n");
	}
	if (snap->have_dregs && (snap->dregs.dr7 & 0xff))
		OUT("  DR0-3 %llx %llx %llx %llx  DR6 %llx  DR7 %llx\n",
		    (unsigned long long)snap->dregs.db[0],
		    (unsigned long long)snap->dregs.db[1],
		    (unsigned long long)snap->dregs.db[2],
		    (unsigned long long)snap->dregs.db[3],
		    (unsigned long long)snap->dregs.dr6,
		    (unsigned long long)snap->dregs.dr7);
	if (snap->have_regs && snap->have_sregs) {
		OUT("  code at RIP");
		if (snap->code_len > 0)
			OUT(" (gpa %llx):", (unsigned long long)snap->code_gpa);
		else
			OUT(":");
		for (i = 0; i < snap->code_len; i++)
			OUT(" %02x", snap->code[i]);
		if (snap->code_len > 0) {
			char text[96];

			x86_disasm(x86_code_mode(s, r->rflags), r->rip,
				   snap->code, snap->code_len, text,
				   sizeof(text));
			OUT(" (%s)", text);
		}
		if (snap->code_note[0])
			OUT("%s(%s)", snap->code_len ? " " : " ",
			    snap->code_note);
		OUT("\n");
	}
	return off < size ? off : size - 1;
}

static diag_symbolize_fn symbolizer;
static void *symbolizer_opaque;

void diag_set_symbolizer(diag_symbolize_fn fn, void *opaque)
{
	symbolizer_opaque = opaque;
	symbolizer = fn;
}

void diag_symbolize(uint64_t addr, char *buf, size_t size)
{
	size_t n;

	if (size < 4) {
		if (size)
			buf[0] = '\0';
		return;
	}
	buf[0] = '\0';
	if (!symbolizer || symbolizer(symbolizer_opaque, addr, buf + 2, size - 3))
		return;
	buf[0] = ' ';
	buf[1] = '<';
	n = strnlen(buf + 2, size - 3) + 2;
	buf[n] = '>';
	buf[n + 1] = '\0';
}
