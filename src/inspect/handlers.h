/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Introspection command handlers (src/inspect/cmd_*.c) and the per-file
 * tables that register them (each row next to its handler), which the
 * command table (src/api/commands.c) lists. Return shapes are documented at each
 * handler's definition and in README "Control commands".
 */
#ifndef KVMSCOPE_INSPECT_HANDLERS_H
#define KVMSCOPE_INSPECT_HANDLERS_H

#include "cmd/command.h"

/* Lifecycle (src/api/cmd_lifecycle.c). */
int api_cmd_qmp_capabilities(struct api_ctx *, json_t *, json_t **,
			     struct errmsg *);
int api_cmd_query_version(struct api_ctx *, json_t *, json_t **,
			  struct errmsg *);
int api_cmd_query_commands(struct api_ctx *, json_t *, json_t **,
			   struct errmsg *);
int api_cmd_query_status(struct api_ctx *, json_t *, json_t **,
			 struct errmsg *);
int api_cmd_stop(struct api_ctx *, json_t *, json_t **, struct errmsg *);
int api_cmd_cont(struct api_ctx *, json_t *, json_t **, struct errmsg *);
int api_cmd_quit(struct api_ctx *, json_t *, json_t **, struct errmsg *);
int api_cmd_system_powerdown(struct api_ctx *, json_t *, json_t **,
			     struct errmsg *);
int api_cmd_system_wakeup(struct api_ctx *, json_t *, json_t **,
			  struct errmsg *);

/* Per-file tables: one row per command. */
extern const struct api_command cmd_cpu_commands[];
extern const size_t cmd_cpu_command_count;
extern const struct api_command cmd_lapic_commands[];
extern const size_t cmd_lapic_command_count;
extern const struct api_command cmd_pci_commands[];
extern const size_t cmd_pci_command_count;
extern const struct api_command cmd_block_commands[];
extern const size_t cmd_block_command_count;
extern const struct api_command cmd_memmap_commands[];
extern const size_t cmd_memmap_command_count;
extern const struct api_command cmd_paging_commands[];
extern const size_t cmd_paging_command_count;
extern const struct api_command cmd_memory_commands[];
extern const size_t cmd_memory_command_count;
extern const struct api_command cmd_dump_commands[];
extern const size_t cmd_dump_command_count;
extern const struct api_command cmd_trace_commands[];
extern const size_t cmd_trace_command_count;


extern const struct api_command cmd_profile_commands[];
extern const size_t cmd_profile_command_count;
extern const struct api_command cmd_report_commands[];
extern const size_t cmd_report_command_count;
extern const struct api_command cmd_stats_commands[];
extern const size_t cmd_stats_command_count;

/* vCPU state (src/inspect/cmd_cpu.c). */
int api_cmd_query_cpus_fast(struct api_ctx *, json_t *, json_t **,
			    struct errmsg *);
int api_cmd_query_registers(struct api_ctx *, json_t *, json_t **,
			    struct errmsg *);
int api_cmd_query_msrs(struct api_ctx *, json_t *, json_t **, struct errmsg *);
/* (src/inspect/cmd_lapic.c) */
int api_cmd_query_lapic(struct api_ctx *, json_t *, json_t **, struct errmsg *);

/* Memory map (src/inspect/cmd_memmap.c). */
int api_cmd_query_memslots(struct api_ctx *, json_t *, json_t **,
			   struct errmsg *);
int api_cmd_gpa2hva(struct api_ctx *, json_t *, json_t **, struct errmsg *);
int api_cmd_gpa2hpa(struct api_ctx *, json_t *, json_t **, struct errmsg *);

/* Page walks (src/inspect/cmd_paging.c). */
int api_cmd_translate(struct api_ctx *, json_t *, json_t **, struct errmsg *);
int api_cmd_query_mappings(struct api_ctx *, json_t *, json_t **,
			   struct errmsg *);

/* Memory access (src/inspect/cmd_memory.c). */
int api_cmd_read_memory(struct api_ctx *, json_t *, json_t **, struct errmsg *);
int api_cmd_write_memory(struct api_ctx *, json_t *, json_t **,
			 struct errmsg *);
int api_cmd_search_memory(struct api_ctx *, json_t *, json_t **,
			  struct errmsg *);

/* Profiling (src/inspect/cmd_profile.c). */
int api_cmd_profile_start(struct api_ctx *, json_t *, json_t **,
			  struct errmsg *);
int api_cmd_profile_stop(struct api_ctx *, json_t *, json_t **,
			 struct errmsg *);
/* (src/inspect/cmd_report.c) */
int api_cmd_stats_report(struct api_ctx *, json_t *, json_t **,
			 struct errmsg *);
/* Statistics (src/inspect/cmd_stats.c). */
int api_cmd_query_stats(struct api_ctx *, json_t *, json_t **, struct errmsg *);
int api_cmd_query_stats_schemas(struct api_ctx *, json_t *, json_t **,
				struct errmsg *);

#endif
