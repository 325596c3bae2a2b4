// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU state commands: query-cpus-fast, query-registers and query-msrs
 * (query-lapic: cmd_lapic.c). They issue vCPU ioctls from the main thread, which KVM only
 * serves promptly while the vCPU is outside KVM_RUN: the command table's
 * pause policy guarantees that (API_NEEDS_STOP, API_PAUSES_BRIEFLY).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "inspect/handlers.h"
#include "inspect/vcpu_args.h"
#include "vmm/diag.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define CR0_PE (1ULL << 0)
#define CR4_PCIDE (1ULL << 17)
#define CR4_PAE (1ULL << 5)
#define CR0_PG (1ULL << 31)
#define EFER_LMA (1ULL << 10)
#define RFLAGS_VM (1ULL << 17)

#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

static const char *const no_args[] = { NULL };
static const char *const cpu_only[] = { "cpu", NULL };

static int vcpu_get(struct vcpu *vcpu, unsigned long req, void *arg,
		    const char *what, struct errmsg *err)
{
	if (ioctl(vcpu->fd, req, arg) < 0)
		return errmsg_set(err, errno, "%s on vCPU %d failed: %s", what,
				  vcpu->id, strerror(errno));
	return 0;
}

/*
 * Execution mode and default operand size, the way QEMU's "info cpus"
 * tells them apart: CR0.PE, then EFER.LMA with CS.L, then EFLAGS.VM.
 */
static const char *cpu_mode(const struct kvm_sregs *s, uint64_t rflags,
			    int *bits)
{
	if (!(s->cr0 & CR0_PE)) {
		*bits = 16;
		return "real";
	}
	if (s->efer & EFER_LMA) {
		if (s->cs.l) {
			*bits = 64;
			return "long";
		}
		*bits = s->cs.db ? 32 : 16;
		return "compat";
	}
	if (rflags & RFLAGS_VM) {
		*bits = 16;
		return "vm86";
	}
	*bits = s->cs.db ? 32 : 16;
	return "protected";
}

/* SS.DPL is the CPL in protected mode (SDM 5.5); CS.DPL may differ for
 * conforming code segments. */
static int cpu_cpl(const struct kvm_sregs *s, uint64_t rflags)
{
	if (!(s->cr0 & CR0_PE))
		return 0;
	if (!(s->efer & EFER_LMA) && (rflags & RFLAGS_VM))
		return 3;
	return s->ss.dpl;
}

static const char *run_state(struct api_ctx *ctx, const struct kvm_mp_state *mp)
{
	switch (mp->mp_state) {
	case KVM_MP_STATE_HALTED:
		return "halted";
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
		return "wait-for-sipi";
	default:
		/* Our own brief pause is not the user's: see was_paused. */
		return ctx->was_paused ? "paused" : "running";
	}
}

/*
 * [{"cpu-index", "thread-id", "state", "mode", "bits", "cpl", "paging"}]
 */
int api_cmd_query_cpus_fast(struct api_ctx *ctx, json_t *args, json_t **ret,
			    struct errmsg *err)
{
	struct vm *vm = ctx->vm;
	json_t *list;
	int i, r;

	r = api_args_only(args, no_args, err);
	if (r)
		return r;
	list = json_array();
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = vm->vcpus[i];
		struct kvm_mp_state mp;
		struct kvm_sregs s;
		struct kvm_regs regs;
		const char *mode;
		int bits;

		r = vcpu_get(vcpu, KVM_GET_MP_STATE, &mp, "KVM_GET_MP_STATE",
			     err);
		if (!r)
			r = vcpu_get(vcpu, KVM_GET_SREGS, &s, "KVM_GET_SREGS",
				     err);
		if (!r)
			r = vcpu_get(vcpu, KVM_GET_REGS, &regs, "KVM_GET_REGS",
				     err);
		if (r) {
			json_decref(list);
			return r;
		}
		mode = cpu_mode(&s, regs.rflags, &bits);
		json_array_append_new(
			list,
			json_pack("{s:i, s:i, s:s, s:s, s:i, s:i, s:s}",
				  "cpu-index", vcpu->id, "thread-id", vcpu->tid,
				  "state", run_state(ctx, &mp), "mode", mode,
				  "bits", bits, "cpl", cpu_cpl(&s, regs.rflags),
				  "paging", diag_paging_short(&s)));
	}
	*ret = list;
	return 0;
}

