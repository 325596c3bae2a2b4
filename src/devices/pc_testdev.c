// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's pc-testdev (--device pc-testdev), which kvm-unit-tests and other
 * suites written for QEMU expect on the ISA bus:
 *
 *   0xe0-0xe3    a 32-bit scratch register, any width at any offset
 *                (and string I/O, which arrives as repeated accesses)
 *   0xe4         "flush page": a dword write of an address, accepted
 *   0xe8-0xeb    the same scratch register, byte by byte
 *   0x2000-0x2017  a byte written at 0x2000 + n sets ISA IRQ line n to
 *                (byte != 0)
 *   0xff000000-0xff00ffff  64 KiB of RAM-like MMIO: every access goes
 *                through an MMIO exit (KVM splits wider ones into 8-byte
 *                pieces)
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"

#define PORT_SCRATCH 0xe0
#define PORT_FLUSH 0xe4
#define PORT_SCRATCH_BYTES 0xe8
#define PORT_IRQ 0x2000
#define NR_IRQ_LINES 24
#define IOMEM_BASE 0xff000000ULL
#define IOMEM_LEN 0x10000

struct pc_testdev {
	struct irq_sink irq;
	pthread_mutex_t lock;
	uint8_t scratch[4];
	uint8_t iomem[IOMEM_LEN];
};

static void scratch_read(void *o, uint64_t off, uint8_t *d, uint32_t len)
{
	struct pc_testdev *t = o;
	uint32_t i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < len; i++)
		d[i] = off + i < 4 ? t->scratch[off + i] : 0;
	pthread_mutex_unlock(&t->lock);
}

static void scratch_write(void *o, uint64_t off, const uint8_t *d,
			  uint32_t len)
{
	struct pc_testdev *t = o;
	uint32_t i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < len && off + i < 4; i++)
		t->scratch[off + i] = d[i];
	pthread_mutex_unlock(&t->lock);
}

static void flush_write(void *o, uint64_t off, const uint8_t *d, uint32_t len)
{
	/* QEMU re-protects the page to drop TLB entries; KVM keeps none
	 * for our mapping that this could matter to. Accepted. */
	(void)o, (void)off, (void)d, (void)len;
}

static void irq_write(void *o, uint64_t off, const uint8_t *d, uint32_t len)
{
	struct pc_testdev *t = o;

	if (len != 1) {
		device_log_guest("pc-testdev: %u-byte write at IRQ port 0x%llx ignored",
				 len, (unsigned long long)(PORT_IRQ + off));
		return;
	}
	t->irq.set_level(t->irq.opaque, (unsigned int)off, d[0] != 0);
}

static void iomem_read(void *o, uint64_t off, uint8_t *d, uint32_t len)
{
	struct pc_testdev *t = o;

	pthread_mutex_lock(&t->lock);
	memcpy(d, t->iomem + off, len);
	pthread_mutex_unlock(&t->lock);
}

static void iomem_write(void *o, uint64_t off, const uint8_t *d, uint32_t len)
{
	struct pc_testdev *t = o;

	pthread_mutex_lock(&t->lock);
	memcpy(t->iomem + off, d, len);
	pthread_mutex_unlock(&t->lock);
}

static void release(void *o)
{
	struct pc_testdev *t = o;

	pthread_mutex_destroy(&t->lock);
	free(t);
}

static const struct bus_ops scratch_ops = { .read = scratch_read,
					    .write = scratch_write };
static const struct bus_ops flush_ops = { .write = flush_write };
static const struct bus_ops irq_ops = { .write = irq_write };
/* The bus frees the device with its MMIO range. */
static const struct bus_ops iomem_ops = { .read = iomem_read,
					  .write = iomem_write,
					  .release = release };

static int pc_testdev_add(const struct device_env *env, struct pci_host *host,
			  const char *spec, struct errmsg *err)
{
	struct pc_testdev *t;
	int r;

	(void)host;
	if (spec[0])
		return errmsg_set(err, EINVAL,
				  "--device pc-testdev takes no arguments, not '%s'",
				  spec);
	t = calloc(1, sizeof(*t));
	if (!t)
		return errmsg_set(err, ENOMEM, "out of memory");
	t->irq = env->irq;
	pthread_mutex_init(&t->lock, NULL);
	r = bus_register(env->mmio, IOMEM_BASE, IOMEM_LEN, &iomem_ops, t,
			 "pc-testdev iomem");
	if (r) {
		release(t);
		return errmsg_set(err, -r, "pc-testdev: MMIO 0x%llx: %s",
				  IOMEM_BASE, strerror(-r));
	}
	/* From here the MMIO range owns t. */
	r = bus_register(env->pio, PORT_SCRATCH, 4, &scratch_ops, t,
			 "pc-testdev ioport");
	if (!r)
		r = bus_register(env->pio, PORT_FLUSH, 4, &flush_ops, t,
				 "pc-testdev flush");
	if (!r)
		r = bus_register(env->pio, PORT_SCRATCH_BYTES, 4, &scratch_ops,
				 t, "pc-testdev ioport bytes");
	if (!r)
		r = bus_register(env->pio, PORT_IRQ, NR_IRQ_LINES, &irq_ops, t,
				 "pc-testdev irq lines");
	if (r)
		return errmsg_set(err, -r,
				  "pc-testdev: ports 0xe0-0xeb or 0x2000-0x2017: %s",
				  strerror(-r));
	return 0;
}

const struct device_option pc_testdev_option = { "pc-testdev",
						 pc_testdev_add };
