// SPDX-License-Identifier: GPL-2.0
/*
 * The registers of the modern virtio-pci transport as vCPUs access them
 * in BAR 0 (virtio 1.2, 4.1.4): the common configuration, ISR, device
 * configuration and notify areas. Feature negotiation, queue
 * configuration, status transitions and reset live here.
 *
 * Every register accepts any width at any offset: a read returns the
 * bytes of the little-endian register image, a write changes exactly the
 * registers whose bytes it covers (the value merged with their current
 * bytes). What the driver may not do (change features after FEATURES_OK,
 * move a queue after enabling it or after DRIVER_OK, clear status bits)
 * is ignored with a log line; the driver sees the register unchanged.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "devices/virtio_pci_state.h"

/* struct virtio_pci_common_cfg offsets. */
enum {
	CC_DFSELECT = 0x00,
	CC_DF = 0x04,
	CC_GFSELECT = 0x08,
	CC_GF = 0x0c,
	CC_MSIX_CONFIG = 0x10,
	CC_NUM_QUEUES = 0x12,
	CC_STATUS = 0x14,
	CC_GENERATION = 0x15,
	CC_Q_SELECT = 0x16,
	CC_Q_SIZE = 0x18,
	CC_Q_MSIX = 0x1a,
	CC_Q_ENABLE = 0x1c,
	CC_Q_NOTIFY_OFF = 0x1e,
	CC_Q_DESC = 0x20,
	CC_Q_DRIVER = 0x28,
	CC_Q_DEVICE = 0x30,
};

static const struct {
	uint8_t off, size;
} common_fields[] = {
	{ CC_DFSELECT, 4 },	{ CC_DF, 4 },		{ CC_GFSELECT, 4 },
	{ CC_GF, 4 },		{ CC_MSIX_CONFIG, 2 },	{ CC_NUM_QUEUES, 2 },
	{ CC_STATUS, 1 },	{ CC_GENERATION, 1 },	{ CC_Q_SELECT, 2 },
	{ CC_Q_SIZE, 2 },	{ CC_Q_MSIX, 2 },	{ CC_Q_ENABLE, 2 },
	{ CC_Q_NOTIFY_OFF, 2 }, { CC_Q_DESC, 4 },	{ CC_Q_DESC + 4, 4 },
	{ CC_Q_DRIVER, 4 },	{ CC_Q_DRIVER + 4, 4 }, { CC_Q_DEVICE, 4 },
	{ CC_Q_DEVICE + 4, 4 },
};

static uint8_t get_status(struct virtio_device *vdev)
{
	return __atomic_load_n(&vdev->status, __ATOMIC_SEQ_CST);
}

static struct virtio_queue_cfg *selected_queue(struct virtio_device *vdev)
{
	if (vdev->queue_select >= vdev->ops->nr_queues)
		return NULL;
	return &vdev->qcfg[vdev->queue_select];
}

