// SPDX-License-Identifier: GPL-2.0
/*
 * The command table: every control command kvmscope serves, for the
 * control socket, `kvmscope ctl` and the gdb stub's `monitor`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/commands.h"
#include "inspect/handlers.h"
#include "vmm/vm.h"

static const struct api_command command_table[] = {
	/* Protocol and run state. */
	{ "qmp_capabilities", api_cmd_qmp_capabilities, API_LIFECYCLE, "",
	  "leave capabilities negotiation (a QMP client's first command)",
	  true },
	{ "query-version", api_cmd_query_version, API_LIFECYCLE, "",
	  "kvmscope's version", true },
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

	/* vCPU state. */
	{ "query-cpus-fast", api_cmd_query_cpus_fast, API_PAUSES_BRIEFLY, "",
	  "each vCPU's thread, run state, mode, CPL and paging mode" },
	{ "query-registers", api_cmd_query_registers, API_NEEDS_STOP, "cpu=N",
	  "general, segment, control, debug registers and pending events" },
	{ "query-msrs", api_cmd_query_msrs, API_NEEDS_STOP,
	  "cpu=N [index=ADDR]", "every readable MSR, or the one at index" },
	{ "query-lapic", api_cmd_query_lapic, API_NEEDS_STOP, "cpu=N",
	  "the local APIC's registers, decoded" },

	/* Memory map. */
	{ "query-memslots", api_cmd_query_memslots, API_RUNS_ANYTIME, "",
	  "KVM memory slots: guest-physical ranges and host addresses" },
	{ "gpa2hva", api_cmd_gpa2hva, API_RUNS_ANYTIME, "gpa=ADDR",
	  "host virtual address of a guest-physical address" },
	{ "gpa2hpa", api_cmd_gpa2hpa, API_RUNS_ANYTIME, "gpa=ADDR",
	  "host physical address of a guest-physical address (pagemap)" },

	/* Page tables. */
	{ "translate", api_cmd_translate, API_NEEDS_STOP, "cpu=N gva=ADDR",
	  "walk the guest page tables for one address, level by level" },
	{ "query-mappings", api_cmd_query_mappings, API_NEEDS_STOP,
	  "cpu=N [max=N]",
	  "every virtual range a vCPU's page tables map, merged" },

	/* Memory contents. */
	{ "read-memory", api_cmd_read_memory, API_RUNS_ANYTIME,
	  "(gpa=ADDR | cpu=N gva=ADDR) len=N",
	  "read up to 1 MiB of guest memory (gva= needs a stopped VM)" },
	{ "write-memory", api_cmd_write_memory, API_RUNS_ANYTIME,
	  "(gpa=ADDR | cpu=N gva=ADDR) (data=BASE64 | hex=HEX)",
	  "write guest memory, all or nothing (gva= needs a stopped VM)" },
	{ "search-memory", api_cmd_search_memory, API_RUNS_ANYTIME,
	  "(pattern=STRING | hex=HEX) [gpa-start=ADDR] [gpa-end=ADDR] [cpu=N] [max=N]",
	  "find a byte pattern in guest RAM (cpu= adds virtual addresses and needs a stopped VM)" },
};

#define NR_COMMANDS ((int)(sizeof(command_table) / sizeof(command_table[0])))

const struct api_command *api_command_find(const char *name)
{
	return api_command_lookup(command_table, NR_COMMANDS, name);
}

const struct api_command *api_commands(int *count)
{
	*count = NR_COMMANDS;
	return command_table;
}

int api_execute(struct api_ctx *ctx, const char *name, json_t *args,
		json_t **ret, const char **err_class, struct errmsg *err)
{
	return api_execute_table(command_table, NR_COMMANDS, ctx, name, args,
				 ret, err_class, err);
}
