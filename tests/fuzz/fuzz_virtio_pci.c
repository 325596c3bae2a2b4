// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile driver's register accesses through the modern virtio-pci
 * transport: common config, ISR, device config and notify areas, every
 * width at every offset, in any order, with MSI-X toggled and the VM
 * paused and resumed in between, on a device with two queues whose rings
 * (in a 64 KiB guest RAM filled from the input) its I/O thread really
 * walks after DRIVER_OK.
 *
 * Input: up to 170 12-byte records:
 *   0      op: bit 0 write, bits 1-2: 0 access, 1 toggle MSI-X,
 *          2 pause/resume, 3 a config change from the device
 *   1      length - 1 (& 7)
 *   2-3    BAR offset (& 0x7fff)
 *   4-11   value (little-endian)
 * As many whole records as fit in 2040 bytes (or the input) are taken;
 * the bytes after them are the start of guest RAM (rings, tables).
 *
 * The bridge is faked here (as in tests/unit/test_virtio_pci.c). Checked
 * after each record: num_queues reads 2, VERSION_1 stays offered, and
 * DRIVER_OK is never set without FEATURES_OK; after each input a status
 * write of 0 leaves status 0.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio.h"

#define RAM (64ULL << 10)
#define REC 12
#define MAX_RECS 170

struct pci_device {
	struct pci_device_info info;
	bool msix;
	int vector_fd[VIRTIO_MAX_QUEUES + 1];
};

static struct pci_device fake;
static uint8_t cfg_space[PCI_CFG_SPACE_SIZE];
static uint8_t next_cap = 0x40;

int pci_device_add(struct pci_host *host, const struct pci_device_info *info,
		   struct pci_device **out, struct errmsg *err)
{
	fake.info = *info;
	for (unsigned int i = 0; i < info->msix_vectors; i++)
		fake.vector_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	*out = &fake;
	return 0;
}

int pci_device_add_capability(struct pci_device *dev, const uint8_t *cap,
			      size_t len, uint8_t *offset)
{
	if (next_cap + len > sizeof(cfg_space))
		return -ENOSPC;
	memcpy(cfg_space + next_cap, cap, len);
	*offset = next_cap;
	next_cap += (uint8_t)((len + 3) & ~3u);
	return 0;
}

int pci_bar_add_ioeventfd(struct pci_device *dev, int bar, uint64_t offset,
			  uint32_t len, int fd)
{
	return 0;
}

bool pci_msix_enabled(const struct pci_device *dev)
{
	return __atomic_load_n(&dev->msix, __ATOMIC_SEQ_CST);
}

int pci_msix_vector_fd(struct pci_device *dev, unsigned int vector)
{
	if (vector >= dev->info.msix_vectors)
		abort(); /* the transport checks vectors */
	return dev->vector_fd[vector];
}

void pci_set_intx(struct pci_device *dev, int level)
{
}

static struct guest_memory mem;
static struct virtio_device *vdev;
static struct virtqueue_elem elem;
static void (*run_fn)(void *dev, bool running);
static void *run_dev;

static int start(void *dev, uint64_t features)
{
	return 0;
}

static void queue_notify(void *dev, unsigned int q)
{
	struct virtqueue *vq = virtio_queue(vdev, q);
	unsigned int n;

	for (n = 0; n < 64 && virtqueue_pop(vq, &elem) > 0; n++) {
		virtqueue_push(vq, elem.head, (uint32_t)elem.in_len);
		virtio_notify(vdev, q);
	}
}

static void stop(void *dev, bool reset)
{
}

static uint8_t config[12];

static void config_read(void *dev, uint32_t off, uint8_t *data, uint32_t len)
{
	if (off + len > sizeof(config))
		abort();
	memcpy(data, config + off, len);
}

static void config_write(void *dev, uint32_t off, const uint8_t *data,
			 uint32_t len)
{
	if (off + len > sizeof(config))
		abort();
	memcpy(config + off, data, len);
}

static const struct virtio_device_ops ops = {
	.name = "fuzz",
	.device_id = 0x1f,
	.nr_queues = 2,
	.queue_max_size = 16,
	.features = 1ULL << 3,
	.config_size = sizeof(config),
	.config_read = config_read,
	.config_write = config_write,
	.start = start,
	.queue_notify = queue_notify,
	.stop = stop,
};

static int add_run_listener(void *opaque, void (*fn)(void *, bool), void *dev)
{
	run_fn = fn;
	run_dev = dev;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct device_env env = { 0 };
	struct errmsg err;

	if (guest_memory_alloc(&mem, RAM))
		abort();
	env.mem = &mem;
	env.kvm.add_run_listener = add_run_listener;
	if (virtio_pci_add(NULL, &env, &ops, NULL, &vdev, &err))
		abort();
	return 0;
}

static uint64_t bar_read(uint64_t off, uint32_t len)
{
	uint8_t b[8] = { 0 };
	uint64_t v;

	fake.info.bars[0].ops->read(fake.info.bars[0].opaque, off, b, len);
	memcpy(&v, b, 8);
	return v;
}

static void bar_write(uint64_t off, uint64_t v, uint32_t len)
{
	uint8_t b[8];

	memcpy(b, &v, 8);
	fake.info.bars[0].ops->write(fake.info.bars[0].opaque, off, b, len);
}

static void check(void)
{
	uint8_t st;

	if (bar_read(0x12, 2) != 2)
		abort();
	bar_write(0x00, 1, 4);
	if (!(bar_read(0x04, 4) & 1)) /* VERSION_1 is bit 32 */
		abort();
	st = (uint8_t)bar_read(0x14, 1);
	if ((st & VIRTIO_STATUS_DRIVER_OK) && !(st & VIRTIO_STATUS_FEATURES_OK))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nrec, i, ram_from;
	bool paused = false;

	nrec = size / REC < MAX_RECS ? size / REC : MAX_RECS;
	ram_from = nrec * REC;
	memset(mem.base, 0, RAM);
	if (size > ram_from)
		memcpy(mem.base, data + ram_from,
		       size - ram_from < RAM ? size - ram_from : RAM);
	for (i = 0; i < nrec; i++) {
		const uint8_t *r = data + i * REC;
		uint32_t len = (r[1] & 7) + 1;
		uint64_t off = (uint64_t)(r[2] | r[3] << 8) & 0x7fff;
		uint64_t v;

		memcpy(&v, r + 4, 8);
		switch ((r[0] >> 1) & 3) {
		case 0:
			if (r[0] & 1)
				bar_write(off, v, len);
			else
				bar_read(off, len);
			break;
		case 1:
			__atomic_store_n(&fake.msix, !fake.msix,
					 __ATOMIC_SEQ_CST);
			break;
		case 2:
			paused = !paused;
			run_fn(run_dev, !paused);
			break;
		case 3:
			virtio_config_changed(vdev);
			break;
		}
		check();
	}
	if (paused)
		run_fn(run_dev, true);
	bar_write(0x14, 0, 1);
	if (bar_read(0x14, 1) != 0)
		abort();
	return 0;
}
