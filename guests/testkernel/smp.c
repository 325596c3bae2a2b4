// SPDX-License-Identifier: GPL-2.0-only
/* The smp scenario: count CPUs via fw_cfg, start the APs, wait. */
#include "kernel.h"

#define FW_CFG_PORT_SEL		0x510
#define FW_CFG_PORT_DATA	0x511
#define FW_CFG_SIGNATURE	0x0000
#define FW_CFG_NB_CPUS		0x0005

#define APIC_BASE		0xfee00000UL
#define APIC_ID			0x020
#define APIC_SVR		0x0f0
#define APIC_ICR_LO		0x300
#define APIC_ICR_HI		0x310
#define APIC_SVR_ENABLE		(1 << 8)
#define APIC_SPURIOUS_VECTOR	0xff
#define APIC_ICR_BUSY		(1 << 12)
#define APIC_ICR_ASSERT		(1 << 14)
#define APIC_ICR_ALL_BUT_SELF	(3 << 18)
#define APIC_DM_INIT		(5 << 8)
#define APIC_DM_STARTUP		(6 << 8)

/*
 * Guest code may be interpreted at roughly a million instructions per
 * second, so the timeout is counted in loop iterations, not time: ten
 * million pause iterations is tens of seconds there and well under a
 * second under hardware virtualisation.
 */
#define AP_WAIT_LOOPS		10000000UL
#define IPI_DELAY_LOOPS		10000UL

static volatile u32 aps_up;
/* spin scenario: every CPU increments its own counter forever. */
static volatile int spin_mode;
static volatile u64 spin_counters[64] __aligned(64);

/* noinline: the profile test looks for this function by name. */
static void __noreturn __attribute__((noinline)) spin_forever(u32 cpu)
{
	for (;;)
		spin_counters[cpu]++;
}

static u32 apic_read(u32 reg)
{
	return mmio_read32(APIC_BASE + reg);
}

static void apic_write(u32 reg, u32 val)
{
	mmio_write32(APIC_BASE + reg, val);
}

static void apic_enable(void)
{
	apic_write(APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
}

static u32 apic_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

static void apic_send_ipi(u32 icr_lo)
{
	apic_write(APIC_ICR_HI, 0);
	apic_write(APIC_ICR_LO, icr_lo);
	while (apic_read(APIC_ICR_LO) & APIC_ICR_BUSY)
		cpu_relax();
}

static void delay(unsigned long loops)
{
	while (loops--)
		cpu_relax();
}

static void fw_cfg_select(u16 key)
{
	outw(FW_CFG_PORT_SEL, key);
}

static void fw_cfg_read(void *buf, size_t len)
{
	u8 *p = buf;

	while (len--)
		*p++ = inb(FW_CFG_PORT_DATA);
}

/* Called by boot.S on each AP's own stack, with its CPU number. */
void ap_main(u32 cpu);

void ap_main(u32 cpu)
{
	idt_load();
	apic_enable();
	printf("cpu %u up (apic id %u)\n", cpu, apic_id());
	__atomic_add_fetch(&aps_up, 1, __ATOMIC_RELEASE);
	if (spin_mode && cpu < 64)
		spin_forever(cpu);
	/* boot.S parks the AP with interrupts on. */
}

int scenario_smp(int argc, char **argv)
{
	size_t tramp_len = ap_tramp_end - ap_tramp_start;
	char sig[4];
	u16 ncpus;
	unsigned long i;
	u32 up;

	fw_cfg_select(FW_CFG_SIGNATURE);
	fw_cfg_read(sig, sizeof(sig));
	if (memcmp(sig, "QEMU", 4)) {
		printf("smp: no fw_cfg device (signature %02x %02x %02x %02x)\n",
		       (u8)sig[0], (u8)sig[1], (u8)sig[2], (u8)sig[3]);
		return 1;
	}
	fw_cfg_select(FW_CFG_NB_CPUS);
	fw_cfg_read(&ncpus, sizeof(ncpus));	/* little-endian, as we are */
	printf("smp: fw_cfg reports %u cpus\n", ncpus);

	apic_enable();
	printf("cpu 0 (bsp) apic id %u\n", apic_id());

	if (ncpus > 1) {
		memcpy((void *)(u64)AP_TRAMP_BASE, ap_tramp_start, tramp_len);
		ap_booting = 1;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);

		apic_send_ipi(APIC_ICR_ALL_BUT_SELF | APIC_ICR_ASSERT |
			      APIC_DM_INIT);
		delay(IPI_DELAY_LOOPS);
		for (i = 0; i < 2; i++) {
			apic_send_ipi(APIC_ICR_ALL_BUT_SELF | APIC_ICR_ASSERT |
				      APIC_DM_STARTUP | AP_SIPI_VECTOR);
			delay(IPI_DELAY_LOOPS);
		}
	}

	for (i = 0; i < AP_WAIT_LOOPS; i++) {
		if (__atomic_load_n(&aps_up, __ATOMIC_ACQUIRE) + 1 >= ncpus)
			break;
		cpu_relax();
	}

	up = __atomic_load_n(&aps_up, __ATOMIC_ACQUIRE) + 1;
	if (up == ncpus) {
		printf("smp: %u cpus up\n", ncpus);
		return 0;
	}
	printf("smp: only %u of %u cpus came up\n", up, ncpus);
	return 1;
}

/*
 * Start every CPU like smp, then let all of them count in a loop forever:
 * the target for stop/cont consistency tests (a stopped VM's counters must
 * not move). The counters are identity-mapped: gva == gpa.
 */
int scenario_spin(int argc, char **argv)
{
	int r;

	spin_mode = 1;
	r = scenario_smp(argc, argv);
	if (r)
		return r;
	printf("spin: counters at 0x%lx\n", (u64)spin_counters);
	spin_forever(0);
}
