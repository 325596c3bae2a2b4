/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command table (commands.c): every control command, shared by the
 * control socket (server.c), `kvmscope ctl` and the gdb stub's `monitor`.
 * What a command is and how one runs: cmd/command.h.
 */
#ifndef KVMSCOPE_API_COMMANDS_H
#define KVMSCOPE_API_COMMANDS_H

#include "cmd/command.h"

/* Look a command up; NULL when unknown. */
const struct api_command *api_command_find(const char *name);
/* The whole table (for query-commands and help). */
const struct api_command *api_commands(int *count);

/* api_execute_table on the real table. */
int api_execute(struct api_ctx *ctx, const char *name, json_t *args,
		json_t **ret, const char **err_class, struct errmsg *err);

#endif
