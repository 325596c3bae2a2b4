/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-rng: entropy for the guest from getrandom(2) (--rng). */
#ifndef KVMSCOPE_DEVICES_VIRTIO_RNG_H
#define KVMSCOPE_DEVICES_VIRTIO_RNG_H

#include "devices/devices.h"

/* The "virtio-rng" row's add: spec must be "" (--rng takes no value). */
int virtio_rng_add(const struct device_env *env, struct pci_host *host,
		   const char *spec, struct errmsg *err);

extern const struct device_option virtio_rng_option;

#endif
