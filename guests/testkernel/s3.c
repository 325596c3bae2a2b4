// SPDX-License-Identifier: GPL-2.0-only
/*
 * The s3 scenario: suspend to RAM through ACPI and come back through the
 * FACS waking vector, as an OS does.
 *
 * It finds the FADT from the RSDP (RSDT or XSDT), the FACS from the FADT
 * and SLP_TYP from the DSDT's \_S3_, copies s3_tramp.S below 1 MiB and
 * writes its address as the real-mode waking vector, arms an RTC alarm
 * two seconds ahead (seconds only; minutes and hours "don't care") with
 * AIE (and RTC_EN in PM1a enable, the wake enable), and writes
 * SLP_TYP|SLP_EN: to the sleep control register on a hardware-reduced
 * FADT, else to PM1a control. It then polls WAK_STS as
 * ACPICA does; firmware restarts the CPU at the vector instead, and
 * s3_resumed() reports what it found.
 *
 * "s3 qmp": no alarm (QMP system_wakeup wakes it); APs are started first
 * (with more than one CPU) and, after the report, the CPU idles with
 * interrupts on so that the VMM's state can be inspected.
 * "s3 novector": the waking vector stays 0, so firmware reboots on wake.
 */
#include "kernel.h"

#define BIOS_AREA	0xe0000UL
#define BIOS_AREA_END	0x100000UL

#define FADT_FIRMWARE_CTRL	36
#define FADT_DSDT		40
#define FADT_PM1A_EVT_BLK	56
#define FADT_PM1A_CNT_BLK	64
#define FADT_FLAGS		112
#define FADT_X_FIRMWARE_CTRL	132
#define FADT_X_DSDT		140
#define FADT_SLEEP_CONTROL	244
#define FADT_SLEEP_STATUS	256
#define FADT_HW_REDUCED		(1u << 20)

#define FACS_WAKING_VECTOR	12
#define FACS_X_WAKING_VECTOR	24

#define SLP_EN_REDUCED		0x20
#define SLP_TYP_SHIFT_REDUCED	2
#define WAK_STS_REDUCED		0x80
#define SLP_EN_PM1		(1u << 13)
#define SLP_TYP_SHIFT_PM1	10
#define WAK_STS_PM1		(1u << 15)
#define RTC_EN_PM1		(1u << 10)	/* PM1 enable: RTC wakes */

#define RTC_INDEX	0x70
#define RTC_DATA	0x71
#define RTC_SECONDS	0x00
#define RTC_ALARM_SEC	0x01
#define RTC_ALARM_MIN	0x03
#define RTC_ALARM_HOUR	0x05
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_B_AIE	0x20
#define RTC_B_DM	0x04
#define RTC_DONT_CARE	0xc0

#define EXIT_RESUMED	0x33	/* status 103 */
#define ALARM_SECONDS	2
/* Far longer than any wake; a VMM without S3 never gets here anyway. */
#define WAIT_LOOPS	4000000000UL

extern char s3_tramp_start[], s3_tramp_end[];
extern char s3_tramp_cs[], s3_tramp_ip[], s3_tramp_woken[];
extern char s3_tramp_gdt_ptr[], gdt_end[];

void s3_resumed(void);

static struct {
	u8 *facs;
	u16 sleep_port, status_port;
	bool reduced;
	bool qmp;
	bool novector;
} s3;

static u8 sum(const u8 *p, u32 len)
{
	u8 s = 0;

	while (len--)
		s += *p++;
	return s;
}

static u32 le32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static u64 le64(const u8 *p)
{
	return le32(p) | (u64)le32(p + 4) << 32;
}

/* A FADT field, or 0 when this FADT revision is too short to have it. */
static u64 fadt_field(const u8 *fadt, u32 off, u32 size)
{
	if (off + size > le32(fadt + 4))
		return 0;
	return size == 8 ? le64(fadt + off) : le32(fadt + off);
}

static u8 *find_rsdp(void)
{
	u64 a;

	for (a = BIOS_AREA; a < BIOS_AREA_END; a += 16) {
		u8 *p = (u8 *)a;

		if (!memcmp(p, "RSD PTR ", 8) && !sum(p, 20))
			return p;
	}
	return NULL;
}

