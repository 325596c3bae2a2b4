// SPDX-License-Identifier: GPL-2.0
/*
 * Registers the PC's small fixed devices from one table. Every device is
 * tried even after one fails, so a single error message names all of the
 * failures at once.
 */
#include <stdio.h>
#include <string.h>

#include "devices/legacy.h"

static const struct {
	const char *name;
	int (*register_fn)(const struct device_env *env);
} legacy_devices[] = {
	{ "rtc (0x70-0x71)", rtc_register },
	{ "port 0x92", port92_register },
	{ "i8042 (0x60, 0x64)", i8042_register },
	{ "debug-exit (0xf4-0xf7)", debug_exit_register },
	{ "fw_cfg (0x510-0x511)", fw_cfg_register },
	{ "POST port (0x80)", post_port_register },
	{ "ACPI PM (0x600-0x601, 0xcf9)", acpi_pm_register },
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
		int ret = legacy_devices[i].register_fn(env);
		int n;

		if (ret >= 0)
			continue;
		if (!first_error)
			first_error = ret;
		n = snprintf(failed + used, sizeof(failed) - used, "%s%s: %s",
			     used ? "; " : "", legacy_devices[i].name,
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
