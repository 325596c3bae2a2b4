// SPDX-License-Identifier: GPL-2.0
/*
 * pcitest: find QEMU's pci-testdev (1b36:0005) through configuration
 * mechanism #1 and run its six tests as kvm-unit-tests does: select a
 * test, read where and what to write, write it 16 times, read the count.
 * A test passes when the count is 16 (the VMM counted every write) or 0
 * (an ioeventfd took them, as for the eventfd tests). The output is the
 * same under any VMM with that device, QEMU included.
 */
#include "kernel.h"

#define NR_WRITES 16

static u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static u32 cfg_read(unsigned int slot, unsigned int reg)
{
	outl(0xcf8, 0x80000000U | slot << 11 | reg);
	return inl(0xcfc);
}

static void cfg_write(unsigned int slot, unsigned int reg, u32 v)
{
	outl(0xcf8, 0x80000000U | slot << 11 | reg);
	outl(0xcfc, v);
}

struct access {
	u64 base;
	bool io;
};

static u8 rd8(const struct access *a, u32 off)
{
	if (a->io)
		return inb((u16)(a->base + off));
	return *(volatile u8 *)(a->base + off);
}

static void wr8(const struct access *a, u32 off, u8 v)
{
	if (a->io)
		outb((u16)(a->base + off), v);
	else
		*(volatile u8 *)(a->base + off) = v;
}

static u32 rd32(const struct access *a, u32 off)
{
	return rd8(a, off) | (u32)rd8(a, off + 1) << 8 |
	       (u32)rd8(a, off + 2) << 16 | (u32)rd8(a, off + 3) << 24;
}

static int run_tests(const struct access *a, int *failed)
{
	unsigned int t, i;
	char name[32];

	for (t = 0;; t++) {
		u32 off, count;
		u8 width, data;

		wr8(a, 0, (u8)t);
		off = rd32(a, 4);
		if (!off)
			return (int)t; /* no such test: the BAR's tests ended */
		width = rd8(a, 1);
		data = rd8(a, 8);
		for (i = 0; i + 1 < sizeof(name); i++) {
			name[i] = (char)rd8(a, 16 + i);
			if (!name[i])
				break;
		}
		name[i] = '\0';
		if (width != 1) {
			printf("pcitest: %s: width %u, expected 1\n", name,
			       width);
			(*failed)++;
			continue;
		}
		for (i = 0; i < NR_WRITES; i++)
			wr8(a, off, data);
		count = rd32(a, 12);
		printf("pcitest: %s: %s\n", name,
		       count == 0	  ? "ok (ioeventfd)" :
		       count == NR_WRITES ? "ok (counted)" :
					    "FAIL");
		if (count != 0 && count != NR_WRITES)
			(*failed)++;
		if (t > 8)
			return (int)t;
	}
}

int scenario_pcitest(int argc, char **argv)
{
	unsigned int slot;
	int failed = 0, n = 0;

	for (slot = 0; slot < 32; slot++)
		if (cfg_read(slot, 0) == 0x00051b36)
			break;
	if (slot == 32) {
		printf("pcitest: no pci-testdev (1b36:0005) on bus 0\n");
		return 1;
	}
	printf("pcitest: pci-testdev at 00:%02x.0\n", slot);
	/* decode memory and I/O (firmware may have left them off) */
	cfg_write(slot, 0x04, cfg_read(slot, 0x04) | 0x3);
	{
		struct access mem = { cfg_read(slot, 0x10) & ~0xfU, false };
		struct access io = { cfg_read(slot, 0x14) & ~0x3U, true };

		if (!mem.base || !io.base) {
			printf("pcitest: BARs not assigned\n");
			return 1;
		}
		n += run_tests(&mem, &failed);
		n += run_tests(&io, &failed);
	}
	printf("pcitest: %d tests, %d failed\n", n, failed);
	return failed ? 1 : 0;
}
