// SPDX-License-Identifier: GPL-2.0
/*
 * The 0F AE memory-operand decoder: every addressing form, REX and legacy
 * prefix combinations, RIP-relative and 0x67 arithmetic, FS/GS bases, the
 * 32-bit mode, refusals (register forms, truncation, 15-byte limit, bad
 * prefixes), mode selection from KVM's registers and the segment checks.
 *
 * Expected values are spelled out from the SDM's ModRM/SIB tables (vol. 2,
 * tables 2-2 and 2-3) and checked against encodings GNU as produces; the
 * exhaustive test recomputes every ModRM/SIB/REX combination with a
 * table-driven reference written independently of insn_mem.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/insn_mem.h"

#define RIP64 0xffffffff81234000ULL
#define FS_BASE 0x00007f0000001000ULL
#define GS_BASE 0xffff888000000000ULL

enum {
	RAX,
	RCX,
	RDX,
	RBX,
	RSP,
	RBP,
	RSI,
	RDI,
	R8,
	R9,
	R10,
	R11,
	R12,
	R13,
	R14,
	R15
};

/* Distinct register values whose sums are easy to tell apart. */
static uint64_t reg_value(int r)
{
	return 0x0000100000000000ULL * (uint64_t)(r + 1) + 0x1000ULL * r;
}

static struct kvm_segment flat_data(void)
{
	struct kvm_segment s = {
		.base = 0,
		.limit = 0xffffffff,
		.selector = 0x18,
		.type = 3, /* read/write, accessed */
		.present = 1,
		.dpl = 0,
		.db = 1,
		.s = 1,
		.g = 1,
	};
	return s;
}

static void cpu64(struct insn_mem_cpu *cpu)
{
	int i;

	memset(cpu, 0, sizeof(*cpu));
	cpu->mode = INSN_MEM_MODE_64;
	cpu->rip = RIP64;
	for (i = 0; i < 16; i++)
		cpu->gpr[i] = reg_value(i);
	for (i = 0; i < INSN_SEG_COUNT; i++) {
		cpu->seg[i] = flat_data();
		/* Must be ignored in 64-bit mode, except FS and GS. */
		cpu->seg[i].base = 0x5000000ULL * (uint64_t)(i + 1);
	}
	cpu->seg[INSN_SEG_FS].base = FS_BASE;
	cpu->seg[INSN_SEG_GS].base = GS_BASE;
}

static void cpu32(struct insn_mem_cpu *cpu)
{
	int i;

	memset(cpu, 0, sizeof(*cpu));
	cpu->mode = INSN_MEM_MODE_32;
	cpu->rip = 0xc1000000;
	for (i = 0; i < 8; i++)
		cpu->gpr[i] = 0x10000ULL * (uint64_t)(i + 1) + (uint64_t)i;
	for (i = 0; i < INSN_SEG_COUNT; i++)
		cpu->seg[i] = flat_data();
	cpu->seg[INSN_SEG_CS].type = 0xb; /* code, readable */
}

static enum insn_mem_status dec(const struct insn_mem_cpu *cpu,
				const uint8_t *b, size_t len,
				struct insn_mem *m)
{
	memset(m, 0xa5, sizeof(*m));
	return insn_mem_decode(cpu, b, len, m);
}

#define BYTES(...) ((const uint8_t[]){ __VA_ARGS__ })
#define NBYTES(...) sizeof((const uint8_t[]){ __VA_ARGS__ })

/* Decode must succeed with this length, /digit and linear address. */
#define EXPECT(cpu, len_, reg_, linear_, ...)                               \
	expect_ok(cpu, BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), len_, reg_, \
		  linear_, __LINE__)
#define REFUSE(cpu, status, ...)                                            \
	expect_status(cpu, BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), status, \
		      __LINE__)

static struct insn_mem last;

static void expect_ok(const struct insn_mem_cpu *cpu, const uint8_t *b,
		      size_t n, unsigned int len, unsigned int reg,
		      uint64_t linear, int line)
{
	enum insn_mem_status st = dec(cpu, b, n, &last);
	size_t cut;

	if (st != INSN_MEM_OK)
		fail_msg("line %d: status %s", line, insn_mem_status_name(st));
	if (last.len != len || last.reg != reg || last.linear != linear)
		fail_msg(
			"line %d: len %u reg %u linear 0x%llx, want len %u reg %u linear 0x%llx",
			line, last.len, last.reg,
			(unsigned long long)last.linear, len, reg,
			(unsigned long long)linear);
	/* Every shorter prefix of the encoding is truncated. */
	for (cut = 0; cut < len; cut++) {
		struct insn_mem m;

		st = dec(cpu, b, cut, &m);
		if (st != INSN_MEM_TRUNCATED)
			fail_msg("line %d: %zu of %u bytes gave %s", line, cut,
				 len, insn_mem_status_name(st));
	}
	/* Trailing bytes are not part of it. */
	{
		uint8_t more[32];
		struct insn_mem m;

		memcpy(more, b, n);
		memset(more + n, 0x0f, sizeof(more) - n);
		assert_int_equal(dec(cpu, more, sizeof(more), &m), INSN_MEM_OK);
		assert_int_equal(m.len, len);
		assert_int_equal(m.linear, linear);
	}
}

