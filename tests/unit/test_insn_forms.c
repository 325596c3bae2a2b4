// SPDX-License-Identifier: GPL-2.0
/*
 * The 66-prefixed forms of the memory-operand decoder: CLWB (66 0f ae /6),
 * CLFLUSHOPT (66 0f ae /7) and INVPCID (66 0f 38 82 /r), as the emulator
 * fallbacks in fallback_cacheline.c decode them. Encodings are GNU as's
 * (`clwb (%rax)`, `invpcid (%rcx), %r9` ...); expected values follow the
 * SDM's ModRM/SIB tables and REX rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/insn_mem.h"

static void cpu64(struct insn_mem_cpu *cpu)
{
	int i;

	memset(cpu, 0, sizeof(*cpu));
	cpu->mode = INSN_MEM_MODE_64;
	cpu->rip = 0xffffffff81000000ULL;
	for (i = 0; i < 16; i++)
		cpu->gpr[i] = 0x1000ULL * (uint64_t)(i + 1);
	for (i = 0; i < INSN_SEG_COUNT; i++) {
		cpu->seg[i].limit = 0xffffffff;
		cpu->seg[i].present = cpu->seg[i].s = 1;
		cpu->seg[i].type = 3;
	}
	cpu->seg[INSN_SEG_GS].base = 0xffff888000000000ULL;
}

#define BYTES(...) ((const uint8_t[]){ __VA_ARGS__ })
#define NBYTES(...) sizeof((const uint8_t[]){ __VA_ARGS__ })
#define DECODE(cpu, form, m, ...)                           \
	insn_mem_decode_form(cpu, form, BYTES(__VA_ARGS__), \
			     NBYTES(__VA_ARGS__), m)

static void test_clwb_clflushopt(void **state)
{
	struct insn_mem_cpu c;
	struct insn_mem m;

	cpu64(&c);
	/* clwb (%rax) */
	assert_int_equal(DECODE(&c, &insn_mem_66_0fae, &m, 0x66, 0x0f, 0xae,
				0x30),
			 INSN_MEM_OK);
	assert_int_equal(m.len, 4);
	assert_int_equal(m.reg, 6);
	assert_int_equal(m.linear, 0x1000);
	/* clflushopt 0x10(%rbx) */
	assert_int_equal(DECODE(&c, &insn_mem_66_0fae, &m, 0x66, 0x0f, 0xae,
				0x7b, 0x10),
			 INSN_MEM_OK);
	assert_int_equal(m.len, 5);
	assert_int_equal(m.reg, 7);
	assert_int_equal(m.linear, 0x4010);
	/* clwb %gs:(%r8): segment, 66 and REX in the order GNU as emits */
	assert_int_equal(DECODE(&c, &insn_mem_66_0fae, &m, 0x65, 0x66, 0x41,
				0x0f, 0xae, 0x30),
			 INSN_MEM_OK);
	assert_int_equal(m.len, 6);
	assert_int_equal(m.linear, 0xffff888000000000ULL + 0x9000);
	/* REX before 66 does not count: REX must come right before 0f */
	assert_int_equal(DECODE(&c, &insn_mem_66_0fae, &m, 0x41, 0x66, 0x0f,
				0xae, 0x30),
			 INSN_MEM_OK);
	assert_int_equal(m.linear, 0x1000);
	/* Without 66 it is another instruction (xsaveopt / clflush) */
	assert_int_equal(DECODE(&c, &insn_mem_66_0fae, &m, 0x0f, 0xae, 0x30),
			 INSN_MEM_OTHER_INSN);
	/* F2/F3/LOCK select other instructions or #UD */
	assert_int_equal(DECODE(&c, &insn_mem_66_0fae, &m, 0xf3, 0x66, 0x0f,
				0xae, 0x30),
			 INSN_MEM_BAD_PREFIX);
	assert_int_equal(DECODE(&c, &insn_mem_66_0fae, &m, 0xf0, 0x66, 0x0f,
				0xae, 0x30),
			 INSN_MEM_BAD_PREFIX);
	/* 66 0f ae /6 with mod 3 is tpause/umonitor territory */
	assert_int_equal(DECODE(&c, &insn_mem_66_0fae, &m, 0x66, 0x0f, 0xae,
				0xf0),
			 INSN_MEM_REGISTER_FORM);
	/* Truncated in the middle of the opcode */
	assert_int_equal(DECODE(&c, &insn_mem_66_0fae, &m, 0x66, 0x0f),
			 INSN_MEM_TRUNCATED);
	/* The plain form still refuses 66 */
	assert_int_equal(insn_mem_decode(&c, BYTES(0x66, 0x0f, 0xae, 0x30), 4,
					 &m),
			 INSN_MEM_BAD_PREFIX);
}

static void test_invpcid(void **state)
{
	struct insn_mem_cpu c;
	struct insn_mem m;

	cpu64(&c);
	/* invpcid (%rcx), %rax */
	assert_int_equal(DECODE(&c, &insn_mem_66_0f3882, &m, 0x66, 0x0f, 0x38,
				0x82, 0x01),
			 INSN_MEM_OK);
	assert_int_equal(m.len, 5);
	assert_int_equal(m.reg_rex, 0);
	assert_int_equal(m.linear, 0x2000);
	/* invpcid (%rcx), %r9: REX.R picks the type register */
	assert_int_equal(DECODE(&c, &insn_mem_66_0f3882, &m, 0x66, 0x44, 0x0f,
				0x38, 0x82, 0x09),
			 INSN_MEM_OK);
	assert_int_equal(m.len, 6);
	assert_int_equal(m.reg, 1);
	assert_int_equal(m.reg_rex, 9);
	/* invpcid 0x40(%rsp), %rdx: SIB and disp8, SS segment */
	assert_int_equal(DECODE(&c, &insn_mem_66_0f3882, &m, 0x66, 0x0f, 0x38,
				0x82, 0x54, 0x24, 0x40),
			 INSN_MEM_OK);
	assert_int_equal(m.len, 7);
	assert_int_equal(m.reg_rex, 2);
	assert_int_equal(m.seg, INSN_SEG_SS);
	assert_int_equal(m.linear, 0x5040);
	/* register form: #UD on hardware, the caller's business */
	assert_int_equal(DECODE(&c, &insn_mem_66_0f3882, &m, 0x66, 0x0f, 0x38,
				0x82, 0xc1),
			 INSN_MEM_REGISTER_FORM);
	/* without 66, or another 0f 38 opcode */
	assert_int_equal(DECODE(&c, &insn_mem_66_0f3882, &m, 0x0f, 0x38, 0x82,
				0x01),
			 INSN_MEM_OTHER_INSN);
	assert_int_equal(DECODE(&c, &insn_mem_66_0f3882, &m, 0x66, 0x0f, 0x38,
				0x80, 0x01),
			 INSN_MEM_OTHER_INSN);
	/* 0f ae is not 0f 38 */
	assert_int_equal(DECODE(&c, &insn_mem_66_0f3882, &m, 0x66, 0x0f, 0xae,
				0x30),
			 INSN_MEM_OTHER_INSN);
	/* every shorter prefix of the 6-byte encoding is truncated */
	{
		const uint8_t *b = BYTES(0x66, 0x44, 0x0f, 0x38, 0x82, 0x09);
		size_t cut;

		for (cut = 0; cut < 6; cut++)
			assert_int_equal(
				insn_mem_decode_form(&c, &insn_mem_66_0f3882, b,
						     cut, &m),
				INSN_MEM_TRUNCATED);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clwb_clflushopt),
		cmocka_unit_test(test_invpcid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