/* The common configuration as the driver reads it now. */
static void common_image(struct virtio_device *vdev, uint8_t *img)
{
	struct virtio_queue_cfg *qc = selected_queue(vdev);
	uint32_t df = 0, gf = 0;

	memset(img, 0, VPCI_COMMON_SIZE);
	if (vdev->device_feature_select < 2)
		df = (uint32_t)(vdev->offered >>
				(32 * vdev->device_feature_select));
	if (vdev->driver_feature_select < 2)
		gf = (uint32_t)(vdev->driver_features >>
				(32 * vdev->driver_feature_select));
	le_put(img + CC_DFSELECT, vdev->device_feature_select, 4);
	le_put(img + CC_DF, df, 4);
	le_put(img + CC_GFSELECT, vdev->driver_feature_select, 4);
	le_put(img + CC_GF, gf, 4);
	le_put(img + CC_MSIX_CONFIG, vdev->config_vector, 2);
	le_put(img + CC_NUM_QUEUES, vdev->ops->nr_queues, 2);
	img[CC_STATUS] = get_status(vdev);
	img[CC_GENERATION] =
		__atomic_load_n(&vdev->config_generation, __ATOMIC_SEQ_CST);
	le_put(img + CC_Q_SELECT, vdev->queue_select, 2);
	/* A queue that does not exist reads as size 0 (4.1.4.3.2). */
	if (!qc) {
		le_put(img + CC_Q_MSIX, VIRTIO_MSI_NO_VECTOR, 2);
		return;
	}
	le_put(img + CC_Q_SIZE, qc->size, 2);
	le_put(img + CC_Q_MSIX, qc->msix_vector, 2);
	le_put(img + CC_Q_ENABLE, qc->enable, 2);
	le_put(img + CC_Q_NOTIFY_OFF, vdev->queue_select, 2);
	le_put(img + CC_Q_DESC, qc->desc, 8);
	le_put(img + CC_Q_DRIVER, qc->driver, 8);
	le_put(img + CC_Q_DEVICE, qc->device, 8);
}

void virtio_queue_cfg_defaults(struct virtio_device *vdev)
{
	unsigned int q;

	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		struct virtio_queue_cfg *qc = &vdev->qcfg[q];

		memset(qc, 0, sizeof(*qc));
		qc->size = vdev->ops->queue_max_size;
		qc->msix_vector = VIRTIO_MSI_NO_VECTOR;
	}
}

/* Status 0 (or a machine reset): the device as it was created. */
void virtio_device_reset(struct virtio_device *vdev)
{
	unsigned int q;
	uint64_t v;

	pthread_mutex_lock(&vdev->io_lock);
	vdev->driver_ok = false;
	vdev->reset_req = true;
	pthread_mutex_unlock(&vdev->io_lock);
	virtio_io_sync(vdev); /* the device is quiet and has forgotten */

	for (q = 0; q < vdev->ops->nr_queues; q++) {
		virtqueue_reset(&vdev->vqs[q]);
		/* Kicks sent before the reset are not for the next driver. */
		while (read(vdev->kick_fd[q], &v, sizeof(v)) > 0)
			;
	}
	virtio_queue_cfg_defaults(vdev);
	vdev->device_feature_select = vdev->driver_feature_select = 0;
	vdev->driver_features = vdev->features = 0;
	__atomic_store_n(&vdev->config_vector, VIRTIO_MSI_NO_VECTOR,
			 __ATOMIC_SEQ_CST);
	vdev->queue_select = 0;
	__atomic_store_n(&vdev->isr, 0, __ATOMIC_SEQ_CST);
	pci_set_intx(vdev->pci, 0);
	__atomic_store_n(&vdev->status, 0, __ATOMIC_SEQ_CST);
}

/* DRIVER_OK: map the enabled queues; false when one cannot be. */
static bool setup_queues(struct virtio_device *vdev)
{
	bool event_idx = vdev->features & (1ULL << VIRTIO_F_RING_EVENT_IDX);
	bool indirect = vdev->features & (1ULL << VIRTIO_F_RING_INDIRECT_DESC);
	unsigned int q;

	for (q = 0; q < vdev->ops->nr_queues; q++) {
		struct virtio_queue_cfg *qc = &vdev->qcfg[q];

		if (!qc->enable) {
			virtqueue_reset(&vdev->vqs[q]);
			continue;
		}
		if (virtqueue_setup(&vdev->vqs[q], vdev->env.mem, qc->size,
				    qc->desc, qc->driver, qc->device, event_idx,
				    indirect)) {
			virtio_device_broken(vdev, vdev->vqs[q].why);
			return false;
		}
	}
	return true;
}

