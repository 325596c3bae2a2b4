// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gdb scenario, for the gdb stub's tests: call gdb_target() N times
 * (default 5); each call adds one to gdb_counter. gdb_target is written in
 * assembly so that its instructions are known exactly: a straight run of
 * twelve instructions of different lengths before the one that writes the
 * counter, which lets a test single-step through it and compare RIP with
 * the disassembly, and put a watchpoint on the counter.
 */
#include "kernel.h"

#define DEFAULT_CALLS 5

int scenario_gdb(int argc, char **argv);
void gdb_target(u64 i);

volatile u64 gdb_counter;
/* Known values at a known virtual address, for memory reads. */
const volatile u64 gdb_pattern[4] = {
	0x1122334455667788ULL,
	0x99aabbccddeeff00ULL,
	0x0123456789abcdefULL,
	0xfedcba9876543210ULL,
};

asm(".text\n"
    ".globl gdb_target\n"
    ".type gdb_target, @function\n"
    "gdb_target:\n\t"
    "mov %rdi, %rax\n\t" /* 3 bytes */
    "add $0x1234, %rax\n\t" /* 6 */
    "nop\n\t" /* 1 */
    "xor %edx, %edx\n\t" /* 2 */
    "lea 8(%rax,%rax,2), %rcx\n\t" /* 5 */
    "movabs $0x1122334455667788, %rsi\n\t" /* 10 */
    "sub %rcx, %rsi\n\t" /* 3 */
    "shl $3, %rsi\n\t" /* 4 */
    "nopw 0(%rax,%rax,1)\n\t" /* 5 */
    "inc %edx\n\t" /* 2 */
    "mov %rsi, %r8\n\t" /* 3 */
    "xchg %ax, %ax\n\t" /* 2 */
    "incq gdb_counter(%rip)\n\t" /* the watched write */
    "ret\n"
    ".size gdb_target, . - gdb_target\n");

int scenario_gdb(int argc, char **argv)
{
	u64 n = DEFAULT_CALLS, i;

	if (argc > 1 && !parse_u64(argv[1], &n)) {
		printf("gdb: bad count '%s'\n", argv[1]);
		return 2;
	}
	printf("gdb: calling gdb_target %lu times\n", n);
	for (i = 0; i < n; i++)
		gdb_target(i);
	printf("gdb: gdb_counter = %lu\n", gdb_counter);
	return gdb_counter == n ? 0 : 1;
}
