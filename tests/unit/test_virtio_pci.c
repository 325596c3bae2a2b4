// SPDX-License-Identifier: GPL-2.0
/*
 * The modern virtio-pci transport through its capability regions, with a
 * PCI bridge faked in this file (it records the function's description,
 * capabilities, ioeventfds and interrupt lines, so each is checked
 * exactly) and a real guest_memory, the real I/O thread and a test device
 * that echoes buffers back. Covers identity and capabilities, feature
 * negotiation and FEATURES_OK, queue configuration and its freezing,
 * DRIVER_OK and kicks, MSI-X vector selection and INTx/ISR, reset,
 * pause/resume through the run listener, a broken queue
 * (DEVICE_NEEDS_RESET plus a config interrupt) and accesses of every
 * width at every offset.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/virtio.h"
#include "devices/virtio_rng.h"

/* ---- the fake bridge ---------------------------------------------- */

struct pci_device {
	struct pci_device_info info;
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	uint8_t next_cap;
	struct {
		int bar;
		uint64_t off;
		uint32_t len;
		int fd;
	} ioev[VIRTIO_MAX_QUEUES];
	int nr_ioev;
	bool msix_enabled;
	int vector_fd[VIRTIO_MAX_QUEUES + 1];
	int intx;
};

static struct pci_device fake;

int pci_device_add(struct pci_host *host, const struct pci_device_info *info,
		   struct pci_device **out, struct errmsg *err)
{
	unsigned int i;

	memset(&fake, 0, sizeof(fake));
	fake.info = *info;
	fake.next_cap = 0x40;
	for (i = 0; i < info->msix_vectors; i++)
		fake.vector_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	*out = &fake;
	return 0;
}

int pci_device_add_capability(struct pci_device *dev, const uint8_t *cap,
			      size_t len, uint8_t *offset)
{
	if (dev->next_cap + len > PCI_CFG_SPACE_SIZE)
		return -ENOSPC;
	memcpy(dev->cfg + dev->next_cap, cap, len);
	*offset = dev->next_cap;
	dev->next_cap += (uint8_t)((len + 3) & ~3u);
	return 0;
}

int pci_bar_add_ioeventfd(struct pci_device *dev, int bar, uint64_t offset,
			  uint32_t len, int fd)
{
	dev->ioev[dev->nr_ioev].bar = bar;
	dev->ioev[dev->nr_ioev].off = offset;
	dev->ioev[dev->nr_ioev].len = len;
	dev->ioev[dev->nr_ioev].fd = fd;
	dev->nr_ioev++;
	return 0;
}

bool pci_msix_enabled(const struct pci_device *dev)
{
	return __atomic_load_n(&dev->msix_enabled, __ATOMIC_SEQ_CST);
}

int pci_msix_vector_fd(struct pci_device *dev, unsigned int vector)
{
	return vector < dev->info.msix_vectors ? dev->vector_fd[vector] : -1;
}

void pci_set_intx(struct pci_device *dev, int level)
{
	__atomic_store_n(&dev->intx, level, __ATOMIC_SEQ_CST);
}

uint64_t pci_bar_address(const struct pci_device *dev, int bar)
{
	return PCI_BAR_UNMAPPED;
}

/* ---- the test device ---------------------------------------------- */

struct echo {
	struct virtio_device *vdev;
	struct virtqueue_elem elem;
	uint8_t config[8];
	int starts, stops, resets, notifies; /* atomic */
	uint64_t features;
};

