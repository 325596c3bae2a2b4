// SPDX-License-Identifier: GPL-2.0
/* The guest kernel's task list; see tasks.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/tasks.h"

#define TASK_REPORT 0x7f
#define TASK_IDLE 0x402 /* TASK_UNINTERRUPTIBLE | TASK_NOLOAD */

static int member(const struct ktypes *kt, const char *st, const char *path,
		  uint32_t want_size, uint32_t *off, struct errmsg *err)
{
	struct kmember m;
	int r = ktypes_member(kt, st, path, &m, err);

	if (r)
		return r;
	if (m.bitfield || (want_size && m.size != want_size))
		return errmsg_set(
			err, EINVAL,
			"the guest's BTF gives %s.%s %u bytes, %u expected", st,
			path, m.size, want_size);
	*off = m.offset;
	return 0;
}

int task_layout_from_btf(const struct ktypes *kt, struct task_layout *l,
			 struct errmsg *err)
{
	static const char *const state_names[] = { "__state", "state", NULL };
	static const char *const cpu_names[] = { "thread_info.cpu", "cpu",
						 NULL };
	struct kmember m;
	const char *found;
	int id, r;

	memset(l, 0, sizeof(*l));
	r = ktypes_struct(kt, "task_struct", &id, &l->size, err);
	if (!r)
		r = member(kt, "task_struct", "tasks", 16, &l->tasks, err);
	if (!r)
		r = member(kt, "task_struct", "pid", 4, &l->pid, err);
	if (!r)
		r = member(kt, "task_struct", "tgid", 4, &l->tgid, err);
	if (!r)
		r = member(kt, "task_struct", "comm", TASK_COMM_LEN, &l->comm,
			   err);
	if (!r)
		r = member(kt, "task_struct", "exit_state", 4, &l->exit_state,
			   err);
	if (!r)
		r = member(kt, "task_struct", "real_parent", 8, &l->real_parent,
			   err);
	if (!r)
		r = member(kt, "task_struct", "mm", 8, &l->mm, err);
	if (!r)
		r = member(kt, "task_struct", "flags", 4, &l->flags, err);
	if (!r)
		r = member(kt, "task_struct", "stack", 8, &l->stack, err);
	if (!r)
		r = member(kt, "mm_struct", "pgd", 8, &l->mm_pgd, err);
	if (!r)
		r = ktypes_member_any(kt, "task_struct", state_names, &m,
				      &found, err);
	if (r)
		return r;
	if (m.bitfield || (m.size != 4 && m.size != 8))
		return errmsg_set(
			err, EINVAL,
			"the guest's BTF gives task_struct.%s %u bytes", found,
			m.size);
	l->state = m.offset;
	l->state_size = m.size;
	/* Optional: the CPU, the thread list, the saved stack pointer. */
	if (!ktypes_member_any(kt, "task_struct", cpu_names, &m, NULL, err) &&
	    m.size == 4 && !m.bitfield) {
		l->have_cpu = true;
		l->cpu = m.offset;
	}
	if (!member(kt, "task_struct", "thread_group", 16, &l->thread_group,
		    err))
		l->have_thread_group = true;
	if (!member(kt, "task_struct", "thread.sp", 8, &l->thread_sp, err))
		l->have_thread_sp = true;
	return 0;
}

char task_state_letter(uint32_t state, uint32_t exit_state)
{
	static const char letters[] = "RSDTtXZPI";
	uint32_t s = (state | exit_state) & TASK_REPORT;
	int i = 0;

	if (state == TASK_IDLE)
		s = 0x80;
	while (s) {
		i++;
		s >>= 1;
	}
	return letters[i];
}

static int read_u32(kallsyms_read_fn read, void *opaque, uint64_t va,
		    uint32_t *v)
{
	return read(opaque, va, v, sizeof(*v));
}

static int read_u64(kallsyms_read_fn read, void *opaque, uint64_t va,
		    uint64_t *v)
{
	return read(opaque, va, v, sizeof(*v));
}

