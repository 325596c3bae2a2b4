// SPDX-License-Identifier: GPL-2.0
/*
 * The modern virtio-pci transport (virtio 1.2, 4.1), no legacy interface:
 * PCI function 1af4:(0x1040 + device ID), revision 1, with one 64-bit
 * memory BAR (layout in virtio_pci_state.h) holding the common
 * configuration, ISR, device configuration and notify areas and the
 * MSI-X table and PBA, each described by a vendor capability; plus the
 * PCI_CFG capability, a window onto the BAR through config space. This
 * file builds the function; virtio_pci_regs.c serves its registers and
 * virtio_pci_thread.c runs the device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio_pci_state.h"

#define PCI_VENDOR_REDHAT 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040

/* Capability types (4.1.4). */
#define CAP_COMMON_CFG 1
#define CAP_NOTIFY_CFG 2
#define CAP_ISR_CFG 3
#define CAP_DEVICE_CFG 4
#define CAP_PCI_CFG 5
#define PCI_CAP_ID_VNDR 0x09
#define CAP_LEN 16
#define NOTIFY_CAP_LEN 20
#define PCI_CFG_CAP_LEN 20

static void bar_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	virtio_bar_access(opaque, off, data, NULL, len);
}

static void bar_write(void *opaque, uint64_t off, const uint8_t *data,
		      uint32_t len)
{
	virtio_bar_access(opaque, off, NULL, data, len);
}

static void virtio_pci_free(struct virtio_device *vdev)
{
	unsigned int q;

	virtio_io_thread_stop(vdev);
	if (vdev->dev && vdev->ops->destroy)
		vdev->ops->destroy(vdev->dev);
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (vdev->kick_fd[q] >= 0)
			close(vdev->kick_fd[q]);
	}
	if (vdev->epfd >= 0)
		close(vdev->epfd);
	if (vdev->ctl_fd >= 0)
		close(vdev->ctl_fd);
	pthread_mutex_destroy(&vdev->lock);
	pthread_mutex_destroy(&vdev->io_lock);
	pthread_cond_destroy(&vdev->io_cond);
	free(vdev);
}

/* The bus releases the BAR at teardown: the device goes with it. */
static void bar_release(void *opaque)
{
	virtio_pci_free(opaque);
}

static const struct bus_ops virtio_bar_ops = {
	.read = bar_read,
	.write = bar_write,
	.release = bar_release,
};

/*
 * The PCI_CFG capability (4.1.4.9): the driver writes bar, offset and
 * length, then reads or writes pci_cfg_data to access the BAR there. The
 * bridge keeps the capability's bytes (and stores the driver's writes);
 * we mirror them from cfg_write since only the data field needs us.
 */
static bool window_target(struct virtio_device *vdev, uint64_t *off,
			  uint32_t *len)
{
	const uint8_t *c = vdev->pci_cfg_mirror;

	*off = le_get(c + 8, 4);
	*len = (uint32_t)le_get(c + 12, 4);
	if (c[4] != VPCI_BAR || (*len != 1 && *len != 2 && *len != 4) ||
	    (*off & (*len - 1)) || *off + *len > VPCI_BAR_SIZE) {
		device_log_guest(
			"%s: PCI_CFG window bar %u offset 0x%llx length %u: ignored",
			vdev->ops->name, c[4], (unsigned long long)*off, *len);
		return false;
	}
	return true;
}

static void pci_cfg_window(struct virtio_device *vdev, uint32_t off,
			   uint8_t *data, const uint8_t *wdata, uint32_t len)
{
	uint32_t cap = vdev->pci_cfg_cap, i, wlen;
	uint8_t buf[4] = { 0 };
	uint64_t woff;
	bool hits_data = false;

	if (!cap || off + len <= cap || off >= cap + PCI_CFG_CAP_LEN)
		return;
	for (i = 0; i < len; i++) {
		uint32_t o = off + i - cap;

		if (o >= PCI_CFG_CAP_LEN)
			continue;
		if (wdata && o >= 2)
			vdev->pci_cfg_mirror[o] = wdata[i];
		hits_data |= o >= PCI_CFG_CAP_LEN - 4;
	}
	if (!hits_data || !window_target(vdev, &woff, &wlen))
		return;
	if (wdata) {
		virtio_bar_access(vdev, woff, NULL,
				  vdev->pci_cfg_mirror + PCI_CFG_CAP_LEN - 4,
				  wlen);
		return;
	}
	virtio_bar_access(vdev, woff, buf, NULL, wlen);
	for (i = 0; i < len; i++) {
		uint32_t o = off + i - cap;

		if (o >= PCI_CFG_CAP_LEN - 4 && o < PCI_CFG_CAP_LEN)
			data[i] = buf[o - (PCI_CFG_CAP_LEN - 4)];
	}
}

