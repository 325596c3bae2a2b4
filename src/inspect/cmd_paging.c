// SPDX-License-Identifier: GPL-2.0
/*
 * Page-table commands: translate (one address, level by level, checked
 * against KVM's own walker through KVM_TRANSLATE) and query-mappings
 * (every mapped range). The tables are guest memory and read through the
 * bounded walker in pagewalk.c; both commands need a stopped vCPU for its
 * control registers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "inspect/handlers.h"
#include "inspect/vcpu_args.h"
#include "arch/x86/pagewalk.h"
#include "vmm/diag.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

static const char *status_word(enum walk_status st)
{
	switch (st) {
	case WALK_OK:
		return "ok";
	case WALK_NOT_PRESENT:
		return "not-present";
	case WALK_RESERVED_BIT:
		return "reserved-bit";
	case WALK_NOT_CANONICAL:
		return "not-canonical";
	case WALK_TABLE_OUTSIDE_RAM:
		return "table-outside-ram";
	case WALK_NO_PAGING:
		return "no-paging";
	case WALK_BAD_ADDRESS:
		return "bad-address";
	case WALK_INVALID_CTX:
		break;
	}
	return "invalid-context";
}

static json_t *steps_json(const struct walk_result *res, enum paging_mode mode)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < res->nr_steps; i++) {
		const struct walk_step *s = &res->steps[i];
		char flags[64];

		pagewalk_flags_str(s->entry, s->level, mode, flags,
				   sizeof(flags));
		json_array_append_new(
			a, json_pack("{s:i, s:s, s:o, s:i, s:o, s:o, s:s}",
				     "level", s->level, "name", s->name,
				     "table_gpa", api_hex(s->table_gpa),
				     "index", (int)s->index, "entry_gpa",
				     api_hex(s->entry_gpa), "entry",
				     api_hex(s->entry), "flags", flags));
	}
	return a;
}

/*
 * Why the two walkers may disagree, as far as we know: each is a real
 * difference between an architectural walk from memory and KVM's.
 */
static const char *disagreement_hint(const struct paging_ctx *pc,
				     const struct walk_result *res,
				     bool kvm_valid)
{
	if (kvm_valid && res->status == WALK_NOT_CANONICAL)
		return " (KVM_TRANSLATE does not check canonicality)";
	if (kvm_valid && res->status == WALK_BAD_ADDRESS)
		return " (KVM_TRANSLATE does not limit unpaged or 32-bit addresses to 4 GiB)";
	if (kvm_valid && res->status == WALK_RESERVED_BIT)
		return " (KVM checks reserved bits against the vCPU's CPUID, which may give a different MAXPHYADDR)";
	if (pc->mode == PAGING_PAE)
		return " (with PAE, KVM uses the PDPTEs the CPU cached when CR3 was loaded; the guest may have changed the PDPT in memory since)";
	return "";
}

/*
 * {"cpu", "gva", "paging", "cr3", "steps": [...], "status", "reason"
 *  (failed walks), "gpa", "page_size", "permissions" (translations),
 *  "kvm_translate": {"valid", "gpa", "writeable", "usermode"}, "agrees",
 *  "disagreement" (when not)}. A walk that faults is a normal reply.
 */
int api_cmd_translate(struct api_ctx *ctx, json_t *args, json_t **ret,
		      struct errmsg *err)
{
	static const char *const allowed[] = { "cpu", "gva", "pid", NULL };
	struct kvm_translation tr;
	struct walk_result res;
	struct addr_space as;
	struct paging_ctx pc;
	struct kvm_sregs s;
	struct vcpu *vcpu;
	char why[512];
	bool walk_ok, kvm_ok, agrees;
	uint64_t gva;
	json_t *o;
	int r, wr, kvm_errno = 0;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_u64(args, "gva", true, &gva, NULL, err);
	if (!r)
		r = inspect_arg_space(ctx, args, &as, err);
	if (r)
		return r;
	vcpu = as.vcpu;
	s = as.sregs;
	pc = as.pc;

	wr = pagewalk(&ctx->vm->mem, &pc, gva, &res);
	if (wr == -EINVAL)
		return errmsg_set(err, EINVAL,
				  "cannot walk vCPU %d's page tables: %s",
				  vcpu->id, res.why);
	walk_ok = wr == 0;

