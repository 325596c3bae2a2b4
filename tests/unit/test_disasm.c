// SPDX-License-Identifier: GPL-2.0
/*
 * The instruction names diagnostics print: every instruction the old
 * hand-written namer got wrong (lfence shown as xrstor, rdfsbase as
 * fxsave64, ...), the ones this host's emulator is known to drop, in the
 * mode the vCPU is in; and the mode itself from KVM's registers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/disasm.h"

struct enc {
	enum x86_code_mode mode;
	const char *bytes; /* hex, space separated */
	const char *text;
};

static const struct enc encodings[] = {
	{ X86_CODE_64, "0f ae e8", "lfence" },
	{ X86_CODE_64, "0f ae f0", "mfence" },
	{ X86_CODE_64, "0f ae f8", "sfence" },
	{ X86_CODE_64, "f3 48 0f ae c0", "rdfsbase rax" },
	{ X86_CODE_64, "f3 48 0f ae d8", "wrgsbase rax" },
	{ X86_CODE_64, "f3 0f c7 f8", "rdpid rax" },
	{ X86_CODE_64, "f2 0f 38 f1 c1", "crc32 eax, ecx" },
	{ X86_CODE_64, "66 44 0f 6e f9", "movd xmm15, ecx" },
	/* what the old namer got right must stay right */
	{ X86_CODE_64, "0f ae 10", "ldmxcsr [rax]" },
	{ X86_CODE_64, "0f ae 5c 24 08", "stmxcsr [rsp+0x8]" },
	{ X86_CODE_64, "48 0f ae 28", "xrstor64 [rax]" },
	{ X86_CODE_64, "48 0f ae 00", "fxsave64 [rax]" },
	{ X86_CODE_64, "0f ae 38", "clflush [rax]" },
	{ X86_CODE_64, "cc", "int3" },
	{ X86_CODE_64, "cd 80", "int 0x80" },
	{ X86_CODE_64, "9b", "fwait" },
	{ X86_CODE_64, "f4", "hlt" },
	{ X86_CODE_64, "0f 01 ca", "clac" },
	{ X86_CODE_64, "0f 01 cb", "stac" },
	{ X86_CODE_64, "0f 01 d0", "xgetbv" },
	{ X86_CODE_64, "0f 01 fd", "rdpru" },
	{ X86_CODE_64, "66 0f ae 30", "clwb [rax]" },
	{ X86_CODE_64, "66 0f 38 82 08", "invpcid rcx, xmmword ptr [rax]" },
	{ X86_CODE_64, "0f 38 f0 08", "movbe ecx, [rax]" },
	{ X86_CODE_64, "48 0f c7 0e", "cmpxchg16b [rsi]" },
	/* the mode changes the operands */
	{ X86_CODE_32, "f2 0f 38 f1 c1", "crc32 eax, ecx" },
	{ X86_CODE_32, "0f ae 10", "ldmxcsr [eax]" },
	{ X86_CODE_32, "40", "inc eax" },
	{ X86_CODE_16, "40", "inc ax" },
	{ X86_CODE_16, "0f ae 17", "ldmxcsr [bx]" },
	{ X86_CODE_16, "cd 10", "int 0x10" },
};

static size_t parse_hex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned int v;
	int used;

	while (sscanf(s, "%2x%n", &v, &used) == 1) {
		out[n++] = (uint8_t)v;
		s += used;
		while (*s == ' ')
			s++;
	}
	return n;
}

