// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-kernel commands: query-guest-kernel (what kernel runs, where it was
 * loaded, where each fact came from) and query-symbol (kallsyms decoded
 * from guest RAM, by name or by address).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "os/commands.h"
#include "os/guest_kernel.h"
#include "vmm/vm.h"

static json_t *field(json_t *value, const char *method)
{
	return json_pack("{s:o, s:s}", "value", value ? value : json_null(),
			 "method", method);
}

static json_t *vmcoreinfo_json(const struct guest_kernel *gk)
{
	if (!gk->vi)
		return json_pack(
			"{s:n, s:i, s:i, s:s}", "gpa", "valid-candidates",
			gk->vmcoreinfo_valid, "rejected-candidates",
			gk->vmcoreinfo_rejected, "why",
			gk->vmcoreinfo_why[0] ?
				gk->vmcoreinfo_why :
				"no \"OSRELEASE=\" note or page in guest RAM");
	return json_pack("{s:o, s:s, s:b, s:i, s:i, s:I, s:i}", "gpa",
			 api_hex(gk->vmcoreinfo_gpa), "source",
			 gk->vmcoreinfo_in_note ? "note" : "data-page",
			 "consistent", gk->vmcoreinfo_consistent,
			 "valid-candidates", gk->vmcoreinfo_valid,
			 "rejected-candidates", gk->vmcoreinfo_rejected,
			 "bytes", (json_int_t)gk->vi->len, "keys", gk->vi->nr);
}

/*
 * {"os-release", "build-id", "page-size", "kaslr-offset", "phys-base",
 *  "paging-levels": each {"value", "method"}; "vmcoreinfo": {"gpa",
 *  "source" note|data-page, "consistent", ...}; "kallsyms": {"available",
 *  "symbols", "method"} or {"available": false, "error"};
 *  "kernel-page-tables"; "banner" and "compiler" when the banner was used;
 *  "bytes-scanned", "seconds"}
 */
