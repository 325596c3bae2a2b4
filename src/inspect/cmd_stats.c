// SPDX-License-Identifier: GPL-2.0
/*
 * query-stats and query-stats-schemas, with QEMU's schema (qapi/stats.json):
 *
 *   query-stats target="vm"|"vcpu" [vcpus=[qom-path...]]
 *               [providers=[{"provider": "kvm"|"kvmscope", "names": [...]}]]
 *   -> [{"provider", "qom-path" (vcpu target only),
 *        "stats": [{"name", "value": N | [bucket...] | true/false}]}]
 *   query-stats-schemas [provider=...]
 *   -> [{"provider", "target", "stats": [{"name", "type", "unit"
 *        (omitted for none), "base", "exponent", "bucket-size" (linear
 *        histograms only)}]}]
 *
 * Provider "kvm": KVM_GET_STATS_FD of the VM and of each vCPU, every
 * statistic, types and units mapped as QEMU maps them (booleans are JSON
 * booleans, as in QEMU). Provider "kvmscope": vmm/stats.h, histograms of
 * 32 log2 buckets (bucket i: 2^i <= ns < 2^(i+1), bucket 0 also < 2 ns,
 * the last open-ended). "base" is always given, QEMU gives it only with
 * a non-zero exponent.
 *
 * Neither pauses the VM: KVM's values are a pread, kvmscope's relaxed
 * atomic loads of what the vCPU threads write.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/handlers.h"
#include "vmm/kvm_stats.h"
#include "vmm/stats.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define QOM_VCPU_PREFIX "/machine/unattached/device["

enum provider { PROV_KVM, PROV_KVMSCOPE, NR_PROV };
static const char *const provider_names[NR_PROV] = { "kvm", "kvmscope" };

/* What a request asks for: per provider, on or off and a name filter. */
struct stats_req {
	bool on[NR_PROV];
	json_t *names[NR_PROV]; /* borrowed JSON array, NULL: every name */
	bool explicit; /* providers= given: a missing one is an error */
};

static bool wanted(const struct stats_req *rq, enum provider p,
		   const char *name)
{
	size_t i;
	json_t *n;

	if (!rq->names[p])
		return true;
	json_array_foreach(rq->names[p], i, n) if (json_is_string(n) &&
						   !strcmp(json_string_value(n),
							   name)) return true;
	return false;
}

static void qom_path(int id, char *buf, size_t size)
{
	snprintf(buf, size, QOM_VCPU_PREFIX "%d]", id);
}

static int provider_index(const char *name)
{
	int p;

	for (p = 0; p < NR_PROV; p++)
		if (!strcmp(name, provider_names[p]))
			return p;
	return -1;
}

static int parse_providers(json_t *args, struct stats_req *rq,
			   struct errmsg *err)
{
	json_t *list = json_object_get(args, "providers"), *e, *names;
	const char *pname;
	size_t i;
	int p;

	if (!list) {
		for (p = 0; p < NR_PROV; p++)
			rq->on[p] = true;
		return 0;
	}
	rq->explicit = true;
	if (!json_is_array(list))
		return errmsg_set(
			err, EINVAL,
			"'providers' must be a list of {\"provider\": \"kvm\"|\"kvmscope\", \"names\": [...]}");
	json_array_foreach(list, i, e)
	{
		pname = json_string_value(json_object_get(e, "provider"));
		p = pname ? provider_index(pname) : -1;
		if (p < 0)
			return errmsg_set(
				err, EINVAL,
				"providers[%zu]: 'provider' must be \"kvm\" or \"kvmscope\"",
				i);
		names = json_object_get(e, "names");
		if (names && !json_is_array(names))
			return errmsg_set(
				err, EINVAL,
				"providers[%zu]: 'names' must be a list of strings",
				i);
		rq->on[p] = true;
		rq->names[p] = names;
	}
	return 0;
}

static json_t *stat_value(const char *name, json_t *value)
{
	return json_pack("{s:s, s:o}", "name", name, "value", value);
}

static json_t *hist_json(const struct stats_hist *h)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < STATS_BUCKETS; i++)
		json_array_append_new(a,
				      json_integer((json_int_t)h->buckets[i]));
	return a;
}

