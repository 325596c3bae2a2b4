// SPDX-License-Identifier: GPL-2.0
/*
 * VMCOREINFO parsing (valid text, then each malformation with its exact
 * message), finding it in a synthetic guest RAM among decoys, and the
 * guest-kernel probe built on it: identity, KASLR and phys_base, the
 * kernel's own page tables (swapper_pg_dir) and kallsyms read through
 * them; the banner + page-table fallback; and a RAM with no kernel.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kallsyms_builder.h"
#include "os/guest_kernel.h"
#include "os/vmcoreinfo.h"

#define BID "0123456789abcdef0123456789abcdef01234567"

static const char good[] = "OSRELEASE=6.1.192\n"
			   "BUILD-ID=" BID "\n"
			   "PAGESIZE=4096\n"
			   "SYMBOL(init_uts_ns)=ffffffff81e00000\n"
			   "OFFSET(uts_namespace.name)=4\n"
			   "SYMBOL(swapper_pg_dir)=ffffffff80100000\n"
			   "NUMBER(phys_base)=0\n"
			   "NUMBER(pgtable_l5_enabled)=0\n"
			   "KERNELOFFSET=0\n"
			   "NUMBER(negative)=-3\n";

static void test_parses_every_key(void **state)
{
	static struct vmcoreinfo vi;
	struct errmsg err = { { 0 } };
	uint64_t v;
	int64_t n;

	assert_int_equal(vmcoreinfo_parse(good, strlen(good), &vi, &err), 0);
	assert_int_equal(vi.nr, 10);
	assert_string_equal(vi.osrelease, "6.1.192");
	assert_string_equal(vi.build_id, BID);
	assert_int_equal(vi.page_size, 4096);
	assert_string_equal(vi.entries[3].key, "SYMBOL(init_uts_ns)");
	assert_string_equal(vi.entries[3].value, "ffffffff81e00000");
	assert_int_equal(vmcoreinfo_symbol(&vi, "swapper_pg_dir", &v, &err), 0);
	assert_int_equal(v, 0xffffffff80100000ULL);
	assert_int_equal(vmcoreinfo_number(&vi, "negative", &n, &err), 0);
	assert_int_equal(n, -3);
	assert_int_equal(vmcoreinfo_hex(&vi, "KERNELOFFSET", &v, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vmcoreinfo_symbol(&vi, "nothing", &v, &err), -ENOENT);
	assert_int_equal(vmcoreinfo_hex(&vi, "OSRELEASE", &v, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"VMCOREINFO OSRELEASE=6.1.192 is not a 64-bit hex number");
	/* Trailing NULs (the rest of the page) are not text. */
	{
		char padded[sizeof(good) + 64] = { 0 };

		memcpy(padded, good, strlen(good));
		assert_int_equal(
			vmcoreinfo_parse(padded, sizeof(padded), &vi, &err), 0);
		assert_int_equal(vi.len, strlen(good));
	}
}

static void expect_parse_error(const char *text, size_t len, const char *want)
{
	static struct vmcoreinfo vi;
	struct errmsg err = { { 0 } };

	assert_int_equal(vmcoreinfo_parse(text, len, &vi, &err), -EINVAL);
	assert_string_equal(err.text, want);
}

#define EXPECT(text, want) expect_parse_error(text, sizeof(text) - 1, want)

