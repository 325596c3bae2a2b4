// SPDX-License-Identifier: GPL-2.0
/*
 * guest-backtrace cpu=N | pid=N: a guest kernel stack, symbolized from the
 * kernel's own kallsyms, walked through the kernel's ORC tables when it
 * has them (os/orc.c, read once and cached), else frame pointers
 * (os/backtrace.c):
 * a vCPU's from its registers, a sleeping task's from the frame its last
 * context switch left (thread.sp), a running task's from its vCPU.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "os/backtrace.h"
#include "os/orc.h"
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
 * The ORC tables of the last kernel asked (~1-2 MiB read from RAM once):
 * keyed by the VM, its kallsyms table (a new one after the kernel cache
 * was invalidated) and where the tables are. A load that failed is kept
 * too, with its error, so that each command does not read them again.
 */
static struct {
	struct vm *vm;
	const struct kallsyms *ks;
	struct orc_locations loc;
	bool cached;
	int r;
	struct errmsg err;
	struct orc_table t;
} orc_cache;

static int orc_locate(const struct kview *kv, const struct text_range *text,
		      struct orc_locations *loc)
{
	struct errmsg err;

	memset(loc, 0, sizeof(*loc));
	if (kview_symbol(kv, "__start_orc_unwind_ip", &loc->ip_start, &err) ||
	    kview_symbol(kv, "__stop_orc_unwind_ip", &loc->ip_stop, &err) ||
	    kview_symbol(kv, "__start_orc_unwind", &loc->orc_start, &err) ||
	    kview_symbol(kv, "__stop_orc_unwind", &loc->orc_stop, &err))
		return -ENOENT;
	if (kview_symbol(kv, "orc_lookup", &loc->lookup, &err) ||
	    kview_symbol(kv, "orc_lookup_end", &loc->lookup_end, &err))
		loc->lookup = loc->lookup_end = 0;
	if (text->end != UINT64_MAX) {
		loc->text_start = text->start;
		loc->text_end = text->end;
		loc->init_start = text->init_start;
		loc->init_end = text->init_end;
	}
	return 0;
}

/*
 * The kernel's ORC tables: 0 with *t, -ENOENT when it has none (a
 * frame-pointer kernel), or the load's -errno with err.
 */
