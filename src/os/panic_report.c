// SPDX-License-Identifier: GPL-2.0
/*
 * When the guest kernel panics (pvpanic: a fatal end with status 18),
 * print what a user reaches for first, from guest RAM alone: the panic
 * line from the kernel's log and the backtrace of the vCPU that
 * panicked. A state listener: it runs on the main thread when the death
 * is kept (--on-fatal pause, every vCPU parked) or the VM ends (exit).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "os/commands.h"
#include "os/kview.h"
#include "os/printk.h"
#include "util/log.h"
#include "vmm/exit_status.h"
#include "vmm/runstate.h"
#include "vmm/vm.h"

#define PANIC_PREFIX "Kernel panic - not syncing"

static void print_panic_line(struct vm *vm)
{
	struct printk_log log;
	struct errmsg err;
	char line[1024];
	size_t i;

	if (os_read_dmesg(vm, &log, &err)) {
		log_warn("guest panic: its kernel log is not readable: %s",
			 err.text);
		return;
	}
	/* The last panic line: a panic in a panic repeats it. */
	for (i = log.nr; i-- > 0;)
		if (!strncmp(log.text + log.recs[i].text, PANIC_PREFIX,
			     strlen(PANIC_PREFIX)))
			break;
	if (i < log.nr) {
		printk_format(&log, &log.recs[i], line, sizeof(line));
		log_error("guest panic: %s", line);
	} else {
		log_warn("guest panic: no \"%s\" line in its kernel log",
			 PANIC_PREFIX);
	}
	printk_log_free(&log);
}

static void print_backtrace(struct vm *vm, const struct vcpu_snapshot *snap)
{
	struct errmsg err;
	struct kview kv;
	json_t *bt, *f;
	size_t i;

	if (!snap || !snap->have_regs || (snap->sregs.cs.selector & 3) == 3)
		return;
	if (kview_open(vm, &kv, false, &err)) {
		log_warn("guest panic: no backtrace: %s", err.text);
		return;
	}
	bt = os_backtrace_regs_json(&kv, &snap->regs, snap->sregs.cs.selector);
	log_error(
		"guest panic: backtrace of vCPU %d (%s unwinder, guest kallsyms):",
		snap->vcpu_id,
		json_string_value(json_object_get(bt, "unwinder")) ?: "?");
	json_array_foreach(json_object_get(bt, "frames"), i, f)
	{
		json_t *sym = json_object_get(f, "symbol");

		fprintf(stderr, "  #%-2zu %s %s\n", i,
			json_string_value(json_object_get(f, "pc")),
			json_is_string(sym) ? json_string_value(sym) : "?");
	}
	fflush(stderr);
	json_decref(bt);
}

static void on_state(void *opaque, const struct vm_state_event *ev)
{
	struct vm *vm = opaque;
	static struct vm *reported;
	const struct vcpu_snapshot *snap = NULL;

	if ((ev->kind != VM_STATE_FATAL && ev->kind != VM_STATE_END) ||
	    ev->status != KS_STATUS_GUEST_PANIC || reported == vm)
		return;
	reported = vm;
	if (ev->kind == VM_STATE_FATAL && vm->dead_has_snapshot)
		snap = &vm->dead_snapshot;
	else if (ev->kind == VM_STATE_END && vm->end_has_snapshot)
		snap = &vm->end_snapshot;
	print_panic_line(vm);
	print_backtrace(vm, snap);
}

int os_panic_report_attach(struct vm *vm)
{
	return vm_add_state_listener(vm, on_state, vm);
}