/* A table with this signature among the RSDT's or XSDT's entries. */
static u8 *find_table(const u8 *rsdp, const char *sig)
{
	bool x = rsdp[15] >= 2 && le64(rsdp + 24);
	u8 *root = (u8 *)(x ? le64(rsdp + 24) : le32(rsdp + 16));
	u32 len = le32(root + 4), esz = x ? 8 : 4, off;

	if (sum(root, len))
		return NULL;
	for (off = 36; off + esz <= len; off += esz) {
		u8 *t = (u8 *)(x ? le64(root + off) : le32(root + off));

		if (!memcmp(t, sig, 4) && !sum(t, le32(t + 4)))
			return t;
	}
	return NULL;
}

/* The first element of the DSDT's \_S3_ package, or -1. */
static int s3_slp_typ(const u8 *dsdt)
{
	u32 len = le32(dsdt + 4), i;

	for (i = 36; i + 9 < len; i++) {
		const u8 *p = dsdt + i;

		/* NameOp "_S3_" PackageOp PkgLength(1 byte) NumElements */
		if (p[0] != 0x08 || memcmp(p + 1, "_S3_", 4) || p[5] != 0x12 ||
		    (p[6] & 0xc0))
			continue;
		switch (p[8]) {
		case 0x00:
			return 0;
		case 0x01:
			return 1;
		case 0x0a:
			return p[9];
		}
	}
	return -1;
}

static u8 cmos_read(u8 reg)
{
	outb(RTC_INDEX, reg);
	return inb(RTC_DATA);
}

static void cmos_write(u8 reg, u8 v)
{
	outb(RTC_INDEX, reg);
	outb(RTC_DATA, v);
}

static void arm_alarm(void)
{
	u8 b = cmos_read(RTC_REG_B), sec = cmos_read(RTC_SECONDS);
	int s = b & RTC_B_DM ? sec : (sec >> 4) * 10 + (sec & 0xf);

	s = (s + ALARM_SECONDS) % 60;
	cmos_write(RTC_ALARM_SEC, b & RTC_B_DM ? s : (s / 10) << 4 | s % 10);
	cmos_write(RTC_ALARM_MIN, RTC_DONT_CARE);
	cmos_write(RTC_ALARM_HOUR, RTC_DONT_CARE);
	cmos_read(RTC_REG_C); /* no stale flags */
	cmos_write(RTC_REG_B, b | RTC_B_AIE);
}

static bool wak_sts(void)
{
	if (s3.reduced)
		return inb(s3.status_port) & WAK_STS_REDUCED;
	return inw(s3.status_port) & WAK_STS_PM1;
}

static void clear_wak_sts(void)
{
	if (s3.reduced)
		outb(s3.status_port, WAK_STS_REDUCED);
	else
		outw(s3.status_port, WAK_STS_PM1);
}

