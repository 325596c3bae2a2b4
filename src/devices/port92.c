// SPDX-License-Identifier: GPL-2.0
/*
 * System control port A (0x92), the PS/2-era "fast A20 and reset" port.
 * Bit 1 gates address line 20; bit 0 going from 0 to 1 resets the machine.
 *
 * KVM guest memory never wraps at 1 MiB, so the A20 bit is only stored and
 * read back; guests that check for a wrap will find A20 enabled whatever
 * they write, which is what every guest since the 1990s wants anyway.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "devices/legacy.h"
#include "vmm/exit_status.h"

#define PORT92 0x92
#define PORT92_RESET 0x01
#define PORT92_A20 0x02

struct port92 {
	struct vm_control ctl;
	uint8_t value; /* accessed with __atomic builtins */
};

static void port92_read(void *opaque, uint64_t offset, uint8_t *data,
			uint32_t len)
{
	struct port92 *p = opaque;

	data[0] = __atomic_load_n(&p->value, __ATOMIC_RELAXED);
}

static void port92_write(void *opaque, uint64_t offset, const uint8_t *data,
			 uint32_t len)
{
	struct port92 *p = opaque;
	uint8_t old = __atomic_exchange_n(&p->value, data[0], __ATOMIC_RELAXED);

	if (!(data[0] & PORT92_A20) && (old & PORT92_A20))
		device_log_guest(
			"port 0x92: guest disabled A20; not emulated, memory stays linear");
	if ((data[0] & PORT92_RESET) && !(old & PORT92_RESET) &&
	    p->ctl.request_end)
		p->ctl.request_end(
			p->ctl.opaque, KS_STATUS_RESET,
			"guest reset through port 0x92 (fast reset)");
}

static const struct bus_ops port92_ops = {
	.read = port92_read,
	.write = port92_write,
	.release = free,
};

int port92_register(const struct device_env *env)
{
	struct port92 *p;
	int ret;

	if (!env || !env->pio)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ctl = env->ctl;
	p->value = PORT92_A20;
	/* From here on the bus owns p (bus_release frees it). */
	ret = bus_register(env->pio, PORT92, 1, &port92_ops, p, "port92");
	if (ret < 0)
		free(p);
	return ret;
}

const struct device_desc port92_device = { "port 0x92", port92_register };
