// SPDX-License-Identifier: GPL-2.0
/* Protocol and run-state commands: capabilities, version, stop/cont/quit. */
#include <errno.h>
#include <string.h>

#include "api/commands.h"
#include "inspect/handlers.h"
#include "vmm/exit_status.h"
#include "vmm/sleep.h"
#include "vmm/vm.h"

static const char *const no_args[] = { NULL };

/*
 * {} . QMP clients may ask for capabilities in "enable"; the greeting
 * offers none, so any requested one is refused by name.
 */
int api_cmd_qmp_capabilities(struct api_ctx *ctx, json_t *args, json_t **ret,
			     struct errmsg *err)
{
	static const char *const allowed[] = { "enable", NULL };
	json_t *enable, *v;
	size_t i;
	int r;

	r = api_args_only(args, allowed, err);
	if (r)
		return r;
	enable = json_object_get(args, "enable");
	if (enable && !json_is_array(enable))
		return errmsg_set(
			err, EINVAL,
			"argument 'enable' must be an array of capability names");
	json_array_foreach(enable, i, v) return errmsg_set(
		err, EINVAL,
		"capability '%.64s' is not available: kvmscope offers none",
		json_is_string(v) ? json_string_value(v) : "?");
	*ret = json_object();
	return 0;
}

json_t *api_version_object(void)
{
	return json_pack("{s:{s:i,s:i,s:i},s:s,s:{s:s}}", "qemu", "major", 7,
			 "minor", 2, "micro", 0, "package",
			 "kvmscope " KVMSCOPE_VERSION, "kvmscope", "version",
			 KVMSCOPE_VERSION);
}

/* The greeting's QMP.version, exactly (api_version_object). */
int api_cmd_query_version(struct api_ctx *ctx, json_t *args, json_t **ret,
			  struct errmsg *err)
{
	int r = api_args_only(args, no_args, err);

	if (r)
		return r;
	*ret = api_version_object();
	return *ret ? 0 : -ENOMEM;
}

/* [{"name": "query-status"}, ...] in table order. */
int api_cmd_query_commands(struct api_ctx *ctx, json_t *args, json_t **ret,
			   struct errmsg *err)
{
	const struct api_command *cmds;
	int i, n, r;

	r = api_args_only(args, no_args, err);
	if (r)
		return r;
	cmds = api_commands(&n);
	*ret = json_array();
	if (!*ret)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		json_array_append_new(*ret,
				      json_pack("{s:s}", "name", cmds[i].name));
	return 0;
}

static const char *const holder_words[VM_NR_HOLDERS] = {
	[VM_HOLD_USER] = "user",
	[VM_HOLD_DEBUGGER] = "gdb",
	[VM_HOLD_FATAL] = "fatal",
	[VM_HOLD_START] = "start",
};

/*
 * {"status": S, "running": bool, "held-by": ["user", "gdb", "fatal"]}
 * (held-by only while someone holds the VM)
 * with QEMU's run states: "running", "paused" (user), "debug" (gdb only),
 * "suspended" (ACPI S3, until a wake; not a holder in held-by),
 * and for a dead guest kept by --on-fatal pause "shutdown" (triple
 * fault), "guest-panicked" (halted for good) or "internal-error", plus
 * "fatal": {"reason", "status", "why", "cpu"}.
 */
int api_cmd_query_status(struct api_ctx *ctx, json_t *args, json_t **ret,
			 struct errmsg *err)
{
	unsigned int holds = vm_holds(ctx->vm) & ~(1u << VM_HOLD_SUSPEND);
	const char *status = "running", *reason, *why;
	json_t *held;
	int r, i, code, cpu;
	bool paused;

	r = api_args_only(args, no_args, err);
	if (r)
		return r;
	paused = vm_is_paused(ctx->vm) && !ctx->vm->internal_holds;
	if (paused)
		status = holds == 1u << VM_HOLD_DEBUGGER ? "debug" : "paused";
	if (vm_is_suspended(ctx->vm))
		status = "suspended";
	if (vm_is_dead(ctx->vm))
		vm_death(ctx->vm, &status, NULL, NULL, NULL, NULL);
	/* Only when held: a running VM answers exactly what QEMU does. */
	held = holds ? json_array() : NULL;
	for (i = 0; held && i < VM_NR_HOLDERS; i++)
		if (holds & (1u << i) && holder_words[i])
			json_array_append_new(held,
					      json_string(holder_words[i]));
	*ret = json_pack("{s:s,s:b,s:o*}", "status", status, "running",
			 !paused, "held-by", held);
	if (*ret && vm_is_dead(ctx->vm)) {
		vm_death(ctx->vm, NULL, &reason, &code, &why, &cpu);
		json_object_set_new(*ret, "fatal",
				    json_pack("{s:s,s:i,s:s,s:i}", "reason",
					      reason, "status", code, "why",
					      why, "cpu", cpu));
	}
	return *ret ? 0 : -ENOMEM;
}