int scenario_s3(int argc, char **argv)
{
	u8 *rsdp = find_rsdp(), *fadt, *dsdt;
	u32 vector = S3_WAKING_VECTOR, flags;
	u64 facs_addr, dsdt_addr;
	unsigned long i;
	u8 *gdtp;
	int typ;

	s3.qmp = argc > 1 && !strcmp(argv[1], "qmp");
	s3.novector = argc > 1 && !strcmp(argv[1], "novector");
	if (s3.novector)
		vector = 0;
	if (!rsdp || !(fadt = find_table(rsdp, "FACP"))) {
		printf("s3: assert failed: no RSDP or FADT\n");
		return 1;
	}
	facs_addr = fadt_field(fadt, FADT_X_FIRMWARE_CTRL, 8);
	if (!facs_addr)
		facs_addr = fadt_field(fadt, FADT_FIRMWARE_CTRL, 4);
	s3.facs = (u8 *)facs_addr;
	if (!facs_addr || memcmp(s3.facs, "FACS", 4)) {
		printf("s3: assert failed: facs\n");
		return 1;
	}
	dsdt_addr = fadt_field(fadt, FADT_X_DSDT, 8);
	dsdt = (u8 *)(dsdt_addr ? dsdt_addr : le32(fadt + FADT_DSDT));
	typ = s3_slp_typ(dsdt);
	if (typ < 0) {
		printf("s3: assert failed: no \\_S3_ in the DSDT\n");
		return 1;
	}
	flags = fadt_field(fadt, FADT_FLAGS, 4);
	s3.reduced = flags & FADT_HW_REDUCED;
	if (s3.reduced) {
		s3.sleep_port = fadt_field(fadt, FADT_SLEEP_CONTROL + 4, 8);
		s3.status_port = fadt_field(fadt, FADT_SLEEP_STATUS + 4, 8);
	} else {
		s3.sleep_port = le32(fadt + FADT_PM1A_CNT_BLK);
		s3.status_port = le32(fadt + FADT_PM1A_EVT_BLK);
	}
	printf("s3: facs at 0x%lx, SLP_TYP %d, %s\n", facs_addr, typ,
	       s3.reduced ? "sleep control register" : "PM1a control");

	if (s3.qmp && scenario_smp(1, argv))
		return 1;

	memcpy((void *)(u64)S3_WAKING_VECTOR, s3_tramp_start,
	       s3_tramp_end - s3_tramp_start);
	gdtp = (u8 *)(u64)S3_WAKING_VECTOR +
	       (s3_tramp_gdt_ptr - s3_tramp_start);
	*(u16 *)gdtp = gdt_end - gdt - 1;
	*(u32 *)(gdtp + 2) = (u32)(u64)gdt;
	*(volatile u32 *)(s3.facs + FACS_WAKING_VECTOR) = vector;
	*(volatile u64 *)(s3.facs + FACS_X_WAKING_VECTOR) = 0;
	if (!s3.qmp) {
		arm_alarm();
		if (!s3.reduced)
			outw(s3.status_port + 2, RTC_EN_PM1);
	}
	clear_wak_sts();
	printf("s3: waking vector 0x%x, %s, entering S3\n", vector,
	       s3.qmp ? "no alarm" : "rtc alarm in 2 s");
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (s3.reduced)
		outb(s3.sleep_port,
		     typ << SLP_TYP_SHIFT_REDUCED | SLP_EN_REDUCED);
	else
		outw(s3.sleep_port, typ << SLP_TYP_SHIFT_PM1 | SLP_EN_PM1);

	/* As ACPICA waits; a resume never comes back here. */
	for (i = 0; i < WAIT_LOOPS; i++)
		if (wak_sts())
			break;
	printf("s3: %s without going through the waking vector\n",
	       i < WAIT_LOOPS ? "WAK_STS set" : "never woke");
	return 1;
}

/* s3_tramp.S, in long mode again on the scenario's own stack. */
void s3_resumed(void)
{
	const u8 *copy = (const u8 *)(u64)S3_WAKING_VECTOR;
	u16 cs = *(const u16 *)(copy + (s3_tramp_cs - s3_tramp_start));
	u16 ip = *(const u16 *)(copy + (s3_tramp_ip - s3_tramp_start));
	u16 woken = *(const u16 *)(copy + (s3_tramp_woken - s3_tramp_start));
	u16 sts = s3.reduced ? inb(s3.status_port) : inw(s3.status_port);
	u8 c, c2;
	bool wak;

	idt_load();
	serial_init();
	c = cmos_read(RTC_REG_C);
	c2 = cmos_read(RTC_REG_C);
	wak = wak_sts();
	printf("s3: woken through the waking vector (%u) at %04x:%04x\n", woken,
	       cs, ip);
	printf("s3: rtc register c 0x%02x, then 0x%02x\n", c, c2);
	printf("s3: WAK_STS %s, %s 0x%x\n", wak ? "set" : "clear",
	       s3.reduced ? "sleep status" : "PM1 status", sts);
	clear_wak_sts();
	if (!s3.reduced) {
		outw(s3.status_port, RTC_EN_PM1);	/* RTC_STS */
		outw(s3.status_port + 2, 0);
	}
	cmos_write(RTC_REG_B, cmos_read(RTC_REG_B) & ~RTC_B_AIE);
	if (s3.qmp) {
		printf("s3: idle\n");
		for (;;)
			asm volatile("sti; hlt");
	}
	debug_exit(EXIT_RESUMED);
}