/* One task's fields; -EFAULT when the task_struct cannot be read. */
static int read_task(const struct task_layout *l, kallsyms_read_fn read,
		     void *opaque, uint64_t t, const uint64_t *current,
		     int nr_current, struct guest_task *g)
{
	uint32_t exit_state = 0, v;
	uint64_t parent = 0;
	int i;

	memset(g, 0, sizeof(*g));
	g->addr = t;
	g->cpu = -1;
	g->current_on = -1;
	if (read_u32(read, opaque, t + l->pid, (uint32_t *)&g->pid) ||
	    read_u32(read, opaque, t + l->tgid, (uint32_t *)&g->tgid) ||
	    read(opaque, t + l->comm, g->comm, TASK_COMM_LEN) ||
	    read(opaque, t + l->state, &g->state_raw, 4) ||
	    read_u32(read, opaque, t + l->exit_state, &exit_state) ||
	    read_u32(read, opaque, t + l->flags, &g->flags) ||
	    read_u64(read, opaque, t + l->real_parent, &parent) ||
	    read_u64(read, opaque, t + l->mm, &g->mm))
		return -EFAULT;
	g->comm[TASK_COMM_LEN] = '\0';
	for (i = 0; g->comm[i]; i++)
		if (g->comm[i] < 0x20 || g->comm[i] > 0x7e)
			g->comm[i] = '?';
	g->state = task_state_letter(g->state_raw, exit_state);
	g->ppid = 0;
	if (parent && parent != t &&
	    read_u32(read, opaque, parent + l->tgid, (uint32_t *)&g->ppid))
		g->ppid = -1;
	if (l->have_cpu && !read_u32(read, opaque, t + l->cpu, &v) && v < 8192)
		g->cpu = (int)v;
	if (g->mm && read_u64(read, opaque, g->mm + l->mm_pgd, &g->pgd))
		g->pgd = 0;
	for (i = 0; i < nr_current; i++)
		if (current[i] == t)
			g->current_on = i;
	return 0;
}

static int add(struct task_list *list, size_t *cap)
{
	struct guest_task *n;

	if (list->nr < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 64;
	n = realloc(list->tasks, *cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	list->tasks = n;
	return 0;
}

int tasks_walk(const struct task_layout *l, kallsyms_read_fn read, void *opaque,
	       uint64_t init_task, const uint64_t *current, int nr_current,
	       struct task_list *list, struct errmsg *err)
{
	uint64_t head = init_task + l->tasks, node, proc;
	size_t cap = 0, steps = 0;

	memset(list, 0, sizeof(*list));
	if (read_u64(read, opaque, head, &node))
		return errmsg_set(err, EFAULT,
				  "init_task at 0x%llx cannot be read",
				  (unsigned long long)init_task);
	/* init_task first (it is the list's head), then each process. */
	for (proc = init_task;;) {
		uint64_t tnode, thead;

		if (add(list, &cap))
			goto nomem;
		if (read_task(l, read, opaque, proc, current, nr_current,
			      &list->tasks[list->nr])) {
			snprintf(
				list->note, sizeof(list->note),
				"the task at 0x%llx cannot be read: the process list ends there",
				(unsigned long long)proc);
			break;
		}
		list->nr++;
		/* Its other threads, on its thread_group ring. */
		thead = proc + l->thread_group;
		while (l->have_thread_group && proc != init_task &&
		       !read_u64(read, opaque, thead, &tnode) &&
		       tnode != thead) {
			thead = proc + l->thread_group;
			for (; tnode != thead; steps++) {
				if (steps >= TASKS_MAX)
					goto too_many;
				if (add(list, &cap))
					goto nomem;
				if (read_task(l, read, opaque,
					      tnode - l->thread_group, current,
					      nr_current,
					      &list->tasks[list->nr]) ||
				    read_u64(read, opaque, tnode, &tnode)) {
					snprintf(
						list->note, sizeof(list->note),
						"a thread of pid %d cannot be read: its thread list ends there",
						list->tasks[list->nr - 1].tgid);
					break;
				}
				list->nr++;
			}
			break;
		}
		if (node == head)
			break;
		if (++steps >= TASKS_MAX)
			goto too_many;
		proc = node - l->tasks;
		if (read_u64(read, opaque, node, &node)) {
			snprintf(
				list->note, sizeof(list->note),
				"the task list entry at 0x%llx cannot be read: the list ends there",
				(unsigned long long)(proc + l->tasks));
			break;
		}
	}
	return 0;
too_many:
	snprintf(
		list->note, sizeof(list->note),
		"more than %d tasks: the list is corrupt or loops; the first %zu shown",
		TASKS_MAX, list->nr);
	return 0;
nomem:
	task_list_free(list);
	return errmsg_set(err, ENOMEM, "out of memory");
}

int tasks_add_one(const struct task_layout *l, kallsyms_read_fn read,
		  void *opaque, uint64_t task, const uint64_t *current,
		  int nr_current, struct task_list *list)
{
	struct guest_task *n =
		realloc(list->tasks, (list->nr + 1) * sizeof(*n));
	int r;

	if (!n)
		return -ENOMEM;
	list->tasks = n;
	r = read_task(l, read, opaque, task, current, nr_current,
		      &list->tasks[list->nr]);
	if (!r)
		list->nr++;
	return r;
}

void task_list_free(struct task_list *list)
{
	free(list->tasks);
	memset(list, 0, sizeof(*list));
}