static void write_status(struct virtio_device *vdev, uint8_t v)
{
	uint8_t old = get_status(vdev);
	uint8_t keep = old & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	uint64_t bad;

	if (v == 0) {
		virtio_device_reset(vdev);
		return;
	}
	if (old & ~v & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET) {
		device_log_guest(
			"%s: driver cleared status bits 0x%x without a reset: ignored",
			vdev->ops->name,
			old & ~v & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		v |= old;
	}
	v &= ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	if ((v & VIRTIO_STATUS_FEATURES_OK) &&
	    !(old & VIRTIO_STATUS_FEATURES_OK)) {
		/* 3.1.1: FEATURES_OK stays clear when we cannot agree. */
		bad = vdev->driver_features & ~vdev->offered;
		if (bad ||
		    !(vdev->driver_features & (1ULL << VIRTIO_F_VERSION_1))) {
			device_log_guest(
				"%s: driver features 0x%llx: %s",
				vdev->ops->name,
				(unsigned long long)vdev->driver_features,
				bad ? "not offered" :
				      "no VERSION_1 (legacy drivers are not supported)");
			v &= ~VIRTIO_STATUS_FEATURES_OK;
		} else {
			vdev->features = vdev->driver_features;
		}
	}
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		if (!(v & VIRTIO_STATUS_FEATURES_OK)) {
			device_log_guest(
				"%s: DRIVER_OK without FEATURES_OK: ignored",
				vdev->ops->name);
			v &= ~VIRTIO_STATUS_DRIVER_OK;
		} else if (!keep) {
			__atomic_store_n(&vdev->status, v, __ATOMIC_SEQ_CST);
			if (!setup_queues(vdev))
				return;
			pthread_mutex_lock(&vdev->io_lock);
			vdev->driver_ok = true;
			pthread_mutex_unlock(&vdev->io_lock);
			virtio_io_sync(vdev);
			return;
		}
	}
	/* The I/O thread may set NEEDS_RESET meanwhile: OR, not store. */
	__atomic_fetch_or(&vdev->status, v, __ATOMIC_SEQ_CST);
}

static bool queue_frozen(struct virtio_device *vdev,
			 struct virtio_queue_cfg *qc, const char *what)
{
	if (!qc) {
		device_log_guest(
			"%s: %s of queue %u, which does not exist: ignored",
			vdev->ops->name, what, vdev->queue_select);
		return true;
	}
	if ((get_status(vdev) & VIRTIO_STATUS_DRIVER_OK) || qc->enable) {
		device_log_guest(
			"%s: %s of queue %u after it was enabled or DRIVER_OK: ignored",
			vdev->ops->name, what, vdev->queue_select);
		return true;
	}
	return false;
}

static uint16_t checked_vector(struct virtio_device *vdev, uint64_t v)
{
	/* 4.1.5.1.2: a vector we cannot map reads back as NO_VECTOR. */
	if (v != VIRTIO_MSI_NO_VECTOR && v >= vdev->nr_vectors) {
		device_log_guest(
			"%s: MSI-X vector %llu out of range (%u): NO_VECTOR",
			vdev->ops->name, (unsigned long long)v,
			vdev->nr_vectors);
		return VIRTIO_MSI_NO_VECTOR;
	}
	return (uint16_t)v;
}

static void set_addr_half(uint64_t *addr, unsigned int half, uint64_t v)
{
	uint64_t mask = 0xffffffffULL << (32 * half);

	*addr = (*addr & ~mask) | (v << (32 * half) & mask);
}