/* {} ; takes the user's hold (event STOP when the vCPUs were running). */
int api_cmd_stop(struct api_ctx *ctx, json_t *args, json_t **ret,
		 struct errmsg *err)
{
	int r = api_args_only(args, no_args, err);

	if (r)
		return r;
	vm_hold(ctx->vm, VM_HOLD_USER);
	return 0;
}

/*
 * {} ; drops the user's hold (event RESUME when the vCPUs run again).
 * Refused, holding on, while another holder keeps the VM stopped: gdb
 * (continue or detach there) or the guest's death.
 */
int api_cmd_cont(struct api_ctx *ctx, json_t *args, json_t **ret,
		 struct errmsg *err)
{
	int r = api_args_only(args, no_args, err);

	if (r)
		return r;
	if (!vm_holds(ctx->vm))
		return 0;
	r = vm_check_resumable(ctx->vm, VM_HOLD_USER, "cont", err);
	if (r)
		return r;
	vm_unhold(ctx->vm, VM_HOLD_USER);
	return 0;
}

/*
 * {} . Only requests the end: the main loop acts on it after this event is
 * handled, so the reply is queued (and sent) first, and api_server_close
 * flushes whatever the socket did not take yet. The main loop announces
 * every end (SHUTDOWN), this one included.
 */
int api_cmd_quit(struct api_ctx *ctx, json_t *args, json_t **ret,
		 struct errmsg *err)
{
	int r = api_args_only(args, no_args, err);

	if (r)
		return r;
	vm_request_end_reason(ctx->vm, KS_STATUS_SIGNAL,
			      "quit command from the control socket",
			      "host-qmp-quit");
	return 0;
}

int api_cmd_system_powerdown(struct api_ctx *ctx, json_t *args, json_t **ret,
			     struct errmsg *err)
{
	int r = api_args_only(args, no_args, err);

	if (r)
		return r;
	return errmsg_set(
		err, ENOTSUP,
		"system_powerdown needs an ACPI power button event, which kvmscope does not provide yet: use quit, or poweroff inside the guest");
}

/*
 * {} . Wakes a guest suspended to RAM (ACPI S3) as its RTC alarm would
 * (event WAKEUP); QEMU's error when it is not suspended.
 */
int api_cmd_system_wakeup(struct api_ctx *ctx, json_t *args, json_t **ret,
			  struct errmsg *err)
{
	int r = api_args_only(args, no_args, err);

	if (r)
		return r;
	return vm_wakeup(ctx->vm, "qmp", err);
}

/* The commands this file serves: one row per command, next to its handler. */
const struct api_command cmd_lifecycle_commands[] = {
	{ "qmp_capabilities", api_cmd_qmp_capabilities, API_LIFECYCLE, "",
	  "leave capabilities negotiation (a QMP client's first command)",
	  true },
	{ "query-version", api_cmd_query_version, API_LIFECYCLE, "",
	  "kvmscope's version (the greeting's QMP.version)", true },
	{ "query-commands", api_cmd_query_commands, API_LIFECYCLE, "",
	  "the commands this server accepts", true },
	{ "query-status", api_cmd_query_status, API_LIFECYCLE, "",
	  "whether the vCPUs run or are stopped" },
	{ "stop", api_cmd_stop, API_LIFECYCLE, "",
	  "stop every vCPU (event STOP)" },
	{ "cont", api_cmd_cont, API_LIFECYCLE, "",
	  "let stopped vCPUs run again (event RESUME)" },
	{ "quit", api_cmd_quit, API_LIFECYCLE, "",
	  "end kvmscope (exit status 130) after replying" },
	{ "system_powerdown", api_cmd_system_powerdown, API_LIFECYCLE, "",
	  "ACPI power button (not available yet: use quit)" },
	{ "system_wakeup", api_cmd_system_wakeup, API_LIFECYCLE, "",
	  "wake a guest suspended to RAM (ACPI S3; event WAKEUP)" },
};
const size_t cmd_lifecycle_command_count =
	sizeof(cmd_lifecycle_commands) / sizeof(cmd_lifecycle_commands[0]);