/* Names of the set bits that have one, as a JSON array. */
static json_t *flag_list(uint64_t value, const char *const names[], int nr)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < nr; i++)
		if ((value & (1ULL << i)) && names[i])
			json_array_append_new(a, json_string(names[i]));
	return a;
}

static json_t *flags_obj(uint64_t value, const char *const names[], int nr)
{
	return json_pack("{s:o, s:o}", "value", api_hex(value), "flags",
			 flag_list(value, names, nr));
}

static json_t *segment_obj(const struct kvm_segment *seg)
{
	return json_pack(
		"{s:o, s:o, s:o, s:i, s:i, s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
		"selector", api_hex(seg->selector), "base", api_hex(seg->base),
		"limit", api_hex(seg->limit), "type", seg->type, "dpl",
		seg->dpl, "present", seg->present, "s", seg->s, "l", seg->l,
		"db", seg->db, "g", seg->g, "avl", seg->avl, "unusable",
		seg->unusable);
}

static json_t *dtable_obj(const struct kvm_dtable *dt)
{
	return json_pack("{s:o, s:o}", "base", api_hex(dt->base), "limit",
			 api_hex(dt->limit));
}

/*
 * The paging-structure root CR3 names: bits 31:5 with PAE (a 32-byte
 * aligned PDPT), 31:12 for 32-bit paging, and bits MAXPHYADDR-1:12 in
 * IA-32e mode, where the low 12 bits are the PCID when CR4.PCIDE=1.
 */
static json_t *cr3_obj(struct vm *vm, const struct kvm_sregs *s)
{
	unsigned int maxphy;
	uint64_t root, pcid = 0;
	bool gbpages;

	diag_guest_phys_bits(vm->supported_cpuid, &maxphy, &gbpages);
	if (s->efer & EFER_LMA) {
		root = s->cr3 & (((1ULL << maxphy) - 1) & ~0xfffULL);
		if (s->cr4 & CR4_PCIDE)
			pcid = s->cr3 & 0xfff;
	} else if ((s->cr0 & CR0_PG) && (s->cr4 & CR4_PAE)) {
		root = s->cr3 & 0xffffffe0ULL;
	} else {
		root = s->cr3 & 0xfffff000ULL;
	}
	return json_pack("{s:o, s:o, s:I}", "value", api_hex(s->cr3), "pml_gpa",
			 api_hex(root), "pcid", (json_int_t)pcid);
}

static json_t *apic_base_obj(struct vm *vm, uint64_t v)
{
	unsigned int maxphy;
	bool gbpages;

	diag_guest_phys_bits(vm->supported_cpuid, &maxphy, &gbpages);
	return json_pack("{s:o, s:o, s:b, s:b, s:b}", "value", api_hex(v),
			 "address",
			 api_hex(v & ((1ULL << maxphy) - 1) & ~0xfffULL), "bsp",
			 !!(v & (1ULL << 8)), "x2apic", !!(v & (1ULL << 10)),
			 "enabled", !!(v & (1ULL << 11)));
}

static json_t *events_obj(const struct kvm_vcpu_events *e)
{
	json_t *ec = e->exception.has_error_code ?
			     api_hex(e->exception.error_code) :
			     json_null();

	return json_pack(
		"{s:{s:b, s:b, s:i, s:o}, s:{s:b, s:i, s:b, s:i}, s:{s:b, s:b, s:b}}",
		"exception", "injected", e->exception.injected, "pending",
		e->exception.pending, "nr", e->exception.nr, "error_code", ec,
		"interrupt", "injected", e->interrupt.injected, "nr",
		e->interrupt.nr, "soft", e->interrupt.soft, "shadow",
		e->interrupt.shadow, "nmi", "injected", e->nmi.injected,
		"pending", e->nmi.pending, "masked", e->nmi.masked);
}

static json_t *msr_or_null(struct vcpu *vcpu, uint32_t index)
{
	uint64_t v;

	v = 0;
	return vcpu_msr(vcpu, KVM_GET_MSRS, index, &v) ? api_hex(v) :
							 json_null();
}

/*
 * {"cpu", "mode", "cpl", "paging", "gprs": {...}, "rip", "rflags",
 *  "segments", "gdtr", "idtr", "cr0", "cr2", "cr3", "cr4", "cr8", "efer",
 *  "dr", "apic_base", "fs_base", "gs_base", "kernel_gs_base", "events"},
 * and "rip-symbol" ("name+0xoff") when RIP can be named.
 */
