// SPDX-License-Identifier: GPL-2.0
/*
 * The power-management registers of a hardware-reduced ACPI platform, at
 * the ports the FADT names (arch/x86/acpi.h):
 *
 *  - sleep control (0x600): writing SLP_EN with the SLP_TYP of the DSDT's
 *    \_S5_ powers the machine off; with that of \_S3_ the VM suspends to
 *    RAM (vmm/sleep.c parks the vCPUs; a wake restarts them at the FACS
 *    waking vector and sets WAK_STS). S1, S2 and S4 are not emulated: the
 *    request is ignored and WAK_STS is set at once, so a guest that tried
 *    sees an immediate wake-up instead of hanging in its wait loop.
 *  - sleep status (0x601): WAK_STS (bit 7), cleared by writing 1 to it.
 *  - reset (0xcf9): writing a value with RST_CPU (bit 2) set resets the
 *    machine. FADT RESET_VALUE is 0x06; 0xcf9 is also the chipset's reset
 *    control register, so Linux's reboot=pci and other non-ACPI guests use
 *    the same path. SYS_RST and FULL_RST read back as written, since
 *    Linux reads the register before it writes it.
 *
 * Every access is per byte, so a 2-byte access to 0x600 reaches both
 * registers, each with its own byte.
 *
 * Why S3 lives in these hardware-reduced registers and not in PM1 blocks
 * (read in Linux 6.1 and its ACPICA). On a HW_REDUCED_ACPI FADT,
 * acpi_enter_sleep_state (hwxfsleep.c) takes acpi_hw_extended_sleep
 * (hwesleep.c): clear WAK_STS in the sleep status register, write
 * SLP_TYP << 2 | SLP_EN to the sleep control register, poll WAK_STS.
 * That is PM1 control's SLP_TYP/SLP_EN for such a platform, and
 * acpi_sleep_state_supported (drivers/acpi/sleep.c) offers S3 once \_S3_
 * and both registers exist. x86_acpi_suspend_lowlevel
 * (arch/x86/kernel/acpi/sleep.c) calls it after acpi_sleep_prepare put
 * the real-mode wakeup code's address in the FACS through
 * acpi_set_firmware_waking_vector. But that ACPICA never maps a FACS on
 * a hardware-reduced platform (acpi_tb_parse_fadt and
 * acpi_tb_initialize_facs: "If Hardware Reduced flag is set, there is no
 * FACS", acpi_gbl_FACS = NULL), so the vector stays 0, and with a 0
 * vector firmware reboots instead of resuming (SeaBIOS's s3_resume), as
 * vmm/sleep.c does. Linux would resume only from a full FADT (PM1a event
 * and control blocks, SCI), which changes how it boots (legacy PIC, PIT
 * tick); guests that read the FACS themselves resume here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi.h"
#include "devices/legacy.h"
#include "vmm/exit_status.h"

#define SLEEP_NR_PORTS 2 /* one range: control, then status */
#define SLEEP_CTL_OFFSET 0
#define SLEEP_STS_OFFSET 1
#define RESET_KEPT_BITS (ACPI_RESET_SYS_RST | ACPI_RESET_FULL_RST)

_Static_assert(ACPI_PM_SLEEP_STS_PORT == ACPI_PM_SLEEP_CTL_PORT + 1,
	       "the sleep status register must follow the control register");

/* Fields are accessed with __atomic builtins: vCPUs run concurrently. */
struct acpi_pm {
	struct vm_control ctl;
	uint8_t wak_sts;
	uint8_t reset_ctl;
	bool warned_sleep;
};

static void end_vm(struct acpi_pm *pm, int status, const char *why)
{
	if (pm->ctl.request_end)
		pm->ctl.request_end(pm->ctl.opaque, status, why);
}

/* Main thread, the VM woke from S3: the guest's wait loop may end. */
static void pm_woken(void *dev)
{
	struct acpi_pm *pm = dev;

	__atomic_store_n(&pm->wak_sts, ACPI_WAK_STS, __ATOMIC_RELAXED);
}

