/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest kernel's tasks, walked from init_task through the process list
 * (task_struct.tasks) and each process's threads (task_struct.thread_group,
 * or signal->thread_head), with the layout from the kernel's BTF: what
 * crash's `ps` shows, with no vmlinux.
 *
 * Lists live in guest RAM and may be corrupt or hostile: every walk is
 * bounded (TASKS_MAX entries, and a list that does not come back to its
 * head within that many steps is reported as broken), every pointer is
 * read through the checked kernel-virtual reader, and a task that cannot
 * be read ends the walk with what was found so far and a note.
 */
#ifndef KVMSCOPE_OS_TASKS_H
#define KVMSCOPE_OS_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os/kallsyms.h"
#include "os/ktypes.h"
#include "util/errmsg.h"

#define TASKS_MAX 65536
#define TASK_COMM_LEN 16

/* Offsets into struct task_struct (and mm_struct, signal_struct). */
struct task_layout {
	uint32_t size;
	uint32_t tasks, pid, tgid, comm, state, exit_state, real_parent, mm,
		flags;
	uint32_t state_size; /* 4 (__state) or 8 (state, before 5.14) */
	bool have_cpu;
	uint32_t cpu; /* thread_info.cpu or cpu */
	bool have_thread_group;
	uint32_t thread_group;
	uint32_t mm_pgd;
	bool have_thread_sp;
	uint32_t thread_sp; /* thread.sp: the saved stack pointer */
	uint32_t stack; /* task_struct.stack */
};

int task_layout_from_btf(const struct ktypes *kt, struct task_layout *l,
			 struct errmsg *err);

struct guest_task {
	uint64_t addr; /* the task_struct */
	int32_t pid, tgid, ppid;
	char comm[TASK_COMM_LEN + 1]; /* NUL-terminated, non-printables '?' */
	char state; /* R S D T t X Z P I, as ps */
	uint32_t state_raw;
	uint32_t flags;
	int cpu; /* the CPU it last ran on, -1 unknown */
	int current_on; /* the CPU it runs on now, -1: none */
	uint64_t mm; /* 0: a kernel thread */
	uint64_t pgd; /* mm->pgd, kernel virtual */
};

struct task_list {
	struct guest_task *tasks;
	size_t nr;
	char note[160]; /* why the walk stopped early, or "" */
};

/*
 * Walk every task from init_task (a kernel virtual address) through
 * read. current[] (nr_current entries, may be 0) are the per-CPU current
 * tasks, to set current_on. 0 with list filled (free with
 * task_list_free), -EFAULT when init_task cannot be read, -ENOMEM.
 */
int tasks_walk(const struct task_layout *l, kallsyms_read_fn read, void *opaque,
	       uint64_t init_task, const uint64_t *current, int nr_current,
	       struct task_list *list, struct errmsg *err);
void task_list_free(struct task_list *list);
/*
 * Append one task not on the lists (a CPU's idle task, swapper/N): 0,
 * -EFAULT, -ENOMEM.
 */
int tasks_add_one(const struct task_layout *l, kallsyms_read_fn read,
		  void *opaque, uint64_t task, const uint64_t *current,
		  int nr_current, struct task_list *list);

/* ps's state letter for __state / exit_state. */
char task_state_letter(uint32_t state, uint32_t exit_state);

#endif
