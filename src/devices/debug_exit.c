// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's isa-debug-exit device at 0xf4 (4 ports wide): a guest write of v
 * ends the VM with exit status (v << 1) | 1, so test guests can report
 * pass/fail through the process exit status. Odd statuses belong to this
 * device alone (see exit_status.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/legacy.h"
#include "vmm/exit_status.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_NR_PORTS 4

struct debug_exit {
	struct vm_control ctl;
};

static void debug_exit_read(void *opaque, uint64_t offset, uint8_t *data,
			    uint32_t len)
{
	/* Write-only, so read like an empty slot. */
	memset(data, 0xff, len);
}

static void debug_exit_write(void *opaque, uint64_t offset, const uint8_t *data,
			     uint32_t len)
{
	struct debug_exit *d = opaque;
	char why[64];
	uint32_t v = 0;
	uint32_t i;

	if (offset != 0 || (len != 1 && len != 2 && len != 4)) {
		device_log_guest(
			"debug-exit: ignored %u-byte write at port 0x%llx", len,
			(unsigned long long)(DEBUG_EXIT_PORT + offset));
		return;
	}
	for (i = 0; i < len; i++)
		v |= (uint32_t)data[i] << (8 * i);
	snprintf(why, sizeof(why),
		 "guest wrote 0x%x to the debug-exit port 0xf4", v);
	if (d->ctl.request_end)
		d->ctl.request_end(d->ctl.opaque, KS_STATUS_DEBUG_EXIT(v), why);
}

static const struct bus_ops debug_exit_ops = {
	.read = debug_exit_read,
	.write = debug_exit_write,
	.release = free,
};

int debug_exit_register(const struct device_env *env)
{
	struct debug_exit *d;
	int ret;

	if (!env || !env->pio)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ctl = env->ctl;
	/* From here on the bus owns d (bus_release frees it). */
	ret = bus_register(env->pio, DEBUG_EXIT_PORT, DEBUG_EXIT_NR_PORTS,
			   &debug_exit_ops, d, "debug-exit");
	if (ret < 0)
		free(d);
	return ret;
}

const struct device_desc debug_exit_device = { "debug-exit (0xf4-0xf7)", debug_exit_register };