static void sleep_ctl_write(struct acpi_pm *pm, uint8_t v)
{
	unsigned int typ = (v & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT;

	if (!(v & ACPI_SLP_EN)) {
		device_log_guest(
			"ACPI PM: sleep control write 0x%02x without SLP_EN ignored",
			v);
		return;
	}
	if (typ == ACPI_S5_SLP_TYP) {
		end_vm(pm, KS_STATUS_POWEROFF, "guest powered off (ACPI S5)");
		return;
	}
	if (typ == ACPI_S3_SLP_TYP && pm->ctl.request_suspend) {
		/* WAK_STS is set again by the wake (pm_woken). */
		__atomic_store_n(&pm->wak_sts, 0, __ATOMIC_RELAXED);
		pm->ctl.request_suspend(pm->ctl.opaque, pm_woken, pm);
		return;
	}
	if (!__atomic_exchange_n(&pm->warned_sleep, true, __ATOMIC_RELAXED))
		log_warn(
			"guest asked for ACPI sleep type %u; only S3 (type %u) and power-off (type %u) are emulated, ignored",
			typ, ACPI_S3_SLP_TYP, ACPI_S5_SLP_TYP);
	/* Sleeping and waking at once: the guest stops waiting. */
	__atomic_store_n(&pm->wak_sts, ACPI_WAK_STS, __ATOMIC_RELAXED);
}

static void sleep_read(void *opaque, uint64_t offset, uint8_t *data,
		       uint32_t len)
{
	struct acpi_pm *pm = opaque;
	uint32_t i;

	for (i = 0; i < len; i++) {
		uint64_t reg = offset + i;

		if (reg == SLEEP_STS_OFFSET)
			data[i] =
				__atomic_load_n(&pm->wak_sts, __ATOMIC_RELAXED);
		else if (reg == SLEEP_CTL_OFFSET)
			data[i] = 0; /* SLP_EN is write-only */
		else
			data[i] = 0xff; /* not ours; the bus keeps us out */
	}
}

static void sleep_write(void *opaque, uint64_t offset, const uint8_t *data,
			uint32_t len)
{
	struct acpi_pm *pm = opaque;
	uint32_t i;

	for (i = 0; i < len; i++) {
		uint64_t reg = offset + i;

		if (reg == SLEEP_CTL_OFFSET)
			sleep_ctl_write(pm, data[i]);
		else if (reg == SLEEP_STS_OFFSET && (data[i] & ACPI_WAK_STS))
			__atomic_store_n(&pm->wak_sts, 0, __ATOMIC_RELAXED);
	}
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
		end_vm(pm, KS_STATUS_RESET,
		       "guest reset through ACPI reset register (0xcf9)");
		return;
	}
	__atomic_store_n(&pm->reset_ctl, data[0] & RESET_KEPT_BITS,
			 __ATOMIC_RELAXED);
}

/* This range owns the device state and frees it. */
static const struct bus_ops sleep_ops = {
	.read = sleep_read,
	.write = sleep_write,
	.release = free,
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

int acpi_pm_register(const struct device_env *env)
{
	struct acpi_pm *pm;
	int ret;

	if (!env || !env->pio)
		return -EINVAL;
	/*
	 * Two ranges, and the bus cannot unregister one: check both first
	 * so that a conflict leaves the bus as it was.
	 */
	if (port_taken(env->pio, ACPI_PM_SLEEP_CTL_PORT, SLEEP_NR_PORTS) ||
	    port_taken(env->pio, ACPI_PM_RESET_PORT, 1))
		return -EEXIST;
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	pm->ctl = env->ctl;
	ret = bus_register(env->pio, ACPI_PM_SLEEP_CTL_PORT, SLEEP_NR_PORTS,
			   &sleep_ops, pm, "acpi-pm sleep");
	if (ret < 0) {
		free(pm);
		return ret;
	}
	/* From here on the bus owns pm (bus_release frees it). */
	return bus_register(env->pio, ACPI_PM_RESET_PORT, 1, &reset_ops, pm,
			    "acpi-pm reset");
}

const struct device_desc acpi_pm_device = { "ACPI PM (0x600-0x601, 0xcf9)", acpi_pm_register };
