// SPDX-License-Identifier: GPL-2.0
/*
 * The command table: every control command kvmscope serves, for the
 * control socket, `kvmscope ctl` and the gdb stub's `monitor`. Each
 * command's row lives next to its handler (a per-file table); this file
 * only lists those tables, in the order query-commands and help show them.
 */
#include <pthread.h>
#include <string.h>

#include "api/commands.h"
#include "inspect/handlers.h"
#include "os/commands.h"
#include "util/log.h"

static const struct {
	const struct api_command *rows;
	const size_t *count;
} tables[] = {
	{ cmd_lifecycle_commands, &cmd_lifecycle_command_count },
	{ cmd_hmp_commands, &cmd_hmp_command_count },
	{ cmd_cpu_commands, &cmd_cpu_command_count },
	{ cmd_lapic_commands, &cmd_lapic_command_count },
	{ cmd_pci_commands, &cmd_pci_command_count },
	{ cmd_block_commands, &cmd_block_command_count },
	{ cmd_memmap_commands, &cmd_memmap_command_count },
	{ cmd_paging_commands, &cmd_paging_command_count },
	{ cmd_memory_commands, &cmd_memory_command_count },
	{ cmd_dump_commands, &cmd_dump_command_count },
	{ cmd_trace_commands, &cmd_trace_command_count },
	{ cmd_profile_commands, &cmd_profile_command_count },
	{ cmd_report_commands, &cmd_report_command_count },
	{ cmd_stats_commands, &cmd_stats_command_count },
	{ cmd_kernel_commands, &cmd_kernel_command_count },
	{ cmd_dmesg_commands, &cmd_dmesg_command_count },
	{ cmd_tasks_commands, &cmd_tasks_command_count },
	{ cmd_backtrace_commands, &cmd_backtrace_command_count },
	{ cmd_struct_commands, &cmd_struct_command_count },
};

/* The per-file tables joined once, so callers see one array. */
static struct api_command all[API_MAX_COMMANDS];
static int nr_all;
static pthread_once_t joined = PTHREAD_ONCE_INIT;

static void join_tables(void)
{
	size_t t, i;

	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (i = 0; i < *tables[t].count; i++) {
			const struct api_command *c = &tables[t].rows[i];

			if (api_command_lookup(all, nr_all, c->name)) {
				log_warn(
					"api: command '%s' is registered twice",
					c->name);
				continue;
			}
			if (nr_all == API_MAX_COMMANDS) {
				log_warn(
					"api: more than %d commands: '%s' dropped",
					API_MAX_COMMANDS, c->name);
				continue;
			}
			all[nr_all++] = *c;
		}
	}
}

const struct api_command *api_commands(int *count)
{
	pthread_once(&joined, join_tables);
	*count = nr_all;
	return all;
}

const struct api_command *api_command_find(const char *name)
{
	int n;
	const struct api_command *t = api_commands(&n);

	return api_command_lookup(t, n, name);
}

int api_execute(struct api_ctx *ctx, const char *name, json_t *args,
		json_t **ret, const char **err_class, struct errmsg *err)
{
	int n;
	const struct api_command *t = api_commands(&n);

	return api_execute_table(t, n, ctx, name, args, ret, err_class, err);
}
