/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The modern virtio-pci transport's per-device state, shared by its two
 * halves: virtio_pci.c (the PCI function, its capabilities and the
 * registers vCPUs access) and virtio_pci_thread.c (the device's I/O
 * thread, interrupts, pause/resume). Nothing outside those files uses it.
 *
 * Locking: lock (a mutex) serialises vCPU accesses to the registers and
 * device config. The I/O thread never takes it: what it reads of the
 * register state (MSI-X vectors, features) is only written while the
 * device is stopped, and what it writes (status bit DEVICE_NEEDS_RESET,
 * ISR, config generation) is atomic. io_lock/io_cond carry requests to
 * the I/O thread (start, stop, reset, quit) and their completion.
 */
#ifndef KVMSCOPE_DEVICES_VIRTIO_PCI_STATE_H
#define KVMSCOPE_DEVICES_VIRTIO_PCI_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio.h"
#include "util/le.h"

#define VIRTIO_MSI_NO_VECTOR 0xffff
#define VIRTIO_MAX_WATCHES 8

/*
 * BAR 0 (64-bit memory), one page per region so each is its own access
 * window; MSI-X table and PBA are served by the bridge.
 */
#define VPCI_BAR 0
#define VPCI_COMMON_OFF 0x0000
#define VPCI_COMMON_SIZE 0x38 /* struct virtio_pci_common_cfg, 1.2 4.1.4.3 */
#define VPCI_ISR_OFF 0x1000
#define VPCI_DEVICE_OFF 0x2000
#define VPCI_DEVICE_MAX 0x1000
#define VPCI_NOTIFY_OFF 0x3000
#define VPCI_NOTIFY_MULT 4 /* bytes between queues' notify addresses */
#define VPCI_MSIX_TABLE_OFF 0x4000
#define VPCI_MSIX_PBA_OFF 0x5000
#define VPCI_BAR_SIZE 0x8000
#define VPCI_PAGE 0x1000

struct virtio_queue_cfg {
	uint16_t size; /* driver's choice, <= ops->queue_max_size */
	uint16_t msix_vector; /* read by the I/O thread (atomic) */
	uint16_t enable;
	uint64_t desc, driver, device; /* desc table, avail ring, used ring */
};

struct virtio_watch {
	int fd;
	uint32_t events;
	void (*cb)(void *dev, int fd, uint32_t events);
	bool in_epoll;
};

struct virtio_device {
	const struct virtio_device_ops *ops;
	void *dev;
	struct pci_device *pci;
	struct device_env env;
	unsigned int nr_vectors; /* MSI-X: config + one per queue */

	/* Registers (vCPU threads, under lock). */
	pthread_mutex_t lock;
	uint32_t device_feature_select, driver_feature_select;
	uint64_t offered; /* device features + the transport's */
	uint64_t driver_features; /* what the driver wrote */
	uint64_t features; /* negotiated: valid from FEATURES_OK */
	uint16_t config_vector; /* atomic for the I/O thread */
	uint16_t queue_select;
	uint8_t status; /* atomic: the I/O thread sets NEEDS_RESET */
	uint8_t config_generation; /* atomic */
	uint8_t isr; /* atomic: bit 0 queue, bit 1 config */
	uint8_t pci_cfg_cap; /* config offset of the PCI_CFG capability */
	uint8_t pci_cfg_mirror[20]; /* its bytes as the driver wrote them */
	struct virtio_queue_cfg qcfg[VIRTIO_MAX_QUEUES];
	struct virtqueue vqs[VIRTIO_MAX_QUEUES];
	int kick_fd[VIRTIO_MAX_QUEUES];

	/* The I/O thread and its requests (io_lock). */
	pthread_t thread;
	bool thread_started;
	int epfd;
	int ctl_fd; /* eventfd: a request is waiting */
	pthread_mutex_t io_lock;
	pthread_cond_t io_cond;
	uint64_t req_seq, done_seq;
	bool driver_ok; /* queues set up, the driver wants the device */
	bool vm_running;
	bool reset_req; /* stop with reset = true */
	bool quit;
	/* I/O thread only. */
	bool started; /* ops->start succeeded, no stop since */
	bool dirty; /* started since the last reset */
	bool broken; /* atomic, any thread: kicks are ignored until reset */
	struct virtio_watch watches[VIRTIO_MAX_WATCHES];
	unsigned int nr_watches; /* under io_lock */
};

/* virtio_pci_regs.c */
void virtio_bar_access(struct virtio_device *vdev, uint64_t off, uint8_t *data,
		       const uint8_t *wdata, uint32_t len);
/* Status 0 or a machine reset: the device as created (under lock). */
void virtio_device_reset(struct virtio_device *vdev);
void virtio_queue_cfg_defaults(struct virtio_device *vdev);

/* virtio_pci_thread.c */
int virtio_io_thread_start(struct virtio_device *vdev, struct errmsg *err);
/* Apply driver_ok/vm_running/reset_req on the I/O thread and wait. */
void virtio_io_sync(struct virtio_device *vdev);
void virtio_io_thread_stop(struct virtio_device *vdev);
void virtio_run_listener(void *opaque, bool running);
void virtio_raise_config(struct virtio_device *vdev);

#endif
