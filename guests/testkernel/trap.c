// SPDX-License-Identifier: GPL-2.0-only
/* IDT, exception dispatch and the TSS. */
#include "kernel.h"

#define STUB_SIZE	16
#define GATE_INTR	0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define GATE_INTR_USER	0xee	/* same with DPL 3 */
#define SYSCALL_VECTOR	0x80
#define INT_STACK_SIZE	16384

struct idt_entry {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __attribute__((packed));

struct desc_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iopb_offset;
} __attribute__((packed));

static struct idt_entry idt[256] __aligned(16);
static trap_handler_t trap_handlers[256];
static struct tss64 tss __aligned(16);
/* Where the CPU switches to when an interrupt arrives from CPL 3. */
static u8 int_stack[INT_STACK_SIZE] __aligned(16);

static void set_gate(unsigned int vector, u64 addr, u8 type_attr)
{
	struct idt_entry *e = &idt[vector];

	e->offset_lo = addr & 0xffff;
	e->selector = SEL_KERN_CODE64;
	e->ist = 0;
	e->type_attr = type_attr;
	e->offset_mid = (addr >> 16) & 0xffff;
	e->offset_hi = addr >> 32;
	e->reserved = 0;
}

/*
 * Every vector gets a stub that reports its own number, so a stray
 * interrupt names itself instead of hiding behind a shared catch-all.
 */
void idt_init(void)
{
	unsigned int v;

	for (v = 0; v < 256; v++) {
		u64 stub = (u64)trap_stubs + v * STUB_SIZE;

		set_gate(v, stub, v == SYSCALL_VECTOR ? GATE_INTR_USER :
							GATE_INTR);
	}
	idt_load();
}

void idt_load(void)
{
	struct desc_ptr p = {
		.limit = sizeof(idt) - 1,
		.base = (u64)idt,
	};

	asm volatile("lidt %0" : : "m"(p));
}

void set_trap_handler(unsigned int vector, trap_handler_t handler)
{
	trap_handlers[vector] = handler;
}

void trap_dispatch(struct trap_frame *f);

void trap_dispatch(struct trap_frame *f)
{
	trap_handler_t handler = trap_handlers[f->vector & 0xff];
	u64 cr2;

	if (handler) {
		handler(f);
		return;
	}
	console_break_lock();
	printf("unexpected exception %lu at rip 0x%lx error 0x%lx\n",
	       f->vector, f->rip, f->error);
	if (f->vector == 14) {
		asm volatile("mov %%cr2, %0" : "=r"(cr2));
		printf("cr2=0x%lx\n", cr2);
	}
	debug_exit(3);
}

/* Fills the 16-byte TSS descriptor at SEL_TSS and loads TR. */
void tss_init(void)
{
	u64 base = (u64)&tss;
	u64 limit = sizeof(tss) - 1;
	u64 *desc = (u64 *)(gdt + SEL_TSS);

	memset(&tss, 0, sizeof(tss));
	tss.rsp[0] = (u64)int_stack + sizeof(int_stack);
	/* An offset past the limit means "no I/O permission bitmap". */
	tss.iopb_offset = sizeof(tss);

	desc[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		  (0x89ULL << 40) |		/* present, available TSS */
		  (((limit >> 16) & 0xf) << 48) |
		  (((base >> 24) & 0xff) << 56);
	desc[1] = base >> 32;
	asm volatile("ltr %w0" : : "r"(SEL_TSS) : "memory");
}

/*
 * With a zero-limit IDT no exception can be delivered: #UD escalates
 * to #GP, then #DF, then a triple fault (shutdown).
 */
void load_empty_idt_and_ud2(void)
{
	struct desc_ptr p = { .limit = 0, .base = 0 };

	asm volatile("lidt %0\n\tud2" : : "m"(p) : "memory");
	__builtin_unreachable();
}
