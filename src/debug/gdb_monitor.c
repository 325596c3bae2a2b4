// SPDX-License-Identifier: GPL-2.0
/*
 * gdb's `monitor` commands (qRcmd): the stub's own (help, info, phys,
 * watch-mode) and every kvmscope control command, answered as console
 * output.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "api/commands.h"
#include "arch/x86/cpu_template.h"
#include "arch/x86/disasm.h"
#include "debug/gdbstub_int.h"
#include "vmm/diag.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

static const char *const stub_commands_help =
	"kvmscope gdb stub monitor commands:\n"
	"  monitor help                  this text and the control commands\n"
	"  monitor info                  stub state: breakpoints, debug registers,\n"
	"                                watch mode, why the last request was refused\n"
	"  monitor phys on|off           m/M/X (x, print, set) take guest-physical\n"
	"                                addresses (breakpoints stay virtual)\n"
	"  monitor watch-mode auto|hw|step  debug registers, or single-stepping\n"
	"                                (write watchpoints only; auto = step on\n"
	"                                hosts without VMX/SVM)\n"
	"  monitor COMMAND [name=value...]  any kvmscope control command, as with\n"
	"                                kvmscope ctl (the VM is already stopped):\n";

static void monitor_help(struct gdbstub *gs, char **words, int nw)
{
	const struct api_command *cmds;
	int n, i;

	gs_send_console(gs, stub_commands_help, strlen(stub_commands_help));
	cmds = api_commands(&n);
	for (i = 0; i < n; i++)
		gs_console_printf(gs, "    %s%s%s\n", cmds[i].name,
				  cmds[i].args_help[0] ? " " : "",
				  cmds[i].args_help);
}

/* The selected vCPU's instruction, as the disassembler names it. */
static void monitor_info_rip(struct gdbstub *gs)
{
	struct vcpu *v = gs->vm->vcpus[gs->g_cpu];
	char why[128] = "", text[96], sym[160];
	enum x86_code_mode mode;
	uint8_t code[15];
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t linear;
	size_t n, i;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
		gs_console_printf(gs, "vCPU %d: registers unreadable: %s\n",
				  gs->g_cpu, strerror(errno));
		return;
	}
	mode = x86_code_mode(&sregs, regs.rflags);
	linear = mode == X86_CODE_64 ? regs.rip : (sregs.cs.base + regs.rip) &
							  0xffffffffULL;
	diag_symbolize(regs.rip, sym, sizeof(sym));
	n = gs_mem_read(gs, linear, code, sizeof(code), false, why,
			sizeof(why));
	gs_console_printf(gs, "vCPU %d (%s code) at RIP 0x%" PRIx64 "%s:",
			  gs->g_cpu, x86_code_mode_name(mode),
			  (uint64_t)regs.rip, sym);
	if (!n) {
		gs_console_printf(gs, " code unreadable (%s)\n", why);
		return;
	}
	x86_disasm(mode, regs.rip, code, n, text, sizeof(text));
	for (i = 0; i < n; i++)
		gs_console_printf(gs, " %02x", code[i]);
	gs_console_printf(gs, " (%s)\n", text);
}

static void monitor_info(struct gdbstub *gs, char **words, int n)
{
	int i;

	gs_console_printf(
		gs,
		"gdb stub on %s; %d vCPU(s) as threads 1-%d; selected vCPU %d\n",
		gs->where, gs->vm->nr_vcpus, gs->vm->nr_vcpus, gs->g_cpu);
	gs_console_printf(
		gs, "host: %s\n",
		host_has_hw_virt() ?
			"VMX/SVM: KVM reports int3, debug registers and single steps at every CPL" :
			"no VMX/SVM (KVM emulates guest kernel code): breakpoints, hbreak and steps work in CPL 0 code; CPL 3 code runs natively, unseen by the stub");
	gs_console_printf(gs, "memory access: %s addresses\n",
			  gs->phys ? "guest-physical" :
				     "virtual (selected vCPU's page tables)");
	gs_console_printf(gs, "watchpoints: %s (watch-mode %s)\n",
			  gs->emulate_watch ?
				  "emulated by single-stepping, writes only" :
				  "debug registers",
			  gs->watch_mode == WATCH_AUTO ? "auto" :
			  gs->watch_mode == WATCH_HW   ? "hw" :
							 "step");
	gs_console_printf(gs, "software breakpoints: %d\n", gs->nr_bps);
	for (i = 0; i < gs->nr_bps; i++)
		gs_console_printf(
			gs,
			"  0x%" PRIx64 " (gpa 0x%" PRIx64
			", original byte %02x%s)\n",
			gs->bps[i].gva, gs->bps[i].gpa, gs->bps[i].orig,
			gs->bps[i].user && !host_has_hw_virt() ?
				"; user-accessible page: not caught if executed at CPL 3 on this host" :
				"");
	for (i = 0; i < HW_SLOTS; i++) {
		const struct hw_slot *s = &gs->hw[i];

		if (s->used)
			gs_console_printf(gs,
					  "  DR%d: %s 0x%" PRIx64 " len %u\n",
					  i, gs_ztype_name(s->type), s->addr,
					  s->len);
	}
	for (i = 0; i < SW_WATCH_MAX; i++)
		if (gs->sww[i].used)
			gs_console_printf(gs,
					  "  emulated write watch 0x%" PRIx64
					  " len %" PRIu64 " (gpa 0x%" PRIx64
					  ")\n",
					  gs->sww[i].addr, gs->sww[i].len,
					  gs->sww[i].gpa);
	gs_console_printf(gs, "last refusal: %s\n",
			  gs->note[0] ? gs->note : "none");
	monitor_info_rip(gs);
}

