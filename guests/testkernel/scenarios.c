// SPDX-License-Identifier: GPL-2.0-only
/*
 * Single-CPU scenarios.  Each returns the debug-exit code, or never
 * returns when the point is to leave the CPU in some state.
 */
#include "kernel.h"

#define MMIO_HOLE_ADDR	0xd0000000UL
#define DEFAULT_LOOPS	1000
#define DEFAULT_USER_LOOPS 100000000

/* argv[1] as a number, or def if absent; exits 2 on junk. */
static u64 arg_u64(int argc, char **argv, u64 def)
{
	u64 val;

	if (argc < 2)
		return def;
	if (!parse_u64(argv[1], &val)) {
		printf("%s: bad number '%s'\n", argv[0], argv[1]);
		debug_exit(2);
	}
	return val;
}

/* Loop counts go to 32-bit ECX; 0 would mean 2^32 iterations. */
static u32 arg_count(int argc, char **argv, u32 def)
{
	u64 val = arg_u64(argc, argv, def);

	if (val == 0 || val > 0xffffffffULL) {
		printf("%s: count must be 1..4294967295\n", argv[0]);
		debug_exit(2);
	}
	return val;
}

struct mmap_entry {
	u32 size;
	u64 base;
	u64 len;
	u32 type;
} __attribute__((packed));

int scenario_hello(int argc, char **argv)
{
	const struct boot_info *bi = &boot_info;
	u32 off, i, j;

	printf("Hello from the kvmscope test guest!\n");
	printf("cmdline: %s\n", bi->cmdline);
	if (bi->flags & MBI_FLAG_MEM)
		printf("mem_lower=%u mem_upper=%u\n", bi->mem_lower,
		       bi->mem_upper);

	/* Each entry's size field excludes the size field itself. */
	for (off = 0; off + sizeof(struct mmap_entry) <= bi->mmap_len;) {
		const struct mmap_entry *e =
			(const struct mmap_entry *)(bi->mmap + off);

		printf("mmap: base=0x%llx len=0x%llx type=%u\n",
		       (unsigned long long)e->base,
		       (unsigned long long)e->len, e->type);
		if (e->size < sizeof(*e) - 4)
			break;
		off += e->size + 4;
	}

	for (i = 0; i < bi->nr_mods; i++) {
		const struct module_copy *m = &bi->mods[i];
		char head[MOD_HEAD_MAX + 1];

		for (j = 0; j < m->head_len; j++) {
			u8 c = m->head[j];

			head[j] = c >= 0x20 && c < 0x7f ? c : '.';
		}
		head[j] = '\0';
		printf("module %u: start=0x%x end=0x%x cmdline='%s' first bytes '%s'\n",
		       i, m->start, m->end, m->cmdline, head);
	}
	printf("hello: done\n");
	return 0;
}

int scenario_exit(int argc, char **argv)
{
	u64 code = arg_u64(argc, argv, 0);

	printf("exit: %lu\n", code);
	return code;
}

/*
 * "halt" after the count: end in cli; hlt instead of exiting, so that a
 * VM run with --api-sock stays (dead, inspectable) for query-stats.
 */
static int done_or_halt(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[2], "halt")) {
		printf("%s: halting\n", argv[0]);
		halt_forever();
	}
	return 0;
}

/* The benchmark runs the same three instructions in a raw KVM loop. */
int scenario_pio(int argc, char **argv)
{
	u32 n = arg_count(argc, argv, DEFAULT_LOOPS);

	asm volatile("mov %0, %%ecx\n"
		     "1:\tout %%al, $0x80\n\t"
		     "dec %%ecx\n\t"
		     "jnz 1b"
		     : : "r"(n), "a"(0) : "ecx", "memory");
	printf("pio: %u exits done\n", n);
	return done_or_halt(argc, argv);
}

/* Port 0xe0: kvmscope's test-slow device when KVMSCOPE_TEST_SLOW_PORT_NS. */
int scenario_slowpio(int argc, char **argv)
{
	u32 n = arg_count(argc, argv, 10), i;

	for (i = 0; i < n; i++)
		outb(0xe0, 0);
	printf("slowpio: %u exits done\n", n);
	return done_or_halt(argc, argv);
}

int scenario_mmio(int argc, char **argv)
{
	u32 n = arg_count(argc, argv, DEFAULT_LOOPS);
	u32 left = n, val;

	asm volatile("1:\tmov %%eax, (%%rbx)\n\t"
		     "dec %%ecx\n\t"
		     "jnz 1b"
		     : "+c"(left) : "a"(0), "b"(MMIO_HOLE_ADDR) : "memory");
	val = mmio_read32(MMIO_HOLE_ADDR);
	printf("mmio: %u exits done, read 0x%08x\n", n, val);
	return done_or_halt(argc, argv);
}