int api_cmd_query_registers(struct api_ctx *ctx, json_t *args, json_t **ret,
			    struct errmsg *err)
{
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr;
	struct kvm_regs r;
	struct kvm_sregs s;
	struct vcpu *vcpu;
	const char *mode;
	char sym[192];
	json_t *o;
	size_t n;
	int bits, rc;

	rc = api_args_only(args, cpu_only, err);
	if (!rc)
		rc = inspect_arg_vcpu(ctx, args, &vcpu, err);
	if (!rc)
		rc = vcpu_get(vcpu, KVM_GET_REGS, &r, "KVM_GET_REGS", err);
	if (!rc)
		rc = vcpu_get(vcpu, KVM_GET_SREGS, &s, "KVM_GET_SREGS", err);
	if (!rc)
		rc = vcpu_get(vcpu, KVM_GET_DEBUGREGS, &dr, "KVM_GET_DEBUGREGS",
			      err);
	if (!rc)
		rc = vcpu_get(vcpu, KVM_GET_VCPU_EVENTS, &ev,
			      "KVM_GET_VCPU_EVENTS", err);
	if (rc)
		return rc;

	mode = cpu_mode(&s, r.rflags, &bits);
	o = json_pack("{s:i, s:s, s:i, s:s}", "cpu", vcpu->id, "mode", mode,
		      "cpl", cpu_cpl(&s, r.rflags), "paging",
		      diag_paging_short(&s));
	json_object_set_new(
		o, "gprs",
		json_pack(
			"{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			"rax", api_hex(r.rax), "rbx", api_hex(r.rbx), "rcx",
			api_hex(r.rcx), "rdx", api_hex(r.rdx), "rsi",
			api_hex(r.rsi), "rdi", api_hex(r.rdi), "rbp",
			api_hex(r.rbp), "rsp", api_hex(r.rsp), "r8",
			api_hex(r.r8), "r9", api_hex(r.r9), "r10",
			api_hex(r.r10), "r11", api_hex(r.r11), "r12",
			api_hex(r.r12), "r13", api_hex(r.r13), "r14",
			api_hex(r.r14), "r15", api_hex(r.r15)));
	json_object_set_new(o, "rip", api_hex(r.rip));
	/* Named by --symbols or the guest's kallsyms (diag_set_symbolizer). */
	diag_symbolize(r.rip, sym, sizeof(sym));
	n = strlen(sym);
	if (n > 3) {
		sym[n - 1] = '\0'; /* " <name+0xoff>" */
		json_object_set_new(o, "rip-symbol", json_string(sym + 2));
	}
	json_object_set_new(
		o, "rflags",
		json_pack("{s:o, s:o, s:i}", "value", api_hex(r.rflags),
			  "flags", flag_list(r.rflags, diag_rflags_names, 22),
			  "iopl", (int)((r.rflags >> 12) & 3)));
	json_object_set_new(
		o, "segments",
		json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "cs",
			  segment_obj(&s.cs), "ds", segment_obj(&s.ds), "es",
			  segment_obj(&s.es), "fs", segment_obj(&s.fs), "gs",
			  segment_obj(&s.gs), "ss", segment_obj(&s.ss), "tr",
			  segment_obj(&s.tr), "ldt", segment_obj(&s.ldt)));
	json_object_set_new(o, "gdtr", dtable_obj(&s.gdt));
	json_object_set_new(o, "idtr", dtable_obj(&s.idt));
	json_object_set_new(o, "cr0", flags_obj(s.cr0, diag_cr0_names, 32));
	json_object_set_new(o, "cr2", api_hex(s.cr2));
	json_object_set_new(o, "cr3", cr3_obj(ctx->vm, &s));
	json_object_set_new(o, "cr4", flags_obj(s.cr4, diag_cr4_names, 25));
	json_object_set_new(o, "cr8", api_hex(s.cr8));
	json_object_set_new(o, "efer", flags_obj(s.efer, diag_efer_names, 16));
	json_object_set_new(
		o, "dr",
		json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "dr0",
			  api_hex(dr.db[0]), "dr1", api_hex(dr.db[1]), "dr2",
			  api_hex(dr.db[2]), "dr3", api_hex(dr.db[3]), "dr6",
			  api_hex(dr.dr6), "dr7", api_hex(dr.dr7)));
	json_object_set_new(o, "apic_base",
			    apic_base_obj(ctx->vm, s.apic_base));
	json_object_set_new(o, "fs_base", msr_or_null(vcpu, MSR_FS_BASE));
	json_object_set_new(o, "gs_base", msr_or_null(vcpu, MSR_GS_BASE));
	json_object_set_new(o, "kernel_gs_base",
			    msr_or_null(vcpu, MSR_KERNEL_GS_BASE));
	json_object_set_new(o, "events", events_obj(&ev));
	*ret = o;
	return 0;
}