static int echo_start(void *opaque, uint64_t features)
{
	struct echo *e = opaque;

	e->features = features;
	__atomic_fetch_add(&e->starts, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void echo_notify(void *opaque, unsigned int q)
{
	struct echo *e = opaque;
	struct virtqueue *vq = virtio_queue(e->vdev, q);

	while (virtqueue_pop(vq, &e->elem) > 0) {
		virtqueue_push(vq, e->elem.head, (uint32_t)e->elem.in_len);
		virtio_notify(e->vdev, q);
	}
	__atomic_fetch_add(&e->notifies, 1, __ATOMIC_SEQ_CST);
}

static void echo_stop(void *opaque, bool reset)
{
	struct echo *e = opaque;

	__atomic_fetch_add(reset ? &e->resets : &e->stops, 1, __ATOMIC_SEQ_CST);
}

static void echo_config_read(void *opaque, uint32_t off, uint8_t *data,
			     uint32_t len)
{
	struct echo *e = opaque;

	assert_true(off + len <= sizeof(e->config));
	assert_true(len == 1 || len == 2 || len == 4 || len == 8);
	memcpy(data, e->config + off, len);
}

static void echo_config_write(void *opaque, uint32_t off, const uint8_t *data,
			      uint32_t len)
{
	struct echo *e = opaque;

	assert_true(off + len <= sizeof(e->config));
	memcpy(e->config + off, data, len);
}

static void echo_destroy(void *opaque)
{
	free(opaque);
}

static const struct virtio_device_ops echo_ops = {
	.name = "echo",
	.device_id = 0x1f,
	.nr_queues = 2,
	.queue_max_size = 64,
	.features = 1ULL << 5,
	.config_size = sizeof(((struct echo *)0)->config),
	.config_read = echo_config_read,
	.config_write = echo_config_write,
	.start = echo_start,
	.queue_notify = echo_notify,
	.stop = echo_stop,
	.destroy = echo_destroy,
};

/* ---- fixture ------------------------------------------------------ */

#define RAM (1ULL << 20)
#define COMMON 0x0000
#define ISR 0x1000
#define DEVCFG 0x2000
#define NOTIFY 0x3000
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000

struct fx {
	struct guest_memory mem;
	struct device_env env;
	struct echo *echo;
	struct virtio_device *vdev;
	void (*run_fn)(void *dev, bool running);
	void *run_dev;
};

static int add_run_listener(void *opaque, void (*fn)(void *, bool), void *dev)
{
	struct fx *f = opaque;

	f->run_fn = fn;
	f->run_dev = dev;
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct errmsg err;

	assert_non_null(f);
	assert_int_equal(guest_memory_alloc(&f->mem, RAM), 0);
	f->env.mem = &f->mem;
	f->env.kvm.add_run_listener = add_run_listener;
	f->env.kvm.opaque = f;
	f->echo = calloc(1, sizeof(*f->echo));
	assert_int_equal(virtio_pci_add(NULL, &f->env, &echo_ops, f->echo,
					&f->echo->vdev, &err),
			 0);
	f->vdev = f->echo->vdev;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	unsigned int i;

	/* What the bus does at teardown: release the BAR's owner. */
	fake.info.bars[0].ops->release(fake.info.bars[0].opaque);
	for (i = 0; i < fake.info.msix_vectors; i++)
		close(fake.vector_fd[i]);
	guest_memory_free(&f->mem);
	free(f);
	return 0;
}

static uint64_t rd(uint64_t off, uint32_t len)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	fake.info.bars[0].ops->read(fake.info.bars[0].opaque, off, b, len);
	memcpy(&v, b, len);
	return v;
}

static void wr(uint64_t off, uint64_t v, uint32_t len)
{
	uint8_t b[8];

	memcpy(b, &v, 8);
	fake.info.bars[0].ops->write(fake.info.bars[0].opaque, off, b, len);
}

static bool wait_counter(int *c, int want)
{
	for (int i = 0; i < 2000; i++) {
		if (__atomic_load_n(c, __ATOMIC_SEQ_CST) >= want)
			return true;
		usleep(1000);
	}
	return false;
}

static bool fd_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, ms) != 1)
		return false;
	return read(fd, &v, sizeof(v)) == sizeof(v);
}

static void put16(struct fx *f, uint64_t gpa, uint16_t v)
{
	assert_int_equal(guest_memory_write(&f->mem, gpa, &v, 2), 0);
}

static uint16_t get16(struct fx *f, uint64_t gpa)
{
	uint16_t v;

	assert_int_equal(guest_memory_read(&f->mem, gpa, &v, 2), 0);
	return v;
}

