// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile kernel memory under the task walker and the stack unwinder: the
 * input is a window of "kernel virtual memory" holding task_structs laid
 * out as the unit tests' BTF says (tests/unit/ktypes_btf.h); list links,
 * pids, comms, parents and frame pointers are all fuzzer-chosen. Walks
 * must stay bounded and in the window, comms printable and terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/ktypes_btf.h"
#include "os/backtrace.h"
#include "os/ktypes.h"
#include "os/tasks.h"

#define WIN_VA 0xffff888000100000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct win {
	const uint8_t *p;
	size_t n;
};

static int rd(void *opaque, uint64_t va, void *buf, size_t len)
{
	const struct win *w = opaque;

	if (va < WIN_VA || va - WIN_VA > w->n || len > w->n - (va - WIN_VA))
		return -14;
	memcpy(buf, w->p + (va - WIN_VA), len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct task_layout l;
	static int ready;
	struct errmsg err;
	struct task_list list;
	struct backtrace bt;
	struct win w;
	uint8_t *copy;
	size_t i;

	if (!ready) {
		struct ktypes kt;
		uint32_t n;
		void *raw = ktypes_test_btf(&n);

		if (ktypes_parse(raw, n, 0, &kt, &err) ||
		    task_layout_from_btf(&kt, &l, &err))
			abort();
		ktypes_free(&kt);
		free(raw);
		ready = 1;
	}
	/* An exact-size copy: ASan catches any read past the window. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	w.p = copy;
	w.n = size;
	if (!tasks_walk(&l, rd, &w, WIN_VA, NULL, 0, &list, &err)) {
		for (i = 0; i < list.nr; i++)
			if (strlen(list.tasks[i].comm) > TASK_COMM_LEN)
				__builtin_trap();
		if (list.nr > TASKS_MAX + 2)
			__builtin_trap();
		task_list_free(&list);
	}
	bt_unwind(rd, &w, 0xffffffff81000000ULL, WIN_VA, NULL, NULL, &bt);
	if (bt.nr < 1 || bt.nr > BT_MAX_FRAMES || !bt.stop)
		__builtin_trap();
	free(copy);
	return 0;
}
