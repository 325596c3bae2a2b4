/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command lines for control commands, as `kvmscope ctl` and the QMP
 * human-monitor-command take them: "translate cpu=0 gva=0xffffffff81000000"
 * is the command name followed by name=value words, typed by the command's
 * args_help (see struct api_command).
 */
#ifndef KVMSCOPE_CMD_CMDLINE_H
#define KVMSCOPE_CMD_CMDLINE_H

#include <jansson.h>

#include "cmd/command.h"
#include "util/errmsg.h"

#define CMDLINE_MAX_WORDS 64

/*
 * Split line into words at blanks, as a shell would for simple quoting:
 * '...' keeps everything, "..." keeps everything but \" and \\, and a
 * backslash outside quotes takes the next byte as it is. On success
 * *words is a malloc'ed, NULL-terminated array of malloc'ed words (free
 * with cmdline_free) and the return value their number; -EINVAL with err
 * set on an unterminated quote or more than CMDLINE_MAX_WORDS words.
 */
int cmdline_split(const char *line, char ***words, struct errmsg *err);
void cmdline_free(char **words);

/*
 * name=value words into a JSON arguments object. Values are typed by
 * cmd's args_help (cmd may be NULL for a command this side does not know):
 * N and ADDR become numbers (decimal that fits int64 as a JSON integer,
 * anything else, e.g. hex or values past 2^63, as a string the server
 * parses), BOOL true/false (also yes/no, on/off, 1/0), JSON a JSON
 * value, anything else a string. Names args_help does not list: true/false become booleans,
 * decimal integers numbers, the rest strings. name:=JSON sends a JSON
 * value as it is. NULL with err set on a malformed word.
 */
json_t *cmdline_build_args(const struct api_command *cmd, int argc,
			   char *const argv[], struct errmsg *err);

#endif