static void write_common_field(struct virtio_device *vdev, unsigned int off,
			       uint64_t v)
{
	struct virtio_queue_cfg *qc = selected_queue(vdev);
	unsigned int sel;

	switch (off) {
	case CC_DFSELECT:
		vdev->device_feature_select = (uint32_t)v;
		break;
	case CC_GFSELECT:
		vdev->driver_feature_select = (uint32_t)v;
		break;
	case CC_GF:
		sel = vdev->driver_feature_select;
		if (get_status(vdev) &
		    (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)) {
			device_log_guest(
				"%s: driver features written after FEATURES_OK: ignored",
				vdev->ops->name);
		} else if (sel < 2) {
			vdev->driver_features &= ~(0xffffffffULL << (32 * sel));
			vdev->driver_features |= v << (32 * sel);
		}
		break;
	case CC_MSIX_CONFIG:
		__atomic_store_n(&vdev->config_vector, checked_vector(vdev, v),
				 __ATOMIC_SEQ_CST);
		break;
	case CC_STATUS:
		write_status(vdev, (uint8_t)v);
		break;
	case CC_Q_SELECT:
		vdev->queue_select = (uint16_t)v;
		break;
	case CC_Q_SIZE:
		if (queue_frozen(vdev, qc, "size change"))
			break;
		if (v == 0 || v > vdev->ops->queue_max_size || (v & (v - 1))) {
			device_log_guest(
				"%s: queue %u size %llu is not a power of two <= %u: ignored",
				vdev->ops->name, vdev->queue_select,
				(unsigned long long)v,
				vdev->ops->queue_max_size);
			break;
		}
		qc->size = (uint16_t)v;
		break;
	case CC_Q_MSIX:
		if (!qc)
			break;
		/* Read by the I/O thread, which is stopped or racing a
		 * driver that moves its own vector: atomic either way. */
		__atomic_store_n(&qc->msix_vector, checked_vector(vdev, v),
				 __ATOMIC_SEQ_CST);
		break;
	case CC_Q_ENABLE:
		if (!qc)
			break;
		if (v != 1) {
			device_log_guest(
				"%s: queue_enable %llu (only 1 is allowed without RING_RESET): ignored",
				vdev->ops->name, (unsigned long long)v);
			break;
		}
		if (!queue_frozen(vdev, qc, "enable"))
			qc->enable = 1;
		break;
	case CC_Q_DESC:
	case CC_Q_DESC + 4:
		if (!queue_frozen(vdev, qc, "descriptor table move"))
			set_addr_half(&qc->desc, (off - CC_Q_DESC) / 4, v);
		break;
	case CC_Q_DRIVER:
	case CC_Q_DRIVER + 4:
		if (!queue_frozen(vdev, qc, "available ring move"))
			set_addr_half(&qc->driver, (off - CC_Q_DRIVER) / 4, v);
		break;
	case CC_Q_DEVICE:
	case CC_Q_DEVICE + 4:
		if (!queue_frozen(vdev, qc, "used ring move"))
			set_addr_half(&qc->device, (off - CC_Q_DEVICE) / 4, v);
		break;
	default: /* read-only: device_feature, num_queues, ... */
		device_log_guest(
			"%s: write to read-only common config at 0x%x: ignored",
			vdev->ops->name, off);
		break;
	}
}

static void common_read(struct virtio_device *vdev, uint64_t off, uint8_t *data,
			uint32_t len)
{
	uint8_t img[VPCI_COMMON_SIZE];
	uint32_t i;

	common_image(vdev, img);
	for (i = 0; i < len; i++)
		data[i] = off + i < VPCI_COMMON_SIZE ? img[off + i] : 0;
}

static void common_write(struct virtio_device *vdev, uint64_t off,
			 const uint8_t *data, uint32_t len)
{
	uint8_t img[VPCI_COMMON_SIZE];
	unsigned int f;

	for (f = 0; f < sizeof(common_fields) / sizeof(common_fields[0]); f++) {
		unsigned int fo = common_fields[f].off;
		unsigned int fs = common_fields[f].size;
		uint64_t lo = off > fo ? off : fo;
		uint64_t hi = off + len < fo + fs ? off + len : fo + fs;

		if (lo >= hi)
			continue;
		/* Fresh each time: an earlier field (queue_select) moves
		 * what the later ones mean. */
		common_image(vdev, img);
		memcpy(img + lo, data + (lo - off), hi - lo);
		write_common_field(vdev, fo, le_get(img + fo, fs));
	}
	if (off + len > VPCI_COMMON_SIZE)
		device_log_guest(
			"%s: write past the common config (0x%llx+%u): ignored",
			vdev->ops->name, (unsigned long long)off, len);
}

