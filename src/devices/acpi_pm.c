// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI power-management registers, at the ports arch/x86/acpi.h
 * names:
 *
 *  - PM1a status (0x604, 16 bits, write 1 to clear): WAK_STS (bit 15) set
 *    by a wake from S3, RTC_STS (bit 10) when the RTC alarm was the cause.
 *    PM1a enable (0x606, 16 bits): kept; RTC_EN lets the RTC alarm wake
 *    the machine from S3, as on a PC. The SCI (IRQ 9, level) is asserted
 *    while an enabled status bit is set.
 *  - PM1a control (0x608, 16 bits): SCI_EN reads 1 (the FADT has no SMI
 *    command port: always in ACPI mode); writing SLP_EN with the SLP_TYP
 *    of the DSDT's \_S5_ powers the machine off, with that of \_S3_ the VM
 *    suspends to RAM (vmm/sleep.c parks the vCPUs; a wake restarts them at
 *    the FACS waking vector and sets WAK_STS). S1, S2 and S4 are not
 *    emulated: the request is ignored and WAK_STS is set at once, so a
 *    guest that tried sees an immediate wake-up instead of hanging in its
 *    wait loop.
 *  - sleep control (0x600) and status (0x601): the hardware-reduced form
 *    of the same (SLP_TYP << 2 | SLP_EN; WAK_STS in bit 7), which the FADT
 *    named before it had PM1 blocks; they stay for guests that use them.
 *  - reset (0xcf9): writing a value with RST_CPU (bit 2) set resets the
 *    machine. FADT RESET_VALUE is 0x06; 0xcf9 is also the chipset's reset
 *    control register, so Linux's reboot=pci and other non-ACPI guests use
 *    the same path. SYS_RST and FULL_RST read back as written, since
 *    Linux reads the register before it writes it.
 *
 * Every access is per byte (a 16-bit register is two), so a wide access
 * reaches each register it covers with its own bytes.
 *
 * Why PM1 blocks (read in Linux 6.1 and its ACPICA). On a HW_REDUCED_ACPI
 * FADT, acpi_enter_sleep_state (hwxfsleep.c) takes acpi_hw_extended_sleep
 * (hwesleep.c): clear WAK_STS in the sleep status register, write
 * SLP_TYP << 2 | SLP_EN to the sleep control register, poll WAK_STS; that
 * is PM1 control's SLP_TYP/SLP_EN for such a platform, and
 * acpi_sleep_state_supported (drivers/acpi/sleep.c) offers S3 once \_S3_
 * and both registers exist. x86_acpi_suspend_lowlevel
 * (arch/x86/kernel/acpi/sleep.c) enters it after acpi_sleep_prepare put
 * the real-mode wakeup code's address in the FACS through
 * acpi_set_firmware_waking_vector. But that ACPICA never maps a FACS on a
 * hardware-reduced platform (acpi_tb_parse_fadt, acpi_tb_initialize_facs:
 * "If Hardware Reduced flag is set, there is no FACS"), so the vector
 * would stay 0 and firmware would reboot instead of resuming (SeaBIOS's
 * s3_resume; vmm/sleep.c does the same). With PM1 blocks Linux takes
 * acpi_hw_legacy_sleep (hwsleep.c): clear the PM1 status bits, write
 * SLP_TYP then SLP_TYP|SLP_EN to PM1a control, poll WAK_STS in PM1a
 * status; and it resumes at the vector it wrote.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi.h"
#include "devices/legacy.h"
#include "vmm/exit_status.h"

#define SLEEP_NR_PORTS 2 /* one range: control, then status */
#define SLEEP_CTL_OFFSET 0
#define SLEEP_STS_OFFSET 1
#define PM1_NR_PORTS (ACPI_PM1_EVT_LEN + ACPI_PM1_CNT_LEN)
#define PM1_STS_OFFSET 0
#define PM1_EN_OFFSET 2
#define PM1_CNT_OFFSET 4
/* What PM1 control reads back: BM_RLD and SLP_TYP (SLP_EN, GBL_RLS not). */
#define PM1_CNT_KEPT 0x1c02
#define RESET_KEPT_BITS (ACPI_RESET_SYS_RST | ACPI_RESET_FULL_RST)

_Static_assert(ACPI_PM_SLEEP_STS_PORT == ACPI_PM_SLEEP_CTL_PORT + 1,
	       "the sleep status register must follow the control register");
_Static_assert(ACPI_PM1A_CNT_PORT == ACPI_PM1A_EVT_PORT + ACPI_PM1_EVT_LEN,
	       "PM1a control must follow the PM1a event block");

/* The lock orders vCPUs and the main thread (wakes); never held outside. */
struct acpi_pm {
	pthread_mutex_t lock;
	struct vm_control ctl;
	struct irq_sink irq;
	uint16_t pm1_sts; /* WAK_STS is also the sleep status register's */
	uint16_t pm1_en;
	uint16_t pm1_cnt;
	bool sci_high;
	uint8_t reset_ctl;
	bool warned_sleep;
};

