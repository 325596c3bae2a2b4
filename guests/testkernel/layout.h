/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Constants shared by the assembly and C parts of the test guest.
 * Plain numbers only: this file is included from boot.S as well.
 */
#ifndef TESTKERNEL_LAYOUT_H
#define TESTKERNEL_LAYOUT_H

#define MULTIBOOT_HEADER_MAGIC	0x1BADB002
#define MULTIBOOT_BOOT_MAGIC	0x2BADB002
/* Bit 0: page-align modules, bit 1: memory info wanted. */
#define MULTIBOOT_HEADER_FLAGS	0x00000003

/* GDT selectors; the order matches the table in boot.S. */
#define SEL_KERN_CODE64	0x08
#define SEL_KERN_DATA	0x10
#define SEL_KERN_CODE32	0x18
#define SEL_USER_CODE64	0x23	/* 0x20 | RPL 3 */
#define SEL_USER_DATA	0x2b	/* 0x28 | RPL 3 */
#define SEL_TSS		0x30

/*
 * The VMM lets us use this page for the AP start-up code; the SIPI
 * vector is the page number.
 */
#define AP_TRAMP_BASE	0x8000
#define AP_SIPI_VECTOR	(AP_TRAMP_BASE >> 12)

/*
 * The realmode scenario's code, data and (below it) stack; real mode
 * reaches only the first MiB, and 0x7000 is free under kvmscope and QEMU.
 */
#define REALMODE_BASE	0x7000

#define MAX_CPUS	64
#define BOOT_STACK_SIZE	16384
#define AP_STACK_SHIFT	13	/* 8 KiB per AP */
#define AP_STACK_SIZE	(1 << AP_STACK_SHIFT)

#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define EFER_NXE	(1 << 11)

#define CR0_PE		(1 << 0)
#define CR0_MP		(1 << 1)
#define CR0_EM		(1 << 2)
#define CR0_TS		(1 << 3)
#define CR0_NE		(1 << 5)
#define CR0_WP		(1 << 16)
#define CR0_NW		(1 << 29)
#define CR0_CD		(1 << 30)
#define CR0_PG		(1 << 31)

#define CR4_PAE		(1 << 5)
#define CR4_PGE		(1 << 7)

/* Page table entry bits. */
#define PTE_P		(1 << 0)
#define PTE_RW		(1 << 1)
#define PTE_US		(1 << 2)
#define PTE_PWT		(1 << 3)
#define PTE_PCD		(1 << 4)
#define PTE_PS		(1 << 7)
#define PTE_G		(1 << 8)

/*
 * 2 MiB page index from which the identity map is uncached: the PCI
 * hole (0xd0000000, where the mmio scenario pokes) up to the APIC and
 * firmware area at the top of 4 GiB.
 */
#define UC_FIRST_2M	(0xd0000000 >> 21)

#endif
