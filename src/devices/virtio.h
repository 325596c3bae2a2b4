/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtio 1.x device as its transport sees it. The transport
 * (devices/virtio_pci.c: the modern PCI transport, common/notify/ISR/
 * device-config capabilities, MSI-X or INTx) owns status, feature
 * negotiation, queue configuration, reset and the device's I/O thread;
 * a device model (virtio_blk.c, virtio_net.c, virtio_rng.c) supplies a
 * struct virtio_device_ops and processes its queues on that thread.
 *
 * Threads: the I/O thread (one per device, created by the transport)
 * runs start, queue_notify, the fds the device watches, and stop. The
 * transport calls stop before a reset or when the VM stops (run
 * listener), and start again after DRIVER_OK or on resume, so a device
 * never touches guest memory while the VM is paused for inspection.
 * config_read/config_write run on vCPU threads under the transport's lock.
 */
#ifndef KVMSCOPE_DEVICES_VIRTIO_H
#define KVMSCOPE_DEVICES_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/devices.h"
#include "devices/pci.h"
#include "devices/virtqueue.h"
#include "util/errmsg.h"

/* Device IDs (virtio 1.2, 5). The PCI device ID is 0x1040 + this. */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG 4

/* Feature bits the transport handles itself (virtio 1.2, 6). */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_MAX_QUEUES 16

struct virtio_device; /* the transport's per-device state */

struct virtio_device_ops {
	const char *name; /* "virtio-blk": query-pci, log lines */
	uint16_t device_id; /* VIRTIO_ID_* */
	unsigned int nr_queues;
	uint16_t queue_max_size;
	/* Device-specific feature bits offered (the transport adds its own). */
	uint64_t features;
	/* Size of the device-specific configuration structure. */
	uint32_t config_size;
	/* off + len <= config_size, len 1, 2, 4 or 8 (little-endian). */
	void (*config_read)(void *dev, uint32_t off, uint8_t *data,
			    uint32_t len);
	void (*config_write)(void *dev, uint32_t off, const uint8_t *data,
			     uint32_t len);
	/*
	 * I/O thread: the driver set DRIVER_OK (or the VM resumed) with
	 * these features; the queues are set up. -errno marks the device
	 * DEVICE_NEEDS_RESET. After it returns 0 the transport calls
	 * queue_notify once for each enabled queue (a kick may have come
	 * while the device was stopped).
	 */
	int (*start)(void *dev, uint64_t features);
	/* I/O thread: queue q was kicked (or start asks for a poll). */
	void (*queue_notify)(void *dev, unsigned int q);
	/*
	 * I/O thread: stop touching guest memory (VM pause, device reset).
	 * In-flight requests are completed or kept for a later start.
	 * reset true: the driver reset the device; forget everything.
	 */
	void (*stop)(void *dev, bool reset);
	/* Main thread, at teardown: free dev. */
	void (*destroy)(void *dev);
};

/*
 * Create a device on the PCI bus with its own I/O thread. Before the
 * vCPUs run. On success the transport owns dev (ops->destroy frees it);
 * on failure the caller still does.
 */
int virtio_pci_add(struct pci_host *host, const struct device_env *env,
		   const struct virtio_device_ops *ops, void *dev,
		   struct virtio_device **out, struct errmsg *err);

/* A device's queue q (valid from start to stop). */
struct virtqueue *virtio_queue(struct virtio_device *vdev, unsigned int q);

/*
 * After pushing used buffers on queue q: interrupt the driver if the
 * queue wants it (MSI-X vector through its eventfd, else ISR + INTx).
 */
void virtio_notify(struct virtio_device *vdev, unsigned int q);

/* The device-specific config changed (ISR bit 1, config vector). */
void virtio_config_changed(struct virtio_device *vdev);

/* The device cannot go on: DEVICE_NEEDS_RESET, a log line with why. */
void virtio_device_broken(struct virtio_device *vdev, const char *why);

/*
 * Watch fd on the device's I/O thread (an io_uring or tap fd): cb runs
 * there on each event. Before or after start; 0 or -errno.
 */
int virtio_watch_fd(struct virtio_device *vdev, int fd, uint32_t events,
		    void (*cb)(void *dev, int fd, uint32_t events));

#endif