/* Lock held. */
static void update_sci(struct acpi_pm *pm)
{
	bool on = pm->pm1_sts & pm->pm1_en & ACPI_PM1_EN_BITS;

	if (on == pm->sci_high || !pm->irq.set_level)
		return;
	pm->sci_high = on;
	pm->irq.set_level(pm->irq.opaque, ACPI_SCI_IRQ, on);
}

/*
 * Main thread, a wake event while suspended: the RTC alarm wakes only
 * with RTC_EN set (QEMU's PIIX4 PM decides the same way); anything else
 * (QMP system_wakeup) always does. A wake sets WAK_STS, which ends the
 * guest's wait loop, and RTC_STS when the RTC caused it.
 */
static bool pm_wake(void *dev, const char *source)
{
	struct acpi_pm *pm = dev;
	bool rtc = source && !strcmp(source, "rtc");
	bool wake;

	pthread_mutex_lock(&pm->lock);
	wake = !rtc || (pm->pm1_en & ACPI_PM1_STS_RTC);
	if (wake) {
		pm->pm1_sts |= ACPI_PM1_STS_WAK | (rtc ? ACPI_PM1_STS_RTC : 0);
		update_sci(pm);
	}
	pthread_mutex_unlock(&pm->lock);
	return wake;
}

/*
 * Lock held; v is the sleep control register, or PM1 control's high
 * byte (the same layout). Returns the request the caller makes once the
 * lock is dropped: 5 (power off), 3 (suspend) or 0.
 */
static int sleep_ctl_write(struct acpi_pm *pm, uint8_t v)
{
	unsigned int typ = (v & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT;

	if (!(v & ACPI_SLP_EN))
		return 0;
	if (typ == ACPI_S5_SLP_TYP)
		return 5;
	if (typ == ACPI_S3_SLP_TYP && pm->ctl.request_suspend) {
		/* WAK_STS is set again by the wake (pm_wake). */
		pm->pm1_sts &= ~ACPI_PM1_STS_WAK;
		update_sci(pm);
		return 3;
	}
	if (!pm->warned_sleep)
		log_warn(
			"guest asked for ACPI sleep type %u; only S3 (type %u) and power-off (type %u) are emulated, ignored",
			typ, ACPI_S3_SLP_TYP, ACPI_S5_SLP_TYP);
	pm->warned_sleep = true;
	/* Sleeping and waking at once: the guest stops waiting. */
	pm->pm1_sts |= ACPI_PM1_STS_WAK;
	update_sci(pm);
	return 0;
}

/* Lock dropped: what sleep_ctl_write asked for. */
static void act(struct acpi_pm *pm, int request)
{
	if (request == 5 && pm->ctl.request_end)
		pm->ctl.request_end(pm->ctl.opaque, KS_STATUS_POWEROFF,
				    "guest powered off (ACPI S5)");
	else if (request == 3)
		pm->ctl.request_suspend(pm->ctl.opaque, pm_wake, pm);
}

/* The byte of a 16-bit register at an even offset. */
static uint8_t byte_of(uint16_t v, uint64_t reg)
{
	return (uint8_t)(reg & 1 ? v >> 8 : v);
}

static void sleep_read(void *opaque, uint64_t offset, uint8_t *data,
		       uint32_t len)
{
	struct acpi_pm *pm = opaque;
	uint32_t i;

	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < len; i++) {
		uint64_t reg = offset + i;

		if (reg == SLEEP_STS_OFFSET)
			data[i] = pm->pm1_sts & ACPI_PM1_STS_WAK ?
					  ACPI_WAK_STS :
					  0;
		else if (reg == SLEEP_CTL_OFFSET)
			data[i] = 0; /* SLP_EN is write-only */
		else
			data[i] = 0xff; /* not ours; the bus keeps us out */
	}
	pthread_mutex_unlock(&pm->lock);
}

static void sleep_write(void *opaque, uint64_t offset, const uint8_t *data,
			uint32_t len)
{
	struct acpi_pm *pm = opaque;
	int request = 0;
	uint32_t i;

	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < len; i++) {
		uint64_t reg = offset + i;

		if (reg == SLEEP_CTL_OFFSET) {
			request = sleep_ctl_write(pm, data[i]);
		} else if (reg == SLEEP_STS_OFFSET &&
			   (data[i] & ACPI_WAK_STS)) {
			pm->pm1_sts &= ~ACPI_PM1_STS_WAK;
			update_sci(pm);
		}
	}
	pthread_mutex_unlock(&pm->lock);
	act(pm, request);
}

static void pm1_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct acpi_pm *pm = opaque;
	uint32_t i;

	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < len; i++) {
		uint64_t reg = offset + i;

		if (reg < PM1_EN_OFFSET)
			data[i] = byte_of(pm->pm1_sts, reg);
		else if (reg < PM1_CNT_OFFSET)
			data[i] = byte_of(pm->pm1_en, reg);
		else if (reg < PM1_NR_PORTS)
			data[i] =
				byte_of(pm->pm1_cnt | ACPI_PM1_CNT_SCI_EN, reg);
		else
			data[i] = 0xff;
	}
	pthread_mutex_unlock(&pm->lock);
}