static void expect_status(const struct insn_mem_cpu *cpu, const uint8_t *b,
			  size_t n, enum insn_mem_status want, int line)
{
	struct insn_mem m;
	enum insn_mem_status st = dec(cpu, b, n, &m);

	if (st != want)
		fail_msg("line %d: got %s, want %s", line,
			 insn_mem_status_name(st), insn_mem_status_name(want));
}

static void test_basic_forms(void **state)
{
	struct insn_mem_cpu c;

	cpu64(&c);
	/* ldmxcsr (%rax) / stmxcsr (%rax) */
	EXPECT(&c, 3, 2, reg_value(RAX), 0x0f, 0xae, 0x10);
	assert_int_equal(last.seg, INSN_SEG_DS);
	assert_false(last.rex_w);
	EXPECT(&c, 3, 3, reg_value(RAX), 0x0f, 0xae, 0x18);
	/* Every plain base register: rm 0..7 except 4 (SIB) and 5 (RIP). */
	EXPECT(&c, 3, 2, reg_value(RCX), 0x0f, 0xae, 0x11);
	EXPECT(&c, 3, 2, reg_value(RDX), 0x0f, 0xae, 0x12);
	EXPECT(&c, 3, 2, reg_value(RBX), 0x0f, 0xae, 0x13);
	EXPECT(&c, 3, 2, reg_value(RSI), 0x0f, 0xae, 0x16);
	EXPECT(&c, 3, 2, reg_value(RDI), 0x0f, 0xae, 0x17);
	/* Linux's kernel_fpu_begin_mask: ldmxcsr 0x4(%rsp) */
	EXPECT(&c, 5, 2, reg_value(RSP) + 4, 0x0f, 0xae, 0x54, 0x24, 0x04);
	assert_int_equal(last.seg, INSN_SEG_SS);
	EXPECT(&c, 5, 3, reg_value(RSP) + 4, 0x0f, 0xae, 0x5c, 0x24, 0x04);
	/* disp8 is sign-extended: -0x10(%rax), 0x7f(%rbp) */
	EXPECT(&c, 4, 2, reg_value(RAX) - 0x10, 0x0f, 0xae, 0x50, 0xf0);
	EXPECT(&c, 4, 2, reg_value(RBP) + 0x7f, 0x0f, 0xae, 0x55, 0x7f);
	assert_int_equal(last.seg, INSN_SEG_SS);
	/* mod 1 with rm 5 is rbp, not RIP-relative: 0x0(%rbp) */
	EXPECT(&c, 4, 3, reg_value(RBP), 0x0f, 0xae, 0x5d, 0x00);
	/* disp32, positive and negative */
	EXPECT(&c, 7, 2, reg_value(RAX) + 0x12345678, 0x0f, 0xae, 0x90, 0x78,
	       0x56, 0x34, 0x12);
	EXPECT(&c, 7, 2, reg_value(RDI) - 0x80000000ULL, 0x0f, 0xae, 0x97, 0x00,
	       0x00, 0x00, 0x80);
	EXPECT(&c, 7, 2, reg_value(RBP) - 4, 0x0f, 0xae, 0x95, 0xfc, 0xff, 0xff,
	       0xff);
	/* The other /digits decode the same way (fxsave (%rax) is /0). */
	EXPECT(&c, 3, 0, reg_value(RAX), 0x0f, 0xae, 0x00);
	EXPECT(&c, 3, 7, reg_value(RAX), 0x0f, 0xae, 0x38);
}