/* Architectural and KVM-defined MSRs; ranges are named in msr_name(). */
static const struct {
	uint32_t index;
	const char *name;
} msr_names[] = {
	{ 0x00000010, "IA32_TIME_STAMP_COUNTER" },
	{ 0x00000011, "MSR_KVM_WALL_CLOCK" },
	{ 0x00000012, "MSR_KVM_SYSTEM_TIME" },
	{ 0x0000001b, "IA32_APIC_BASE" },
	{ 0x00000034, "MSR_SMI_COUNT" },
	{ 0x0000003a, "IA32_FEATURE_CONTROL" },
	{ 0x0000003b, "IA32_TSC_ADJUST" },
	{ 0x00000048, "IA32_SPEC_CTRL" },
	{ 0x00000049, "IA32_PRED_CMD" },
	{ 0x0000008b, "IA32_BIOS_SIGN_ID" },
	{ 0x000000ce, "MSR_PLATFORM_INFO" },
	{ 0x000000e1, "IA32_UMWAIT_CONTROL" },
	{ 0x000000e7, "IA32_MPERF" },
	{ 0x000000e8, "IA32_APERF" },
	{ 0x000000fe, "IA32_MTRRCAP" },
	{ 0x0000010a, "IA32_ARCH_CAPABILITIES" },
	{ 0x0000010b, "IA32_FLUSH_CMD" },
	{ 0x00000122, "IA32_TSX_CTRL" },
	{ 0x00000140, "MSR_MISC_FEATURES_ENABLES" },
	{ 0x00000174, "IA32_SYSENTER_CS" },
	{ 0x00000175, "IA32_SYSENTER_ESP" },
	{ 0x00000176, "IA32_SYSENTER_EIP" },
	{ 0x00000179, "IA32_MCG_CAP" },
	{ 0x0000017a, "IA32_MCG_STATUS" },
	{ 0x0000017b, "IA32_MCG_CTL" },
	{ 0x000001a0, "IA32_MISC_ENABLE" },
	{ 0x000001c4, "IA32_XFD" },
	{ 0x000001c5, "IA32_XFD_ERR" },
	{ 0x000001d9, "IA32_DEBUGCTL" },
	{ 0x000001db, "MSR_IA32_LASTBRANCHFROMIP" },
	{ 0x000001dc, "MSR_IA32_LASTBRANCHTOIP" },
	{ 0x000001dd, "MSR_IA32_LASTINTFROMIP" },
	{ 0x000001de, "MSR_IA32_LASTINTTOIP" },
	{ 0x000001fc, "MSR_IA32_POWER_CTL" },
	{ 0x00000250, "IA32_MTRR_FIX64K_00000" },
	{ 0x00000258, "IA32_MTRR_FIX16K_80000" },
	{ 0x00000259, "IA32_MTRR_FIX16K_A0000" },
	{ 0x00000268, "IA32_MTRR_FIX4K_C0000" },
	{ 0x00000269, "IA32_MTRR_FIX4K_C8000" },
	{ 0x0000026a, "IA32_MTRR_FIX4K_D0000" },
	{ 0x0000026b, "IA32_MTRR_FIX4K_D8000" },
	{ 0x0000026c, "IA32_MTRR_FIX4K_E0000" },
	{ 0x0000026d, "IA32_MTRR_FIX4K_E8000" },
	{ 0x0000026e, "IA32_MTRR_FIX4K_F0000" },
	{ 0x0000026f, "IA32_MTRR_FIX4K_F8000" },
	{ 0x00000277, "IA32_PAT" },
	{ 0x000002ff, "IA32_MTRR_DEF_TYPE" },
	{ 0x00000345, "IA32_PERF_CAPABILITIES" },
	{ 0x0000038d, "IA32_FIXED_CTR_CTRL" },
	{ 0x0000038e, "IA32_PERF_GLOBAL_STATUS" },
	{ 0x0000038f, "IA32_PERF_GLOBAL_CTRL" },
	{ 0x00000390, "IA32_PERF_GLOBAL_OVF_CTRL" },
	{ 0x00000480, "IA32_VMX_BASIC" },
	{ 0x00000481, "IA32_VMX_PINBASED_CTLS" },
	{ 0x00000482, "IA32_VMX_PROCBASED_CTLS" },
	{ 0x00000483, "IA32_VMX_EXIT_CTLS" },
	{ 0x00000484, "IA32_VMX_ENTRY_CTLS" },
	{ 0x00000485, "IA32_VMX_MISC" },
	{ 0x00000486, "IA32_VMX_CR0_FIXED0" },
	{ 0x00000487, "IA32_VMX_CR0_FIXED1" },
	{ 0x00000488, "IA32_VMX_CR4_FIXED0" },
	{ 0x00000489, "IA32_VMX_CR4_FIXED1" },
	{ 0x0000048a, "IA32_VMX_VMCS_ENUM" },
	{ 0x0000048b, "IA32_VMX_PROCBASED_CTLS2" },
	{ 0x0000048c, "IA32_VMX_EPT_VPID_CAP" },
	{ 0x0000048d, "IA32_VMX_TRUE_PINBASED_CTLS" },
	{ 0x0000048e, "IA32_VMX_TRUE_PROCBASED_CTLS" },
	{ 0x0000048f, "IA32_VMX_TRUE_EXIT_CTLS" },
	{ 0x00000490, "IA32_VMX_TRUE_ENTRY_CTLS" },
	{ 0x00000491, "IA32_VMX_VMFUNC" },
	{ 0x000004d0, "MSR_IA32_MCG_EXT_CTL" },
	{ 0x000006a0, "IA32_U_CET" },
	{ 0x000006a2, "IA32_S_CET" },
	{ 0x000006a4, "IA32_PL0_SSP" },
	{ 0x000006a5, "IA32_PL1_SSP" },
	{ 0x000006a6, "IA32_PL2_SSP" },
	{ 0x000006a7, "IA32_PL3_SSP" },
	{ 0x000006a8, "IA32_INTERRUPT_SSP_TABLE_ADDR" },
	{ 0x000006e0, "IA32_TSC_DEADLINE" },
	{ 0x000006e1, "IA32_PKRS" },
	{ 0x00000d90, "IA32_BNDCFGS" },
	{ 0x00000da0, "IA32_XSS" },
	{ 0x40000000, "HV_X64_MSR_GUEST_OS_ID" },
	{ 0x40000001, "HV_X64_MSR_HYPERCALL" },
	{ 0x40000002, "HV_X64_MSR_VP_INDEX" },
	{ 0x40000003, "HV_X64_MSR_RESET" },
	{ 0x40000010, "HV_X64_MSR_VP_RUNTIME" },
	{ 0x40000020, "HV_X64_MSR_TIME_REF_COUNT" },
	{ 0x40000021, "HV_X64_MSR_REFERENCE_TSC" },
	{ 0x40000022, "HV_X64_MSR_TSC_FREQUENCY" },
	{ 0x40000023, "HV_X64_MSR_APIC_FREQUENCY" },
	{ 0x40000073, "HV_X64_MSR_VP_ASSIST_PAGE" },
	{ 0x4b564d00, "MSR_KVM_WALL_CLOCK_NEW" },
	{ 0x4b564d01, "MSR_KVM_SYSTEM_TIME_NEW" },
	{ 0x4b564d02, "MSR_KVM_ASYNC_PF_EN" },
	{ 0x4b564d03, "MSR_KVM_STEAL_TIME" },
	{ 0x4b564d04, "MSR_KVM_PV_EOI_EN" },
	{ 0x4b564d05, "MSR_KVM_POLL_CONTROL" },
	{ 0x4b564d06, "MSR_KVM_ASYNC_PF_INT" },
	{ 0x4b564d07, "MSR_KVM_ASYNC_PF_ACK" },
	{ 0x4b564d08, "MSR_KVM_MIGRATION_CONTROL" },
	{ 0xc0000080, "IA32_EFER" },
	{ 0xc0000081, "IA32_STAR" },
	{ 0xc0000082, "IA32_LSTAR" },
	{ 0xc0000083, "IA32_CSTAR" },
	{ 0xc0000084, "IA32_FMASK" },
	{ 0xc0000100, "IA32_FS_BASE" },
	{ 0xc0000101, "IA32_GS_BASE" },
	{ 0xc0000102, "IA32_KERNEL_GS_BASE" },
	{ 0xc0000103, "IA32_TSC_AUX" },
	{ 0xc0000104, "MSR_AMD64_TSC_RATIO" },
	{ 0xc0010010, "MSR_K8_SYSCFG" },
	{ 0xc0010015, "MSR_K7_HWCR" },
	{ 0xc0010114, "MSR_VM_CR" },
	{ 0xc0010117, "MSR_VM_HSAVE_PA" },
	{ 0xc001011f, "MSR_AMD64_VIRT_SPEC_CTRL" },
};