static void names_every_listed_encoding(void **state)
{
	uint8_t code[16];
	char text[96];
	size_t i, n;
	int len, bad = 0;

	for (i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++) {
		n = parse_hex(encodings[i].bytes, code);
		len = x86_disasm(encodings[i].mode, 0x1000, code, n, text,
				 sizeof(text));
		if (len != (int)n || strcmp(text, encodings[i].text)) {
			print_error("%s (%s): got '%s' length %d, want '%s' length %zu\n",
				    encodings[i].bytes,
				    x86_code_mode_name(encodings[i].mode), text,
				    len, encodings[i].text, n);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void length_is_of_the_first_instruction(void **state)
{
	const uint8_t code[] = { 0x0f, 0xae, 0xe8, 0xf4, 0xf4 };
	char text[32];

	assert_int_equal(x86_disasm(X86_CODE_64, 0, code, sizeof(code), text,
				    sizeof(text)),
			 3);
	assert_string_equal(text, "lfence");
}

static void refuses_truncated_and_invalid_bytes(void **state)
{
	const uint8_t rdfsbase[] = { 0xf3, 0x48, 0x0f, 0xae, 0xc0 };
	const uint8_t ud[] = { 0x0f, 0xff, 0xff }; /* ud0 edi, edi */
	const uint8_t movbe_reg[] = { 0x0f, 0x38, 0xf0, 0xc1 };
	uint8_t too_long[16];
	char text[32];

	assert_int_equal(x86_disasm(X86_CODE_64, 0, rdfsbase, 4, text,
				    sizeof(text)),
			 -EINVAL);
	assert_string_equal(text, "(bad)");
	assert_int_equal(x86_disasm(X86_CODE_64, 0, rdfsbase, 0, text,
				    sizeof(text)),
			 -EINVAL);
	/* movbe has no register form: #UD, so not an instruction */
	assert_int_equal(x86_disasm(X86_CODE_64, 0, movbe_reg,
				    sizeof(movbe_reg), text, sizeof(text)),
			 -EINVAL);
	/* 15 prefixes then an opcode: 16 bytes, #GP on hardware */
	memset(too_long, 0x66, sizeof(too_long));
	too_long[15] = 0x90;
	assert_int_equal(x86_disasm(X86_CODE_64, 0, too_long,
				    sizeof(too_long), text, sizeof(text)),
			 -EINVAL);
	/* ud0 is an instruction (with ModRM), not an undecodable byte */
	assert_int_equal(x86_disasm(X86_CODE_64, 0, ud, sizeof(ud), text,
				    sizeof(text)),
			 3);
	assert_string_equal(text, "ud0 edi, edi");
	assert_int_equal(x86_disasm(X86_CODE_64, 0, rdfsbase, sizeof(rdfsbase),
				    text, 5),
			 -ENOSPC);
}

static void relative_targets_use_rip(void **state)
{
	const uint8_t jmp[] = { 0xeb, 0xfe }; /* jmp $ */
	char text[32];

	assert_int_equal(x86_disasm(X86_CODE_64, 0xffffffff81000000ULL, jmp,
				    sizeof(jmp), text, sizeof(text)),
			 2);
	assert_string_equal(text, "jmp 0xffffffff81000000");
}

static void mode_from_registers(void **state)
{
	struct kvm_sregs s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(x86_code_mode(&s, 0), X86_CODE_16); /* real mode */
	s.cr0 = 1;
	assert_int_equal(x86_code_mode(&s, 0), X86_CODE_16); /* CS.D clear */
	s.cs.db = 1;
	assert_int_equal(x86_code_mode(&s, 0), X86_CODE_32);
	assert_int_equal(x86_code_mode(&s, 1ULL << 17), X86_CODE_16); /* VM86 */
	s.efer = 0x500;
	assert_int_equal(x86_code_mode(&s, 0), X86_CODE_32); /* compat mode */
	s.cs.db = 0;
	s.cs.l = 1;
	assert_int_equal(x86_code_mode(&s, 0), X86_CODE_64);
	s.efer = 0; /* CS.L without LMA is not 64-bit code */
	s.cs.db = 1;
	assert_int_equal(x86_code_mode(&s, 0), X86_CODE_32);
	assert_string_equal(x86_code_mode_name(X86_CODE_64), "64-bit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_every_listed_encoding),
		cmocka_unit_test(length_is_of_the_first_instruction),
		cmocka_unit_test(refuses_truncated_and_invalid_bytes),
		cmocka_unit_test(relative_targets_use_rip),
		cmocka_unit_test(mode_from_registers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
