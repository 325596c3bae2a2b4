// SPDX-License-Identifier: GPL-2.0
/*
 * human-monitor-command: QEMU's HMP passthrough. The command line is a
 * kvmscope control command with name=value words, as `kvmscope ctl` takes
 * it (cmd/cmdline.h), and the return value is the text `kvmscope ctl`
 * would print for it, through the formatter the cli registers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/commands.h"
#include "cmd/cmdline.h"

static api_text_formatter hmp_formatter;

void api_set_hmp_formatter(api_text_formatter fn)
{
	hmp_formatter = fn;
}

/* "help": one line per command, as `kvmscope ctl --help` lists them. */
static void print_help(FILE *f)
{
	const struct api_command *cmds = NULL;
	int i, n;

	cmds = api_commands(&n);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s%s -- %s\n", cmds[i].name,
			cmds[i].args_help[0] ? " " : "", cmds[i].args_help,
			cmds[i].help);
}

static void print_reply(FILE *f, const char *command, json_t *ret)
{
	char *text;

	if (hmp_formatter) {
		hmp_formatter(f, command, ret);
		return;
	}
	if (json_is_object(ret) && !json_object_size(ret))
		return;
	text = json_dumps(ret, JSON_INDENT(2) | JSON_ENCODE_ANY);
	if (text)
		fprintf(f, "%s\n", text);
	free(text);
}

/*
 * {"command-line": "translate cpu=0 gva=0xffffffff81000000"[, "cpu-index":
 * N]} -> "CPU 0, 4-level paging, ..." (a string; "" for commands that
 * print nothing). cpu-index is the default for a command that takes cpu=
 * when the line does not give one. A failing command fails this one with
 * its own message.
 */
static int api_cmd_human_monitor_command(struct api_ctx *ctx, json_t *args,
					 json_t **ret, struct errmsg *err)
{
	static const char *const allowed[] = { "command-line", "cpu-index",
					       NULL };
	const struct api_command *cmd;
	json_t *cargs = NULL, *inner = NULL;
	const char *line, *cls;
	char **words = NULL, *text = NULL;
	size_t len = 0;
	bool has_cpu;
	long cpu = 0;
	FILE *f;
	int r, n;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_str(args, "command-line", true, &line, err);
	if (!r)
		r = api_arg_int(args, "cpu-index", false, 0, 4095, &cpu,
				&has_cpu, err);
	if (r)
		return r;
	n = cmdline_split(line, &words, err);
	if (n < 0)
		return n;
	if (!n) {
		r = errmsg_set(
			err, EINVAL,
			"'command-line' is empty: give a command, e.g. \"query-status\" or \"help\"");
		goto out;
	}
	if (!strcmp(words[0], "human-monitor-command")) {
		r = errmsg_set(err, EINVAL,
			       "human-monitor-command cannot run itself");
		goto out;
	}
	f = open_memstream(&text, &len);
	if (!f) {
		r = errmsg_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if (!strcmp(words[0], "help") && n == 1) {
		print_help(f);
	} else {
		cmd = api_command_find(words[0]);
		cargs = cmdline_build_args(cmd, n - 1, words + 1, err);
		if (!cargs) {
			r = -EINVAL;
		} else {
			if (has_cpu && cmd && strstr(cmd->args_help, "cpu=") &&
			    !json_object_get(cargs, "cpu"))
				json_object_set_new(cargs, "cpu",
						    json_integer(cpu));
			r = api_execute(ctx, words[0], cargs, &inner, &cls,
					err);
		}
		if (!r)
			print_reply(f, words[0], inner);
	}
	if (fclose(f) && !r)
		r = errmsg_set(err, ENOMEM, "out of memory");
	if (!r) {
		*ret = json_stringn(text, len);
		if (!*ret)
			r = errmsg_set(
				err, EINVAL,
				"the output of '%.64s' is not UTF-8 text",
				words[0]);
	}
out:
	free(text);
	json_decref(inner);
	json_decref(cargs);
	cmdline_free(words);
	return r;
}

const struct api_command cmd_hmp_commands[] = {
	{ "human-monitor-command", api_cmd_human_monitor_command, API_LIFECYCLE,
	  "command-line=STRING [cpu-index=N]",
	  "run a command line (\"translate cpu=0 gva=0x1000\") and return the text kvmscope ctl prints for it",
	  true },
};
const size_t cmd_hmp_command_count =
	sizeof(cmd_hmp_commands) / sizeof(cmd_hmp_commands[0]);
