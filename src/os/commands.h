/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest-OS command tables (src/os/cmd_*.c), each row next to its
 * handler, which the command table (src/api/commands.c) lists.
 */
#ifndef KVMSCOPE_OS_COMMANDS_H
#define KVMSCOPE_OS_COMMANDS_H

#include "cmd/command.h"

/* query-guest-kernel, query-symbol (src/os/cmd_kernel.c). */
extern const struct api_command cmd_kernel_commands[];
extern const size_t cmd_kernel_command_count;

/* guest-dmesg (src/os/cmd_dmesg.c). */
extern const struct api_command cmd_dmesg_commands[];
extern const size_t cmd_dmesg_command_count;

/* guest-ps (src/os/cmd_tasks.c). */
extern const struct api_command cmd_tasks_commands[];
extern const size_t cmd_tasks_command_count;

/* read-struct, read-symbol (src/os/cmd_struct.c). */
extern const struct api_command cmd_struct_commands[];
extern const size_t cmd_struct_command_count;

/* guest-backtrace (src/os/cmd_backtrace.c). */
extern const struct api_command cmd_backtrace_commands[];
extern const size_t cmd_backtrace_command_count;

struct vm;
struct printk_log;
struct kview;
struct task_layout;
struct task_list;
/*
 * The CR3 (page-table root, guest physical) of the process with this
 * pid, and its comm: for translate/read-memory/search-memory pid=N.
 */
int os_task_cr3(struct vm *vm, long pid, uint64_t *cr3, char *comm,
		size_t comm_size, struct errmsg *err);
/* Every task (guest-ps, translate pid=...): kv, l and list filled. */
int os_list_tasks(struct vm *vm, struct kview *kv, struct task_layout *l,
		  struct task_list *list, struct errmsg *err);
/* The guest kernel's log (for guest-dmesg and the panic report). */
int os_read_dmesg(struct vm *vm, struct printk_log *log, struct errmsg *err);

struct orc_start;
struct kvm_regs;
/*
 * {"frames": [{"pc", "symbol", "fp", "sp", "frame"}], "stop",
 * "unwinder": "orc" | "frame-pointer", "orc-error"?}: the kernel stack
 * from start, symbolized, through the kernel's ORC tables when it has
 * them, else its frame pointers (start->ip, start->bp).
 */
json_t *os_backtrace_json(const struct kview *kv,
			  const struct orc_start *start);
/* The same from a vCPU's registers in kernel mode (cs: its selector); the
 * panic report uses it too. */
json_t *os_backtrace_regs_json(const struct kview *kv,
			       const struct kvm_regs *regs, uint64_t cs);

/*
 * On a guest kernel panic (pvpanic), print its panic line and the
 * panicking vCPU's backtrace on stderr. Main thread, before vm_run.
 */
int os_panic_report_attach(struct vm *vm);

#endif
