// SPDX-License-Identifier: GPL-2.0
/*
 * pctestdev: QEMU's pc-testdev as kvm-unit-tests uses it. The 32-bit
 * scratch register at 0xe0 with every width and offset, read back bytewise
 * at 0xe8; string I/O (rep outsb / insb) on it; the flush-page port; the
 * 64 KiB MMIO buffer at 0xff000000 with 1-, 2-, 4- and 8-byte accesses at
 * odd offsets; and an ISA IRQ line raised through 0x2000 + n, seen as the
 * master PIC's request register (IRR): latched on the rising edge (the
 * PIC is edge-triggered and the line masked), so it stays set after the
 * line drops. Same output under QEMU -device pc-testdev.
 */
#include "kernel.h"

#define IOMEM 0xff000000UL

static u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static u8 pic_irr(void)
{
	outb(0x20, 0x0a); /* OCW3: read IRR */
	return inb(0x20);
}

int scenario_pctestdev(int argc, char **argv)
{
	volatile u8 *m8 = (volatile u8 *)IOMEM;
	u8 out[4] = { 0xa1, 0xb2, 0xc3, 0xd4 }, in[4] = { 0 };
	u8 *po = out, *pi = in;
	u64 q, n;
	u8 before, high, low;
	int i;

	outl(0xe0, 0x12345678);
	printf("pctestdev: dword 0x%x, words 0x%x 0x%x, bytes %x %x %x %x\n",
	       inl(0xe0), inw(0xe0), inw(0xe2), inb(0xe0), inb(0xe1),
	       inb(0xe2), inb(0xe3));
	outw(0xe2, 0xbeef);
	outb(0xe1, 0x99);
	printf("pctestdev: after word and byte writes 0x%x, via 0xe8 0x%x\n",
	       inl(0xe0), inl(0xe8));
	outb(0xeb, 0x42);
	printf("pctestdev: byte at 0xeb -> 0x%x\n", inl(0xe0));
	/* String I/O: each element is one access to the same port. */
	n = 4;
	asm volatile("cld; rep outsb"
		     : "+S"(po), "+c"(n)
		     : "d"((u16)0xe3)
		     : "memory");
	n = 4;
	asm volatile("cld; rep insb"
		     : "+D"(pi), "+c"(n)
		     : "d"((u16)0xe0)
		     : "memory");
	printf("pctestdev: rep outsb to 0xe3 -> 0x%x, rep insb from 0xe0 %x %x %x %x\n",
	       inl(0xe0), in[0], in[1], in[2], in[3]);
	outl(0xe4, 0x300000);
	printf("pctestdev: flush page accepted\n");
	/* MMIO: sizes 1-8 at offsets that are not aligned to them. */
	for (i = 0; i < 16; i++)
		m8[0x100 + i] = (u8)(0x10 + i);
	*(volatile u16 *)(IOMEM + 0x201) = 0xcafe;
	*(volatile u32 *)(IOMEM + 0x303) = 0xdeadbeef;
	*(volatile u64 *)(IOMEM + 0x405) = 0x0123456789abcdefULL;
	q = *(volatile u64 *)(IOMEM + 0x100);
	printf("pctestdev: mmio bytes as qword 0x%lx, word 0x%x, dword 0x%x, qword 0x%lx, last byte 0x%x\n",
	       q, *(volatile u16 *)(IOMEM + 0x201),
	       *(volatile u32 *)(IOMEM + 0x303),
	       *(volatile u64 *)(IOMEM + 0x405), m8[0xffff]);
	/* IRQ 5 (masked at the PIC, but its request is latched). */
	before = pic_irr() & 0x20;
	outb(0x2005, 1);
	high = pic_irr() & 0x20;
	outb(0x2005, 0);
	low = pic_irr() & 0x20;
	printf("pctestdev: irq 5 request %s -> %s -> %s\n",
	       before ? "set" : "clear", high ? "set" : "clear",
	       low ? "set" : "clear");
	return 0;
}