/* Name of an MSR, built in buf for numbered families; NULL if unknown. */
static const char *msr_name(uint32_t index, char *buf, size_t size)
{
	static const char *const mc_regs[4] = { "CTL", "STATUS", "ADDR",
						"MISC" };
	size_t i;

	for (i = 0; i < sizeof(msr_names) / sizeof(msr_names[0]); i++)
		if (msr_names[i].index == index)
			return msr_names[i].name;
	if (index >= 0xc1 && index <= 0xc8)
		snprintf(buf, size, "IA32_PMC%u", index - 0xc1);
	else if (index >= 0x186 && index <= 0x18d)
		snprintf(buf, size, "IA32_PERFEVTSEL%u", index - 0x186);
	else if (index >= 0x200 && index <= 0x21f)
		snprintf(buf, size, "IA32_MTRR_PHYS%s%u",
			 index & 1 ? "MASK" : "BASE", (index - 0x200) / 2);
	else if (index >= 0x280 && index <= 0x29f)
		snprintf(buf, size, "IA32_MC%u_CTL2", index - 0x280);
	else if (index >= 0x309 && index <= 0x30c)
		snprintf(buf, size, "IA32_FIXED_CTR%u", index - 0x309);
	else if (index >= 0x400 && index <= 0x47f)
		snprintf(buf, size, "IA32_MC%u_%s", (index - 0x400) / 4,
			 mc_regs[index & 3]);
	else if (index >= 0x4c1 && index <= 0x4c8)
		snprintf(buf, size, "IA32_A_PMC%u", index - 0x4c1);
	else if (index >= 0x40000090 && index <= 0x4000009f)
		snprintf(buf, size, "HV_X64_MSR_SINT%u", index - 0x40000090);
	else if (index >= 0xc0010000 && index <= 0xc0010003)
		snprintf(buf, size, "MSR_K7_EVNTSEL%u", index - 0xc0010000);
	else if (index >= 0xc0010004 && index <= 0xc0010007)
		snprintf(buf, size, "MSR_K7_PERFCTR%u", index - 0xc0010004);
	else if (index >= 0xc0010200 && index <= 0xc001020b)
		snprintf(buf, size, "MSR_F15H_PERF_%s%u",
			 index & 1 ? "CTR" : "CTL", (index - 0xc0010200) / 2);
	else
		return NULL;
	return buf;
}

