// SPDX-License-Identifier: GPL-2.0
/*
 * The devices the command line can add (vmm/config.h's device_spec):
 * one row each, defined next to its device; this is the list.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/device_options.h"
#include "devices/virtio_rng.h"

extern const struct device_option pci_testdev_option;

static const struct device_option *const device_options[] = {
	&pci_testdev_option,
	&virtio_rng_option,
	NULL, /* the end; keeps the array non-empty */
};

const struct device_option *device_option_find(const char *kind)
{
	size_t i;

	for (i = 0; device_options[i]; i++)
		if (!strcmp(device_options[i]->kind, kind))
			return device_options[i];
	return NULL;
}

size_t device_option_names(char *buf, size_t size)
{
	size_t i, used = 0;

	if (size)
		buf[0] = '\0';
	for (i = 0; device_options[i] && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
				 device_options[i]->kind);

		if (n < 0)
			break;
		used += (size_t)n < size - used ? (size_t)n : size - used - 1;
	}
	return used;
}

int device_options_add(const struct device_env *env, struct pci_host *host,
		       const struct device_spec *specs, int nr,
		       struct errmsg *err)
{
	char names[256];
	int i, r;

	for (i = 0; i < nr; i++) {
		const struct device_option *o =
			device_option_find(specs[i].kind);

		if (!o) {
			device_option_names(names, sizeof(names));
			return errmsg_set(
				err, EINVAL,
				"unknown device '%s': the devices are %s",
				specs[i].kind,
				names[0] ? names : "(none built in)");
		}
		r = o->add(env, host, specs[i].spec ? specs[i].spec : "", err);
		if (r)
			return r;
	}
	return 0;
}
