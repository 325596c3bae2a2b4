// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile .BTF blob from guest RAM: libbpf parses it (ktypes_parse), then
 * everything guest-ps and guest-backtrace look up runs on whatever it
 * accepted: the task_struct layout, member paths through anonymous
 * members, C type names of every type id (qualifier loops included), and
 * read-struct's rendering of every type over the input's own bytes.
 * A member found must lie inside its structure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "os/kstruct.h"
#include "os/ktypes.h"
#include "os/tasks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "tasks",	  "thread_info.cpu",
					     "thread.sp", "thread_group",
					     "comm",	  "a.b.c.d.e.f.g.h.i" };
	struct errmsg err;
	struct task_layout l;
	struct kmember m;
	struct ktypes kt;
	uint32_t ssize;
	char name[256];
	size_t i;
	int id;

	if (ktypes_parse(data, size, 0xffffffff81000000ULL, &kt, &err))
		return 0;
	task_layout_from_btf(&kt, &l, &err);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!ktypes_member(&kt, "task_struct", paths[i], &m, &err) &&
		    !ktypes_struct(&kt, "task_struct", &id, &ssize, &err) &&
		    (uint64_t)m.offset + m.size > ssize)
			__builtin_trap();
	for (id = 0; id < 512; id++) {
		ktypes_type_name(&kt, id, name, sizeof(name));
		if (id < 64)
			json_decref(kstruct_fields(&kt, id, data, size, 0));
	}
	ktypes_free(&kt);
	return 0;
}
