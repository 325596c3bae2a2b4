/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-net over TAP (virtio_net.c). */
#ifndef KVMSCOPE_DEVICES_VIRTIO_NET_H
#define KVMSCOPE_DEVICES_VIRTIO_NET_H

#include "devices/devices.h"

int virtio_net_add(const struct device_env *env, struct pci_host *host,
		   const char *spec, struct errmsg *err);
extern const struct device_option virtio_net_option;

#endif