static void test_sib(void **state)
{
	struct insn_mem_cpu c;

	cpu64(&c);
	/* (%rsp): SIB 0x24, index 100b = none */
	EXPECT(&c, 4, 2, reg_value(RSP), 0x0f, 0xae, 0x14, 0x24);
	/* Index none ignores the scale: SIB 0xe4 = scale 8, index 4, base 4 */
	EXPECT(&c, 4, 2, reg_value(RSP), 0x0f, 0xae, 0x14, 0xe4);
	/* (%rax,%rcx,1), (%rax,%rcx,2), (%rax,%rcx,4), (%rax,%rcx,8) */
	EXPECT(&c, 4, 2, reg_value(RAX) + reg_value(RCX), 0x0f, 0xae, 0x14,
	       0x08);
	EXPECT(&c, 4, 2, reg_value(RAX) + 2 * reg_value(RCX), 0x0f, 0xae, 0x14,
	       0x48);
	EXPECT(&c, 4, 2, reg_value(RAX) + 4 * reg_value(RCX), 0x0f, 0xae, 0x14,
	       0x88);
	EXPECT(&c, 4, 2, reg_value(RAX) + 8 * reg_value(RCX), 0x0f, 0xae, 0x14,
	       0xc8);
	/* 0x10(%rbp,%rsi,4): base 101b with mod 1 is rbp */
	EXPECT(&c, 5, 2, reg_value(RBP) + 4 * reg_value(RSI) + 0x10, 0x0f, 0xae,
	       0x54, 0xb5, 0x10);
	assert_int_equal(last.seg, INSN_SEG_SS);
	/* -0x100(%rbx,%rdi,8): disp32 */
	EXPECT(&c, 8, 3, reg_value(RBX) + 8 * reg_value(RDI) - 0x100, 0x0f,
	       0xae, 0x9c, 0xfb, 0x00, 0xff, 0xff, 0xff);
	/* Base 101b with mod 0: no base, disp32: ldmxcsr 0x191000 */
	EXPECT(&c, 8, 2, 0x191000, 0x0f, 0xae, 0x14, 0x25, 0x00, 0x10, 0x19,
	       0x00);
	assert_int_equal(last.seg, INSN_SEG_DS);
	/* ... disp32 is sign-extended: ldmxcsr 0xffffffffff600000 */
	EXPECT(&c, 8, 2, 0xffffffffff600000ULL, 0x0f, 0xae, 0x14, 0x25, 0x00,
	       0x00, 0x60, 0xff);
	/* ... with an index: 0x100(,%rcx,4) */
	EXPECT(&c, 8, 2, 4 * reg_value(RCX) + 0x100, 0x0f, 0xae, 0x14, 0x8d,
	       0x00, 0x01, 0x00, 0x00);
	/* rbp as index is fine: (%rax,%rbp,2) */
	EXPECT(&c, 4, 2, reg_value(RAX) + 2 * reg_value(RBP), 0x0f, 0xae, 0x14,
	       0x68);
}

static void test_rip_relative(void **state)
{
	struct insn_mem_cpu c;

	cpu64(&c);
	/* ldmxcsr 0x10(%rip): from the next instruction */
	EXPECT(&c, 7, 2, RIP64 + 7 + 0x10, 0x0f, 0xae, 0x15, 0x10, 0x00, 0x00,
	       0x00);
	EXPECT(&c, 7, 3, RIP64 + 7 - 0x1000, 0x0f, 0xae, 0x1d, 0x00, 0xf0, 0xff,
	       0xff);
	/* Prefixes count in the length, so they move the base too. */
	EXPECT(&c, 8, 2, FS_BASE + RIP64 + 8 + 0x20, 0x64, 0x0f, 0xae, 0x15,
	       0x20, 0x00, 0x00, 0x00);
	/* REX.B does not turn rm 101b into r13 with mod 0. */
	EXPECT(&c, 8, 2, RIP64 + 8 + 4, 0x41, 0x0f, 0xae, 0x15, 0x04, 0x00,
	       0x00, 0x00);
	/* 0x67: EIP-relative, truncated to 32 bits */
	EXPECT(&c, 8, 2, (RIP64 + 8 + 0x10) & 0xffffffffULL, 0x67, 0x0f, 0xae,
	       0x15, 0x10, 0x00, 0x00, 0x00);
}

