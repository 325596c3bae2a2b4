// SPDX-License-Identifier: GPL-2.0
/*
 * guest-ps: every task of the guest kernel, walked from init_task with the
 * layout from its BTF (os/tasks.c): pid, tgid, ppid, comm, state, the CPU
 * it runs on now (per-CPU current_task), its mm and page-table root.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "os/commands.h"
#include "os/kview.h"
#include "os/tasks.h"
#include "vmm/vm.h"

#define MAX_CPUS 256

int os_list_tasks(struct vm *vm, struct kview *kv, struct task_layout *l,
		  struct task_list *list, struct errmsg *err)
{
	uint64_t init_task, current[MAX_CPUS];
	int i, n = 0, r;

	r = kview_open(vm, kv, true, err);
	if (!r)
		r = task_layout_from_btf(kv->kt, l, err);
	if (!r)
		r = kview_symbol(kv, "init_task", &init_task, err);
	if (r)
		return r;
	for (i = 0; i < vm->nr_vcpus && i < MAX_CPUS; i++) {
		struct errmsg cerr;

		if (kview_current_task(kv, i, &current[i], &cerr))
			current[i] = 0;
		n = i + 1;
	}
	r = tasks_walk(l, kview_read, kv, init_task, current, n, list, err);
	if (r)
		return r;
	/* A CPU's idle task (swapper/N, N > 0) is on no list. */
	for (i = 0; i < n; i++) {
		size_t j;
		bool found = !current[i];

		for (j = 0; j < list->nr && !found; j++)
			found = list->tasks[j].addr == current[i];
		if (!found)
			tasks_add_one(l, kview_read, kv, current[i], current, n,
				      list);
	}
	return 0;
}

int os_task_cr3(struct vm *vm, long pid, uint64_t *cr3, char *comm,
		size_t comm_size, struct errmsg *err)
{
	struct task_layout l;
	struct task_list list;
	struct kview kv;
	size_t i;
	int r;

	r = os_list_tasks(vm, &kv, &l, &list, err);
	if (r)
		return r;
	r = errmsg_set(
		err, ENOENT,
		"no task with pid %ld in the guest kernel's task list (guest-ps lists them)",
		pid);
	for (i = 0; i < list.nr; i++) {
		const struct guest_task *t = &list.tasks[i];

		if (t->pid != pid)
			continue;
		snprintf(comm, comm_size, "%s", t->comm);
		if (!t->mm)
			r = errmsg_set(
				err, EINVAL,
				"pid %ld (%s) is a kernel thread: it has no address space of its own; use cpu=N for kernel addresses",
				pid, t->comm);
		else if (!t->pgd || guest_kernel_kva_to_gpa(&vm->mem, kv.gk,
							    t->pgd, cr3, err))
			r = errmsg_set(
				err, EFAULT,
				"pid %ld (%s): its mm's pgd 0x%llx does not translate",
				pid, t->comm, (unsigned long long)t->pgd);
		else
			r = 0;
		break;
	}
	task_list_free(&list);
	return r;
}

/* The page-table root a task's CR3 holds: __pa(mm->pgd). */
static json_t *pgd_json(const struct kview *kv, const struct guest_task *t)
{
	struct errmsg err;
	uint64_t gpa;

	if (!t->mm || !t->pgd ||
	    guest_kernel_kva_to_gpa(&kv->vm->mem, kv->gk, t->pgd, &gpa, &err))
		return json_null();
	return api_hex(gpa);
}

/*
 * {"tasks": [{"pid", "tgid", "ppid", "comm", "state", "cpu",
 *  "running-on", "task", "mm", "pgd"}], "note"?, "method", "types" (where
 *  the BTF came from: guest RAM, or the --symbols file)}
 */
static int cmd_guest_ps(struct api_ctx *ctx, json_t *args, json_t **ret,
			struct errmsg *err)
{
	static const char *const allowed[] = { NULL };
	struct task_layout l;
	struct task_list list;
	struct kview kv;
	json_t *tasks;
	size_t i;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = os_list_tasks(ctx->vm, &kv, &l, &list, err);
	if (r)
		return r;
	tasks = json_array();
	for (i = 0; i < list.nr; i++) {
		const struct guest_task *t = &list.tasks[i];
		char state[2] = { t->state, 0 };

		json_array_append_new(
			tasks,
			json_pack(
				"{s:i, s:i, s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
				"pid", t->pid, "tgid", t->tgid, "ppid", t->ppid,
				"comm", t->comm, "state", state, "cpu",
				t->cpu >= 0 ? json_integer(t->cpu) :
					      json_null(),
				"running-on",
				t->current_on >= 0 ?
					json_integer(t->current_on) :
					json_null(),
				"task", api_hex(t->addr), "mm",
				t->mm ? api_hex(t->mm) : json_null(), "pgd",
				pgd_json(&kv, t)));
	}
	*ret = json_pack("{s:o, s:s, s:s}", "tasks", tasks, "method",
			 "init_task's lists, layout from BTF", "types",
			 kv.kt->source);
	if (*ret && list.note[0])
		json_object_set_new(*ret, "note", json_string(list.note));
	task_list_free(&list);
	return *ret ? 0 : errmsg_set(err, ENOMEM, "out of memory");
}

const struct api_command cmd_tasks_commands[] = {
	{ "guest-ps", cmd_guest_ps, API_PAUSES_BRIEFLY, "",
	  "every task of the guest kernel: pid, tgid, ppid, comm, state, the vCPU it runs on, its page-table root (from RAM and the kernel's BTF)" },
};
const size_t cmd_tasks_command_count =
	sizeof(cmd_tasks_commands) / sizeof(cmd_tasks_commands[0]);
