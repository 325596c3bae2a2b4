/* SPDX-License-Identifier: GPL-2.0 */
/* The table of devices the command line adds (device_options.c). */
#ifndef KVMSCOPE_DEVICES_DEVICE_OPTIONS_H
#define KVMSCOPE_DEVICES_DEVICE_OPTIONS_H

#include <stddef.h>

#include "devices/devices.h"

/* The row for kind ("virtio-blk"), NULL when there is none. */
const struct device_option *device_option_find(const char *kind);
/* "pci-testdev, virtio-rng, ..." into buf; returns its length. */
size_t device_option_names(char *buf, size_t size);
/* Add each spec through its row, in order; the first error stops. */
int device_options_add(const struct device_env *env, struct pci_host *host,
		       const struct device_spec *specs, int nr,
		       struct errmsg *err);

#endif
