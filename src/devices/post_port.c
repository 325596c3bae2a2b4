// SPDX-License-Identifier: GPL-2.0
/*
 * POST diagnostic port 0x80. Firmware writes progress codes here, and
 * Linux writes to it as a short I/O delay (outb_p), sometimes thousands of
 * times during boot, so writes are dropped without logging. Claiming the
 * port keeps those writes out of the unclaimed-access log and counters.
 * Reads return all-ones, as from an empty ISA slot.
 */
#include <errno.h>
#include <string.h>

#include "devices/legacy.h"

#define POST_PORT 0x80

static void post_read(void *opaque, uint64_t offset, uint8_t *data,
		      uint32_t len)
{
	memset(data, 0xff, len);
}

static void post_write(void *opaque, uint64_t offset, const uint8_t *data,
		       uint32_t len)
{
}

static const struct bus_ops post_ops = {
	.read = post_read,
	.write = post_write,
};

int post_port_register(const struct device_env *env)
{
	if (!env || !env->pio)
		return -EINVAL;
	return bus_register(env->pio, POST_PORT, 1, &post_ops, NULL, "post");
}

const struct device_desc post_port_device = { "POST port (0x80)", post_port_register };