static void test_rejects_malformed_text(void **state)
{
	static char big[5000];

	EXPECT("", "empty text");
	EXPECT("OSRELEASE=1\nPAGESIZE=4096", "the last line has no newline");
	EXPECT("OSRELEASE=1\nno equals sign\n",
	       "line 2: no '=' in \"no equals sign\"");
	EXPECT("OSRELEASE=1\n=x\n", "line 2: key of 0 characters in \"=x\"");
	EXPECT("OSRE LEASE=1\n",
	       "line 1: byte 0x20 at column 5 in \"OSRE LEASE=1\"");
	EXPECT("OSRELEASE=a\tb\n",
	       "line 1: byte 0x09 at column 12 in \"OSRELEASE=a\\x09b\"");
	EXPECT("OSRELEASE=1\nOSRELEASE=2\n",
	       "line 2: key OSRELEASE given twice");
	EXPECT("OSRELEASE=1\0x\n", "NUL byte at offset 11 inside the text");
	EXPECT("PAGESIZE=4096\n", "no OSRELEASE");
	EXPECT("OSRELEASE=\n", "OSRELEASE is 0 characters (1 to 64)");
	EXPECT("OSRELEASE=6.1\nPAGESIZE=4096\n", "no BUILD-ID");
	EXPECT("OSRELEASE=6.1\nBUILD-ID=0123\nPAGESIZE=4096\n",
	       "BUILD-ID \"0123\" is not 40 lower-case hex digits");
	EXPECT("OSRELEASE=6.1\nBUILD-ID=" BID "\n", "no PAGESIZE");
	EXPECT("OSRELEASE=6.1\nBUILD-ID=" BID "\nPAGESIZE=5000\n",
	       "PAGESIZE \"5000\" is not a power of two from 4096 to 65536");
	EXPECT("OSRELEASE=6.1\nK=012345678901234567890123456789012345678901234567890123456789012345678901234567890\n",
	       "line 2 is 83 characters (at most 80)");
	memset(big, 'a', sizeof(big));
	expect_parse_error(big, sizeof(big),
			   "5000 bytes, more than the 4096 of VMCOREINFO");
}

/* Synthetic guest: 64 MiB, kernel at 16 MiB, phys_base 0. */
#define RAM (64ULL << 20)
#define PML4 0x100000ULL
#define KSYMS_VA 0xffffffff81800000ULL

static struct guest_memory mem;
static struct kb kb;

static const struct kb_sym syms[] = {
	{ 0xffffffff81000000ULL, 'T', "_text" },
	{ 0xffffffff81edfb80ULL, 'T', "start_kernel" },
	{ 0xffffffff81ee0000ULL, 'D', "init_task" },
	{ 0xffffffff82000000ULL, 'B', "_end" },
};

static void put(uint64_t gpa, const void *p, size_t n)
{
	assert_int_equal(guest_memory_write(&mem, gpa, p, n), 0);
}

static void put64(uint64_t gpa, uint64_t v)
{
	put(gpa, &v, 8);
}

/*
 * 4-level tables at PML4 mapping 2 MiB pages of the text region: virtual
 * KERNEL_DEFAULT_TEXT + kaslr onwards to phys (16 MiB + phys_off) on,
 * 8 pages.
 */
static void map_kernel(uint64_t kaslr, uint64_t phys)
{
	unsigned int first = (unsigned int)((0x1000000 + kaslr) >> 21), i;

	put64(PML4 + 511 * 8, (PML4 + 0x1000) | 3);
	put64(PML4 + 0x1000 + 510 * 8, (PML4 + 0x2000) | 3);
	for (i = 0; i < 8; i++)
		put64(PML4 + 0x2000 + (first + i) * 8,
		      (phys + i * (2ULL << 20)) | 0x83);
}

static void note(uint64_t gpa, const char *text)
{
	uint32_t h[3] = { 11, (uint32_t)strlen(text), 0 };

	put(gpa, h, 12);
	put(gpa + 12, "VMCOREINFO\0\0", 12);
	put(gpa + 24, text, strlen(text));
}

static int setup_ram(void **state)
{
	assert_int_equal(guest_memory_alloc(&mem, RAM), 0);
	return 0;
}

static int teardown_ram(void **state)
{
	guest_memory_free(&mem);
	return 0;
}

static void full_vmcoreinfo(char *buf, size_t size, const char *release)
{
	snprintf(buf, size,
		 "OSRELEASE=%s\nBUILD-ID=" BID "\nPAGESIZE=4096\n"
		 "SYMBOL(init_uts_ns)=ffffffff81e00000\n"
		 "OFFSET(uts_namespace.name)=4\n"
		 "SYMBOL(swapper_pg_dir)=ffffffff80100000\n"
		 "NUMBER(phys_base)=0\nNUMBER(pgtable_l5_enabled)=0\n"
		 "KERNELOFFSET=0\n"
		 "SYMBOL(kallsyms_names)=%llx\n"
		 "SYMBOL(kallsyms_num_syms)=%llx\n"
		 "SYMBOL(kallsyms_token_table)=%llx\n"
		 "SYMBOL(kallsyms_token_index)=%llx\n"
		 "SYMBOL(kallsyms_offsets)=%llx\n"
		 "SYMBOL(kallsyms_relative_base)=%llx\n",
		 release, (unsigned long long)kb.loc.names,
		 (unsigned long long)kb.loc.num_syms,
		 (unsigned long long)kb.loc.token_table,
		 (unsigned long long)kb.loc.token_index,
		 (unsigned long long)kb.loc.offsets,
		 (unsigned long long)kb.loc.relative_base);
}