/* Device config: any width, split into what config_read accepts. */
static void device_cfg_access(struct virtio_device *vdev, uint64_t off,
			      uint8_t *data, const uint8_t *wdata, uint32_t len)
{
	uint32_t size = vdev->ops->config_size;

	if (off < size && len <= size - off &&
	    (len == 1 || len == 2 || len == 4 || len == 8)) {
		if (wdata)
			vdev->ops->config_write(vdev->dev, (uint32_t)off, wdata,
						len);
		else
			vdev->ops->config_read(vdev->dev, (uint32_t)off, data,
					       len);
		return;
	}
	for (uint32_t i = 0; i < len; i++) {
		if (off + i >= size) {
			if (!wdata)
				data[i] = 0;
			continue;
		}
		if (wdata)
			vdev->ops->config_write(vdev->dev, (uint32_t)(off + i),
						wdata + i, 1);
		else
			vdev->ops->config_read(vdev->dev, (uint32_t)(off + i),
					       data + i, 1);
	}
}

void virtio_bar_access(struct virtio_device *vdev, uint64_t off, uint8_t *data,
		       const uint8_t *wdata, uint32_t len)
{
	uint64_t page = off & ~(uint64_t)(VPCI_PAGE - 1), in = off - page;

	if (!wdata)
		memset(data, 0, len);
	/* An access straddling two regions is nothing the spec allows. */
	if (in + len > VPCI_PAGE) {
		device_log_guest(
			"%s: BAR access 0x%llx+%u crosses regions: ignored",
			vdev->ops->name, (unsigned long long)off, len);
		return;
	}
	pthread_mutex_lock(&vdev->lock);
	switch (page) {
	case VPCI_COMMON_OFF:
		if (wdata)
			common_write(vdev, in, wdata, len);
		else
			common_read(vdev, in, data, len);
		break;
	case VPCI_ISR_OFF:
		/* 4.1.4.5: reading clears it and deasserts INTx. */
		if (!wdata && in == 0) {
			data[0] = __atomic_exchange_n(&vdev->isr, 0,
						      __ATOMIC_SEQ_CST);
			pci_set_intx(vdev->pci, 0);
			/*
			 * The I/O thread sets a bit then raises the line:
			 * one it set after our exchange may have raised it
			 * before we lowered it. Raise it again then.
			 */
			if (__atomic_load_n(&vdev->isr, __ATOMIC_SEQ_CST))
				pci_set_intx(vdev->pci, 1);
		}
		break;
	case VPCI_DEVICE_OFF:
		device_cfg_access(vdev, in, data, wdata, len);
		break;
	case VPCI_NOTIFY_OFF:
		/*
		 * Here when KVM did not take the write (no KVM_IOEVENTFD,
		 * another width): the same eventfd, so the I/O thread sees
		 * one kind of kick.
		 */
		if (wdata && in / VPCI_NOTIFY_MULT < vdev->ops->nr_queues) {
			uint64_t one = 1;

			if (write(vdev->kick_fd[in / VPCI_NOTIFY_MULT], &one,
				  sizeof(one)) < 0)
				log_debug("%s: kick: %s", vdev->ops->name,
					  strerror(errno));
		} else if (wdata) {
			device_log_guest("%s: notify at 0x%llx: no such queue",
					 vdev->ops->name,
					 (unsigned long long)in);
		}
		break;
	default:
		device_log_guest("%s: BAR %s at 0x%llx: nothing there",
				 vdev->ops->name, wdata ? "write" : "read",
				 (unsigned long long)off);
		break;
	}
	pthread_mutex_unlock(&vdev->lock);
}