	memset(&tr, 0, sizeof(tr));
	tr.linear_address = gva;
	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0) {
		kvm_errno = errno;
		memset(&tr, 0, sizeof(tr));
	}
	kvm_ok = tr.valid;

	o = json_pack("{s:i, s:o, s:s, s:o, s:o, s:s}", "cpu", vcpu->id, "gva",
		      api_hex(gva), "paging", diag_paging_short(&s), "cr3",
		      api_hex(pc.cr3), "steps", steps_json(&res, pc.mode),
		      "status", status_word(res.status));
	if (as.by_pid) {
		json_object_set_new(o, "pid", json_integer(as.pid));
		json_object_set_new(o, "comm", json_string(as.comm));
	}
	if (!walk_ok)
		json_object_set_new(o, "reason", json_string(res.why));
	if (walk_ok)
		json_object_set_new(o, "gpa", api_hex(res.gpa));
	if (res.status == WALK_OK) {
		json_object_set_new(o, "page_size",
				    json_integer((json_int_t)res.page_size));
		json_object_set_new(o, "permissions",
				    json_pack("{s:b, s:b, s:b}", "write",
					      res.writable, "user", res.user,
					      "execute", res.executable));
	}
	json_object_set_new(
		o, "kvm_translate",
		json_pack("{s:b, s:o, s:b, s:b}", "valid", kvm_ok, "gpa",
			  kvm_ok ? api_hex(tr.physical_address) : json_null(),
			  "writeable", tr.writeable, "usermode", tr.usermode));

	/*
	 * KVM_TRANSLATE walks the vCPU's own CR3: it says nothing about
	 * another process's tables.
	 */
	if (as.by_pid && (s.cr3 & ~0xfffULL & ~(1ULL << 63)) !=
				 (pc.cr3 & ~0xfffULL)) {
		json_object_set_new(o, "kvm_translate", json_null());
		json_object_set_new(o, "agrees", json_null());
		*ret = o;
		return 0;
	}
	/* KVM_TRANSLATE answers for the exact address, as the walker does. */
	agrees = !kvm_errno && walk_ok == kvm_ok &&
		 (!walk_ok || res.gpa == tr.physical_address);
	json_object_set_new(o, "agrees", json_boolean(agrees));
	if (agrees) {
		*ret = o;
		return 0;
	}
	if (kvm_errno)
		snprintf(why, sizeof(why), "KVM_TRANSLATE failed: %s",
			 strerror(kvm_errno));
	else if (walk_ok && !kvm_ok)
		snprintf(why, sizeof(why),
			 "the walker translates gva 0x%" PRIx64
			 " to gpa 0x%" PRIx64
			 " but KVM_TRANSLATE finds no mapping%s",
			 gva, res.gpa, disagreement_hint(&pc, &res, kvm_ok));
	else if (!walk_ok)
		snprintf(why, sizeof(why),
			 "KVM_TRANSLATE maps gva 0x%" PRIx64
			 " to gpa 0x%llx but the walker stopped: %s%s",
			 gva, (unsigned long long)tr.physical_address, res.why,
			 disagreement_hint(&pc, &res, kvm_ok));
	else
		snprintf(why, sizeof(why),
			 "the walker gives gpa 0x%" PRIx64
			 ", KVM_TRANSLATE gives gpa 0x%llx%s",
			 res.gpa, (unsigned long long)tr.physical_address,
			 disagreement_hint(&pc, &res, kvm_ok));
	json_object_set_new(o, "disagreement", json_string(why));
	*ret = o;
	return 0;
}

#define MAPPINGS_DEFAULT_MAX 100000
#define MAPPINGS_LIMIT 1000000

struct mappings_out {
	json_t *list;
	long max;
	long n;
	bool hit_max;
};

/* An exclusive end; the top of the address space ends at 2^64. */
static json_t *range_end(uint64_t start, uint64_t size)
{
	if (start + size < start)
		return json_string("0x10000000000000000");
	return api_hex(start + size);
}

static int add_mapping(void *opaque, const struct mapping *m)
{
	struct mappings_out *out = opaque;

	if (out->n >= out->max) {
		out->hit_max = true;
		return 1;
	}
	out->n++;
	json_array_append_new(
		out->list,
		json_pack("{s:o, s:o, s:o, s:o, s:b, s:b, s:b, s:I}",
			  "va_start", api_hex(m->va), "va_end",
			  range_end(m->va, m->size), "pa_start", api_hex(m->pa),
			  "size", api_hex(m->size), "write", m->writable,
			  "user", m->user, "execute", m->executable,
			  "page_size", (json_int_t)m->page_size));
	return 0;
}

/*
 * {"cpu", "paging", "mappings": [{"va_start", "va_end", "pa_start", "size",
 *  "write", "user", "execute", "page_size" (0: mixed)}], "truncated",
 *  "entries_visited"}
 */
int api_cmd_query_mappings(struct api_ctx *ctx, json_t *args, json_t **ret,
			   struct errmsg *err)
{
	static const char *const allowed[] = { "cpu", "max", NULL };
	struct mappings_out out = { .max = MAPPINGS_DEFAULT_MAX };
	struct mappings_stats stats;
	struct paging_ctx pc;
	struct kvm_sregs s;
	struct vcpu *vcpu;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = inspect_arg_vcpu(ctx, args, &vcpu, err);
	if (!r)
		r = api_arg_int(args, "max", false, 1, MAPPINGS_LIMIT, &out.max,
				NULL, err);
	if (!r)
		r = vcpu_paging_ctx(vcpu, &s, &pc, err);
	if (r)
		return r;

	out.list = json_array();
	r = pagewalk_mappings(&ctx->vm->mem, &pc, 0, add_mapping, &out, &stats);
	if (r < 0) {
		json_decref(out.list);
		return errmsg_set(err, -r,
				  "cannot enumerate vCPU %d's mappings: %s",
				  vcpu->id, strerror(-r));
	}
	*ret = json_pack("{s:i, s:s, s:o, s:b, s:I}", "cpu", vcpu->id, "paging",
			 diag_paging_short(&s), "mappings", out.list,
			 "truncated", stats.truncated || out.hit_max,
			 "entries_visited", (json_int_t)stats.entries_visited);
	return 0;
}

/* The commands this file serves: one row per command, next to its handler. */
const struct api_command cmd_paging_commands[] = {
	{ "translate", api_cmd_translate, API_NEEDS_STOP,
	  "(cpu=N | pid=N [cpu=N]) gva=ADDR",
	  "walk the guest page tables for one address, level by level" },
	{ "query-mappings", api_cmd_query_mappings, API_NEEDS_STOP,
	  "cpu=N [max=N]",
	  "every virtual range a vCPU's page tables map, merged" },
};
const size_t cmd_paging_command_count =
	sizeof(cmd_paging_commands) / sizeof(cmd_paging_commands[0]);