/* Append name.count, .latency-ns, .sum-ns, .max-ns of one histogram. */
static void add_hist(json_t *stats, const struct stats_req *rq,
		     const char *prefix, const struct stats_hist *h)
{
	static const char *const part[] = { "count", "latency-ns", "sum-ns",
					    "max-ns" };
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		snprintf(name, sizeof(name), "%s.%s", prefix, part[i]);
		if (!wanted(rq, PROV_KVMSCOPE, name))
			continue;
		json_array_append_new(
			stats,
			stat_value(
				name,
				i == 1 ?
					hist_json(h) :
					json_integer((
						json_int_t)(i == 0 ?
								    h->count :
							    i == 2 ?
								    h->sum_ns :
								    h->max_ns))));
	}
}

static void add_counter(json_t *stats, const struct stats_req *rq,
			const char *name, uint64_t v)
{
	if (wanted(rq, PROV_KVMSCOPE, name))
		json_array_append_new(
			stats, stat_value(name, json_integer((json_int_t)v)));
}

static void add_totals(json_t *stats, const struct stats_req *rq,
		       struct vcpu *const *cpus, int n)
{
	uint64_t exits = 0, guest = 0, vmm = 0, untracked = 0;
	int c;

	for (c = 0; c < n; c++) {
		exits += __atomic_load_n(&cpus[c]->stats.exits,
					 __ATOMIC_RELAXED);
		guest += __atomic_load_n(&cpus[c]->stats.guest_ns,
					 __ATOMIC_RELAXED);
		vmm += __atomic_load_n(&cpus[c]->stats.vmm_ns,
				       __ATOMIC_RELAXED);
		untracked += __atomic_load_n(&cpus[c]->stats.io_untracked,
					     __ATOMIC_RELAXED);
	}
	add_counter(stats, rq, "exits", exits);
	add_counter(stats, rq, "guest-ns", guest);
	add_counter(stats, rq, "vmm-ns", vmm);
	add_counter(stats, rq, "io-untracked", untracked);
}

static json_t *kvmscope_vcpu_stats(struct vcpu *cpu, const struct stats_req *rq)
{
	json_t *stats = json_array();
	struct stats_hist h;
	char reason[48], prefix[64];
	int r;

	add_totals(stats, rq, &cpu, 1);
	for (r = 0; r < STATS_REASONS; r++) {
		stats_hist_load(&cpu->stats.reasons[r], &h, false);
		if (!h.count)
			continue;
		snprintf(prefix, sizeof(prefix), "exit.%s",
			 stats_reason_name(r, reason, sizeof(reason)));
		add_hist(stats, rq, prefix, &h);
	}
	return stats;
}

/* "io.0x3f8.out", "mmio.hpet.0xfed00000", "mmio.unclaimed.0xd0000000". */
static void io_prefix(struct vm *vm, uint64_t key, char *buf, size_t size)
{
	uint64_t v = STATS_IO_VALUE(key);
	const struct bus_range *r;

	switch (STATS_IO_KIND(key)) {
	case STATS_IO_PIO_IN:
	case STATS_IO_PIO_OUT:
		snprintf(buf, size, "io.0x%" PRIx64 ".%s", v,
			 STATS_IO_KIND(key) == STATS_IO_PIO_IN ? "in" : "out");
		return;
	case STATS_IO_MMIO_RANGE:
		if (v < (uint64_t)vm->mmio.nr_ranges) {
			r = &vm->mmio.ranges[v];
			snprintf(buf, size, "mmio.%s.0x%" PRIx64,
				 r->name ? r->name : "device", r->base);
			return;
		}
		/* cannot happen: ranges never go away */
		snprintf(buf, size, "mmio.range%" PRIu64, v);
		return;
	default:
		snprintf(buf, size, "mmio.unclaimed.0x%" PRIx64, v << 12);
	}
}