static void test_rex(void **state)
{
	struct insn_mem_cpu c;

	cpu64(&c);
	/* REX.B: (%r8), (%r12) needs SIB, 0x0(%r13) needs a disp8 */
	EXPECT(&c, 4, 2, reg_value(R8), 0x41, 0x0f, 0xae, 0x10);
	EXPECT(&c, 5, 2, reg_value(R12), 0x41, 0x0f, 0xae, 0x14, 0x24);
	EXPECT(&c, 5, 2, reg_value(R13), 0x41, 0x0f, 0xae, 0x55, 0x00);
	EXPECT(&c, 4, 3, reg_value(R15), 0x41, 0x0f, 0xae, 0x1f);
	/* r12 and r13 bases do not default to SS (in 64-bit mode moot) */
	assert_int_equal(last.seg, INSN_SEG_DS);
	/* REX.X: index 1100b is r12, a real index: (%rax,%r12,1) */
	EXPECT(&c, 5, 2, reg_value(RAX) + reg_value(R12), 0x42, 0x0f, 0xae,
	       0x14, 0x20);
	/* REX.X + REX.B: 0x10(%r13,%r14,4) */
	EXPECT(&c, 6, 2, reg_value(R13) + 4 * reg_value(R14) + 0x10, 0x43, 0x0f,
	       0xae, 0x54, 0xb5, 0x10);
	/* SIB base 101b, mod 0, REX.B: still no base (not r13) */
	EXPECT(&c, 9, 2, 0x11223344, 0x41, 0x0f, 0xae, 0x14, 0x25, 0x44, 0x33,
	       0x22, 0x11);
	/* ... but the index still honours REX.X: 0x8(,%r9,8) */
	EXPECT(&c, 9, 2, 8 * reg_value(R9) + 8, 0x42, 0x0f, 0xae, 0x14, 0xcd,
	       0x08, 0x00, 0x00, 0x00);
	/* REX.W is reported, REX.R ignored for the /digit */
	EXPECT(&c, 4, 3, reg_value(RAX), 0x48, 0x0f, 0xae, 0x18);
	assert_true(last.rex_w);
	EXPECT(&c, 4, 2, reg_value(RAX), 0x44, 0x0f, 0xae, 0x10);
	EXPECT(&c, 4, 7, reg_value(R9), 0x4d, 0x0f, 0xae, 0x39);
	/* Bare REX (0x40) changes nothing */
	EXPECT(&c, 4, 2, reg_value(RSI), 0x40, 0x0f, 0xae, 0x16);
	/* Only the last REX counts */
	EXPECT(&c, 5, 2, reg_value(RAX), 0x41, 0x48, 0x0f, 0xae, 0x10);
	assert_true(last.rex_w);
	/* A legacy prefix after REX cancels it: FS + rax, not r8 */
	EXPECT(&c, 5, 2, FS_BASE + reg_value(RAX), 0x41, 0x64, 0x0f, 0xae,
	       0x10);
	EXPECT(&c, 5, 2, reg_value(RAX), 0x49, 0x3e, 0x0f, 0xae, 0x10);
	assert_false(last.rex_w);
}

static void test_segments_64(void **state)
{
	struct insn_mem_cpu c;

	cpu64(&c);
	/* ldmxcsr %fs:0x8 / stmxcsr %gs:0x10(%r13,%r14,4) */
	EXPECT(&c, 9, 2, FS_BASE + 8, 0x64, 0x0f, 0xae, 0x14, 0x25, 0x08, 0x00,
	       0x00, 0x00);
	assert_int_equal(last.seg, INSN_SEG_FS);
	assert_int_equal(last.offset, 8);
	EXPECT(&c, 7, 3, GS_BASE + reg_value(R13) + 4 * reg_value(R14) + 0x10,
	       0x65, 0x43, 0x0f, 0xae, 0x5c, 0xb5, 0x10);
	assert_int_equal(last.seg, INSN_SEG_GS);
	/* %gs:(%rsp) is GS, not SS */
	EXPECT(&c, 5, 2, GS_BASE + reg_value(RSP), 0x65, 0x0f, 0xae, 0x14,
	       0x24);
	/* CS, DS, ES, SS overrides: no base in 64-bit mode */
	EXPECT(&c, 4, 2, reg_value(RAX), 0x2e, 0x0f, 0xae, 0x10);
	assert_int_equal(last.seg, INSN_SEG_CS);
	EXPECT(&c, 4, 2, reg_value(RAX), 0x26, 0x0f, 0xae, 0x10);
	EXPECT(&c, 4, 2, reg_value(RAX), 0x36, 0x0f, 0xae, 0x10);
	EXPECT(&c, 4, 2, reg_value(RAX), 0x3e, 0x0f, 0xae, 0x10);
	/* The same override twice is harmless */
	EXPECT(&c, 5, 2, FS_BASE + reg_value(RAX), 0x64, 0x64, 0x0f, 0xae,
	       0x10);
	/* FS base + address wraps at 2^64 */
	c.seg[INSN_SEG_FS].base = 0xfffffffffffff000ULL;
	EXPECT(&c, 4, 2, reg_value(RAX) - 0x1000, 0x64, 0x0f, 0xae, 0x10);
	/* Two different overrides are undefined: refused */
	REFUSE(&c, INSN_MEM_BAD_PREFIX, 0x64, 0x65, 0x0f, 0xae, 0x10);
	REFUSE(&c, INSN_MEM_BAD_PREFIX, 0x3e, 0x64, 0x0f, 0xae, 0x10);
}