int scenario_triple(int argc, char **argv)
{
	printf("triple: faulting now\n");
	load_empty_idt_and_ud2();
}

static volatile u64 bp_rip;
static volatile u32 bp_count;

static void bp_handler(struct trap_frame *f)
{
	bp_rip = f->rip;
	bp_count++;
}

extern char int3_return_point[];

int scenario_int3(int argc, char **argv)
{
	volatile bool continued = false;

	set_trap_handler(3, bp_handler);
	/* #BP is a trap: the frame's RIP must be the byte after the 0xcc. */
	asm volatile("int3\n"
		     ".globl int3_return_point\n"
		     "int3_return_point:" : : : "memory");
	continued = true;

	if (bp_count == 1 && bp_rip == (u64)int3_return_point && continued) {
		printf("int3: #BP delivered, return rip ok\n");
		return 0;
	}
	printf("int3: bad return rip 0x%lx expected 0x%lx\n", bp_rip,
	       (u64)int3_return_point);
	return 1;
}

static volatile u32 mf_count;
static volatile u64 mf_rip;
static u8 user_stack[4096] __aligned(16);
static u64 user_loops;

static void mf_handler(struct trap_frame *f)
{
	/*
	 * #MF is a fault: the saved RIP is the fwait. Skip it instead of
	 * clearing the x87 exception (fnclex at CPL 0 may not be emulated).
	 */
	mf_count++;
	mf_rip = f->rip;
	f->rip += 1;
}

/* #UD from CPL 3 at the end of the x87 user routine: back in the kernel. */
static void x87_return_handler(struct trap_frame *f)
{
	if ((f->cs & 3) != 3 || f->rip != (u64)user_x87_end) {
		printf("unexpected exception 6 at rip 0x%lx error 0x0\n", f->rip);
		debug_exit(3);
	}
	asm volatile(".globl fwait_point\n"
		     "fwait_point:\n\t"
		     "fwait" : : : "memory");
	if (mf_count == 1 && mf_rip == (u64)fwait_point) {
		printf("fwait: #MF delivered\n");
		debug_exit(0);
	}
	if (mf_count)
		printf("fwait: #MF at rip 0x%lx, expected 0x%lx\n", mf_rip,
		       (u64)fwait_point);
	else
		printf("fwait: no #MF\n");
	debug_exit(1);
}

int scenario_fwait(int argc, char **argv)
{
	u64 cr0 = read_cr0();

	/* NE selects native #MF reporting instead of FERR# / IRQ 13. */
	cr0 |= CR0_NE | CR0_MP;
	cr0 &= ~(u64)(CR0_TS | CR0_EM);
	write_cr0(cr0);

	asm volatile("fninit\n\tfwait" : : : "memory");
	printf("fwait: no-op ok\n");

	set_trap_handler(16, mf_handler);
	set_trap_handler(6, x87_return_handler);
	tss_init();
	enter_user((u64)user_x87_pending,
		   (u64)user_stack + sizeof(user_stack), 0);
}

static void user_return_handler(struct trap_frame *f)
{
	if ((f->cs & 3) != 3 || f->rip != (u64)user_loop_end) {
		printf("user: #UD at rip 0x%lx cpl %lu, expected the end of the user loop at cpl 3\n",
		       f->rip, f->cs & 3);
		debug_exit(1);
	}
	if (f->rcx != 0) {
		printf("user: loop stopped early, rcx=0x%lx\n", f->rcx);
		debug_exit(1);
	}
	printf("user: back in kernel from cpl 3 after %lu iterations\n",
	       user_loops);
	debug_exit(0);
}

int scenario_user(int argc, char **argv)
{
	user_loops = arg_u64(argc, argv, DEFAULT_USER_LOOPS);
	if (!user_loops) {
		printf("user: count must be at least 1\n");
		return 2;
	}
	tss_init();
	set_trap_handler(6, user_return_handler);
	enter_user((u64)user_loop, (u64)user_stack + sizeof(user_stack),
		   user_loops);
}

int scenario_halt(int argc, char **argv)
{
	printf("halt: cli; hlt\n");
	halt_forever();
}

/*
 * QEMU's pvpanic at 0x505: read the events it supports, optionally report
 * CRASH_LOADED (the guest runs on), then PANICKED, which ends the guest.
 */
int scenario_pvpanic(int argc, char **argv)
{
	u8 events = inb(0x505);

	printf("pvpanic: device offers 0x%x\n", events);
	if (argc > 1 && !strcmp(argv[1], "crash")) {
		outb(0x505, 2);
		printf("pvpanic: running on after CRASH_LOADED\n");
	}
	printf("pvpanic: panicking\n");
	outb(0x505, 1);
	printf("pvpanic: still running after PANICKED\n");
	halt_forever();
}