/* Target vm: I/O keys summed over every vCPU, busiest first. */
static json_t *kvmscope_vm_stats(struct vm *vm, const struct stats_req *rq)
{
	json_t *stats = json_array();
	struct stats_io_sum *sums;
	char prefix[128];
	int n, j, max = STATS_IO_SLOTS * vm->nr_vcpus;

	add_totals(stats, rq, vm->vcpus, vm->nr_vcpus);
	sums = calloc(max ? max : 1, sizeof(*sums));
	if (!sums)
		return stats;
	n = stats_gather_io(vm, sums, max);
	for (j = 0; j < n; j++) {
		io_prefix(vm, sums[j].key, prefix, sizeof(prefix));
		add_hist(stats, rq, prefix, &sums[j].h);
	}
	free(sums);
	return stats;
}

/* The descriptors of a stats fd, read at the first query (main thread). */
static int kvm_descs(int fd, struct kvm_stats **cache, struct errmsg *err)
{
	if (*cache)
		return 0;
	return kvm_stats_open(fd, cache, err);
}

static json_t *kvm_values(const struct kvm_stats *st,
			  const struct stats_req *rq, struct errmsg *err)
{
	uint64_t *data = malloc(st->data_size ? st->data_size : 8);
	json_t *stats, *v;
	size_t i, k;

	if (!data) {
		errmsg_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (kvm_stats_read(st, data, err)) {
		free(data);
		return NULL;
	}
	stats = json_array();
	for (i = 0; i < st->nr; i++) {
		const struct kvm_stat *s = &st->stats[i];
		const uint64_t *val = data + s->offset / 8;

		if (!wanted(rq, PROV_KVM, s->name))
			continue;
		if ((s->flags & KVM_STATS_UNIT_MASK) ==
			    KVM_STATS_UNIT_BOOLEAN &&
		    !kvm_stat_is_histogram(s->flags)) {
			v = json_boolean(val[0]);
		} else if (!kvm_stat_is_histogram(s->flags)) {
			v = json_integer((json_int_t)val[0]);
		} else {
			v = json_array();
			for (k = 0; k < s->size; k++)
				json_array_append_new(
					v, json_integer((json_int_t)val[k]));
		}
		json_array_append_new(stats, stat_value(s->name, v));
	}
	free(data);
	return stats;
}

static void add_result(json_t *list, enum provider p, const char *qom,
		       json_t *stats)
{
	json_t *o;

	if (!json_array_size(stats)) {
		json_decref(stats); /* QEMU leaves empty results out too */
		return;
	}
	o = json_pack("{s:s}", "provider", provider_names[p]);
	if (qom)
		json_object_set_new(o, "qom-path", json_string(qom));
	json_object_set_new(o, "stats", stats);
	json_array_append_new(list, o);
}

/* vcpus=[...] filter: NULL for all; unknown paths select nothing (QEMU). */
static bool vcpu_selected(json_t *vcpus, int id)
{
	char path[64];
	json_t *e;
	size_t i;

	if (!vcpus)
		return true;
	qom_path(id, path, sizeof(path));
	json_array_foreach(vcpus, i, e) if (json_is_string(e) &&
					    !strcmp(json_string_value(e),
						    path)) return true;
	return false;
}

static const char *const query_stats_args[] = { "target", "vcpus", "providers",
						NULL };

int api_cmd_query_stats(struct api_ctx *ctx, json_t *args, json_t **ret,
			struct errmsg *err)
{
	struct stats_req rq = { { 0 } };
	struct vm *vm = ctx->vm;
	const char *target;
	json_t *vcpus, *list, *stats;
	char path[64];
	bool vm_target;
	int r, p, c;

	r = api_args_only(args, query_stats_args, err);
	if (!r)
		r = api_arg_str(args, "target", true, &target, err);
	if (r)
		return r;
	if (strcmp(target, "vm") && strcmp(target, "vcpu"))
		return errmsg_set(
			err, EINVAL,
			"'target' must be \"vm\" or \"vcpu\", not \"%s\"",
			target);
	vm_target = !strcmp(target, "vm");
	vcpus = json_object_get(args, "vcpus");
	if (vcpus && vm_target)
		return errmsg_set(err, EINVAL,
				  "'vcpus' is only for target \"vcpu\"");
	if (vcpus && !json_is_array(vcpus))
		return errmsg_set(
			err, EINVAL,
			"'vcpus' must be a list of qom-paths such as \"" QOM_VCPU_PREFIX
			"0]\"");
	r = parse_providers(args, &rq, err);
	if (r)
		return r;

	list = json_array();
	for (p = 0; p < NR_PROV; p++) {
		if (!rq.on[p])
			continue;
		/* A kernel without binary stats: kvmscope's alone, unless asked. */
		if (p == PROV_KVM && vm->kvm_stats_fd < 0 && !rq.explicit)
			continue;
		if (vm_target) {
			if (p == PROV_KVMSCOPE) {
				add_result(list, p, NULL,
					   kvmscope_vm_stats(vm, &rq));
				continue;
			}
			if (kvm_descs(vm->kvm_stats_fd, &vm->kvm_stats, err))
				goto fail;
			stats = kvm_values(vm->kvm_stats, &rq, err);
			if (!stats)
				goto fail;
			add_result(list, p, NULL, stats);
			continue;
		}
		for (c = 0; c < vm->nr_vcpus; c++) {
			struct vcpu *cpu = vm->vcpus[c];

			if (!vcpu_selected(vcpus, c))
				continue;
			qom_path(c, path, sizeof(path));
			if (p == PROV_KVMSCOPE) {
				add_result(list, p, path,
					   kvmscope_vcpu_stats(cpu, &rq));
				continue;
			}
			if (kvm_descs(cpu->kvm_stats_fd, &cpu->kvm_stats, err))
				goto fail;
			stats = kvm_values(cpu->kvm_stats, &rq, err);
			if (!stats)
				goto fail;
			add_result(list, p, path, stats);
		}
	}
	*ret = list;
	return 0;
fail:
	json_decref(list);
	return -EIO;
}

static json_t *schema_entry(const char *name, const char *type,
			    const char *unit, int base, int exponent)
{
	json_t *o = json_pack("{s:s, s:s}", "name", name, "type", type);

	if (unit)
		json_object_set_new(o, "unit", json_string(unit));
	json_object_set_new(o, "base", json_integer(base));
	json_object_set_new(o, "exponent", json_integer(exponent));
	return o;
}

static json_t *kvm_schema(const struct kvm_stats *st)
{
	json_t *stats = json_array(), *o;
	size_t i;

	for (i = 0; i < st->nr; i++) {
		const struct kvm_stat *s = &st->stats[i];

		o = schema_entry(s->name, kvm_stat_type_name(s->flags),
				 kvm_stat_unit_name(s->flags),
				 kvm_stat_base(s->flags), s->exponent);
		if ((s->flags & KVM_STATS_TYPE_MASK) ==
		    KVM_STATS_TYPE_LINEAR_HIST)
			json_object_set_new(o, "bucket-size",
					    json_integer(s->bucket_size));
		json_array_append_new(stats, o);
	}
	return stats;
}

/* The four entries of one kvmscope histogram (see add_hist). */
static void kvmscope_hist_schema(json_t *stats, const char *prefix)
{
	char name[128];

	snprintf(name, sizeof(name), "%s.count", prefix);
	json_array_append_new(stats,
			      schema_entry(name, "cumulative", NULL, 10, 0));
	snprintf(name, sizeof(name), "%s.latency-ns", prefix);
	json_array_append_new(stats, schema_entry(name, "log2-histogram",
						  "seconds", 10, -9));
	snprintf(name, sizeof(name), "%s.sum-ns", prefix);
	json_array_append_new(stats, schema_entry(name, "cumulative", "seconds",
						  10, -9));
	snprintf(name, sizeof(name), "%s.max-ns", prefix);
	json_array_append_new(stats,
			      schema_entry(name, "peak", "seconds", 10, -9));
}

static json_t *kvmscope_schema(struct vm *vm, bool vm_target)
{
	json_t *stats = json_array(), *values, *e;
	struct stats_req all = { { true, true } };
	char reason[48], prefix[64];
	const char *n;
	size_t i, len;
	int r;

	json_array_append_new(stats,
			      schema_entry("exits", "cumulative", NULL, 10, 0));
	json_array_append_new(stats, schema_entry("guest-ns", "cumulative",
						  "seconds", 10, -9));
	json_array_append_new(stats, schema_entry("vmm-ns", "cumulative",
						  "seconds", 10, -9));
	json_array_append_new(stats, schema_entry("io-untracked", "cumulative",
						  NULL, 10, 0));
	if (!vm_target) {
		/* Every reason KVM can return, seen yet or not. */
		for (r = 0; r < STATS_REASONS; r++) {
			if (!strcmp(kvm_exit_reason_name(r), "?"))
				continue;
			snprintf(prefix, sizeof(prefix), "exit.%s",
				 stats_reason_name(r, reason, sizeof(reason)));
			kvmscope_hist_schema(stats, prefix);
		}
		return stats;
	}
	/* Ports and regions are known once the guest touched them. */
	values = kvmscope_vm_stats(vm, &all);
	json_array_foreach(values, i, e)
	{
		n = json_string_value(json_object_get(e, "name"));
		len = strlen(n);
		if (len > 6 && !strcmp(n + len - 6, ".count")) {
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(len - 6),
				 n);
			kvmscope_hist_schema(stats, prefix);
		}
	}
	json_decref(values);
	return stats;
}

