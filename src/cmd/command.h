/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a control command is: its handler, pause policy and argument help,
 * the context it runs in, the argument helpers, and running one command
 * from a table with its pause policy applied. Each file of handlers (in
 * inspect/, os/, debug/ and api/) has the table rows of its commands next
 * to them; src/api/commands.c lists those tables.
 *
 * Conventions (the contract between handlers, `kvmscope ctl`'s formatters
 * and tests):
 *  - 64-bit quantities (addresses, register values, sizes that may exceed
 *    2^53) are returned as hex strings "0x..."; small counts as numbers.
 *  - Address arguments accept a JSON integer (0 to 2^64 - 1: the control
 *    socket passes integers past 2^63 - 1 as strings of their digits) or
 *    a string ("0x10", "4096").
 *  - Errors: return -errno with a one-line explanation in err; the server
 *    replies {"error": {"class": "GenericError", "desc": err}}.
 */
#ifndef KVMSCOPE_CMD_COMMAND_H
#define KVMSCOPE_CMD_COMMAND_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/errmsg.h"

struct vm;
struct api_server;

struct api_ctx {
	struct vm *vm; /* NULL only in tests: commands marked no_vm still run */
	struct api_server *server; /* for events; may be NULL (tests) */
	/*
	 * Set by api_execute before the handler runs: the VM was already
	 * stopped (by 'stop' or --paused) when the command arrived. A pause
	 * the command's own policy applied does not count, so this is what
	 * "paused by the user" means in replies (query-cpus-fast's state).
	 */
	bool was_paused;
};

typedef int (*api_handler)(struct api_ctx *ctx, json_t *args, json_t **ret,
			   struct errmsg *err);

enum api_pause_policy {
	API_RUNS_ANYTIME, /* safe while vCPUs run (memory reads, memslots) */
	API_NEEDS_STOP, /* needs vCPU state: VM must be stopped, or the call
			 * passes pause=true to stop/resume around itself */
	API_PAUSES_BRIEFLY, /* stops and resumes around itself if running */
	API_LIFECYCLE, /* protocol and run-state commands (stop, cont, quit):
			* run as they are and take no pause argument, since
			* pausing around 'stop' would undo it */
};

struct api_command {
	const char *name;
	api_handler handler;
	enum api_pause_policy pause;
	/*
	 * e.g. "cpu=N gva=ADDR [max=N]". The word after '=' is the type, which
	 * `kvmscope ctl` uses to type name=value arguments: N and ADDR are
	 * numbers, BOOL is true/false, JSON is parsed as JSON, anything else (STRING, HEX, BASE64) is
	 * sent as a string. 'pause' is not listed: api_execute handles it.
	 */
	const char *args_help;
	const char *help;
	bool no_vm; /* runs without a VM (protocol commands; tests) */
};

/* Look name up in table; NULL when unknown. */
const struct api_command *api_command_lookup(const struct api_command *table,
					     int count, const char *name);

/*
 * Run one command of table with its pause policy applied. Returns 0 with *ret set,
 * or -errno with err set and *err_class = "GenericError" or
 * "CommandNotFound". args may be NULL (no arguments); it is not modified.
 *
 * 'pause' (bool) is accepted by every command except API_LIFECYCLE ones
 * and removed before the handler sees it, so handlers never list it in
 * api_args_only. pause=true stops the VM around the command when it runs:
 * what API_NEEDS_STOP commands require, and a consistent snapshot for the
 * others (read-memory gva=, search-memory cpu=).
 */
int api_execute_table(const struct api_command *table, int count,
		      struct api_ctx *ctx, const char *name, json_t *args,
		      json_t **ret, const char **err_class, struct errmsg *err);

/*
 * For handlers whose need for stopped vCPUs depends on their arguments
 * (read-memory gva=): 0 when the VM is stopped (by the user or by
 * pause=true), else -EBUSY with the same advice API_NEEDS_STOP gives.
 * what names the command, e.g. "read-memory gva=".
 */
int api_require_stopped(struct api_ctx *ctx, const char *what,
			struct errmsg *err);

/*
 * Argument helpers: -EINVAL with err set when missing (if required) or of
 * the wrong type/range; 0 and *present=false when optional and absent
 * (present may be NULL). args may be NULL (no arguments).
 *
 * Numbers (u64, int) are a JSON integer or a string holding a decimal or
 * "0x" hex number, parsed strictly (no sign for u64, no spaces, no
 * suffix): addresses above 2^63 do not fit a JSON integer. Booleans are
 * strictly JSON true/false and strings strictly JSON strings: `kvmscope
 * ctl` types its name=value arguments itself.
 */
int api_arg_u64(json_t *args, const char *name, bool required, uint64_t *out,
		bool *present, struct errmsg *err);
int api_arg_int(json_t *args, const char *name, bool required, long min,
		long max, long *out, bool *present, struct errmsg *err);
int api_arg_bool(json_t *args, const char *name, bool *out, bool *present,
		 struct errmsg *err);
int api_arg_str(json_t *args, const char *name, bool required, const char **out,
		struct errmsg *err);
/* Reject arguments not in the NULL-terminated list (typos must not pass). */
int api_args_only(json_t *args, const char *const allowed[],
		  struct errmsg *err);

/* "0x%llx" as a JSON string. */
json_t *api_hex(uint64_t v);

#endif