static void test_addr32_64(void **state)
{
	struct insn_mem_cpu c;

	cpu64(&c);
	c.gpr[RBX] = 0xdead000000012345ULL;
	c.gpr[RSP] = 0xffffc90000000002ULL;
	/* addr32 stmxcsr (%ebx): the upper half of rbx is ignored */
	EXPECT(&c, 4, 3, 0x12345, 0x67, 0x0f, 0xae, 0x1b);
	/* -0x4(%esp) wraps within 32 bits */
	EXPECT(&c, 6, 2, 0xfffffffe, 0x67, 0x0f, 0xae, 0x54, 0x24, 0xfc);
	/* (%ebx,%ebx,8) wraps too */
	EXPECT(&c, 5, 2, (0x12345ULL * 9) & 0xffffffffULL, 0x67, 0x0f, 0xae,
	       0x14, 0xdb);
	/* The FS base is added after truncation, in 64 bits */
	EXPECT(&c, 5, 2, FS_BASE + 0x12345, 0x64, 0x67, 0x0f, 0xae, 0x13);
	assert_int_equal(last.offset, 0x12345);
	/* REX after 0x67 still extends: (%r8d) */
	c.gpr[R8] = 0x1234567887654321ULL;
	EXPECT(&c, 5, 2, 0x87654321, 0x67, 0x41, 0x0f, 0xae, 0x10);
}

static void test_bad_prefixes(void **state)
{
	struct insn_mem_cpu c;

	cpu64(&c);
	/* 66/F2/F3 make other instructions of 0f ae; LOCK is #UD */
	REFUSE(&c, INSN_MEM_BAD_PREFIX, 0x66, 0x0f, 0xae, 0x30);
	REFUSE(&c, INSN_MEM_BAD_PREFIX, 0xf2, 0x0f, 0xae, 0x10);
	REFUSE(&c, INSN_MEM_BAD_PREFIX, 0xf3, 0x0f, 0xae, 0x10);
	REFUSE(&c, INSN_MEM_BAD_PREFIX, 0xf0, 0x0f, 0xae, 0x10);
	REFUSE(&c, INSN_MEM_BAD_PREFIX, 0x64, 0x48, 0x66, 0x0f, 0xae, 0x10);
	/* Not 0f ae at all */
	REFUSE(&c, INSN_MEM_OTHER_INSN, 0xcc);
	REFUSE(&c, INSN_MEM_OTHER_INSN, 0x0f, 0x0b);
	REFUSE(&c, INSN_MEM_OTHER_INSN, 0x0f, 0xaf, 0x10);
	REFUSE(&c, INSN_MEM_OTHER_INSN, 0x48, 0x8b, 0x00);
	REFUSE(&c, INSN_MEM_OTHER_INSN, 0xc5, 0xf8, 0xae, 0x10); /* VEX */
	/* Truncation before the opcode is known */
	REFUSE(&c, INSN_MEM_TRUNCATED, 0x64);
	REFUSE(&c, INSN_MEM_TRUNCATED, 0x48, 0x0f);
	assert_int_equal(insn_mem_decode(&c, NULL, 0, &last),
			 INSN_MEM_TRUNCATED);
}

static void test_register_forms(void **state)
{
	struct insn_mem_cpu c;
	unsigned int modrm;

	cpu64(&c);
	/* lfence, mfence, sfence and rdfsbase-like forms: mod 3 */
	REFUSE(&c, INSN_MEM_REGISTER_FORM, 0x0f, 0xae, 0xe8);
	REFUSE(&c, INSN_MEM_REGISTER_FORM, 0x0f, 0xae, 0xf0);
	REFUSE(&c, INSN_MEM_REGISTER_FORM, 0x0f, 0xae, 0xf8);
	REFUSE(&c, INSN_MEM_REGISTER_FORM, 0x48, 0x0f, 0xae, 0xd0);
	for (modrm = 0xc0; modrm <= 0xff; modrm++) {
		uint8_t b[3] = { 0x0f, 0xae, (uint8_t)modrm };

		assert_int_equal(insn_mem_decode(&c, b, sizeof(b), &last),
				 INSN_MEM_REGISTER_FORM);
	}
}