static void machine_reset(void *opaque)
{
	struct virtio_device *vdev = opaque;

	pthread_mutex_lock(&vdev->lock);
	virtio_device_reset(vdev);
	pthread_mutex_unlock(&vdev->lock);
}

static uint32_t class_for(uint16_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET:
		return 0x020000; /* network, Ethernet */
	case VIRTIO_ID_BLOCK:
		return 0x010000; /* mass storage, SCSI (as QEMU) */
	default:
		return 0xff0000; /* unassigned class */
	}
}

static int add_cap(struct virtio_device *vdev, uint8_t type, uint64_t off,
		   uint32_t length, uint8_t *at, struct errmsg *err)
{
	uint8_t cap[NOTIFY_CAP_LEN] = { 0 };
	size_t len = CAP_LEN;
	uint8_t where;
	int r;

	cap[0] = PCI_CAP_ID_VNDR;
	cap[3] = type;
	cap[4] = type == CAP_PCI_CFG ? 0 : VPCI_BAR;
	le_put(cap + 8, type == CAP_PCI_CFG ? 0 : off, 4);
	le_put(cap + 12, type == CAP_PCI_CFG ? 0 : length, 4);
	if (type == CAP_NOTIFY_CFG) {
		le_put(cap + 16, VPCI_NOTIFY_MULT, 4);
		len = NOTIFY_CAP_LEN;
	} else if (type == CAP_PCI_CFG) {
		len = PCI_CFG_CAP_LEN; /* + pci_cfg_data */
	}
	cap[2] = (uint8_t)len;
	r = pci_device_add_capability(vdev->pci, cap, len, &where);
	if (r < 0)
		return errmsg_set(err, -r, "%s: no room for its capabilities",
				  vdev->ops->name);
	if (at)
		*at = where;
	if (type == CAP_PCI_CFG)
		memcpy(vdev->pci_cfg_mirror, cap, len);
	return 0;
}

static int add_caps(struct virtio_device *vdev, struct errmsg *err)
{
	int r;

	r = add_cap(vdev, CAP_COMMON_CFG, VPCI_COMMON_OFF, VPCI_COMMON_SIZE,
		    NULL, err);
	if (!r)
		r = add_cap(vdev, CAP_NOTIFY_CFG, VPCI_NOTIFY_OFF,
			    VPCI_NOTIFY_MULT * vdev->ops->nr_queues, NULL, err);
	if (!r)
		r = add_cap(vdev, CAP_ISR_CFG, VPCI_ISR_OFF, 1, NULL, err);
	/* Optional (4.1.4.6) for devices without config: rng. */
	if (!r && vdev->ops->config_size)
		r = add_cap(vdev, CAP_DEVICE_CFG, VPCI_DEVICE_OFF,
			    vdev->ops->config_size, NULL, err);
	if (!r)
		r = add_cap(vdev, CAP_PCI_CFG, 0, 0, &vdev->pci_cfg_cap, err);
	return r;
}

static void cfg_read(void *opaque, uint32_t off, uint8_t *data, uint32_t len)
{
	pci_cfg_window(opaque, off, data, NULL, len);
}

static void cfg_write(void *opaque, uint32_t off, const uint8_t *data,
		      uint32_t len)
{
	pci_cfg_window(opaque, off, NULL, data, len);
}

static const struct pci_device_ops virtio_pci_device_ops = {
	.cfg_read = cfg_read,
	.cfg_write = cfg_write,
	.reset = machine_reset,
};

static int check_ops(const struct virtio_device_ops *ops, struct errmsg *err)
{
	if (ops->nr_queues == 0 || ops->nr_queues > VIRTIO_MAX_QUEUES ||
	    ops->queue_max_size == 0 ||
	    ops->queue_max_size > VIRTQUEUE_MAX_SIZE ||
	    (ops->queue_max_size & (ops->queue_max_size - 1)) ||
	    ops->config_size > VPCI_DEVICE_MAX ||
	    (ops->config_size && (!ops->config_read || !ops->config_write)) ||
	    !ops->start || !ops->queue_notify || !ops->stop)
		return errmsg_set(err, EINVAL,
				  "%s: invalid virtio device description",
				  ops->name);
	return 0;
}