static uint64_t features_offered(void)
{
	wr(COMMON + 0x00, 0, 4);
	uint64_t lo = rd(COMMON + 0x04, 4);

	wr(COMMON + 0x00, 1, 4);
	return lo | rd(COMMON + 0x04, 4) << 32;
}

static void set_features(uint64_t f)
{
	wr(COMMON + 0x08, 0, 4);
	wr(COMMON + 0x0c, (uint32_t)f, 4);
	wr(COMMON + 0x08, 1, 4);
	wr(COMMON + 0x0c, f >> 32, 4);
}

static uint8_t status(void)
{
	return (uint8_t)rd(COMMON + 0x14, 1);
}

/* Queue q of 8 entries at the fixture's rings, vector vec, enabled. */
static void config_queue(unsigned int q, uint16_t vec)
{
	uint64_t base = 0x10000ULL * q;

	wr(COMMON + 0x16, q, 2);
	wr(COMMON + 0x18, 8, 2);
	wr(COMMON + 0x1a, vec, 2);
	wr(COMMON + 0x20, base + DESC, 8);
	wr(COMMON + 0x28, base + AVAIL, 4);
	wr(COMMON + 0x2c, 0, 4);
	wr(COMMON + 0x30, base + USED, 4);
	wr(COMMON + 0x34, 0, 4);
	wr(COMMON + 0x1c, 1, 2);
}