static int api_cmd_query_guest_kernel(struct api_ctx *ctx, json_t *args,
				      json_t **ret, struct errmsg *err)
{
	static const char *const allowed[] = { "refresh", NULL };
	const struct guest_kernel *gk;
	const struct kallsyms *ks;
	struct errmsg kerr = { { 0 } };
	struct timespec t0, t1;
	bool refresh = false;
	json_t *o, *k;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_bool(args, "refresh", &refresh, NULL, err);
	if (r)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* A kernel replaced in place (kexec), or RAM the user rewrote. */
	if (refresh)
		guest_kernel_invalidate(ctx->vm);
	/* Symbols first: a later get may not probe again under gk. */
	if (!guest_kernel_symbols(ctx->vm, &ks, &kerr))
		k = json_pack("{s:b, s:I, s:s, s:s}", "available", true,
			      "symbols", (json_int_t)ks->nr, "method",
			      "vmcoreinfo", "addresses",
			      ks->absolute_percpu ?
				      "relative, absolute per-cpu" :
				      "relative");
	else
		k = json_pack("{s:b, s:s}", "available", false, "error",
			      kerr.text);
	r = guest_kernel_get(ctx->vm, &gk, err);
	if (r) {
		json_decref(k);
		return r;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	o = json_object();
	json_object_set_new(
		o, "os-release",
		field(gk->os_release[0] ? json_string(gk->os_release) : NULL,
		      gk->os_release_method));
	json_object_set_new(o, "build-id",
			    field(gk->build_id[0] ? json_string(gk->build_id) :
						    NULL,
				  gk->build_id_method));
	json_object_set_new(o, "page-size",
			    field(json_integer((json_int_t)gk->page_size),
				  gk->page_size_method));
	json_object_set_new(o, "kaslr-offset",
			    field(gk->have_kaslr ?
					  api_hex((uint64_t)gk->kaslr_offset) :
					  NULL,
				  gk->kaslr_method));
	json_object_set_new(o, "phys-base",
			    field(gk->have_phys_base ? api_hex(gk->phys_base) :
						       NULL,
				  gk->phys_base_method));
	json_object_set_new(o, "paging-levels",
			    field(gk->paging_levels ?
					  json_integer(gk->paging_levels) :
					  NULL,
				  gk->paging_method));
	json_object_set_new(o, "vmcoreinfo", vmcoreinfo_json(gk));
	json_object_set_new(o, "kallsyms", k);
	json_object_set_new(o, "kernel-page-tables",
			    gk->have_pc ? json_string(gk->pc_method) :
					  json_null());
	if (gk->banner[0]) {
		json_object_set_new(o, "banner", json_string(gk->banner));
		json_object_set_new(o, "banner-gpa", api_hex(gk->banner_gpa));
		json_object_set_new(o, "compiler", json_string(gk->compiler));
	}
	json_object_set_new(o, "bytes-scanned",
			    json_integer((json_int_t)gk->bytes_scanned));
	json_object_set_new(o, "seconds",
			    json_real((double)(t1.tv_sec - t0.tv_sec) +
				      (t1.tv_nsec - t0.tv_nsec) / 1e9));
	*ret = o;
	return 0;
}

static json_t *symbol_json(const struct kallsyms *ks, const struct ksym *s,
			   uint64_t addr, uint64_t size, size_t count)
{
	char text[KALLSYMS_NAME_MAX + 24];
	json_t *o;

	snprintf(text, sizeof(text), "%s+0x%" PRIx64, kallsyms_name(ks, s),
		 addr - s->addr);
	o = json_pack("{s:s, s:o, s:o, s:o, s:s#, s:s}", "name",
		      kallsyms_name(ks, s), "address", api_hex(s->addr), "addr",
		      api_hex(addr), "offset", api_hex(addr - s->addr), "type",
		      &s->type, (size_t)1, "text", text);
	json_object_set_new(o, "size", size ? api_hex(size) : json_null());
	if (count)
		json_object_set_new(o, "count",
				    json_integer((json_int_t)count));
	return o;
}

/*
 * {"name", "address" (the symbol's), "addr" (asked), "offset", "type",
 *  "text" "name+0xoff", "size" (to the next symbol; null for the last),
 *  "count" (with name=: how many symbols share the name)}
 */
static int api_cmd_query_symbol(struct api_ctx *ctx, json_t *args, json_t **ret,
				struct errmsg *err)
{
	static const char *const allowed[] = { "name", "addr", NULL };
	const struct kallsyms *ks;
	const struct ksym *s;
	const char *name = NULL;
	uint64_t addr = 0, size = 0;
	bool has_addr;
	size_t count;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_str(args, "name", false, &name, err);
	if (!r)
		r = api_arg_u64(args, "addr", false, &addr, &has_addr, err);
	if (r)
		return r;
	if (!!name == has_addr)
		return errmsg_set(err, EINVAL,
				  "give exactly one of name=NAME or addr=ADDR");
	r = guest_kernel_symbols(ctx->vm, &ks, err);
	if (r)
		return r;
	if (name) {
		s = kallsyms_by_name(ks, name, &count);
		if (!s)
			return errmsg_set(
				err, ENOENT,
				"no symbol '%s' in the guest kernel's kallsyms (%zu symbols)",
				name, ks->nr);
		kallsyms_by_addr(ks, s->addr, &size);
		*ret = symbol_json(ks, s, s->addr, size, count);
		return 0;
	}
	s = kallsyms_by_addr(ks, addr, &size);
	if (!s)
		return errmsg_set(err, ENOENT,
				  "no symbol covers 0x%" PRIx64
				  " (kallsyms spans 0x%" PRIx64 "-0x%" PRIx64
				  ")",
				  addr,
				  ks->relative_base > ks->syms[0].addr ?
					  ks->relative_base :
					  ks->syms[0].addr,
				  ks->syms[ks->nr - 1].addr);
	*ret = symbol_json(ks, s, addr, size, 0);
	return 0;
}

const struct api_command cmd_kernel_commands[] = {
	{ "query-guest-kernel", api_cmd_query_guest_kernel, API_PAUSES_BRIEFLY,
	  "[refresh=BOOL]",
	  "the guest's Linux kernel from RAM: release, build id, KASLR offset, phys_base, paging levels, kallsyms (each with its method)" },
	{ "query-symbol", api_cmd_query_symbol, API_RUNS_ANYTIME,
	  "(name=STRING | addr=ADDR)",
	  "a guest kernel symbol from its kallsyms in RAM, by name or by address (name+0xoff)" },
};
const size_t cmd_kernel_command_count =
	sizeof(cmd_kernel_commands) / sizeof(cmd_kernel_commands[0]);