static json_t *msr_obj(uint32_t index, uint64_t value)
{
	char buf[48];
	const char *name = msr_name(index, buf, sizeof(buf));

	return json_pack("{s:o, s:o, s:o}", "index", api_hex(index), "name",
			 name ? json_string(name) : json_null(), "value",
			 api_hex(value));
}

/* KVM's list of MSRs a VMM saves and restores (KVM_GET_MSR_INDEX_LIST). */
static struct kvm_msr_list *msr_index_list(int kvm_fd, struct errmsg *err)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };
	struct kvm_msr_list *list;
	uint32_t n;

	/* The first call fails with E2BIG and says how many there are. */
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 &&
	    errno != E2BIG) {
		errmsg_set(err, errno, "KVM_GET_MSR_INDEX_LIST failed: %s",
			   strerror(errno));
		return NULL;
	}
	n = probe.nmsrs;
	if (n > 16384) {
		errmsg_set(
			err, E2BIG,
			"KVM_GET_MSR_INDEX_LIST reports %u MSRs, more than expected",
			n);
		return NULL;
	}
	list = calloc(1, sizeof(*list) + (size_t)n * sizeof(list->indices[0]));
	if (!list) {
		errmsg_set(err, ENOMEM, "out of memory for %u MSR indices", n);
		return NULL;
	}
	list->nmsrs = n;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		errmsg_set(err, errno, "KVM_GET_MSR_INDEX_LIST failed: %s",
			   strerror(errno));
		free(list);
		return NULL;
	}
	return list;
}

