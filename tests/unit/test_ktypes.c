// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel types from BTF and the task walker: structure and member lookup
 * (nested paths, anonymous unions, renamed fields, a member beyond its
 * struct refused), C type names, garbage refused by libbpf with a clear
 * line, the task_struct layout guest-ps needs, and tasks_walk over a
 * synthetic kernel memory: processes, a thread, the ps state letters, and
 * a list that loops or breaks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ktypes_btf.h"
#include "os/ktypes.h"
#include "os/tasks.h"

static struct ktypes kt;

static int setup(void **state)
{
	struct errmsg err = { { 0 } };
	uint32_t size;
	void *raw = ktypes_test_btf(&size);
	int r = ktypes_parse(raw, size, 0xffffffff81b3282cULL, &kt, &err);

	free(raw);
	return r;
}

static int teardown(void **state)
{
	ktypes_free(&kt);
	return 0;
}

static void test_members(void **state)
{
	struct errmsg err = { { 0 } };
	static const char *const state_names[] = { "state", "__state", NULL };
	struct kmember m;
	const char *found;
	uint32_t size;
	char name[64];
	int id;

	assert_int_equal(ktypes_struct(&kt, "task_struct", &id, &size, &err),
			 0);
	assert_int_equal(size, T_SIZE);
	assert_int_equal(ktypes_member(&kt, "task_struct", "pid", &m, &err), 0);
	assert_int_equal(m.offset, T_PID);
	assert_int_equal(m.size, 4);
	assert_int_equal(ktypes_member(&kt, "task_struct", "thread_info.cpu",
				       &m, &err),
			 0);
	assert_int_equal(m.offset, T_THREAD_INFO_CPU);
	/* inside the anonymous union */
	assert_int_equal(
		ktypes_member(&kt, "task_struct", "thread_group", &m, &err), 0);
	assert_int_equal(m.offset, T_THREAD_GROUP);
	assert_int_equal(m.size, 16);
	assert_int_equal(
		ktypes_member(&kt, "task_struct", "thread.sp", &m, &err), 0);
	assert_int_equal(m.offset, T_THREAD_SP);
	assert_string_equal(ktypes_type_name(&kt, m.type_id, name,
					     sizeof(name)),
			    "long unsigned int");
	assert_int_equal(ktypes_member(&kt, "task_struct", "comm", &m, &err),
			 0);
	assert_string_equal(ktypes_type_name(&kt, m.type_id, name,
					     sizeof(name)),
			    "char[16]");
	assert_int_equal(ktypes_member(&kt, "task_struct", "mm", &m, &err), 0);
	assert_string_equal(ktypes_type_name(&kt, m.type_id, name,
					     sizeof(name)),
			    "struct mm_struct *");
	/* renamed fields: the first that exists */
	assert_int_equal(ktypes_member_any(&kt, "task_struct", state_names, &m,
					   &found, &err),
			 0);
	assert_string_equal(found, "__state");
	assert_int_equal(m.offset, T_STATE);
	/* what is not there */
	assert_int_equal(ktypes_member(&kt, "task_struct", "nosuch", &m, &err),
			 -ENOENT);
	assert_string_equal(err.text,
			    "struct task_struct has no member 'nosuch'");
	assert_int_equal(ktypes_member(&kt, "task_struct", "thread_info.nope",
				       &m, &err),
			 -ENOENT);
	assert_int_equal(ktypes_struct(&kt, "kvm", &id, &size, &err), -ENOENT);
	assert_string_equal(err.text, "the guest's BTF has no struct kvm");
	assert_int_equal(ktypes_member(&kt, "task_struct", "pid..x", &m, &err),
			 -EINVAL);
}