static const char *const schemas_args[] = { "provider", NULL };

int api_cmd_query_stats_schemas(struct api_ctx *ctx, json_t *args, json_t **ret,
				struct errmsg *err)
{
	struct vm *vm = ctx->vm;
	const char *pname = NULL;
	json_t *list;
	int r, p, want = -1;

	r = api_args_only(args, schemas_args, err);
	if (!r && json_object_get(args, "provider")) {
		r = api_arg_str(args, "provider", true, &pname, err);
		if (!r && (want = provider_index(pname)) < 0)
			r = errmsg_set(
				err, EINVAL,
				"'provider' must be \"kvm\" or \"kvmscope\"");
	}
	if (r)
		return r;
	list = json_array();
	for (p = 0; p < NR_PROV; p++) {
		if (want >= 0 && p != want)
			continue;
		if (p == PROV_KVM && want < 0 && vm->kvm_stats_fd < 0)
			continue; /* no binary stats on this kernel */
		if (p == PROV_KVM) {
			/* QEMU: the VM's, then the first vCPU's. */
			if (kvm_descs(vm->kvm_stats_fd, &vm->kvm_stats, err) ||
			    (vm->nr_vcpus &&
			     kvm_descs(vm->vcpus[0]->kvm_stats_fd,
				       &vm->vcpus[0]->kvm_stats, err))) {
				json_decref(list);
				return -EIO;
			}
			json_array_append_new(
				list, json_pack("{s:s, s:s, s:o}", "provider",
						"kvm", "target", "vm", "stats",
						kvm_schema(vm->kvm_stats)));
			if (vm->nr_vcpus)
				json_array_append_new(
					list,
					json_pack("{s:s, s:s, s:o}", "provider",
						  "kvm", "target", "vcpu",
						  "stats",
						  kvm_schema(
							  vm->vcpus[0]
								  ->kvm_stats)));
			continue;
		}
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:o}", "provider",
					"kvmscope", "target", "vm", "stats",
					kvmscope_schema(vm, true)));
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:o}", "provider",
					"kvmscope", "target", "vcpu", "stats",
					kvmscope_schema(vm, false)));
	}
	*ret = list;
	return 0;
}

const struct api_command cmd_stats_commands[] = {
	{ "query-stats", api_cmd_query_stats, API_RUNS_ANYTIME,
	  "target=STRING [vcpus=JSON] [providers=JSON]",
	  "statistics of KVM and of kvmscope (QEMU's query-stats)" },
	{ "query-stats-schemas", api_cmd_query_stats_schemas, API_RUNS_ANYTIME,
	  "[provider=STRING]",
	  "what query-stats returns: names, types, units" },
};
const size_t cmd_stats_command_count =
	sizeof(cmd_stats_commands) / sizeof(cmd_stats_commands[0]);