static void test_length_limit(void **state)
{
	struct insn_mem_cpu c;
	uint8_t b[32];
	struct insn_mem m;
	size_t p;

	cpu64(&c);
	/* k redundant DS prefixes + the 7-byte ldmxcsr disp32(%rax) */
	for (p = 0; p <= 10; p++) {
		memset(b, 0x3e, p);
		memcpy(b + p, BYTES(0x0f, 0xae, 0x90, 0x78, 0x56, 0x34, 0x12),
		       7);
		memset(b + p + 7, 0x90, sizeof(b) - p - 7);
		if (p + 7 <= 15) {
			assert_int_equal(insn_mem_decode(&c, b, sizeof(b), &m),
					 INSN_MEM_OK);
			assert_int_equal(m.len, p + 7);
			assert_int_equal(m.linear, reg_value(RAX) + 0x12345678);
		} else {
			assert_int_equal(insn_mem_decode(&c, b, sizeof(b), &m),
					 INSN_MEM_TOO_LONG);
		}
	}
	/* 15 prefix bytes: too long whatever follows */
	memset(b, 0x40, sizeof(b));
	assert_int_equal(insn_mem_decode(&c, b, sizeof(b), &m),
			 INSN_MEM_TOO_LONG);
	/* ... but only 10 of them given: truncated */
	assert_int_equal(insn_mem_decode(&c, b, 10, &m), INSN_MEM_TRUNCATED);
	/* Exactly 15: 5 prefixes + REX + 0f ae + ModRM + SIB + disp32 */
	memcpy(b,
	       BYTES(0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x43, 0x0f, 0xae, 0x94, 0xb5,
		     0x01, 0x00, 0x00, 0x00),
	       14);
	assert_int_equal(insn_mem_decode(&c, b, 14, &m), INSN_MEM_OK);
	assert_int_equal(m.len, 14);
	memmove(b + 1, b, 14);
	b[0] = 0x64;
	assert_int_equal(insn_mem_decode(&c, b, 15, &m), INSN_MEM_BAD_PREFIX);
	b[0] = 0x3e;
	assert_int_equal(insn_mem_decode(&c, b, 15, &m), INSN_MEM_OK);
	assert_int_equal(m.len, 15);
	assert_int_equal(m.linear, reg_value(R13) + 4 * reg_value(R14) + 1);
	/*
	 * One more prefix: 16 bytes. Too long as soon as the ModRM and SIB
	 * show it, given or not; truncated while they are missing.
	 */
	memmove(b + 1, b, 15);
	assert_int_equal(insn_mem_decode(&c, b, 16, &m), INSN_MEM_TOO_LONG);
	assert_int_equal(insn_mem_decode(&c, b, 15, &m), INSN_MEM_TOO_LONG);
	assert_int_equal(insn_mem_decode(&c, b, 12, &m), INSN_MEM_TOO_LONG);
	assert_int_equal(insn_mem_decode(&c, b, 11, &m), INSN_MEM_TRUNCATED);
}

static void test_mode32(void **state)
{
	struct insn_mem_cpu c;

	cpu32(&c);
	/* 0x4(%esp), in SS */
	EXPECT(&c, 5, 2, 0x50004 + 4, 0x0f, 0xae, 0x54, 0x24, 0x04);
	assert_int_equal(last.seg, INSN_SEG_SS);
	/* rm 101b, mod 0 is an absolute disp32, not EIP-relative */
	EXPECT(&c, 7, 3, 0x00123456, 0x0f, 0xae, 0x1d, 0x56, 0x34, 0x12, 0x00);
	assert_int_equal(last.seg, INSN_SEG_DS);
	/* 40-4f are INC/DEC here, not REX */
	REFUSE(&c, INSN_MEM_OTHER_INSN, 0x41, 0x0f, 0xae, 0x10);
	REFUSE(&c, INSN_MEM_OTHER_INSN, 0x48, 0x0f, 0xae, 0x18);
	/* 0x67 means 16-bit addressing: refused */
	REFUSE(&c, INSN_MEM_BAD_PREFIX, 0x67, 0x0f, 0xae, 0x10);
	/* Segment bases apply; the sum wraps at 4 GiB */
	c.seg[INSN_SEG_DS].base = 0x1000;
	c.gpr[RBX] = 0xfffff800;
	EXPECT(&c, 3, 2, 0x800, 0x0f, 0xae, 0x13);
	assert_int_equal(last.offset, 0xfffff800);
	c.seg[INSN_SEG_FS].base = 0x00abc000;
	EXPECT(&c, 4, 2, (0x00abc000ULL + 0xfffff800ULL) & 0xffffffffULL, 0x64,
	       0x0f, 0xae, 0x13);
	assert_int_equal(last.seg, INSN_SEG_FS);
	/* Registers are 32 bits: upper halves ignored, sums wrap */
	c.gpr[RAX] = 0xffffffff00000010ULL;
	c.gpr[RCX] = 0x80000000;
	c.seg[INSN_SEG_DS].base = 0;
	EXPECT(&c, 4, 2, 0x10, 0x0f, 0xae, 0x14, 0x48);
	/* ebp base defaults to SS: -0x8(%ebp) */
	EXPECT(&c, 4, 2, 0x60005 - 8, 0x0f, 0xae, 0x55, 0xf8);
	assert_int_equal(last.seg, INSN_SEG_SS);
}

static void test_bad_mode(void **state)
{
	struct insn_mem_cpu c;

	cpu64(&c);
	c.mode = (enum insn_mem_mode)7;
	REFUSE(&c, INSN_MEM_BAD_MODE, 0x0f, 0xae, 0x10);
}

/*
 * Reference for one (REX, ModRM, SIB) combination, from the SDM tables:
 * returns the length after the opcode and the effective address.
 */
struct ref {
	unsigned int tail; /* ModRM + SIB + displacement bytes */
	uint64_t ea;
};

