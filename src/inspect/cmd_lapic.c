// SPDX-License-Identifier: GPL-2.0
/*
 * query-lapic: a vCPU's local APIC registers (KVM_GET_LAPIC), decoded. Like
 * the other vCPU state commands it needs the vCPU outside KVM_RUN, which
 * its pause policy (API_NEEDS_STOP) guarantees.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "inspect/handlers.h"
#include "inspect/vcpu_args.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

static const char *const cpu_only[] = { "cpu", NULL };

/* Local APIC register offsets (SDM vol. 3 table 11-1). */
#define APIC_ID 0x20
#define APIC_LVR 0x30
#define APIC_TPR 0x80
#define APIC_PPR 0xa0
#define APIC_LDR 0xd0
#define APIC_DFR 0xe0
#define APIC_SVR 0xf0
#define APIC_ISR 0x100
#define APIC_TMR 0x180
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_ICR 0x300
#define APIC_ICR2 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PERF 0x340
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3e0

static uint32_t apic_reg(const struct kvm_lapic_state *st, unsigned int off)
{
	uint32_t v;

	memcpy(&v, st->regs + off, sizeof(v));
	return v;
}

/* The vectors set in a 256-bit ISR/TMR/IRR (eight 32-bit registers). */
static json_t *apic_vectors(const struct kvm_lapic_state *st, unsigned int base)
{
	json_t *a = json_array();
	unsigned int i, bit;

	for (i = 0; i < 8; i++) {
		uint32_t v = apic_reg(st, base + i * 0x10);

		for (bit = 0; bit < 32; bit++)
			if (v & (1u << bit))
				json_array_append_new(
					a, json_integer(i * 32 + bit));
	}
	return a;
}

/* Delivery mode, bits 10:8, as LVT entries and the ICR encode it. */
static const char *const lvt_delivery[8] = {
	"fixed", "reserved", "smi",	 "reserved",
	"nmi",	 "init",     "reserved", "extint",
};
static const char *const icr_delivery[8] = {
	"fixed", "lowest-priority", "smi",	"reserved", "nmi",
	"init",	 "startup",	    "reserved",
};

/* One LVT entry; mode is the timer mode for the timer, else delivery. */
static json_t *lvt_obj(uint32_t v, bool timer)
{
	static const char *const timer_modes[4] = { "one-shot", "periodic",
						    "tsc-deadline",
						    "reserved" };

	return json_pack("{s:o, s:i, s:b, s:s}", "value", api_hex(v), "vector",
			 (int)(v & 0xff), "masked", !!(v & (1u << 16)), "mode",
			 timer ? timer_modes[(v >> 17) & 3] :
				 lvt_delivery[(v >> 8) & 7]);
}

static json_t *icr_obj(uint32_t lo, uint32_t hi, bool x2apic)
{
	static const char *const shorthands[4] = { "none", "self",
						   "all-including-self",
						   "all-excluding-self" };
	/* KVM_GET_LAPIC hands back the x2APIC ICR split, full 32-bit
	 * destination in ICR2; xAPIC keeps it in bits 31:24. */
	uint32_t dest = x2apic ? hi : hi >> 24;

	return json_pack("{s:o, s:i, s:s, s:s, s:s, s:s, s:s, s:I}", "value",
			 api_hex(((uint64_t)hi << 32) | lo), "vector",
			 (int)(lo & 0xff), "delivery_mode",
			 icr_delivery[(lo >> 8) & 7], "dest_mode",
			 lo & (1u << 11) ? "logical" : "physical", "level",
			 lo & (1u << 14) ? "assert" : "deassert", "trigger",
			 lo & (1u << 15) ? "level" : "edge", "shorthand",
			 shorthands[(lo >> 18) & 3], "destination",
			 (json_int_t)dest);
}

/* Divide configuration bits 3,1:0 -> divisor 2, 4, ... 128, or 1. */
static int apic_divisor(uint32_t tdcr)
{
	unsigned int code = (tdcr & 3) | ((tdcr >> 1) & 4);

	return code == 7 ? 1 : 2 << code;
}

