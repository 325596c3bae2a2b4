/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small BTF with the kernel structures guest-ps reads, built with
 * libbpf's writer: task_struct as Linux 6.1 x86-64 lays it out in spirit
 * (members at chosen offsets, an anonymous union, thread_info.cpu nested),
 * mm_struct, list_head, inactive_task_frame. For test_ktypes.c and the
 * BTF fuzz target's seed.
 */
#ifndef KVMSCOPE_TESTS_KTYPES_BTF_H
#define KVMSCOPE_TESTS_KTYPES_BTF_H

#include <bpf/btf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* task_struct offsets the BTF below declares. */
#define T_THREAD_INFO_CPU 0x18 /* thread_info at 0x10, cpu at +8 */
#define T_STATE 0x20
#define T_STACK 0x28
#define T_FLAGS 0x30
#define T_TASKS 0x40
#define T_MM 0x50
#define T_EXIT_STATE 0x58
#define T_PID 0x60
#define T_TGID 0x64
#define T_REAL_PARENT 0x68
#define T_THREAD_GROUP 0x70
#define T_COMM 0x80
#define T_THREAD_SP 0x98 /* thread at 0x90, sp at +8 */
#define T_SIZE 0xc0
#define MM_PGD 0x48
#define MM_SIZE 0x100

/* The raw BTF (malloc'd, *size bytes). */
static inline void *ktypes_test_btf(uint32_t *size)
{
	struct btf *b = btf__new_empty();
	int u32, i32, u64, chr, comm, lh, ti, th, u, mm, mmp, task;
	const void *raw;
	void *copy;

	/* libbpf adds members to the type added last: types in order. */
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	u64 = btf__add_int(b, "long unsigned int", 8, 0);
	chr = btf__add_int(b, "char", 1, BTF_INT_CHAR);
	comm = btf__add_array(b, u32, chr, 16);
	lh = btf__add_struct(b, "list_head", 16);
	btf__add_field(b, "next", u64, 0, 0);
	btf__add_field(b, "prev", u64, 64, 0);
	ti = btf__add_struct(b, "thread_info", 16);
	btf__add_field(b, "flags", u64, 0, 0);
	btf__add_field(b, "cpu", u32, 64, 0);
	th = btf__add_struct(b, "thread_struct", 0x30);
	btf__add_field(b, "fsbase", u64, 0, 0);
	btf__add_field(b, "sp", u64, 64, 0);
	/* an anonymous union holding thread_group: C looks inside it */
	u = btf__add_union(b, NULL, 16);
	btf__add_field(b, "thread_group", lh, 0, 0);
	btf__add_field(b, "rcu_placeholder", u64, 0, 0);
	mm = btf__add_struct(b, "mm_struct", MM_SIZE);
	btf__add_field(b, "pgd", u64, MM_PGD * 8, 0);
	mmp = btf__add_ptr(b, mm);
	task = btf__add_struct(b, "task_struct", T_SIZE);
	btf__add_field(b, "thread_info", ti, 0x10 * 8, 0);
	btf__add_field(b, "__state", u32, T_STATE * 8, 0);
	btf__add_field(b, "stack", u64, T_STACK * 8, 0);
	btf__add_field(b, "flags", u32, T_FLAGS * 8, 0);
	btf__add_field(b, "tasks", lh, T_TASKS * 8, 0);
	btf__add_field(b, "mm", mmp, T_MM * 8, 0);
	btf__add_field(b, "exit_state", i32, T_EXIT_STATE * 8, 0);
	btf__add_field(b, "pid", i32, T_PID * 8, 0);
	btf__add_field(b, "tgid", i32, T_TGID * 8, 0);
	btf__add_field(b, "real_parent", u64, T_REAL_PARENT * 8, 0);
	btf__add_field(b, NULL, u, T_THREAD_GROUP * 8, 0);
	btf__add_field(b, "comm", comm, T_COMM * 8, 0);
	btf__add_field(b, "thread", th, 0x90 * 8, 0);
	(void)task;
	btf__add_struct(b, "inactive_task_frame", 56);
	btf__add_field(b, "bx", u64, 32 * 8, 0);
	btf__add_field(b, "bp", u64, 40 * 8, 0);
	btf__add_field(b, "ret_addr", u64, 48 * 8, 0);
	raw = btf__raw_data(b, size);
	copy = malloc(*size);
	memcpy(copy, raw, *size);
	btf__free(b);
	return copy;
}

#endif
