/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands and their option parsing. */
#ifndef KVMSCOPE_CLI_CLI_H
#define KVMSCOPE_CLI_CLI_H

#include <stdio.h>

#include "util/errmsg.h"
#include "vmm/config.h"

/*
 * Parse `kvmscope run` options into cfg (defaults applied, values checked).
 * Returns 0, 1 when --help was printed, or -errno with err filled.
 */
int run_options_parse(int argc, char **argv, struct vm_config *cfg,
		      struct errmsg *err);
void run_usage(FILE *out);

int cmd_run(int argc, char **argv);
/* `kvmscope ctl`: one command over a running VM's control socket. */
int cmd_ctl(int argc, char **argv);
/* `kvmscope top`: a live view over the control socket (cmd_top.c). */
int cmd_top(int argc, char **argv);

#endif