/* name=value typed the way `kvmscope ctl` does, from the args_help. */
static json_t *monitor_value(const struct api_command *cmd, const char *name,
			     const char *value)
{
	const char *p, *help = cmd->args_help;
	size_t len = strlen(name);

	for (p = strstr(help, name); p; p = strstr(p + 1, name)) {
		bool start = p == help || strchr(" [(|", p[-1]);

		if (start && p[len] == '=') {
			p += len + 1;
			if (!strncmp(p, "BOOL", 4))
				break;
			/* N and ADDR parse from strings too (hex, > 2^63). */
			return json_string(value);
		}
	}
	if (!strcmp(value, "true") || !strcmp(value, "on"))
		return json_true();
	if (!strcmp(value, "false") || !strcmp(value, "off"))
		return json_false();
	return json_string(value);
}

static void monitor_api(struct gdbstub *gs, char **words, int n)
{
	const struct api_command *cmd = api_command_find(words[0]);
	struct api_ctx ctx = { .vm = gs->vm };
	struct errmsg err = { { 0 } };
	const char *cls = NULL;
	json_t *args, *ret = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int i, r;

	if (!cmd) {
		gs_console_printf(gs,
				  "unknown command '%s': see monitor help\n",
				  words[0]);
		return;
	}
	if (!strcmp(words[0], "cont") || !strcmp(words[0], "stop")) {
		gs_console_printf(
			gs,
			"'%s' would take the run state from gdb: use gdb's continue and Ctrl-C\n",
			words[0]);
		return;
	}
	args = json_object();
	for (i = 1; args && i < n; i++) {
		char *eq = strchr(words[i], '=');

		if (!eq || eq == words[i]) {
			gs_console_printf(gs,
					  "argument '%s' is not name=value\n",
					  words[i]);
			json_decref(args);
			return;
		}
		*eq = '\0';
		json_object_set_new(args, words[i],
				    monitor_value(cmd, words[i], eq + 1));
	}
	if (!args) {
		gs_console_printf(gs, "out of memory\n");
		return;
	}
	r = api_execute(&ctx, words[0], args, &ret, &cls, &err);
	json_decref(args);
	if (r) {
		gs_console_printf(gs, "error: %s\n", err.text);
		return;
	}
	f = open_memstream(&text, &len);
	if (f) {
		if (gs->fmt)
			gs->fmt(f, words[0], ret);
		else
			json_dumpf(ret, f, JSON_INDENT(2));
		fclose(f);
		gs_send_console(gs, text, len);
		if (len && text[len - 1] != '\n')
			gs_send_console(gs, "\n", 1);
	}
	free(text);
	json_decref(ret);
}

static void monitor_phys(struct gdbstub *gs, char **words, int n)
{
	if (n == 2 && !strcmp(words[1], "on"))
		gs->phys = true;
	else if (n == 2 && !strcmp(words[1], "off"))
		gs->phys = false;
	else if (n != 1)
		gs_console_printf(gs, "usage: monitor phys on|off\n");
	gs_console_printf(gs, "memory addresses are %s\n",
			  gs->phys ? "guest-physical" : "virtual");
}

static void monitor_watch_mode(struct gdbstub *gs, char **words, int n)
{
	static const char *const names[] = {
		[WATCH_AUTO] = "auto",
		[WATCH_HW] = "hw",
		[WATCH_STEP] = "step",
	};
	enum watch_mode m = gs->watch_mode;
	bool busy = gs->nr_sww;
	int i;

	for (i = 0; n == 2 && i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(words[1], names[i]))
			break;
	if (n == 2 && i < (int)(sizeof(names) / sizeof(names[0])))
		m = i;
	else if (n != 1)
		gs_console_printf(gs,
				  "usage: monitor watch-mode auto|hw|step\n");
	if (m != gs->watch_mode) {
		for (i = 0; i < HW_SLOTS; i++)
			busy |= gs->hw[i].used && gs->hw[i].type >= 2;
		if (busy)
			gs_console_printf(gs, "delete the watchpoints first\n");
		else
			gs->watch_mode = m;
	}
	gs->emulate_watch = gs_use_step_watch(gs);
	gs_console_printf(gs, "watchpoints: %s\n",
			  gs->emulate_watch ?
				  "emulated by single-stepping (writes only)" :
				  "debug registers");
}

/* The stub's own commands; any other word is a control command. */
static const struct {
	const char *name;
	void (*fn)(struct gdbstub *gs, char **words, int n);
} stub_commands[] = {
	{ "help", monitor_help },
	{ "info", monitor_info },
	{ "phys", monitor_phys },
	{ "watch-mode", monitor_watch_mode },
};

/* qRcmd,HEX: a monitor command line, hex-encoded. */
void gs_cmd_monitor(struct gdbstub *gs, const struct gdb_req *req)
{
	const char *hex = req->args;
	size_t hexlen = strlen(hex), i;
	char *line = malloc(hexlen / 2 + 1), *words[64];
	long n = line ? gdb_hex_decode(hex, hexlen, (uint8_t *)line,
				       hexlen / 2) :
			-1;
	int nw;

	if (n < 0) {
		free(line);
		gs_send_error(gs, EINVAL);
		return;
	}
	line[n] = '\0';
	nw = gdb_split_words(line, words, 64);
	if (nw < 0) {
		gs_console_printf(gs, "too many words\n");
	} else if (nw == 0) {
		monitor_help(gs, words, nw);
	} else {
		for (i = 0;
		     i < sizeof(stub_commands) / sizeof(stub_commands[0]); i++)
			if (!strcmp(words[0], stub_commands[i].name))
				break;
		if (i < sizeof(stub_commands) / sizeof(stub_commands[0]))
			stub_commands[i].fn(gs, words, nw);
		else
			monitor_api(gs, words, nw);
	}
	free(line);
	gs_send_packet(gs, "OK");
}