static int orc_tables(const struct kview *kv, const struct text_range *text,
		      const struct orc_table **t, struct errmsg *err)
{
	struct orc_locations loc;

	if (orc_locate(kv, text, &loc))
		return -ENOENT;
	if (!orc_cache.cached || orc_cache.vm != kv->vm ||
	    orc_cache.ks != kv->ks ||
	    memcmp(&loc, &orc_cache.loc, sizeof(loc))) {
		if (orc_cache.cached && !orc_cache.r)
			orc_table_free(&orc_cache.t);
		orc_cache.vm = kv->vm;
		orc_cache.ks = kv->ks;
		orc_cache.loc = loc;
		orc_cache.r = orc_table_load(&loc, kview_read, (void *)kv,
					     &orc_cache.t, &orc_cache.err);
		orc_cache.cached = true;
	}
	if (orc_cache.r) {
		*err = orc_cache.err;
		return orc_cache.r;
	}
	*t = &orc_cache.t;
	return 0;
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

static const char *const frame_kinds[] = {
	[BT_FRAME_EXACT] = "pc",
	[BT_FRAME_RETURN] = "return",
	[BT_FRAME_REGS] = "pt_regs",
	[BT_FRAME_IRET] = "iret",
};

static json_t *frames_json(const struct kallsyms *ks,
			   const struct backtrace *bt)
{
	json_t *frames = json_array();
	int i;

	for (i = 0; i < bt->nr; i++) {
		const struct bt_frame *f = &bt->frames[i];

		json_array_append_new(
			frames,
			json_pack("{s:o, s:o, s:o, s:o, s:s}", "pc",
				  api_hex(f->pc), "symbol",
				  symbol_json(ks, f->pc,
					      f->kind == BT_FRAME_RETURN),
				  "fp", f->fp ? api_hex(f->fp) : json_null(),
				  "sp", f->sp ? api_hex(f->sp) : json_null(),
				  "frame", frame_kinds[f->kind]));
	}
	return frames;
}

json_t *os_backtrace_json(const struct kview *kv, const struct orc_start *start)
{
	const struct orc_table *orc = NULL;
	struct text_range text;
	struct backtrace bt;
	struct errmsg err;
	json_t *ret;
	int r;

	text_range(kv, &text);
	r = orc_tables(kv, &text, &orc, &err);
	if (!r)
		orc_unwind(orc, kview_read, (void *)kv, start, &bt);
	else
		bt_unwind(kview_read, (void *)kv, start->ip, start->bp, in_text,
			  &text, &bt);
	ret = json_pack("{s:o, s:s, s:s}", "frames", frames_json(kv->ks, &bt),
			"stop", bt.stop, "unwinder",
			r ? "frame-pointer" : "orc");
	/* ORC tables that are there but not valid: say why FP was used. */
	if (r && r != -ENOENT)
		json_object_set_new(ret, "orc-error", json_string(err.text));
	return ret;
}

json_t *os_backtrace_regs_json(const struct kview *kv,
			       const struct kvm_regs *regs, uint64_t cs)
{
	struct orc_start start = {
		.ip = regs->rip,
		.sp = regs->rsp,
		.bp = regs->rbp,
		.signal = true,
		.have_regs = true,
	};
	uint64_t *r = start.regs;

	r[PT_R15] = regs->r15, r[PT_R14] = regs->r14, r[PT_R13] = regs->r13;
	r[PT_R12] = regs->r12, r[PT_BP] = regs->rbp, r[PT_BX] = regs->rbx;
	r[PT_R11] = regs->r11, r[PT_R10] = regs->r10, r[PT_R9] = regs->r9;
	r[PT_R8] = regs->r8, r[PT_AX] = regs->rax, r[PT_CX] = regs->rcx;
	r[PT_DX] = regs->rdx, r[PT_SI] = regs->rsi, r[PT_DI] = regs->rdi;
	r[PT_ORIG_AX] = UINT64_MAX, r[PT_IP] = regs->rip, r[PT_CS] = cs;
	r[PT_FLAGS] = regs->rflags, r[PT_SP] = regs->rsp;
	return os_backtrace_json(kv, &start);
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
	return os_backtrace_regs_json(kv, &regs, sregs.cs.selector);
}

/*
 * A sleeping task's ORC walk stays on its stack, as unwind_orc.c's
 * stack_access_ok keeps it: task->stack, THREAD_SIZE bytes. That is the
 * size of union thread_union when BTF has it, else x86-64's 6.1 value:
 * PAGE_SIZE << 2, one order more with KASAN. Without task->stack, no
 * bounds.
 */
static void task_stack(const struct kview *kv, const struct guest_task *t,
		       struct orc_start *start)
{
	struct errmsg err;
	struct kmember m;
	uint64_t base, addr;
	uint32_t size;
	int id;

	if (ktypes_member(kv->kt, "task_struct", "stack", &m, &err) ||
	    kview_read((void *)kv, t->addr + m.offset, &base, 8))
		return;
	if (ktypes_struct(kv->kt, "thread_union", &id, &size, &err) ||
	    size < 4096 || size > (1U << 20))
		size = kview_symbol(kv, "kasan_early_init", &addr, &err) ?
			       16384 :
			       32768;
	if (base + size < base)
		return;
	start->stack_lo = base;
	start->stack_hi = base + size;
}

/*
 * A sleeping task: the inactive_task_frame at thread.sp (its bp, then
 * ret_addr). ORC goes on from the frame's end, as unwind_orc.c's
 * __unwind_start does for a task that is not running.
 */
static json_t *task_backtrace(const struct kview *kv,
			      const struct task_layout *l,
			      const struct guest_task *t, struct errmsg *err)
{
	struct orc_start start = { 0 };
	struct kmember bp, ret;
	struct errmsg ferr;
	uint64_t sp, fork;
	uint32_t size;
	int id;

	if (!l->have_thread_sp ||
	    ktypes_member(kv->kt, "inactive_task_frame", "bp", &bp, err) ||
	    ktypes_member(kv->kt, "inactive_task_frame", "ret_addr", &ret,
			  err) ||
	    ktypes_struct(kv->kt, "inactive_task_frame", &id, &size, err)) {
		errmsg_set(
			err, ENOENT,
			"the guest's BTF has no thread.sp or inactive_task_frame: cannot find a sleeping task's stack");
		return NULL;
	}
	if (kview_read((void *)kv, t->addr + l->thread_sp, &sp, 8) ||
	    kview_read((void *)kv, sp + bp.offset, &start.bp, 8) ||
	    kview_read((void *)kv, sp + ret.offset, &start.ip, 8)) {
		errmsg_set(
			err, EFAULT,
			"pid %d: its saved stack pointer does not lead to a readable frame",
			t->pid);
		return NULL;
	}
	start.sp = sp + size;
	task_stack(kv, t, &start);
	/* A task that never ran resumes at ret_from_fork: not a return. */
	start.signal = !kview_symbol(kv, "ret_from_fork", &fork, &ferr) &&
		       start.ip == fork;
	return os_backtrace_json(kv, &start);
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
		json_object_set_new(bt, "method",
				    json_string("from the vCPU's registers"));
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
					"from the registers of the vCPU it runs on" :
					"from the frame its last context switch saved"));
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
	  "a guest kernel stack through ORC (the kernel's .orc_unwind tables) or frame pointers, symbolized from the guest's kallsyms: a vCPU's, or a task's (sleeping or running)" },
};
const size_t cmd_backtrace_command_count =
	sizeof(cmd_backtrace_commands) / sizeof(cmd_backtrace_commands[0]);