int virtio_pci_add(struct pci_host *host, const struct device_env *env,
		   const struct virtio_device_ops *ops, void *dev,
		   struct virtio_device **out, struct errmsg *err)
{
	struct pci_device_info info = { 0 };
	struct virtio_device *vdev;
	unsigned int q;
	int r;

	r = check_ops(ops, err);
	if (r)
		return r;
	vdev = calloc(1, sizeof(*vdev));
	if (!vdev)
		return errmsg_set(err, ENOMEM, "%s: out of memory", ops->name);
	vdev->ops = ops;
	vdev->env = *env;
	vdev->epfd = vdev->ctl_fd = -1;
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vdev->kick_fd[q] = -1;
	pthread_mutex_init(&vdev->lock, NULL);
	pthread_mutex_init(&vdev->io_lock, NULL);
	pthread_cond_init(&vdev->io_cond, NULL);
	vdev->vm_running = true;
	vdev->nr_vectors = ops->nr_queues + 1;
	vdev->offered = ops->features | 1ULL << VIRTIO_F_VERSION_1 |
			1ULL << VIRTIO_F_RING_INDIRECT_DESC |
			1ULL << VIRTIO_F_RING_EVENT_IDX;
	vdev->config_vector = VIRTIO_MSI_NO_VECTOR;
	virtio_queue_cfg_defaults(vdev);
	for (q = 0; q < ops->nr_queues; q++) {
		vdev->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vdev->kick_fd[q] < 0) {
			r = errmsg_set(err, errno, "%s: eventfd: %s", ops->name,
				       strerror(errno));
			goto fail;
		}
	}

	info.name = ops->name;
	info.vendor_id = PCI_VENDOR_REDHAT;
	info.device_id = VIRTIO_PCI_DEVICE_BASE + ops->device_id;
	info.subsystem_vendor_id = PCI_VENDOR_REDHAT;
	info.subsystem_id = VIRTIO_PCI_DEVICE_BASE + ops->device_id;
	info.revision = 1; /* 4.1.2.1: modern only */
	info.class_code = class_for(ops->device_id);
	info.has_intx = true;
	info.bars[VPCI_BAR].type = PCI_BAR_MEM64;
	info.bars[VPCI_BAR].size = VPCI_BAR_SIZE;
	info.bars[VPCI_BAR].ops = &virtio_bar_ops;
	info.bars[VPCI_BAR].opaque = vdev;
	info.msix_vectors = vdev->nr_vectors;
	info.msix_bar = VPCI_BAR;
	info.msix_table_offset = VPCI_MSIX_TABLE_OFF;
	info.msix_pba_offset = VPCI_MSIX_PBA_OFF;
	info.ops = &virtio_pci_device_ops;
	info.opaque = vdev;
	r = pci_device_add(host, &info, &vdev->pci, err);
	if (r)
		goto fail;
	/*
	 * From here the bus owns vdev (bar_release frees it with the host);
	 * dev is ours only on success, the caller keeps it on failure.
	 */
	vdev->dev = dev;
	r = add_caps(vdev, err);
	for (q = 0; !r && q < ops->nr_queues; q++) {
		/* 2-byte writes: what a driver writes (the queue index). */
		r = pci_bar_add_ioeventfd(vdev->pci, VPCI_BAR,
					  VPCI_NOTIFY_OFF +
						  VPCI_NOTIFY_MULT * q,
					  2, vdev->kick_fd[q]);
		/* Kicks then exit to bar_write, which signals the same fd. */
		if (r == -EOPNOTSUPP) {
			log_debug(
				"%s: no KVM ioeventfd for queue %u: kicks exit to kvmscope",
				ops->name, q);
			r = 0;
		} else if (r < 0) {
			r = errmsg_set(
				err, -r,
				"%s: cannot register queue %u's notify eventfd: %s",
				ops->name, q, strerror(-r));
		}
	}
	if (!r)
		r = virtio_io_thread_start(vdev, err);
	if (!r && env->kvm.add_run_listener) {
		r = env->kvm.add_run_listener(env->kvm.opaque,
					      virtio_run_listener, vdev);
		if (r < 0)
			r = errmsg_set(
				err, -r,
				"%s: cannot follow the VM's run state: %s",
				ops->name, strerror(-r));
	}
	if (r) {
		vdev->dev = NULL;
		return r;
	}
	if (out)
		*out = vdev;
	return 0;

fail:
	virtio_pci_free(vdev);
	return r;
}