static void test_finds_the_consistent_note_among_decoys(void **state)
{
	static struct guest_kernel gk;
	struct errmsg err = { { 0 } };
	struct kallsyms ks;
	char text[2048], ch;
	const struct ksym *s;
	uint64_t gpa;

	guest_memory_fill(&mem, 0, 0, RAM);
	map_kernel(0, 0x1000000);
	kb_build(&kb, KSYMS_VA, syms, 4, true);
	put(0x1800000, kb.buf, kb.len);
	/* init_uts_ns.name.release: 4 + 2 * 65 bytes in. */
	put(0x1e00000 + 4 + 130, "6.1.192", 8);
	/* Decoys: the format string, a fake data page, a garbage note. */
	put(0x1a00123, "OSRELEASE=%s\n", 13);
	full_vmcoreinfo(text, sizeof(text), "6.6.6-fake");
	put(0x300000, text, strlen(text));
	note(0x380000, "OSRELEASE=6.1\nBUILD-ID=junk\n");
	full_vmcoreinfo(text, sizeof(text), "6.1.192");
	note(0x400000, text);

	assert_int_equal(guest_kernel_probe(&mem, NULL, 0, &gk, &err), 0);
	assert_non_null(gk.vi);
	assert_int_equal(gk.vmcoreinfo_gpa, 0x400018);
	assert_true(gk.vmcoreinfo_in_note);
	assert_true(gk.vmcoreinfo_consistent);
	assert_int_equal(gk.vmcoreinfo_valid, 2);
	assert_int_equal(gk.vmcoreinfo_rejected, 1);
	assert_string_equal(
		gk.vmcoreinfo_why,
		"at gpa 0x380018: BUILD-ID \"junk\" is not 40 lower-case hex digits");
	assert_string_equal(gk.os_release, "6.1.192");
	assert_string_equal(gk.os_release_method, "vmcoreinfo");
	assert_string_equal(gk.build_id, BID);
	assert_true(gk.have_kaslr);
	assert_int_equal(gk.kaslr_offset, 0);
	assert_string_equal(gk.kaslr_method, "vmcoreinfo");
	assert_int_equal(gk.paging_levels, 4);
	assert_true(gk.have_pc);
	assert_string_equal(gk.pc_method, "swapper_pg_dir");
	assert_int_equal(gk.pc.cr3, PML4);

	assert_int_equal(guest_kernel_kva_to_gpa(
				 &mem, &gk, 0xffffffff81234567ULL, &gpa, &err),
			 0);
	assert_int_equal(gpa, 0x1234567);
	assert_int_equal(guest_kernel_read_kva(&mem, &gk,
					       0xffffffff81e00000ULL + 134, &ch,
					       1, &err),
			 0);
	assert_int_equal(ch, '6');
	assert_int_equal(guest_kernel_kva_to_gpa(
				 &mem, &gk, 0xffffffff90000000ULL, &gpa, &err),
			 -EFAULT);
	assert_string_equal(
		err.text,
		"kernel address 0xffffffff90000000 is not mapped (PDE 0x0 at gpa 0x102400 is not present, page tables from swapper_pg_dir)");

	assert_int_equal(guest_kernel_load_kallsyms(&mem, &gk, &ks, &err), 0);
	assert_int_equal(ks.nr, 4);
	s = kallsyms_by_name(&ks, "start_kernel", NULL);
	assert_int_equal(s->addr, 0xffffffff81edfb80ULL);
	kallsyms_free(&ks);
	guest_kernel_free(&gk);
}

