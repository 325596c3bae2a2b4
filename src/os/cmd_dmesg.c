// SPDX-License-Identifier: GPL-2.0
/*
 * guest-dmesg: the guest kernel's log from its printk ring buffer in RAM
 * (os/printk.c), located and laid out by its VMCOREINFO: readable while the
 * guest runs (a brief pause keeps the ring consistent), after a panic, or
 * on a guest that no longer runs at all.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "os/commands.h"
#include "os/guest_kernel.h"
#include "os/printk.h"
#include "vmm/vm.h"

#define DMESG_LINE_MAX 4096

struct kva_reader {
	const struct guest_memory *mem;
	const struct guest_kernel *gk;
};

static int read_kva(void *opaque, uint64_t va, void *buf, size_t len)
{
	const struct kva_reader *r = opaque;
	struct errmsg err;

	return guest_kernel_read_kva(r->mem, r->gk, va, buf, len, &err);
}

int os_read_dmesg(struct vm *vm, struct printk_log *log, struct errmsg *err)
{
	const struct guest_kernel *gk;
	struct printk_layout layout;
	struct kva_reader rd;
	int r;

	r = guest_kernel_get(vm, &gk, err);
	if (r)
		return r;
	if (!gk->vi)
		return errmsg_set(
			err, ENOENT,
			"the guest kernel's log needs its VMCOREINFO, which is not in RAM: build the kernel with CONFIG_PROC_KCORE or CONFIG_KEXEC_CORE (CRASH_CORE)");
	r = printk_layout_from_vmcoreinfo(gk->vi, &layout, err);
	if (r)
		return r;
	rd.mem = &vm->mem;
	rd.gk = gk;
	return printk_read(&layout, read_kva, &rd, log, err);
}

/* "C3" for a CPU (bit 31), "T412" for a task: the kernel's caller ids. */
static json_t *caller_json(uint32_t id)
{
	char s[16];

	snprintf(s, sizeof(s), "%c%u", id & 0x80000000u ? 'C' : 'T',
		 id & 0x7fffffffu);
	return json_string(s);
}

/*
 * {"records": [{"seq", "ts-nsec", "caller", "text", "line"}], "skipped",
 *  "ring-bytes", "total", "method"}: the last last= records (all by
 * default), oldest first; "line" is the text as dmesg prints it.
 */
static int cmd_guest_dmesg(struct api_ctx *ctx, json_t *args, json_t **ret,
			   struct errmsg *err)
{
	static const char *const allowed[] = { "last", NULL };
	static char line[DMESG_LINE_MAX];
	struct printk_log log;
	json_t *recs;
	bool have_last;
	long last = 0;
	size_t i, first;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_int(args, "last", false, 1, 1 << 20, &last,
				&have_last, err);
	if (r)
		return r;
	r = os_read_dmesg(ctx->vm, &log, err);
	if (r)
		return r;
	first = have_last && (size_t)last < log.nr ? log.nr - (size_t)last : 0;
	recs = json_array();
	for (i = first; i < log.nr; i++) {
		const struct printk_record *rec = &log.recs[i];

		json_t *text = json_stringn(log.text + rec->text, rec->len);

		printk_format(&log, rec, line, sizeof(line));
		/* Not UTF-8: the escaped line's text stands in for it. */
		if (!text)
			text = json_string(strchr(line, ']') + 2);
		json_array_append_new(
			recs, json_pack("{s:I, s:I, s:o, s:o, s:s}", "seq",
					(json_int_t)rec->seq, "ts-nsec",
					(json_int_t)rec->ts_nsec, "caller",
					caller_json(rec->caller_id), "text",
					text, "line", line));
	}
	*ret = json_pack("{s:o, s:I, s:I, s:I, s:s}", "records", recs, "total",
			 (json_int_t)log.nr, "skipped", (json_int_t)log.skipped,
			 "ring-bytes", (json_int_t)log.ring_bytes, "method",
			 "printk ring buffer located by VMCOREINFO");
	printk_log_free(&log);
	return *ret ? 0 : errmsg_set(err, ENOMEM, "out of memory");
}

const struct api_command cmd_dmesg_commands[] = {
	{ "guest-dmesg", cmd_guest_dmesg, API_PAUSES_BRIEFLY, "[last=N]",
	  "the guest kernel's log, decoded from its printk ring buffer in RAM (works after a panic)" },
};
const size_t cmd_dmesg_command_count =
	sizeof(cmd_dmesg_commands) / sizeof(cmd_dmesg_commands[0]);