static void pm1_write(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len)
{
	struct acpi_pm *pm = opaque;
	int request = 0;
	uint32_t i;

	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < len; i++) {
		uint64_t reg = offset + i;
		unsigned int shift = reg & 1 ? 8 : 0;
		uint16_t mask = (uint16_t)(0xff << shift);
		uint16_t v = (uint16_t)(data[i] << shift);

		if (reg < PM1_EN_OFFSET) {
			pm->pm1_sts &= ~(v & ACPI_PM1_STS_W1C);
		} else if (reg < PM1_CNT_OFFSET) {
			pm->pm1_en = (pm->pm1_en & ~mask) |
				     (v & ACPI_PM1_EN_BITS);
		} else if (reg < PM1_NR_PORTS) {
			pm->pm1_cnt = (pm->pm1_cnt & ~mask) |
				      (v & PM1_CNT_KEPT);
			if (shift)
				request = sleep_ctl_write(pm, data[i]);
		}
		update_sci(pm);
	}
	pthread_mutex_unlock(&pm->lock);
	act(pm, request);
}

static void reset_read(void *opaque, uint64_t offset, uint8_t *data,
		       uint32_t len)
{
	struct acpi_pm *pm = opaque;

	memset(data, 0xff, len);
	if (offset == 0 && len >= 1)
		data[0] = __atomic_load_n(&pm->reset_ctl, __ATOMIC_RELAXED);
}

static void reset_write(void *opaque, uint64_t offset, const uint8_t *data,
			uint32_t len)
{
	struct acpi_pm *pm = opaque;

	if (offset != 0 || len < 1)
		return;
	if (data[0] & ACPI_RESET_RST_CPU) {
		if (pm->ctl.request_end)
			pm->ctl.request_end(
				pm->ctl.opaque, KS_STATUS_RESET,
				"guest reset through ACPI reset register (0xcf9)");
		return;
	}
	__atomic_store_n(&pm->reset_ctl, data[0] & RESET_KEPT_BITS,
			 __ATOMIC_RELAXED);
}

static void pm_release(void *opaque)
{
	struct acpi_pm *pm = opaque;

	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

/* This range owns the device state and frees it. */
static const struct bus_ops sleep_ops = {
	.read = sleep_read,
	.write = sleep_write,
	.release = pm_release,
};

static const struct bus_ops pm1_ops = {
	.read = pm1_read,
	.write = pm1_write,
};

static const struct bus_ops reset_ops = {
	.read = reset_read,
	.write = reset_write,
};

static bool port_taken(const struct bus *bus, uint64_t port, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (bus_find(bus, port + i, 1))
			return true;
	return false;
}

/*
 * 0xcf9 is an overlay (vmm/bus.h): a byte there is the reset register
 * even inside PCI's 0xcf8-0xcff; only another overlay conflicts.
 */
static bool reset_taken(const struct bus *pio)
{
	int i;

	for (i = 0; i < pio->nr_overlays; i++)
		if (pio->overlays[i].base <= ACPI_PM_RESET_PORT &&
		    ACPI_PM_RESET_PORT - pio->overlays[i].base <
			    pio->overlays[i].len)
			return true;
	return false;
}

int acpi_pm_register(const struct device_env *env)
{
	struct acpi_pm *pm;
	int ret;

	if (!env || !env->pio)
		return -EINVAL;
	/*
	 * Three ranges, and the bus cannot unregister one: check them all
	 * first so that a conflict leaves the bus as it was.
	 */
	if (port_taken(env->pio, ACPI_PM_SLEEP_CTL_PORT, SLEEP_NR_PORTS) ||
	    port_taken(env->pio, ACPI_PM1A_EVT_PORT, PM1_NR_PORTS) ||
	    reset_taken(env->pio))
		return -EEXIST;
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	pthread_mutex_init(&pm->lock, NULL);
	pm->ctl = env->ctl;
	pm->irq = env->irq;
	ret = bus_register(env->pio, ACPI_PM_SLEEP_CTL_PORT, SLEEP_NR_PORTS,
			   &sleep_ops, pm, "acpi-pm sleep");
	if (ret < 0) {
		pm_release(pm);
		return ret;
	}
	/* From here on the bus owns pm (bus_release frees it). */
	ret = bus_register(env->pio, ACPI_PM1A_EVT_PORT, PM1_NR_PORTS, &pm1_ops,
			   pm, "acpi-pm pm1a");
	if (ret < 0)
		return ret;
	return bus_register_overlay(env->pio, ACPI_PM_RESET_PORT, 1, &reset_ops,
				    pm, "acpi-pm reset");
}

const struct device_desc acpi_pm_device = {
	"ACPI PM (0x600-0x601, 0x604-0x609, 0xcf9)", acpi_pm_register
};
