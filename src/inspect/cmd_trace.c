// SPDX-License-Identifier: GPL-2.0
/*
 * trace-kvm / query-trace-kvm: exits KVM handles in the kernel, counted and
 * timed per reason from the kvm:kvm_exit / kvm:kvm_entry tracepoints of this
 * VM's vCPU threads (vmm/ktrace.c). One VM per process, so the tracer is
 * this file's state. perf events close with the process: nothing to clean
 * up at exit or on SIGTERM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/handlers.h"
#include "vmm/ktrace.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define NAMING                                                                   \
	"kvm:kvm_exit's own symbols from its print fmt: VMX basic exit reasons " \
	"(isa 1, e.g. HLT, EPT_VIOLATION) or SVM exit codes (isa 2, e.g. hlt, "  \
	"npf); isa<I>-<N> where the format names none"

static struct ktrace *tracer;
static struct vm *tracer_vm; /* whose vCPU threads */
static struct ktrace_thread *frozen; /* the last results after 'off' */
static int nr_frozen;
static double frozen_seconds;
static struct ktrace_exit_format frozen_fmt;
static char frozen_extra[KTRACE_MAX_EXTRA][32];
static int nr_frozen_extra;

static void freeze(void)
{
	int i, n;

	free(frozen);
	frozen = NULL;
	n = ktrace_threads(tracer);
	frozen = calloc(n ? n : 1, sizeof(*frozen));
	if (!frozen) {
		nr_frozen = 0;
		return;
	}
	for (i = 0; i < n; i++)
		ktrace_snapshot(tracer, i, &frozen[i]);
	nr_frozen = n;
	frozen_seconds = ktrace_elapsed(tracer);
	frozen_fmt = *ktrace_format(tracer);
	nr_frozen_extra = ktrace_extra_count(tracer);
	for (i = 0; i < nr_frozen_extra; i++)
		snprintf(frozen_extra[i], sizeof(frozen_extra[i]), "%s",
			 ktrace_extra_name(tracer, i));
}

static void tracer_end(void)
{
	freeze();
	ktrace_stop(tracer);
	tracer = NULL;
	tracer_vm = NULL;
}

/*
 * The VM ends (quit, a signal, a reboot that builds a new VM): its
 * threads go, so does the tracer; the results stay for the next VM's
 * query-trace-kvm to show until trace-kvm is turned on again.
 */
static void on_vm_state(void *opaque, const struct vm_state_event *ev)
{
	if (ev->kind == VM_STATE_END && tracer && tracer_vm == opaque)
		tracer_end();
}

static const char *const enable_only[] = { "enable", "events", NULL };

/* {"enabled", "method", "tracefs", "threads": [tid...]} */
static int api_cmd_trace_kvm(struct api_ctx *ctx, json_t *args, json_t **ret,
			     struct errmsg *err)
{
	struct vm *vm = ctx->vm;
	const char *events = NULL;
	bool on = false;
	int r, i;

	if (tracer && tracer_vm != vm) /* a VM that ended without END */
		tracer_end();
	r = api_args_only(args, enable_only, err);
	if (!r)
		r = api_arg_bool(args, "enable", &on, NULL, err);
	if (r)
		return r;
	if (!r && json_object_get(args, "events"))
		r = api_arg_str(args, "events", false, &events, err);
	if (r)
		return r;
	if (!json_object_get(args, "enable"))
		return errmsg_set(err, EINVAL,
				  "trace-kvm needs enable=on or enable=off");
	if (on && !tracer) {
		int *tids =
			calloc(vm->nr_vcpus ? vm->nr_vcpus : 1, sizeof(*tids));

		if (!tids)
			return errmsg_set(err, ENOMEM, "out of memory");
		for (i = 0; i < vm->nr_vcpus; i++) {
			int waited = 0;

			/* A thread just started names itself first thing:
			 * give it a moment (--paused, a command at once). */
			while (!(tids[i] = __atomic_load_n(&vm->vcpus[i]->tid,
							   __ATOMIC_ACQUIRE)) &&
			       vm->vcpus[i]->thread_started && waited++ < 1000)
				usleep(1000);
		}
		r = ktrace_start(tids, vm->nr_vcpus, events, &tracer, err);
		free(tids);
		if (r)
			return r;
		tracer_vm = vm;
		if (vm_add_state_listener(vm, on_vm_state, vm) < 0) {
			ktrace_stop(tracer);
			tracer = NULL;
			return errmsg_set(
				err, ENOSPC,
				"trace-kvm: no room for a state listener");
		}
		free(frozen);
		frozen = NULL;
		nr_frozen = 0;
	} else if (!on && tracer) {
		vm_remove_state_listener(tracer_vm, on_vm_state, tracer_vm);
		tracer_end();
	}
	*ret = json_pack("{s:b, s:s, s:s}", "enabled", tracer != NULL, "method",
			 "perf_event_open", "tracefs",
			 ktrace_tracefs() ? ktrace_tracefs() : "");
	if (tracer) {
		json_t *a = json_array();

		for (i = 0; i < vm->nr_vcpus; i++)
			json_array_append_new(a,
					      json_integer(vm->vcpus[i]->tid));
		json_object_set_new(*ret, "threads", a);
	}
	return 0;
}

