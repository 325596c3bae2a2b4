// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's ISA pvpanic device at port 0x505 (docs/specs/pvpanic.rst in
 * QEMU), which Linux's pvpanic driver finds as ACPI device QEMU0001 in the
 * DSDT. A read returns the events the device supports; the guest writes
 * the event it is going through:
 *
 *   bit 0  PANICKED      the guest kernel panicked: a fatal end (status
 *                        KS_STATUS_GUEST_PANIC), kept for inspection under
 *                        --on-fatal pause like any other death
 *   bit 1  CRASH_LOADED  the guest loaded a crash kernel and will kexec
 *                        into it: logged, the guest runs on (QEMU emits
 *                        GUEST_CRASHLOADED and does the same)
 *
 * Other bits are reserved (QEMU 9's SHUTDOWN bit is not offered) and
 * ignored with a debug line, as is any access wider than a byte.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi.h"
#include "devices/legacy.h"
#include "vmm/exit_status.h"

#define PVPANIC_PANICKED (1u << 0)
#define PVPANIC_CRASH_LOADED (1u << 1)
#define PVPANIC_EVENTS (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

struct pvpanic {
	struct vm_control ctl;
};

static void pvpanic_read(void *opaque, uint64_t offset, uint8_t *data,
			 uint32_t len)
{
	memset(data, 0, len);
	data[0] = PVPANIC_EVENTS;
}

static void pvpanic_write(void *opaque, uint64_t offset, const uint8_t *data,
			  uint32_t len)
{
	struct pvpanic *p = opaque;
	uint8_t v = data[0];

	if (len != 1) {
		device_log_guest("pvpanic: ignored %u-byte write", len);
		return;
	}
	if (v & ~PVPANIC_EVENTS)
		device_log_guest("pvpanic: ignored reserved event bits 0x%x",
				 v & ~PVPANIC_EVENTS);
	if (v & PVPANIC_PANICKED) {
		if (p->ctl.request_end)
			p->ctl.request_end(
				p->ctl.opaque, KS_STATUS_GUEST_PANIC,
				"the guest kernel panicked (pvpanic event PANICKED at port 0x505)");
		return;
	}
	if (v & PVPANIC_CRASH_LOADED)
		log_warn(
			"the guest kernel panicked and is starting its crash kernel (pvpanic event CRASH_LOADED)");
}

static const struct bus_ops pvpanic_ops = {
	.read = pvpanic_read,
	.write = pvpanic_write,
	.release = free,
};

int pvpanic_register(const struct device_env *env)
{
	struct pvpanic *p;
	int ret;

	if (!env || !env->pio)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ctl = env->ctl;
	/* From here on the bus owns p (bus_release frees it). */
	ret = bus_register(env->pio, ACPI_PVPANIC_PORT, 1, &pvpanic_ops, p,
			   "pvpanic");
	if (ret < 0)
		free(p);
	return ret;
}

const struct device_desc pvpanic_device = { "pvpanic (0x505)",
					    pvpanic_register };