static void driver_init(uint64_t features)
{
	wr(COMMON + 0x14, 0, 1);
	wr(COMMON + 0x14, VIRTIO_STATUS_ACKNOWLEDGE, 1);
	wr(COMMON + 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	set_features(features);
	wr(COMMON + 0x14,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		   VIRTIO_STATUS_FEATURES_OK,
	   1);
}

static void driver_ok(void)
{
	wr(COMMON + 0x14, status() | VIRTIO_STATUS_DRIVER_OK, 1);
}

/* One writable 64-byte buffer on queue 0 and a kick. */
static void offer_buffer(struct fx *f, uint16_t *avail_idx)
{
	uint8_t d[16] = { 0 };
	uint64_t addr = 0x8000;
	uint32_t len = 64;
	uint16_t flags = 2;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	assert_int_equal(guest_memory_write(&f->mem, DESC, d, 16), 0);
	put16(f, AVAIL + 4 + 2 * (*avail_idx % 8), 0);
	(*avail_idx)++;
	put16(f, AVAIL + 2, *avail_idx);
	wr(NOTIFY + 0, 0, 2); /* what KVM's ioeventfd would take */
}

#define VERSION_1 (1ULL << VIRTIO_F_VERSION_1)

/* ---- tests -------------------------------------------------------- */

static const uint8_t *find_cap(uint8_t type)
{
	for (unsigned int off = 0x40; off < fake.next_cap; off += 4) {
		const uint8_t *c = fake.cfg + off;

		if (c[0] == 0x09 && c[3] == type)
			return c;
	}
	return NULL;
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void identity_and_capabilities(void **state)
{
	const uint8_t *c;
	unsigned int q;

	(void)state;
	assert_int_equal(fake.info.vendor_id, 0x1af4);
	assert_int_equal(fake.info.device_id, 0x1040 + 0x1f);
	assert_int_equal(fake.info.subsystem_vendor_id, 0x1af4);
	assert_int_equal(fake.info.revision, 1);
	assert_true(fake.info.has_intx);
	assert_int_equal(fake.info.bars[0].type, PCI_BAR_MEM64);
	assert_int_equal(fake.info.bars[0].size, 0x8000);
	assert_int_equal(fake.info.msix_vectors, 3);
	assert_int_equal(fake.info.msix_bar, 0);
	assert_int_equal(fake.info.msix_table_offset, 0x4000);
	assert_int_equal(fake.info.msix_pba_offset, 0x5000);

	c = find_cap(1); /* common */
	assert_non_null(c);
	assert_int_equal(c[2], 16);
	assert_int_equal(c[4], 0);
	assert_int_equal(le32(c + 8), COMMON);
	assert_int_equal(le32(c + 12), 0x38);
	c = find_cap(2); /* notify */
	assert_non_null(c);
	assert_int_equal(c[2], 20);
	assert_int_equal(le32(c + 8), NOTIFY);
	assert_int_equal(le32(c + 12), 8);
	assert_int_equal(le32(c + 16), 4); /* notify_off_multiplier */
	c = find_cap(3); /* ISR */
	assert_non_null(c);
	assert_int_equal(le32(c + 8), ISR);
	c = find_cap(4); /* device config */
	assert_non_null(c);
	assert_int_equal(le32(c + 8), DEVCFG);
	assert_int_equal(le32(c + 12), 8);
	c = find_cap(5); /* PCI_CFG window */
	assert_non_null(c);
	assert_int_equal(c[2], 20);

	/* Queue q's notify address, 2-byte writes, its own eventfd. */
	assert_int_equal(fake.nr_ioev, 2);
	for (q = 0; q < 2; q++) {
		assert_int_equal(fake.ioev[q].bar, 0);
		assert_int_equal(fake.ioev[q].off, NOTIFY + 4 * q);
		assert_int_equal(fake.ioev[q].len, 2);
		wr(COMMON + 0x16, q, 2);
		assert_int_equal(rd(COMMON + 0x1e, 2), q); /* notify_off */
	}
	assert_true(fake.ioev[0].fd != fake.ioev[1].fd);
	assert_int_equal(rd(COMMON + 0x12, 2), 2); /* num_queues */
}

static void feature_negotiation(void **state)
{
	uint64_t offered = features_offered();

	(void)state;
	assert_int_equal(offered,
			 (1ULL << 5) | VERSION_1 |
				 (1ULL << VIRTIO_F_RING_INDIRECT_DESC) |
				 (1ULL << VIRTIO_F_RING_EVENT_IDX));
	/* Selects beyond 1 read 0. */
	wr(COMMON + 0x00, 2, 4);
	assert_int_equal(rd(COMMON + 0x04, 4), 0);

	/* No VERSION_1: a legacy driver, refused. */
	driver_init(1ULL << 5);
	assert_false(status() & VIRTIO_STATUS_FEATURES_OK);
	/* Something not offered. */
	driver_init(VERSION_1 | 1ULL << 6);
	assert_false(status() & VIRTIO_STATUS_FEATURES_OK);
	/* Accepted; read back what the driver wrote. */
	driver_init(VERSION_1 | 1ULL << 5);
	assert_true(status() & VIRTIO_STATUS_FEATURES_OK);
	wr(COMMON + 0x08, 1, 4);
	assert_int_equal(rd(COMMON + 0x0c, 4), 1);
	/* After FEATURES_OK the features are frozen. */
	wr(COMMON + 0x0c, 0, 4);
	assert_int_equal(rd(COMMON + 0x0c, 4), 1);
	/* Clearing a status bit without a reset is ignored. */
	wr(COMMON + 0x14, VIRTIO_STATUS_ACKNOWLEDGE, 1);
	assert_true(status() & VIRTIO_STATUS_FEATURES_OK);
}

static void queue_configuration(void **state)
{
	(void)state;
	wr(COMMON + 0x16, 1, 2);
	assert_int_equal(rd(COMMON + 0x18, 2), 64); /* max by default */
	assert_int_equal(rd(COMMON + 0x1a, 2), 0xffff);
	wr(COMMON + 0x18, 48, 2); /* not a power of two */
	assert_int_equal(rd(COMMON + 0x18, 2), 64);
	wr(COMMON + 0x18, 128, 2); /* above the max */
	assert_int_equal(rd(COMMON + 0x18, 2), 64);
	wr(COMMON + 0x18, 16, 2);
	assert_int_equal(rd(COMMON + 0x18, 2), 16);
	wr(COMMON + 0x20, 0x1234567890ULL, 8);
	assert_int_equal(rd(COMMON + 0x20, 8), 0x1234567890ULL);
	wr(COMMON + 0x2c, 0xab, 4);
	wr(COMMON + 0x28, 0x2000, 4);
	assert_int_equal(rd(COMMON + 0x28, 8), 0xab00002000ULL);
	/* One byte in the middle of queue_device. */
	wr(COMMON + 0x31, 0x7f, 1);
	assert_int_equal(rd(COMMON + 0x30, 8), 0x7f00ULL);
	wr(COMMON + 0x1c, 2, 2); /* only 1 enables */
	assert_int_equal(rd(COMMON + 0x1c, 2), 0);
	wr(COMMON + 0x1c, 1, 2);
	assert_int_equal(rd(COMMON + 0x1c, 2), 1);
	/* Enabled: frozen. */
	wr(COMMON + 0x18, 8, 2);
	wr(COMMON + 0x20, 0, 8);
	assert_int_equal(rd(COMMON + 0x18, 2), 16);
	assert_int_equal(rd(COMMON + 0x20, 8), 0x1234567890ULL);
	/* A queue that does not exist has size 0 and takes nothing. */
	wr(COMMON + 0x16, 7, 2);
	assert_int_equal(rd(COMMON + 0x18, 2), 0);
	wr(COMMON + 0x18, 8, 2);
	assert_int_equal(rd(COMMON + 0x18, 2), 0);
	assert_int_equal(rd(COMMON + 0x1a, 2), 0xffff);
}

static void msix_vector_selection(void **state)
{
	(void)state;
	wr(COMMON + 0x10, 2, 2);
	assert_int_equal(rd(COMMON + 0x10, 2), 2);
	wr(COMMON + 0x10, 3, 2); /* 3 vectors: 0..2 */
	assert_int_equal(rd(COMMON + 0x10, 2), 0xffff);
	wr(COMMON + 0x16, 0, 2);
	wr(COMMON + 0x1a, 1, 2);
	assert_int_equal(rd(COMMON + 0x1a, 2), 1);
	wr(COMMON + 0x1a, 0x8000, 2);
	assert_int_equal(rd(COMMON + 0x1a, 2), 0xffff);
	wr(COMMON + 0x1a, 0xffff, 2);
	assert_int_equal(rd(COMMON + 0x1a, 2), 0xffff);
}

/* Kicks, used buffers and MSI-X: the queue's vector fires. */
static void driver_ok_kick_msix(void **state)
{
	struct fx *f = *state;
	uint16_t idx = 0;

	__atomic_store_n(&fake.msix_enabled, true, __ATOMIC_SEQ_CST);
	driver_init(VERSION_1 | (1ULL << VIRTIO_F_RING_EVENT_IDX));
	config_queue(0, 1);
	config_queue(1, 2);
	wr(COMMON + 0x10, 0, 2);
	/* A kick before DRIVER_OK is dropped: no notify. */
	offer_buffer(f, &idx);
	usleep(20000);
	assert_int_equal(__atomic_load_n(&f->echo->starts, __ATOMIC_SEQ_CST),
			 0);
	assert_int_equal(f->echo->notifies, 0);
	driver_ok();
	assert_true(status() & VIRTIO_STATUS_DRIVER_OK);
	/* DRIVER_OK starts the device and polls the queues. */
	assert_int_equal(__atomic_load_n(&f->echo->starts, __ATOMIC_SEQ_CST),
			 1);
	assert_int_equal(f->echo->features,
			 VERSION_1 | (1ULL << VIRTIO_F_RING_EVENT_IDX));
	assert_true(wait_counter(&f->echo->notifies, 2));
	assert_int_equal(get16(f, USED + 2), 1);
	assert_true(fd_readable(fake.vector_fd[1], 1000));
	/* Driver wants the next interrupt after used idx 2. */
	put16(f, AVAIL + 4 + 2 * 8, 1);
	offer_buffer(f, &idx);
	assert_true(wait_counter(&f->echo->notifies, 3));
	assert_int_equal(get16(f, USED + 2), 2);
	assert_true(fd_readable(fake.vector_fd[1], 1000));
	assert_false(fd_readable(fake.vector_fd[2], 0));
	/* Queue configuration after DRIVER_OK is ignored. */
	wr(COMMON + 0x16, 0, 2);
	wr(COMMON + 0x20, 0x5000, 8);
	assert_int_equal(rd(COMMON + 0x20, 8), DESC);
	/* A different width of notify write (exits, no ioeventfd). */
	offer_buffer(f, &idx);
	wr(NOTIFY + 0, 0, 4);
	assert_true(wait_counter(&f->echo->notifies, 4));
}

/* MSI-X off: ISR bit 0 and INTx; reading ISR clears both. */
static void intx_and_isr(void **state)
{
	struct fx *f = *state;
	uint16_t idx = 0;

	driver_init(VERSION_1);
	config_queue(0, 0xffff);
	driver_ok();
	offer_buffer(f, &idx);
	assert_true(wait_counter(&f->echo->notifies, 2));
	for (int i = 0;
	     i < 1000 && !__atomic_load_n(&fake.intx, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	assert_int_equal(fake.intx, 1);
	assert_int_equal(rd(ISR, 4), 1);
	assert_int_equal(fake.intx, 0);
	assert_int_equal(rd(ISR, 1), 0);
	/* Config change: bit 1, generation moves. */
	uint8_t gen = (uint8_t)rd(COMMON + 0x15, 1);

	virtio_config_changed(f->vdev);
	assert_int_equal(rd(COMMON + 0x15, 1), (uint8_t)(gen + 1));
	assert_int_equal(fake.intx, 1);
	assert_int_equal(rd(ISR, 1), 2);
}

static void reset_forgets_everything(void **state)
{
	struct fx *f = *state;

	driver_init(VERSION_1);
	config_queue(0, 1);
	wr(COMMON + 0x10, 0, 2);
	driver_ok();
	assert_int_equal(f->echo->starts, 1);
	wr(COMMON + 0x14, 0, 1);
	/* Reset is complete when the write returns. */
	assert_int_equal(status(), 0);
	assert_int_equal(f->echo->resets, 1);
	assert_int_equal(rd(COMMON + 0x10, 2), 0xffff);
	wr(COMMON + 0x16, 0, 2);
	assert_int_equal(rd(COMMON + 0x18, 2), 64);
	assert_int_equal(rd(COMMON + 0x1a, 2), 0xffff);
	assert_int_equal(rd(COMMON + 0x1c, 2), 0);
	assert_int_equal(rd(COMMON + 0x20, 8), 0);
	wr(COMMON + 0x08, 1, 4);
	assert_int_equal(rd(COMMON + 0x0c, 4), 0);
	/* A kick after reset is ignored; the device runs again only
	 * after a new DRIVER_OK. */
	wr(NOTIFY, 0, 2);
	usleep(20000);
	assert_int_equal(f->echo->starts, 1);
	driver_init(VERSION_1);
	config_queue(0, 1);
	driver_ok();
	assert_int_equal(f->echo->starts, 2);
}

static void pause_and_resume(void **state)
{
	struct fx *f = *state;
	uint16_t idx = 0;

	assert_non_null(f->run_fn);
	driver_init(VERSION_1);
	config_queue(0, 0xffff);
	driver_ok();
	f->run_fn(f->run_dev, false);
	/* Stopped before the listener returns. */
	assert_int_equal(f->echo->stops, 1);
	offer_buffer(f, &idx);
	usleep(20000);
	assert_int_equal(get16(f, USED + 2), 0);
	f->run_fn(f->run_dev, true);
	assert_int_equal(f->echo->starts, 2);
	/* The kick that came while stopped is served by the poll. */
	assert_true(wait_counter(&f->echo->notifies, 2));
	assert_int_equal(get16(f, USED + 2), 1);
	assert_int_equal(f->echo->resets, 0);
}

/* Rings outside RAM: DEVICE_NEEDS_RESET and a config interrupt. */
static void broken_queue_needs_reset(void **state)
{
	struct fx *f = *state;

	__atomic_store_n(&fake.msix_enabled, true, __ATOMIC_SEQ_CST);
	driver_init(VERSION_1);
	wr(COMMON + 0x10, 0, 2);
	wr(COMMON + 0x16, 0, 2);
	wr(COMMON + 0x18, 8, 2);
	wr(COMMON + 0x20, RAM - 16, 8); /* table runs out of RAM */
	wr(COMMON + 0x28, AVAIL, 8);
	wr(COMMON + 0x30, USED, 8);
	wr(COMMON + 0x1c, 1, 2);
	driver_ok();
	assert_true(status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_true(fd_readable(fake.vector_fd[0], 1000));
	assert_int_equal(f->echo->starts, 0);
	/* A chain that loops, on a device that runs. */
	wr(COMMON + 0x14, 0, 1);
	assert_false(status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	driver_init(VERSION_1);
	wr(COMMON + 0x10, 0, 2);
	config_queue(0, 1);
	driver_ok();
	uint8_t d[16] = { 0 };
	uint32_t len = 16;
	uint16_t flags = 1; /* NEXT, next = 0: itself */

	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	assert_int_equal(guest_memory_write(&f->mem, DESC, d, 16), 0);
	put16(f, AVAIL + 4, 0);
	put16(f, AVAIL + 2, 1);
	wr(NOTIFY, 0, 2);
	for (int i = 0;
	     i < 1000 && !(status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET); i++)
		usleep(1000);
	assert_true(status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_true(fd_readable(fake.vector_fd[0], 1000));
	/* The driver's further writes keep the bit until a reset. */
	wr(COMMON + 0x14, status(), 1);
	assert_true(status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	wr(COMMON + 0x14, 0, 1);
	assert_int_equal(status(), 0);
}

/* Every width at every offset of every region: no crash, sane values. */
static void any_width_any_offset(void **state)
{
	struct fx *f = *state;
	uint32_t len;
	uint64_t off;

	f->echo->config[0] = 0x11;
	f->echo->config[6] = 0x66;
	f->echo->config[7] = 0x77;
	/* Device config in pieces config_read accepts. */
	assert_int_equal(rd(DEVCFG + 6, 3), 0x7766);
	assert_int_equal(rd(DEVCFG + 7, 8), 0x77);
	assert_int_equal(rd(DEVCFG + 0, 8) & 0xff, 0x11);
	wr(DEVCFG + 5, 0xaabbcc, 3);
	assert_int_equal(f->echo->config[5], 0xcc);
	assert_int_equal(f->echo->config[6], 0xbb);
	assert_int_equal(f->echo->config[7], 0xaa);
	/* num_queues and the status byte within wider reads. */
	assert_int_equal(rd(COMMON + 0x12, 1), 2);
	assert_int_equal(rd(COMMON + 0x10, 8) >> 16 & 0xffff, 2);
	/* A 4-byte write over status/generation/queue_select sets both
	 * writable fields. */
	wr(COMMON + 0x14, 0x00010001, 4);
	assert_int_equal(status(), 1);
	assert_int_equal(rd(COMMON + 0x16, 2), 1);
	for (len = 1; len <= 8; len++) {
		for (off = 0; off < 0x8000; off += 1 + (off >= 0x40) * 61) {
			rd(off, len);
			if ((off & 0xfff) != 0x14) /* not a status reset */
				wr(off, 0, len);
		}
	}
	assert_int_equal(rd(COMMON + 0x12, 2), 2);
}

/* A config write as the bridge does it: store, then tell the device. */
static void cfg_wr(uint32_t off, uint32_t v, uint32_t len)
{
	memcpy(fake.cfg + off, &v, len);
	fake.info.ops->cfg_write(fake.info.opaque, off, fake.cfg + off, len);
}

static uint32_t cfg_rd(uint32_t off, uint32_t len)
{
	uint8_t b[4];
	uint32_t v = 0;

	memcpy(b, fake.cfg + off, len);
	fake.info.ops->cfg_read(fake.info.opaque, off, b, len);
	memcpy(&v, b, len);
	return v;
}

/* The PCI_CFG window reaches the BAR through config space. */
static void pci_cfg_window_reaches_the_bar(void **state)
{
	uint32_t c = (uint32_t)(find_cap(5) - fake.cfg);

	(void)state;
	cfg_wr(c + 4, 0, 1); /* bar */
	cfg_wr(c + 8, COMMON + 0x12, 4); /* num_queues */
	cfg_wr(c + 12, 2, 4);
	assert_int_equal(cfg_rd(c + 16, 4), 2);
	assert_int_equal(cfg_rd(c + 16, 2), 2);
	/* Write queue_select through it. */
	cfg_wr(c + 8, COMMON + 0x16, 4);
	cfg_wr(c + 16, 1, 4);
	assert_int_equal(rd(COMMON + 0x16, 2), 1);
	assert_int_equal(cfg_rd(c + 16, 2), 1);
	/* A length of 3, a misaligned offset, another BAR: nothing. */
	cfg_wr(c + 12, 3, 4);
	cfg_wr(c + 16, 0, 4);
	assert_int_equal(rd(COMMON + 0x16, 2), 1);
	cfg_wr(c + 12, 2, 4);
	cfg_wr(c + 8, COMMON + 0x17, 4);
	cfg_wr(c + 16, 0, 4);
	assert_int_equal(rd(COMMON + 0x16, 2), 1);
	cfg_wr(c + 8, COMMON + 0x16, 4);
	cfg_wr(c + 4, 2, 1);
	cfg_wr(c + 16, 0, 4);
	assert_int_equal(rd(COMMON + 0x16, 2), 1);
	/* Accesses elsewhere in config space are not the window's. */
	cfg_wr(c + 4, 0, 1);
	fake.info.ops->cfg_write(fake.info.opaque, 0xf0, fake.cfg + 0xf0, 4);
	assert_int_equal(rd(COMMON + 0x16, 2), 1);
}

static int watch_calls; /* atomic */

static void on_pipe(void *dev, int fd, uint32_t events)
{
	char c;

	assert_int_equal(read(fd, &c, 1), 1);
	__atomic_fetch_add(&watch_calls, 1, __ATOMIC_SEQ_CST);
}

/* A watched fd is served on the I/O thread only while the device runs. */
static void watched_fd_runs_while_started(void **state)
{
	struct fx *f = *state;
	int p[2];

	watch_calls = 0;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(virtio_watch_fd(f->vdev, p[0], POLLIN, on_pipe), 0);
	/* Watching the same fd again updates it, it is not a second one. */
	assert_int_equal(virtio_watch_fd(f->vdev, p[0], POLLIN, on_pipe), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	usleep(20000);
	assert_int_equal(watch_calls, 0);
	driver_init(VERSION_1);
	config_queue(0, 0xffff);
	driver_ok();
	assert_true(wait_counter(&watch_calls, 1));
	f->run_fn(f->run_dev, false);
	assert_int_equal(write(p[1], "y", 1), 1);
	usleep(20000);
	assert_int_equal(watch_calls, 1);
	f->run_fn(f->run_dev, true);
	assert_true(wait_counter(&watch_calls, 2));
	wr(COMMON + 0x14, 0, 1);
	close(p[0]);
	close(p[1]);
}

static void rng_option_refuses_a_value(void **state)
{
	struct errmsg err;

	(void)state;
	assert_int_equal(virtio_rng_add(NULL, NULL, "x", &err), -EINVAL);
	assert_string_equal(err.text,
			    "virtio-rng takes no options (got 'x'): use --rng");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(identity_and_capabilities),
		T(feature_negotiation),
		T(queue_configuration),
		T(msix_vector_selection),
		T(driver_ok_kick_msix),
		T(intx_and_isr),
		T(reset_forgets_everything),
		T(pause_and_resume),
		T(broken_queue_needs_reset),
		T(any_width_any_offset),
		T(watched_fd_runs_while_started),
		T(pci_cfg_window_reaches_the_bar),
		T(rng_option_refuses_a_value),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
