// SPDX-License-Identifier: GPL-2.0
/*
 * Registers the PC's fixed devices (COM1 included) from one table. Every device is
 * tried even after one fails, so a single error message names all of the
 * failures at once.
 */
#include <stdio.h>
#include <string.h>

#include "devices/legacy.h"

/* Each row lives next to its device; this is the list. */
extern const struct device_desc com1_device, rtc_device, port92_device,
	i8042_device, debug_exit_device, fw_cfg_device, post_port_device,
	acpi_pm_device, test_slow_device, pvpanic_device;

static const struct device_desc *const legacy_devices[] = {
	&com1_device,	   &rtc_device,	       &port92_device,
	&i8042_device,	   &debug_exit_device, &fw_cfg_device,
	&post_port_device, &acpi_pm_device,    &test_slow_device,
	&pvpanic_device,
};

#define NR_LEGACY_DEVICES (sizeof(legacy_devices) / sizeof(legacy_devices[0]))

int legacy_devices_register(const struct device_env *env, struct errmsg *err)
{
	char failed[sizeof(err->text)];
	size_t used = 0;
	int first_error = 0;
	size_t i;

	failed[0] = '\0';
	for (i = 0; i < NR_LEGACY_DEVICES; i++) {
		int ret = legacy_devices[i]->register_fn(env);
		int n;

		if (ret >= 0)
			continue;
		if (!first_error)
			first_error = ret;
		n = snprintf(failed + used, sizeof(failed) - used, "%s%s: %s",
			     used ? "; " : "", legacy_devices[i]->name,
			     strerror(-ret));
		/* On truncation the message just ends early. */
		if (n > 0)
			used += (size_t)n < sizeof(failed) - used ?
					(size_t)n :
					sizeof(failed) - used - 1;
	}
	if (first_error)
		return errmsg_set(err, -first_error,
				  "cannot register legacy devices: %s", failed);
	return 0;
}