/* More decoys than candidate slots, all below the real note. */
static void test_decoys_cannot_crowd_out_the_real_note(void **state)
{
	static struct guest_kernel gk;
	struct errmsg err = { { 0 } };
	char text[2048];
	int i;

	guest_memory_fill(&mem, 0, 0, RAM);
	map_kernel(0, 0x1000000);
	kb_build(&kb, KSYMS_VA, syms, 4, true);
	put(0x1800000, kb.buf, kb.len);
	put(0x1e00000 + 4 + 130, "6.1.192", 8);
	full_vmcoreinfo(text, sizeof(text), "6.6.6-fake");
	for (i = 0; i < 3 * VMCOREINFO_MAX_CANDIDATES; i++)
		note(0x200000 + (uint64_t)i * 4096, text);
	full_vmcoreinfo(text, sizeof(text), "6.1.192");
	note(0x3000000, text);
	assert_int_equal(guest_kernel_probe(&mem, NULL, 0, &gk, &err), 0);
	assert_int_equal(gk.vmcoreinfo_valid,
			 3 * VMCOREINFO_MAX_CANDIDATES + 1);
	assert_int_equal(gk.vmcoreinfo_gpa, 0x3000018);
	assert_true(gk.vmcoreinfo_consistent);
	assert_string_equal(gk.os_release, "6.1.192");
	guest_kernel_free(&gk);
}

static void test_banner_and_page_tables_without_vmcoreinfo(void **state)
{
	static const char banner[] =
		"Linux version 6.1.0-test (u@h) (gcc (Debian 12.2.0) 12.2.0, GNU ld 2.40) #1 SMP\n";
	static struct guest_kernel gk;
	struct errmsg err = { { 0 } };
	struct paging_ctx pc;

	guest_memory_fill(&mem, 0, 0, RAM);
	/* KASLR 32 MiB virtual, loaded 4 MiB above 16 MiB physically. */
	map_kernel(0x2000000, 0x1400000);
	put(0x1500000, "Linux version %s (%s)\n", 22);
	put(0x1600000, banner, sizeof(banner) - 1);
	assert_int_equal(paging_ctx_init(&pc, 0x80010001, PML4, 0x20, 0x500, 0,
					 true),
			 0);
	assert_int_equal(guest_kernel_probe(&mem, &pc, 0, &gk, &err), 0);
	assert_null(gk.vi);
	assert_string_equal(gk.os_release, "6.1.0-test");
	assert_string_equal(gk.os_release_method, "banner");
	assert_int_equal(gk.banner_gpa, 0x1600000);
	assert_string_equal(gk.compiler,
			    "gcc (Debian 12.2.0) 12.2.0, GNU ld 2.40");
	assert_string_equal(gk.build_id_method, "unavailable");
	assert_true(gk.have_kaslr);
	assert_int_equal(gk.kaslr_offset, 0x2000000);
	assert_string_equal(gk.kaslr_method, "page-tables");
	/* _text at 0xffffffff83000000 is at gpa 0x1400000. */
	assert_int_equal(gk.phys_base, 0x1400000 - 0x3000000);
	assert_string_equal(gk.pc_method, "vcpu0-cr3");
	assert_int_equal(gk.paging_levels, 4);
	assert_string_equal(gk.paging_method, "cr4");
	guest_kernel_free(&gk);
}

static void test_no_kernel_is_a_clear_error(void **state)
{
	static struct guest_kernel gk;
	struct errmsg err = { { 0 } };

	guest_memory_fill(&mem, 0, 0, RAM);
	assert_int_equal(guest_kernel_probe(&mem, NULL, 0, &gk, &err), -ENOENT);
	assert_string_equal(
		err.text,
		"no Linux kernel found in guest RAM: no valid VMCOREINFO (0 candidates rejected) and no \"Linux version\" banner");
	note(0x200000, "OSRELEASE=x\n");
	assert_int_equal(guest_kernel_probe(&mem, NULL, 0, &gk, &err), -ENOENT);
	assert_string_equal(
		err.text,
		"no Linux kernel found in guest RAM: no valid VMCOREINFO (1 candidate rejected, first at gpa 0x200018: no BUILD-ID) and no \"Linux version\" banner");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_every_key),
		cmocka_unit_test(test_rejects_malformed_text),
		cmocka_unit_test(test_finds_the_consistent_note_among_decoys),
		cmocka_unit_test(test_decoys_cannot_crowd_out_the_real_note),
		cmocka_unit_test(
			test_banner_and_page_tables_without_vmcoreinfo),
		cmocka_unit_test(test_no_kernel_is_a_clear_error),
	};

	return cmocka_run_group_tests(tests, setup_ram, teardown_ram);
}