static json_t *thread_obj(const struct ktrace_exit_format *f, int cpu,
			  const struct ktrace_thread *t, int nr_extra,
			  const char *(*extra)(int))
{
	json_t *reasons = json_array(), *events = json_object();
	int i, b;

	for (i = 0; i < t->nr_reasons; i++) {
		const struct ktrace_reason *r = &t->reasons[i];
		json_t *h = json_array();
		char name[48];

		for (b = 0; b < KTRACE_BUCKETS; b++)
			json_array_append_new(h, json_integer(r->hist[b]));
		json_array_append_new(
			reasons,
			json_pack(
				"{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
				"name",
				ktrace_reason_name(f, r->isa, r->code, name,
						   sizeof(name)),
				"isa", (int)r->isa, "code", (json_int_t)r->code,
				"count", (json_int_t)r->count, "timed",
				(json_int_t)r->timed, "sum-ns",
				(json_int_t)r->sum_ns, "avg-ns",
				(json_int_t)(r->timed ? r->sum_ns / r->timed :
							0),
				"max-ns", (json_int_t)r->max_ns, "histogram",
				h));
	}
	for (i = 0; i < nr_extra; i++)
		json_object_set_new(events, extra(i),
				    json_integer(t->extra[i]));
	return json_pack("{s:i, s:i, s:I, s:I, s:I, s:o, s:o}", "cpu", cpu,
			 "thread-id", t->tid, "exits", (json_int_t)t->exits,
			 "entries", (json_int_t)t->entries, "lost",
			 (json_int_t)t->lost, "reasons", reasons, "events",
			 events);
}

static const char *live_extra(int i)
{
	return ktrace_extra_name(tracer, i);
}

static const char *frozen_extra_name(int i)
{
	return frozen_extra[i];
}

/*
 * {"enabled", "seconds", "naming", "buckets": "bucket i: 2^i <= ns < 2^(i+1)",
 *  "vcpus": [{"cpu", "thread-id", "exits", "entries", "lost",
 *             "reasons": [{"name", "isa", "code", "count", "timed",
 *                          "sum-ns", "avg-ns", "max-ns", "histogram"}],
 *             "events": {"kvm_cpuid": N, ...}}], "note"?}
 */
static int api_cmd_query_trace_kvm(struct api_ctx *ctx, json_t *args,
				   json_t **ret, struct errmsg *err)
{
	static const char *const none[] = { NULL };
	json_t *vcpus = json_array(), *o;
	uint64_t total = 0;
	double seconds;
	int r, i;

	r = api_args_only(args, none, err);
	if (r) {
		json_decref(vcpus);
		return r;
	}
	if (tracer) {
		struct ktrace_thread *t = malloc(sizeof(*t));

		if (!t) {
			json_decref(vcpus);
			return errmsg_set(err, ENOMEM, "out of memory");
		}
		for (i = 0; ktrace_snapshot(tracer, i, t); i++) {
			total += t->exits;
			json_array_append_new(
				vcpus, thread_obj(ktrace_format(tracer), i, t,
						  ktrace_extra_count(tracer),
						  live_extra));
		}
		free(t);
		seconds = ktrace_elapsed(tracer);
	} else if (frozen) {
		for (i = 0; i < nr_frozen; i++) {
			total += frozen[i].exits;
			json_array_append_new(
				vcpus,
				thread_obj(&frozen_fmt, i, &frozen[i],
					   nr_frozen_extra, frozen_extra_name));
		}
		seconds = frozen_seconds;
	} else {
		json_decref(vcpus);
		return errmsg_set(
			err, ENODATA,
			"no trace: run 'trace-kvm enable=on' first (needs root and tracefs)");
	}
	o = json_pack("{s:b, s:f, s:s, s:s, s:o}", "enabled", tracer != NULL,
		      "seconds", seconds, "naming", NAMING, "buckets",
		      "bucket i: 2^i <= ns < 2^(i+1), 32 buckets", "vcpus",
		      vcpus);
	if (!total && !access("/sys/module/kvm_pvm", F_OK))
		json_object_set_new(
			o, "note",
			json_string(
				"no kvm_exit records: this host's KVM is kvm_pvm, which fires no kvm:kvm_exit/kvm:kvm_entry (it handles exits in its own switcher); count the in-kernel tracepoints it does fire with trace-kvm enable=on events=default (or all)"));
	*ret = o;
	return 0;
}

const struct api_command cmd_trace_commands[] = {
	{ "trace-kvm", api_cmd_trace_kvm, API_RUNS_ANYTIME,
	  "enable=BOOL [events=STRING]",
	  "count and time in-kernel exits per reason from kvm:kvm_exit/kvm_entry (root, tracefs); events=default|all|kvm_a,kvm_b also counts other kvm tracepoints" },
	{ "query-trace-kvm", api_cmd_query_trace_kvm, API_RUNS_ANYTIME, "",
	  "per vCPU and exit reason: count, log2 latency histogram, sum (after trace-kvm enable=on)" },
};
const size_t cmd_trace_command_count =
	sizeof(cmd_trace_commands) / sizeof(cmd_trace_commands[0]);
