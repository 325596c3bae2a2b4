/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Introspection command handlers (src/inspect/cmd_*.c), listed in the
 * command table (src/api/commands.c). Return shapes are documented at each
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

/* vCPU state (src/inspect/cmd_cpu.c). */
int api_cmd_query_cpus_fast(struct api_ctx *, json_t *, json_t **,
			    struct errmsg *);
int api_cmd_query_registers(struct api_ctx *, json_t *, json_t **,
			    struct errmsg *);
int api_cmd_query_msrs(struct api_ctx *, json_t *, json_t **, struct errmsg *);
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

#endif
