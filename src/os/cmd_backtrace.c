// SPDX-License-Identifier: GPL-2.0
/*
 * guest-backtrace cpu=N | pid=N: a guest kernel stack, symbolized from the
 * kernel's own kallsyms, walked through frame pointers (os/backtrace.c):
 * a vCPU's from its registers, a sleeping task's from the frame its last
 * context switch left (thread.sp), a running task's from its vCPU.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "os/backtrace.h"
#include "os/commands.h"
#include "os/kview.h"
#include "os/tasks.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

struct text_range {
	uint64_t start, end, init_start, init_end;
};

static int in_text(void *opaque, uint64_t pc)
{
	const struct text_range *t = opaque;

	return (pc >= t->start && pc < t->end) ||
	       (pc >= t->init_start && pc < t->init_end);
}

static void text_range(const struct kview *kv, struct text_range *t)
{
	struct errmsg err;

	memset(t, 0, sizeof(*t));
	if (kview_symbol(kv, "_stext", &t->start, &err) ||
	    kview_symbol(kv, "_etext", &t->end, &err))
		t->start = 0, t->end = UINT64_MAX; /* no bounds: any address */
	if (kview_symbol(kv, "_sinittext", &t->init_start, &err) ||
	    kview_symbol(kv, "_einittext", &t->init_end, &err))
		t->init_start = t->init_end = 0;
}

/*
 * "name+0xoff" as the kernel prints a return address (%pB): the symbol of
 * pc - 1, so a call that is its function's last instruction is named by
 * the caller, not by the next function.
 */
static json_t *symbol_json(const struct kallsyms *ks, uint64_t pc, bool ret)
{
	uint64_t at = ret ? pc - 1 : pc;
	const struct ksym *s = kallsyms_by_addr(ks, at, NULL);
	char buf[KALLSYMS_NAME_MAX + 24];

	if (!s)
		return json_null();
	snprintf(buf, sizeof(buf), "%s+0x%llx", kallsyms_name(ks, s),
		 (unsigned long long)(pc - s->addr));
	return json_string(buf);
}

json_t *os_backtrace_json(const struct kview *kv, uint64_t pc, uint64_t fp)
{
	struct text_range text;
	struct backtrace bt;
	json_t *frames = json_array();
	int i;

	text_range(kv, &text);
	bt_unwind(kview_read, (void *)kv, pc, fp, in_text, &text, &bt);
	for (i = 0; i < bt.nr; i++)
		json_array_append_new(
			frames,
			json_pack("{s:o, s:o, s:o}", "pc",
				  api_hex(bt.frames[i].pc), "symbol",
				  symbol_json(kv->ks, bt.frames[i].pc, i > 0),
				  "fp",
				  bt.frames[i].fp ? api_hex(bt.frames[i].fp) :
						    json_null()));
	return json_pack("{s:o, s:s}", "frames", frames, "stop", bt.stop);
}

/* A vCPU's stack from its registers; NULL with err in user mode. */
static json_t *vcpu_backtrace(const struct kview *kv, struct vcpu *vcpu,
			      struct errmsg *err)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		errmsg_set(err, errno, "vCPU %d: cannot read its registers",
			   vcpu->id);
		return NULL;
	}
	if ((sregs.cs.selector & 3) == 3) {
		errmsg_set(
			err, EINVAL,
			"vCPU %d runs user code (RIP 0x%llx): its kernel stack is not in use",
			vcpu->id, (unsigned long long)regs.rip);
		return NULL;
	}
	return os_backtrace_json(kv, regs.rip, regs.rbp);
}

/* A sleeping task: the inactive_task_frame at thread.sp. */
static json_t *task_backtrace(const struct kview *kv,
			      const struct task_layout *l,
			      const struct guest_task *t, struct errmsg *err)
{
	struct kmember bp, ret;
	uint64_t sp, frame_bp, frame_ret;

	if (!l->have_thread_sp ||
	    ktypes_member(kv->kt, "inactive_task_frame", "bp", &bp, err) ||
	    ktypes_member(kv->kt, "inactive_task_frame", "ret_addr", &ret,
			  err)) {
		errmsg_set(
			err, ENOENT,
			"the guest's BTF has no thread.sp or inactive_task_frame: cannot find a sleeping task's stack");
		return NULL;
	}
	if (kview_read((void *)kv, t->addr + l->thread_sp, &sp, 8) ||
	    kview_read((void *)kv, sp + bp.offset, &frame_bp, 8) ||
	    kview_read((void *)kv, sp + ret.offset, &frame_ret, 8)) {
		errmsg_set(
			err, EFAULT,
			"pid %d: its saved stack pointer does not lead to a readable frame",
			t->pid);
		return NULL;
	}
	return os_backtrace_json(kv, frame_ret, frame_bp);
}

static int cmd_guest_backtrace(struct api_ctx *ctx, json_t *args, json_t **ret,
			       struct errmsg *err)
{
	static const char *const allowed[] = { "cpu", "pid", NULL };
	struct task_layout l;
	struct task_list list;
	struct kview kv;
	bool has_cpu, has_pid;
	long cpu = 0, pid = 0;
	json_t *bt = NULL;
	size_t i;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_int(args, "cpu", false, 0, ctx->vm->nr_vcpus - 1,
				&cpu, &has_cpu, err);
	if (!r)
		r = api_arg_int(args, "pid", false, 0, 0x7fffffff, &pid,
				&has_pid, err);
	if (r)
		return r;
	if (has_cpu == has_pid)
		return errmsg_set(
			err, EINVAL,
			"give cpu=N (a vCPU's stack) or pid=N (a task's), one of them");
	if (has_cpu) {
		r = kview_open(ctx->vm, &kv, false, err);
		if (r)
			return r;
		bt = vcpu_backtrace(&kv, ctx->vm->vcpus[cpu], err);
		if (!bt)
			return -EINVAL;
		json_object_set_new(bt, "cpu", json_integer(cpu));
		json_object_set_new(
			bt, "method",
			json_string(
				"frame pointers from the vCPU's registers"));
		*ret = bt;
		return 0;
	}
	r = os_list_tasks(ctx->vm, &kv, &l, &list, err);
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
		if (t->current_on >= 0 && t->current_on < ctx->vm->nr_vcpus)
			bt = vcpu_backtrace(&kv, ctx->vm->vcpus[t->current_on],
					    err);
		else
			bt = task_backtrace(&kv, &l, t, err);
		if (!bt) {
			r = -EINVAL;
			break;
		}
		json_object_set_new(bt, "pid", json_integer(pid));
		json_object_set_new(bt, "comm", json_string(t->comm));
		json_object_set_new(bt, "task", api_hex(t->addr));
		json_object_set_new(
			bt, "method",
			json_string(
				t->current_on >= 0 ?
					"frame pointers from the registers of the vCPU it runs on" :
					"frame pointers from the frame its last context switch saved"));
		if (t->current_on >= 0)
			json_object_set_new(bt, "cpu",
					    json_integer(t->current_on));
		*ret = bt;
		r = 0;
		break;
	}
	task_list_free(&list);
	return r;
}

const struct api_command cmd_backtrace_commands[] = {
	{ "guest-backtrace", cmd_guest_backtrace, API_PAUSES_BRIEFLY,
	  "(cpu=N | pid=N)",
	  "a guest kernel stack through frame pointers, symbolized from the guest's kallsyms: a vCPU's, or a task's (sleeping or running)" },
};
const size_t cmd_backtrace_command_count =
	sizeof(cmd_backtrace_commands) / sizeof(cmd_backtrace_commands[0]);