static struct ref reference(const struct insn_mem_cpu *c, unsigned int rex,
			    unsigned int modrm, unsigned int sib, int32_t disp,
			    unsigned int prefix_len)
{
	/* Table 2-2 column: displacement size by mod, special rm values. */
	static const unsigned int disp_by_mod[3] = { 0, 1, 4 };
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	struct ref r = { 1, 0 };
	unsigned int ds = disp_by_mod[mod];
	int64_t d = mod == 1 ? (int8_t)disp : disp;

	if (rm == 4) {
		unsigned int ss = sib >> 6,
			     idx = ((sib >> 3) & 7) + 8 * !!(rex & 2);
		unsigned int bs = (sib & 7) + 8 * !!(rex & 1);

		r.tail++;
		if (idx != 4)
			r.ea += c->gpr[idx] * (1ULL << ss);
		if ((sib & 7) == 5 && mod == 0)
			ds = 4;
		else
			r.ea += c->gpr[bs];
	} else if (rm == 5 && mod == 0) {
		ds = 4;
		r.ea += c->rip + prefix_len + 2 + 1 + 4;
	} else {
		r.ea += c->gpr[rm + 8 * !!(rex & 1)];
	}
	if (ds == 0)
		d = 0;
	r.ea += (uint64_t)d;
	r.tail += ds;
	return r;
}

static void test_exhaustive(void **state)
{
	struct insn_mem_cpu c;
	unsigned int rex, modrm, sib;
	uint64_t checked = 0;

	cpu64(&c);
	for (rex = 0x40; rex <= 0x4f; rex++) {
		for (modrm = 0; modrm < 0xc0; modrm++) {
			for (sib = 0; sib < 256; sib++) {
				uint8_t b[16] = { (uint8_t)rex, 0x0f, 0xae,
						  (uint8_t)modrm };
				int32_t disp = -0x7edcba99;
				struct ref r;
				struct insn_mem m;
				size_t n = 4;

				if ((modrm & 7) != 4 && sib)
					break;
				if ((modrm & 7) == 4)
					b[n++] = (uint8_t)sib;
				/* disp8 would be 0x67, disp32 0x81234567 */
				memcpy(b + n, &disp, 4);
				r = reference(&c, rex, modrm, sib, disp, 1);
				assert_int_equal(insn_mem_decode(&c, b,
								 sizeof(b), &m),
						 INSN_MEM_OK);
				assert_int_equal(m.len, 3 + r.tail);
				assert_int_equal(m.reg, (modrm >> 3) & 7);
				assert_int_equal(m.linear, r.ea);
				assert_int_equal(m.rex_w, !!(rex & 8));
				assert_int_equal(insn_mem_decode(&c, b,
								 m.len - 1, &m),
						 INSN_MEM_TRUNCATED);
				checked++;
			}
		}
	}
	/* 16 REX x (192 - 24 SIB ModRMs + 24 x 256 SIBs) */
	assert_int_equal(checked, 16 * (168 + 24 * 256));
}

static void test_cpu_init(void **state)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct insn_mem_cpu c;

	memset(&regs, 0, sizeof(regs));
	memset(&sregs, 0, sizeof(sregs));
	regs.rax = 1;
	regs.rcx = 2;
	regs.rdx = 3;
	regs.rbx = 4;
	regs.rsp = 5;
	regs.rbp = 6;
	regs.rsi = 7;
	regs.rdi = 8;
	regs.r8 = 9;
	regs.r9 = 10;
	regs.r10 = 11;
	regs.r11 = 12;
	regs.r12 = 13;
	regs.r13 = 14;
	regs.r14 = 15;
	regs.r15 = 16;
	regs.rip = 0x1234;
	regs.rflags = 2;

	/* Real mode */
	assert_int_equal(insn_mem_cpu_init(&c, &regs, &sregs), -EINVAL);

	/* 64-bit mode: CR0.PE, EFER.LMA, CS.L */
	sregs.cr0 = 0x80000011;
	sregs.efer = 0x500;
	sregs.cs.l = 1;
	sregs.fs.base = FS_BASE;
	sregs.gs.base = GS_BASE;
	sregs.ss.selector = 0x18;
	assert_int_equal(insn_mem_cpu_init(&c, &regs, &sregs), 0);
	assert_int_equal(c.mode, INSN_MEM_MODE_64);
	assert_int_equal(c.rip, 0x1234);
	for (int i = 0; i < 16; i++)
		assert_int_equal(c.gpr[i], (uint64_t)i + 1);
	assert_int_equal(c.seg[INSN_SEG_FS].base, FS_BASE);
	assert_int_equal(c.seg[INSN_SEG_GS].base, GS_BASE);
	assert_int_equal(c.seg[INSN_SEG_SS].selector, 0x18);

	/* L=1 with D=1 is reserved */
	sregs.cs.db = 1;
	assert_int_equal(insn_mem_cpu_init(&c, &regs, &sregs), -EINVAL);

	/* Compatibility mode: LMA, CS.L=0, CS.D=1 */
	sregs.cs.l = 0;
	assert_int_equal(insn_mem_cpu_init(&c, &regs, &sregs), 0);
	assert_int_equal(c.mode, INSN_MEM_MODE_32);

	/* Legacy protected mode ignores CS.L */
	sregs.efer = 0;
	sregs.cs.l = 1;
	assert_int_equal(insn_mem_cpu_init(&c, &regs, &sregs), 0);
	assert_int_equal(c.mode, INSN_MEM_MODE_32);

	/* 16-bit code segment */
	sregs.cs.l = 0;
	sregs.cs.db = 0;
	assert_int_equal(insn_mem_cpu_init(&c, &regs, &sregs), -EINVAL);

	/* Virtual-8086 mode */
	sregs.cs.db = 1;
	regs.rflags |= 1ULL << 17;
	assert_int_equal(insn_mem_cpu_init(&c, &regs, &sregs), -EINVAL);
}

