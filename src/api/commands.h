/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command table (commands.c): every control command, shared by the
 * control socket (server.c), `kvmscope ctl` and the gdb stub's `monitor`.
 * What a command is and how one runs: cmd/command.h.
 *
 * One row registers one command: each file of handlers exports its rows
 * as <file>_commands[] and <file>_command_count (the inspect/ ones are
 * declared in inspect/handlers.h), and commands.c lists those tables.
 */
#ifndef KVMSCOPE_API_COMMANDS_H
#define KVMSCOPE_API_COMMANDS_H

#include <stdio.h>

#include "cmd/command.h"

/* Room for this many commands in the joined table. */
#define API_MAX_COMMANDS 64

/* Protocol and run state (cmd_lifecycle.c), HMP passthrough (cmd_hmp.c). */
extern const struct api_command cmd_lifecycle_commands[];
extern const size_t cmd_lifecycle_command_count;
extern const struct api_command cmd_hmp_commands[];
extern const size_t cmd_hmp_command_count;

/* Look a command up; NULL when unknown. */
const struct api_command *api_command_find(const char *name);
/* The whole table (for query-commands and help). */
const struct api_command *api_commands(int *count);

/*
 * The version object of the greeting (QMP.version) and of query-version:
 * {"qemu": {"major", "minor", "micro"}, "package": "kvmscope X.Y.Z",
 *  "kvmscope": {"version": "X.Y.Z"}}.
 */
json_t *api_version_object(void);

/*
 * human-monitor-command's text: the cli registers the formatter `kvmscope
 * ctl` prints replies with (the api layer cannot call up into it). Without
 * one, the reply's JSON text is returned.
 */
typedef void (*api_text_formatter)(FILE *out, const char *command, json_t *ret);
void api_set_hmp_formatter(api_text_formatter fn);

/* api_execute_table on the real table. */
int api_execute(struct api_ctx *ctx, const char *name, json_t *args,
		json_t **ret, const char **err_class, struct errmsg *err);

#endif