/*
 * {"cpu", "id", "version", "tpr", "ppr", "ldr", "dfr", "svr", "isr", "irr",
 *  "tmr", "esr", "icr", "lvt", "timer"}
 */
int api_cmd_query_lapic(struct api_ctx *ctx, json_t *args, json_t **ret,
			struct errmsg *err)
{
	struct kvm_lapic_state st;
	struct kvm_sregs s;
	struct vcpu *vcpu;
	uint32_t svr;
	bool x2apic;
	json_t *o;
	int r;

	r = api_args_only(args, cpu_only, err);
	if (!r)
		r = inspect_arg_vcpu(ctx, args, &vcpu, err);
	if (r)
		return r;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return errmsg_set(err, errno,
				  "KVM_GET_SREGS on vCPU %d failed: %s",
				  vcpu->id, strerror(errno));
	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &st) < 0)
		return errmsg_set(
			err, errno,
			"KVM_GET_LAPIC on vCPU %d failed: %s (is the in-kernel irqchip in use?)",
			vcpu->id, strerror(errno));
	x2apic = s.apic_base & (1ULL << 10);
	svr = apic_reg(&st, APIC_SVR);

	/*
	 * Without KVM_CAP_X2APIC_API enabled (kvmscope does not), KVM reports
	 * the ID in xAPIC format, bits 31:24, even in x2APIC mode.
	 */
	o = json_pack("{s:i, s:i, s:o, s:i, s:i, s:o, s:o}", "cpu", vcpu->id,
		      "id", (int)(apic_reg(&st, APIC_ID) >> 24), "version",
		      api_hex(apic_reg(&st, APIC_LVR)), "tpr",
		      (int)(apic_reg(&st, APIC_TPR) & 0xff), "ppr",
		      (int)(apic_reg(&st, APIC_PPR) & 0xff), "ldr",
		      api_hex(apic_reg(&st, APIC_LDR)), "dfr",
		      api_hex(apic_reg(&st, APIC_DFR)));
	json_object_set_new(o, "svr",
			    json_pack("{s:o, s:b, s:i}", "value", api_hex(svr),
				      "enabled", !!(svr & (1u << 8)),
				      "spurious_vector", (int)(svr & 0xff)));
	json_object_set_new(o, "isr", apic_vectors(&st, APIC_ISR));
	json_object_set_new(o, "irr", apic_vectors(&st, APIC_IRR));
	json_object_set_new(o, "tmr", apic_vectors(&st, APIC_TMR));
	json_object_set_new(o, "esr", api_hex(apic_reg(&st, APIC_ESR)));
	json_object_set_new(o, "icr",
			    icr_obj(apic_reg(&st, APIC_ICR),
				    apic_reg(&st, APIC_ICR2), x2apic));
	json_object_set_new(
		o, "lvt",
		json_pack(
			"{s:o, s:o, s:o, s:o, s:o, s:o}", "timer",
			lvt_obj(apic_reg(&st, APIC_LVT_TIMER), true), "thermal",
			lvt_obj(apic_reg(&st, APIC_LVT_THERMAL), false), "perf",
			lvt_obj(apic_reg(&st, APIC_LVT_PERF), false), "lint0",
			lvt_obj(apic_reg(&st, APIC_LVT_LINT0), false), "lint1",
			lvt_obj(apic_reg(&st, APIC_LVT_LINT1), false), "error",
			lvt_obj(apic_reg(&st, APIC_LVT_ERROR), false)));
	json_object_set_new(o, "timer",
			    json_pack("{s:I, s:I, s:i}", "initial_count",
				      (json_int_t)apic_reg(&st, APIC_TMICT),
				      "current_count",
				      (json_int_t)apic_reg(&st, APIC_TMCCT),
				      "divide",
				      apic_divisor(apic_reg(&st, APIC_TDCR))));
	*ret = o;
	return 0;
}

const struct api_command cmd_lapic_commands[] = {
	{ "query-lapic", api_cmd_query_lapic, API_NEEDS_STOP, "cpu=N",
	  "the local APIC's registers, decoded" },
};
const size_t cmd_lapic_command_count =
	sizeof(cmd_lapic_commands) / sizeof(cmd_lapic_commands[0]);