static void test_segment_checks(void **state)
{
	struct insn_mem_cpu c;
	struct insn_mem m = { .len = 3, .reg = 2, .seg = INSN_SEG_DS };

	cpu64(&c);
	/* 64-bit mode: no limits, even on a bogus segment */
	c.seg[INSN_SEG_DS].unusable = 1;
	m.offset = 0xfffffffffffffff0ULL;
	assert_true(insn_mem_segment_ok(&c, &m, 4, true));

	cpu32(&c);
	m.offset = 0x1000;
	assert_true(insn_mem_segment_ok(&c, &m, 4, false));
	assert_true(insn_mem_segment_ok(&c, &m, 4, true));
	/* The whole access must be inside the 4 GiB limit */
	m.offset = 0xfffffffc;
	assert_true(insn_mem_segment_ok(&c, &m, 4, true));
	m.offset = 0xfffffffd;
	assert_false(insn_mem_segment_ok(&c, &m, 4, false));
	m.offset = 0x1000;
	assert_false(insn_mem_segment_ok(&c, &m, 0, false));
	/* Read-only data */
	c.seg[INSN_SEG_DS].type = 1;
	assert_true(insn_mem_segment_ok(&c, &m, 4, false));
	assert_false(insn_mem_segment_ok(&c, &m, 4, true));
	/* Expand-down */
	c.seg[INSN_SEG_DS].type = 7;
	assert_false(insn_mem_segment_ok(&c, &m, 4, false));
	/* Code: readable for loads only; execute-only never */
	m.seg = INSN_SEG_CS;
	assert_true(insn_mem_segment_ok(&c, &m, 4, false));
	assert_false(insn_mem_segment_ok(&c, &m, 4, true));
	c.seg[INSN_SEG_CS].type = 9;
	assert_false(insn_mem_segment_ok(&c, &m, 4, false));
	/* Not flat: base or limit */
	m.seg = INSN_SEG_FS;
	c.seg[INSN_SEG_FS].base = 0x1000;
	assert_false(insn_mem_segment_ok(&c, &m, 4, false));
	c.seg[INSN_SEG_FS].base = 0;
	c.seg[INSN_SEG_FS].limit = 0xfffff;
	assert_false(insn_mem_segment_ok(&c, &m, 4, false));
	/* Null, not present, system */
	c.seg[INSN_SEG_FS] = flat_data();
	assert_true(insn_mem_segment_ok(&c, &m, 4, true));
	c.seg[INSN_SEG_FS].unusable = 1;
	assert_false(insn_mem_segment_ok(&c, &m, 4, false));
	c.seg[INSN_SEG_FS] = flat_data();
	c.seg[INSN_SEG_FS].present = 0;
	assert_false(insn_mem_segment_ok(&c, &m, 4, false));
	c.seg[INSN_SEG_FS] = flat_data();
	c.seg[INSN_SEG_FS].s = 0;
	assert_false(insn_mem_segment_ok(&c, &m, 4, false));
}

static void test_status_names(void **state)
{
	int s;

	for (s = INSN_MEM_OK; s <= INSN_MEM_BAD_MODE; s++) {
		const char *n = insn_mem_status_name((enum insn_mem_status)s);

		assert_non_null(n);
		assert_string_not_equal(n, "?");
	}
	assert_string_equal(insn_mem_status_name((enum insn_mem_status)99),
			    "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_forms),
		cmocka_unit_test(test_sib),
		cmocka_unit_test(test_rip_relative),
		cmocka_unit_test(test_rex),
		cmocka_unit_test(test_segments_64),
		cmocka_unit_test(test_addr32_64),
		cmocka_unit_test(test_bad_prefixes),
		cmocka_unit_test(test_register_forms),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_mode32),
		cmocka_unit_test(test_bad_mode),
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_cpu_init),
		cmocka_unit_test(test_segment_checks),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