/* {"cpu", "msrs": [{"index", "name", "value"}]} */
int api_cmd_query_msrs(struct api_ctx *ctx, json_t *args, json_t **ret,
		       struct errmsg *err)
{
	static const char *const allowed[] = { "cpu", "index", NULL };
	struct kvm_msr_list *list;
	struct kvm_msrs *msrs;
	struct vcpu *vcpu;
	uint64_t index, value;
	bool have_index;
	json_t *out;
	uint32_t i, n;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = inspect_arg_vcpu(ctx, args, &vcpu, err);
	if (!r)
		r = api_arg_u64(args, "index", false, &index, &have_index, err);
	if (r)
		return r;

	if (have_index) {
		char buf[48];
		const char *name;

		if (index > 0xffffffffULL)
			return errmsg_set(
				err, EINVAL,
				"MSR index 0x%llx is not a 32-bit value",
				(unsigned long long)index);
		name = msr_name((uint32_t)index, buf, sizeof(buf));
		value = 0;
		if (!vcpu_msr(vcpu, KVM_GET_MSRS, (uint32_t)index, &value))
			return errmsg_set(
				err, EINVAL,
				"MSR 0x%x%s%s%s cannot be read on vCPU %d: KVM does not provide it for this guest",
				(uint32_t)index, name ? " (" : "",
				name ? name : "", name ? ")" : "", vcpu->id);
		out = json_array();
		json_array_append_new(out, msr_obj((uint32_t)index, value));
		*ret = json_pack("{s:i, s:o}", "cpu", vcpu->id, "msrs", out);
		return 0;
	}

	list = msr_index_list(ctx->vm->kvm.fd, err);
	if (!list)
		return -EIO;
	n = list->nmsrs;
	msrs = calloc(1, sizeof(*msrs) + (size_t)n * sizeof(msrs->entries[0]));
	if (!msrs) {
		free(list);
		return errmsg_set(err, ENOMEM, "out of memory for %u MSRs", n);
	}
	out = json_array();
	/*
	 * KVM_GET_MSRS stops at the first MSR it refuses and returns how many
	 * it read: take those, skip the refused one, and go on from there,
	 * so the whole list costs a few ioctls rather than one per MSR.
	 */
	for (i = 0; i < n;) {
		uint32_t k, batch = n - i;
		int got;

		memset(msrs, 0,
		       sizeof(*msrs) + batch * sizeof(msrs->entries[0]));
		msrs->nmsrs = batch;
		for (k = 0; k < batch; k++)
			msrs->entries[k].index = list->indices[i + k];
		got = ioctl(vcpu->fd, KVM_GET_MSRS, msrs);
		if (got < 0) {
			r = errmsg_set(err, errno,
				       "KVM_GET_MSRS on vCPU %d failed: %s",
				       vcpu->id, strerror(errno));
			json_decref(out);
			goto done;
		}
		for (k = 0; k < (uint32_t)got && k < batch; k++) {
			const struct kvm_msr_entry *e = &msrs->entries[k];

			json_array_append_new(out, msr_obj(e->index, e->data));
		}
		i += (uint32_t)got < batch ? (uint32_t)got + 1 : batch;
	}
	*ret = json_pack("{s:i, s:o}", "cpu", vcpu->id, "msrs", out);
done:
	free(msrs);
	free(list);
	return r;
}

/* The commands this file serves: one row per command, next to its handler. */
const struct api_command cmd_cpu_commands[] = {
	{ "query-cpus-fast", api_cmd_query_cpus_fast, API_PAUSES_BRIEFLY, "",
	  "each vCPU's thread, run state, mode, CPL and paging mode" },
	{ "query-registers", api_cmd_query_registers, API_NEEDS_STOP, "cpu=N",
	  "general, segment, control, debug registers and pending events" },
	{ "query-msrs", api_cmd_query_msrs, API_NEEDS_STOP,
	  "cpu=N [index=ADDR]", "every readable MSR, or the one at index" },
};
const size_t cmd_cpu_command_count =
	sizeof(cmd_cpu_commands) / sizeof(cmd_cpu_commands[0]);
