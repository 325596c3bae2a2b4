// SPDX-License-Identifier: GPL-2.0-only
/*
 * C entry of the test guest: copy the boot information, set up the
 * console and exceptions, then run the scenario named on the command
 * line.
 */
#include "kernel.h"

#define PIC1_DATA	0x21
#define PIC2_DATA	0xa1
#define MAX_ARGS	32

/* Raw multiboot v1 structures, as the loader lays them out. */
struct mb_info {
	u32 flags;
	u32 mem_lower;
	u32 mem_upper;
	u32 boot_device;
	u32 cmdline;
	u32 mods_count;
	u32 mods_addr;
	u32 syms[4];
	u32 mmap_length;
	u32 mmap_addr;
};

struct mb_module {
	u32 mod_start;
	u32 mod_end;
	u32 string;
	u32 reserved;
};

struct boot_info boot_info;
u16 boot_pic_masks;

struct scenario {
	const char *name;
	const char *args;
	int (*run)(int argc, char **argv);
};

int scenario_mxcsr(int argc, char **argv); /* mxcsr.c */
int scenario_intn(int argc, char **argv); /* insns.c */
int scenario_int1(int argc, char **argv); /* insns.c */
int scenario_insns(int argc, char **argv); /* insns.c */
int scenario_msrs(int argc, char **argv); /* insns.c */
int scenario_cacheline(int argc, char **argv); /* cacheline.c */
int scenario_realmode(int argc, char **argv); /* realmode.c */
int scenario_fill(int argc, char **argv); /* fill.c */
int scenario_pcitest(int argc, char **argv); /* pcitest.c */

static const struct scenario scenarios[] = {
	{ "hello", "", scenario_hello },
	{ "exit", "N", scenario_exit },
	{ "pio", "[N [halt]]", scenario_pio },
	{ "mmio", "[N [halt]]", scenario_mmio },
	{ "slowpio", "[N [halt]]", scenario_slowpio },
	{ "smp", "", scenario_smp },
	{ "triple", "", scenario_triple },
	{ "int3", "", scenario_int3 },
	{ "intn", "", scenario_intn },
	{ "int1", "", scenario_int1 },
	{ "insns", "", scenario_insns },
	{ "msrs", "", scenario_msrs },
	{ "cacheline", "", scenario_cacheline },
	{ "fwait", "", scenario_fwait },
	{ "mxcsr", "", scenario_mxcsr },
	{ "user", "[N]", scenario_user },
	{ "halt", "", scenario_halt },
	{ "pvpanic", "[crash]", scenario_pvpanic },
	{ "pagetables", "", scenario_pagetables },
	{ "spin", "", scenario_spin },
	{ "gdb", "[N]", scenario_gdb },
	{ "realmode", "", scenario_realmode },
	{ "s3", "[qmp|novector]", scenario_s3 },
	{ "fill", "[MiB]", scenario_fill },
	{ "pcitest", "", scenario_pcitest },
};

/* Copies at most max - 1 bytes of a physical C string. */
static void copy_string(char *dst, u32 src, size_t max)
{
	const char *s = (const char *)(u64)src;
	size_t i;

	for (i = 0; i + 1 < max && s[i]; i++)
		dst[i] = s[i];
	dst[i] = '\0';
}

/*
 * The loader's data sits in low memory that later scenarios reuse
 * (the AP trampoline page) or overwrite (the pagetables pattern), so
 * everything is copied before anything else runs.
 */
static void copy_boot_info(u32 mbi_addr)
{
	const struct mb_info *mbi = (const struct mb_info *)(u64)mbi_addr;
	struct boot_info *bi = &boot_info;
	u32 i;

	bi->flags = mbi->flags;
	if (bi->flags & MBI_FLAG_MEM) {
		bi->mem_lower = mbi->mem_lower;
		bi->mem_upper = mbi->mem_upper;
	}
	if ((bi->flags & MBI_FLAG_CMDLINE) && mbi->cmdline)
		copy_string(bi->cmdline, mbi->cmdline, sizeof(bi->cmdline));
	if (bi->flags & MBI_FLAG_MMAP) {
		bi->mmap_len = mbi->mmap_length;
		if (bi->mmap_len > sizeof(bi->mmap))
			bi->mmap_len = sizeof(bi->mmap);
		memcpy(bi->mmap, (const void *)(u64)mbi->mmap_addr,
		       bi->mmap_len);
	}
	if (bi->flags & MBI_FLAG_MODS) {
		const struct mb_module *mods =
			(const struct mb_module *)(u64)mbi->mods_addr;

		bi->nr_mods = mbi->mods_count;
		if (bi->nr_mods > MODS_MAX)
			bi->nr_mods = MODS_MAX;
		for (i = 0; i < bi->nr_mods; i++) {
			struct module_copy *m = &bi->mods[i];
			u32 len = 0;

			m->start = mods[i].mod_start;
			m->end = mods[i].mod_end;
			if (mods[i].string)
				copy_string(m->cmdline, mods[i].string,
					    sizeof(m->cmdline));
			if (m->end > m->start)
				len = m->end - m->start;
			if (len > MOD_HEAD_MAX)
				len = MOD_HEAD_MAX;
			memcpy(m->head, (const void *)(u64)m->start, len);
			m->head_len = len;
		}
	}
}

/* Splits buf in place at runs of spaces. */
static int split_words(char *buf, char **argv, int max)
{
	int argc = 0;

	while (*buf) {
		while (*buf == ' ' || *buf == '\t')
			*buf++ = '\0';
		if (!*buf)
			break;
		if (argc == max)
			break;
		argv[argc++] = buf;
		while (*buf && *buf != ' ' && *buf != '\t')
			buf++;
	}
	return argc;
}

static void print_scenarios(void)
{
	size_t i;

	printf("scenarios:\n");
	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		printf("  %s%s%s\n", scenarios[i].name,
		       scenarios[i].args[0] ? " " : "", scenarios[i].args);
}

void kmain(u32 magic, u32 mbi_addr);

void kmain(u32 magic, u32 mbi_addr)
{
	static char words[CMDLINE_MAX];
	char *argv[MAX_ARGS];
	int argc;
	size_t i;

	if (magic == MULTIBOOT_BOOT_MAGIC)
		copy_boot_info(mbi_addr);

	/* No PIC interrupt may reach us; vectors 8-15 alias exceptions. */
	boot_pic_masks = inb(PIC1_DATA) | inb(PIC2_DATA) << 8;
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	serial_init();
	idt_init();

	if (magic != MULTIBOOT_BOOT_MAGIC) {
		printf("bad multiboot magic 0x%x\n", magic);
		debug_exit(2);
	}

	memcpy(words, boot_info.cmdline, sizeof(words));
	argc = split_words(words, argv, MAX_ARGS);
	/* argv[0] is the kernel file name the loader prepends. */
	if (argc < 2) {
		printf("usage: <kernel> <scenario> [args...]\n");
		print_scenarios();
		debug_exit(2);
	}

	for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
		if (!strcmp(argv[1], scenarios[i].name))
			debug_exit(scenarios[i].run(argc - 1, argv + 1));
	}
	printf("unknown scenario '%s'\n", argv[1]);
	print_scenarios();
	debug_exit(2);
}
