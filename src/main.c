// SPDX-License-Identifier: GPL-2.0
/* kvmscope entry point: subcommand dispatch only. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"
#include "vmm/exit_status.h"

static void usage(FILE *out)
{
	fputs("usage: kvmscope COMMAND [options]\n"
	      "\n"
	      "commands:\n"
	      "  run        boot a kernel in a KVM virtual machine (kvmscope run --help)\n"
	      "  ctl        inspect or control a running VM through its --api-sock\n"
	      "             (kvmscope ctl --help)\n"
	      "  top        a live view of a running VM over its --api-sock\n"
	      "             (kvmscope top --help)\n"
	      "  help       this text\n"
	      "  version    print the version\n",
	      out);
}

int main(int argc, char **argv)
{
	/* A closed stdout (kvmscope | head) must be an error, not death. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return KS_STATUS_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ctl"))
		return cmd_ctl(argc - 1, argv + 1);
	if (!strcmp(argv[1], "top"))
		return cmd_top(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("kvmscope %s\n", KVMSCOPE_VERSION);
		return 0;
	}
	log_error(
		"unknown command '%s': use 'kvmscope run --kernel FILE' (see kvmscope help)",
		argv[1]);
	return KS_STATUS_USAGE;
}