static void test_garbage(void **state)
{
	struct errmsg err = { { 0 } };
	uint8_t junk[64];
	struct ktypes bad;

	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(ktypes_parse(junk, sizeof(junk), 0x1000, &bad, &err),
			 -EINVAL);
	assert_non_null(strstr(
		err.text,
		"the guest's BTF at 0x1000 is not valid: libbpf refused it"));
	assert_int_equal(ktypes_parse(junk, 8, 0x1000, &bad, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"the guest's BTF at 0x1000 is not valid: 8 bytes (24 to 67108864 expected)");
}

/* Synthetic kernel memory: task_structs and an mm at fixed addresses. */
#define MEM_VA 0xffff888000100000ULL
#define MEM_SIZE 0x2000
static uint8_t mem[MEM_SIZE];

static int rd(void *opaque, uint64_t va, void *buf, size_t len)
{
	if (va < MEM_VA || va - MEM_VA + len > MEM_SIZE)
		return -EFAULT;
	memcpy(buf, mem + (va - MEM_VA), len);
	return 0;
}

static void put64(uint64_t va, uint64_t v)
{
	memcpy(mem + (va - MEM_VA), &v, 8);
}

static void put32(uint64_t va, uint32_t v)
{
	memcpy(mem + (va - MEM_VA), &v, 4);
}

#define TASK(i) (MEM_VA + 0x100 * (uint64_t)(i))
#define MM_VA (MEM_VA + 0x1800)

static void task(int i, int pid, int tgid, const char *comm, uint32_t st,
		 uint64_t parent, uint64_t mm)
{
	put32(TASK(i) + T_PID, (uint32_t)pid);
	put32(TASK(i) + T_TGID, (uint32_t)tgid);
	memcpy(mem + (TASK(i) + T_COMM - MEM_VA), comm, strlen(comm));
	put32(TASK(i) + T_STATE, st);
	put64(TASK(i) + T_REAL_PARENT, parent);
	put64(TASK(i) + T_MM, mm);
	put32(TASK(i) + T_THREAD_INFO_CPU, (uint32_t)i % 2);
	/* a thread group of one: thread_group points at itself */
	put64(TASK(i) + T_THREAD_GROUP, TASK(i) + T_THREAD_GROUP);
}

/* tasks ring: 0 -> 1 -> 2 -> 0 (task 0 is init_task, the head) */
static void ring(void)
{
	memset(mem, 0, sizeof(mem));
	task(0, 0, 0, "swapper/0", 0, TASK(0), 0);
	task(1, 1, 1, "init", 1, TASK(0), MM_VA);
	task(2, 2, 2, "kthreadd", 0x402, TASK(0), 0);
	/* pid 1 has a second thread, task 3 */
	task(3, 7, 1, "init-worker\x01", 2, TASK(0), MM_VA);
	put64(TASK(1) + T_THREAD_GROUP, TASK(3) + T_THREAD_GROUP);
	put64(TASK(3) + T_THREAD_GROUP, TASK(1) + T_THREAD_GROUP);
	put64(TASK(0) + T_TASKS, TASK(1) + T_TASKS);
	put64(TASK(1) + T_TASKS, TASK(2) + T_TASKS);
	put64(TASK(2) + T_TASKS, TASK(0) + T_TASKS);
	put64(MM_VA + MM_PGD, 0xffff888001e09000ULL);
}

static void test_walk(void **state)
{
	struct errmsg err = { { 0 } };
	struct task_layout l;
	struct task_list list;
	uint64_t current[2] = { TASK(2), 0 };

	assert_int_equal(task_layout_from_btf(&kt, &l, &err), 0);
	assert_int_equal(l.tasks, T_TASKS);
	assert_true(l.have_cpu && l.cpu == T_THREAD_INFO_CPU);
	assert_true(l.have_thread_group && l.have_thread_sp);
	assert_int_equal(l.mm_pgd, MM_PGD);
	ring();
	assert_int_equal(
		tasks_walk(&l, rd, NULL, TASK(0), current, 2, &list, &err), 0);
	assert_int_equal(list.nr, 4);
	assert_string_equal(list.note, "");
	assert_string_equal(list.tasks[0].comm, "swapper/0");
	assert_int_equal(list.tasks[0].state, 'R');
	assert_int_equal(list.tasks[1].pid, 1);
	assert_int_equal(list.tasks[1].state, 'S');
	assert_int_equal(list.tasks[1].pgd, 0xffff888001e09000ULL);
	/* the thread follows its process; its comm's control byte is '?' */
	assert_int_equal(list.tasks[2].pid, 7);
	assert_int_equal(list.tasks[2].tgid, 1);
	assert_string_equal(list.tasks[2].comm, "init-worker?");
	assert_int_equal(list.tasks[2].state, 'D');
	assert_int_equal(list.tasks[3].state, 'I');
	assert_int_equal(list.tasks[3].current_on, 0);
	assert_int_equal(list.tasks[3].cpu, 0);
	assert_int_equal(list.tasks[1].cpu, 1);
	assert_int_equal(list.tasks[1].ppid, 0);
	task_list_free(&list);

	/* a loop that never returns to the head: bounded, said */
	ring();
	put64(TASK(2) + T_TASKS, TASK(1) + T_TASKS);
	assert_int_equal(
		tasks_walk(&l, rd, NULL, TASK(0), NULL, 0, &list, &err), 0);
	assert_int_equal(list.nr > 1000, 1);
	assert_non_null(strstr(list.note, "more than 65536 tasks"));
	task_list_free(&list);

	/* a broken link: what was found, and where it broke */
	ring();
	put64(TASK(1) + T_TASKS, 0xdead000000000100ULL);
	assert_int_equal(
		tasks_walk(&l, rd, NULL, TASK(0), NULL, 0, &list, &err), 0);
	assert_int_equal(list.nr, 3);
	assert_non_null(strstr(list.note, "cannot be read"));
	task_list_free(&list);

	assert_int_equal(tasks_walk(&l, rd, NULL, 0x1000, NULL, 0, &list, &err),
			 -EFAULT);
	assert_string_equal(err.text, "init_task at 0x1000 cannot be read");
}

static void test_state_letters(void **state)
{
	assert_int_equal(task_state_letter(0, 0), 'R');
	assert_int_equal(task_state_letter(1, 0), 'S');
	assert_int_equal(task_state_letter(2, 0), 'D');
	assert_int_equal(task_state_letter(4, 0), 'T');
	assert_int_equal(task_state_letter(8, 0), 't');
	assert_int_equal(task_state_letter(0, 0x10), 'X');
	assert_int_equal(task_state_letter(0, 0x20), 'Z');
	assert_int_equal(task_state_letter(0x40, 0), 'P');
	assert_int_equal(task_state_letter(0x402, 0), 'I');
	/* bits beyond TASK_REPORT do not pick a letter past the table */
	assert_int_equal(task_state_letter(0xffff0000, 0), 'R');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_state_letters),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
