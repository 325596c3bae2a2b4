/* SPDX-License-Identifier: GPL-2.0-only */
/* Common declarations of the freestanding test guest. */
#ifndef TESTKERNEL_KERNEL_H
#define TESTKERNEL_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __aligned(n)	__attribute__((aligned(n)))
#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* Layout produced by the stubs and trap_common in boot.S. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rdi, rsi, rbp, rbx, rdx, rcx, rax;
	u64 vector, error;
	/* Pushed by the CPU. */
	u64 rip, cs, rflags, rsp, ss;
};

typedef void (*trap_handler_t)(struct trap_frame *frame);

static inline void outb(u16 port, u8 val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outw(u16 port, u16 val)
{
	asm volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outl(u16 port, u32 val)
{
	asm volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 val;

	asm volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

static inline u64 read_cr0(void)
{
	u64 val;

	asm volatile("mov %%cr0, %0" : "=r"(val));
	return val;
}

static inline void write_cr0(u64 val)
{
	asm volatile("mov %0, %%cr0" : : "r"(val) : "memory");
}

static inline u64 read_cr3(void)
{
	u64 val;

	asm volatile("mov %%cr3, %0" : "=r"(val));
	return val;
}

static inline void write_cr3(u64 val)
{
	asm volatile("mov %0, %%cr3" : : "r"(val) : "memory");
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | ((u64)hi << 32);
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

static inline u32 mmio_read32(u64 addr)
{
	return *(volatile u32 *)addr;
}

static inline void mmio_write32(u64 addr, u32 val)
{
	*(volatile u32 *)addr = val;
}

/* lib.c */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
bool parse_u64(const char *s, u64 *out);

/* console.c */
void serial_init(void);
int printf(const char *fmt, ...) __printf(1, 2);
int vprintf(const char *fmt, va_list ap);
void console_break_lock(void);
void __noreturn debug_exit(u32 code);

/* trap.c */
void idt_init(void);
void idt_load(void);
void set_trap_handler(unsigned int vector, trap_handler_t handler);
void tss_init(void);
void __noreturn load_empty_idt_and_ud2(void);

/* boot.S */
extern u32 boot_efer_bits;
extern u32 ap_booting;
extern u32 ap_next_index;
extern u64 boot_pml4[];
extern char ap_tramp_start[], ap_tramp_end[];
extern char trap_stubs[], trap_stubs_end[];
extern char gdt[];
extern char user_loop[], user_loop_end[];
extern char user_x87_pending[], user_x87_end[];
extern char fwait_point[];
extern char known_halt[];
void __noreturn enter_user(u64 rip, u64 rsp, u64 rcx);
void __noreturn pagetables_idle(const u64 *regs);
void __noreturn halt_forever(void);

/* Scenarios (scenarios.c, smp.c, pagetables.c). */
struct boot_info;
int scenario_hello(int argc, char **argv);
int scenario_exit(int argc, char **argv);
int scenario_pio(int argc, char **argv);
int scenario_slowpio(int argc, char **argv);
int scenario_mmio(int argc, char **argv);
int scenario_smp(int argc, char **argv);
int scenario_spin(int argc, char **argv);
int scenario_gdb(int argc, char **argv); /* gdb.c */
int scenario_triple(int argc, char **argv);
int scenario_int3(int argc, char **argv);
int scenario_fwait(int argc, char **argv);
int scenario_user(int argc, char **argv);
int scenario_halt(int argc, char **argv);
int scenario_pvpanic(int argc, char **argv);
int scenario_pagetables(int argc, char **argv);

/* Copy of the multiboot information, taken before low memory is used. */
#define CMDLINE_MAX	1024
#define MMAP_MAX	4096
#define MODS_MAX	16
#define MOD_CMDLINE_MAX	256
#define MOD_HEAD_MAX	16

#define MBI_FLAG_MEM	(1 << 0)
#define MBI_FLAG_CMDLINE (1 << 2)
#define MBI_FLAG_MODS	(1 << 3)
#define MBI_FLAG_MMAP	(1 << 6)

struct module_copy {
	u32 start, end;
	char cmdline[MOD_CMDLINE_MAX];
	u8 head[MOD_HEAD_MAX];
	u32 head_len;
};

struct boot_info {
	u32 flags;
	u32 mem_lower, mem_upper;
	char cmdline[CMDLINE_MAX];
	u32 mmap_len;
	u8 mmap[MMAP_MAX];
	u32 nr_mods;
	struct module_copy mods[MODS_MAX];
};

extern struct boot_info boot_info;
/* The 8259 masks (slave << 8 | master) the loader left. */
extern u16 boot_pic_masks;

#endif
