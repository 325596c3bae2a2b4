// SPDX-License-Identifier: GPL-2.0
/* arch/x86/gdb_regs: gdb's register numbering and byte layout, target.xml. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/gdb_regs.h"

/* gdb's amd64 numbering: rip is 16, eflags 17, cs 18, st0 24, xmm0 40. */
enum {
	R_RAX,
	R_RBX,
	R_RSP = 7,
	R_RIP = 16,
	R_EFLAGS,
	R_CS,
	R_ST0 = 24,
	R_FTAG = 34,
	R_XMM0 = 40,
	R_MXCSR = 56
};

static void test_layout(void **state)
{
	size_t total = 0;
	int i;

	/* 16 GPRs, rip, eflags, 6 selectors, 8 st, 8 x87 control, 16 xmm,
	 * mxcsr, fs/gs base, k_gs_base, cr0 cr2 cr3 cr4 cr8, efer. */
	assert_int_equal(x86_gdb_reg_count(), 66);
	for (i = 0; i < x86_gdb_reg_count(); i++) {
		assert_true(x86_gdb_reg_size(i) > 0);
		assert_true(x86_gdb_reg_size(i) <= X86_GDB_REG_MAX);
		total += x86_gdb_reg_size(i);
	}
	assert_int_equal(total, x86_gdb_regs_size());
	assert_int_equal(x86_gdb_reg_size(R_RAX), 8);
	assert_int_equal(x86_gdb_reg_size(R_EFLAGS), 4);
	assert_int_equal(x86_gdb_reg_size(R_ST0), 10);
	assert_int_equal(x86_gdb_reg_size(R_XMM0), 16);
	assert_int_equal(x86_gdb_reg_size(-1), 0);
	assert_int_equal(x86_gdb_reg_size(x86_gdb_reg_count()), 0);
}

static void test_get_set(void **state)
{
	struct x86_gdb_cpu s;
	uint8_t buf[X86_GDB_REG_MAX];
	uint64_t v;
	uint32_t w;

	memset(&s, 0, sizeof(s));
	s.regs.rbx = 0x1122334455667788ULL;
	s.regs.rip = 0xffffffff81000000ULL;
	s.regs.rflags = 0x246;
	s.sregs.cs.selector = 0x10;
	x86_gdb_reg_get(&s, R_RBX, buf);
	memcpy(&v, buf, 8);
	assert_int_equal(v, s.regs.rbx);
	x86_gdb_reg_get(&s, R_RIP, buf);
	memcpy(&v, buf, 8);
	assert_int_equal(v, s.regs.rip);
	x86_gdb_reg_get(&s, R_CS, buf);
	memcpy(&w, buf, 4);
	assert_int_equal(w, 0x10);

	v = 0x7ffc0000;
	memcpy(buf, &v, 8);
	assert_int_equal(x86_gdb_reg_set(&s, R_RSP, buf), X86_GDB_DIRTY_REGS);
	assert_int_equal(s.regs.rsp, 0x7ffc0000);
	/* eflags is 32 bits wide in gdb: the upper half stays. */
	s.regs.rflags = 0xabcd00000000ULL | 0x2;
	w = 0x202;
	memcpy(buf, &w, 4);
	assert_int_equal(x86_gdb_reg_set(&s, R_EFLAGS, buf),
			 X86_GDB_DIRTY_REGS);
	assert_int_equal(s.regs.rflags, 0xabcd00000202ULL);
	memset(buf, 0x5a, 16);
	assert_int_equal(x86_gdb_reg_set(&s, R_XMM0, buf), X86_GDB_DIRTY_FPU);
	assert_memory_equal(s.fpu.xmm[0], buf, 16);
	w = 0x1f80;
	memcpy(buf, &w, 4);
	assert_int_equal(x86_gdb_reg_set(&s, R_MXCSR, buf), X86_GDB_DIRTY_FPU);
	assert_int_equal(s.fpu.mxcsr, 0x1f80);
}

/* FXSAVE's abridged tag <-> the full tag word gdb shows. */
static void test_x87_tag(void **state)
{
	struct x86_gdb_cpu s;
	uint8_t buf[4];
	uint32_t w;

	memset(&s, 0, sizeof(s));
	/* Every register empty: full tag 0xffff. */
	x86_gdb_reg_get(&s, R_FTAG, buf);
	memcpy(&w, buf, 4);
	assert_int_equal(w, 0xffff);
	/* ST(0) = physical register 0 (TOP 0) holds zero: tag 01. */
	s.fpu.ftwx = 1;
	x86_gdb_reg_get(&s, R_FTAG, buf);
	memcpy(&w, buf, 4);
	assert_int_equal(w, 0xfffd);
	/* Back: anything but 11 is "not empty". */
	w = 0xfff0;
	memcpy(buf, &w, 4);
	assert_int_equal(x86_gdb_reg_set(&s, R_FTAG, buf), X86_GDB_DIRTY_FPU);
	assert_int_equal(s.fpu.ftwx, 0x03);
}

static void test_target_xml(void **state)
{
	size_t len = 0;
	char *xml = x86_gdb_target_xml(&len);

	assert_non_null(xml);
	assert_int_equal(strlen(xml), len);
	assert_non_null(
		strstr(xml, "<architecture>i386:x86-64</architecture>"));
	assert_non_null(strstr(xml, "org.gnu.gdb.i386.core"));
	assert_non_null(strstr(xml, "org.kvmscope.system"));
	assert_non_null(strstr(xml, "<reg name=\"rip\" bitsize=\"64\" "
				    "type=\"code_ptr\" regnum=\"16\"/>"));
	assert_non_null(strstr(xml, "name=\"efer\""));
	assert_non_null(strstr(xml, "<flags id=\"ks_cr0\""));
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_get_set),
		cmocka_unit_test(test_x87_tag),
		cmocka_unit_test(test_target_xml),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
