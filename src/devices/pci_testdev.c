// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's pci-testdev (1b36:0005), which kvm-unit-tests drives to check
 * a VMM's MMIO and port I/O paths with and without ioeventfds: BAR 0 is
 * 4 KiB of memory, BAR 1 256 bytes of I/O. Six tests, three per BAR:
 * "no-eventfd", "wildcard-eventfd" and "datamatch-eventfd". Writing a
 * test's number (0-2) to offset 0 of a BAR selects that BAR's test; its
 * header then reads at the start of the BAR:
 *
 *   0 test (its global number), 1 width (1), 4 offset (le32), 8 data,
 *   12 count (le32), 16 name ("mmio-no-eventfd"...), NUL
 *
 * A write of width bytes at offset (and, for datamatch, of exactly data)
 * counts. For the eventfd tests the bridge registers a KVM ioeventfd
 * there while the test is selected, so such writes never reach kvmscope
 * and count stays 0 (what kvm-unit-tests expects: zero, or every write).
 * Accesses are handled a byte at a time, as QEMU's device does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/devices.h"
#include "devices/pci.h"

#define TESTS_PER_BAR 3
#define NR_TESTS (2 * TESTS_PER_BAR)
#define MEM_TEST_BASE 2048 /* the counted offsets follow the headers */
#define IO_TEST_BASE 128
#define DATAMATCH 0xfa
#define NOMATCH 0xce
#define HDR_NAME 16
#define HDR_MAX 48

struct testdev {
	struct pci_device *pci;
	pthread_mutex_t lock;
	int current; /* -1: none */
	uint8_t hdr[NR_TESTS][HDR_MAX];
	unsigned int hdr_len[NR_TESTS];
	int efd[NR_TESTS]; /* -1: no eventfd for this test */
	bool registered;
};

static const char *const kinds[TESTS_PER_BAR] = { "no-eventfd",
						  "wildcard-eventfd",
						  "datamatch-eventfd" };

static uint32_t hdr_offset(const struct testdev *t, int i)
{
	const uint8_t *h = t->hdr[i];

	return (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 |
	       (uint32_t)h[7] << 24;
}

static void stop_current(struct testdev *t)
{
	int i = t->current;

	if (i >= 0 && t->registered)
		pci_bar_del_ioeventfd(t->pci, i / TESTS_PER_BAR,
				      hdr_offset(t, i), t->efd[i]);
	t->registered = false;
	t->current = -1;
}

static void start(struct testdev *t, int i)
{
	uint64_t n;
	int r;

	memset(t->hdr[i] + 12, 0, 4); /* count */
	t->current = i;
	if (t->efd[i] < 0)
		return;
	while (read(t->efd[i], &n, sizeof(n)) == sizeof(n))
		;
	if (i % TESTS_PER_BAR == 2)
		r = pci_bar_add_ioeventfd_match(t->pci, i / TESTS_PER_BAR,
						hdr_offset(t, i), 1, DATAMATCH,
						t->efd[i]);
	else
		r = pci_bar_add_ioeventfd(t->pci, i / TESTS_PER_BAR,
					  hdr_offset(t, i), 1, t->efd[i]);
	/* No ioeventfd (host without it): the writes are counted here. */
	t->registered = !r;
}

static void write_byte(struct testdev *t, int bar, uint64_t off, uint8_t v)
{
	uint8_t *h;
	uint32_t c;

	if (off == 0) {
		stop_current(t);
		if (v < TESTS_PER_BAR)
			start(t, bar * TESTS_PER_BAR + v);
		return;
	}
	if (t->current < 0 || t->current / TESTS_PER_BAR != bar)
		return;
	h = t->hdr[t->current];
	if (off != hdr_offset(t, t->current))
		return;
	if (t->current % TESTS_PER_BAR != 1 && v != h[8])
		return;
	c = (uint32_t)h[12] | (uint32_t)h[13] << 8 | (uint32_t)h[14] << 16 |
	    (uint32_t)h[15] << 24;
	c++;
	h[12] = (uint8_t)c, h[13] = (uint8_t)(c >> 8);
	h[14] = (uint8_t)(c >> 16), h[15] = (uint8_t)(c >> 24);
}

static void bar_read(struct testdev *t, uint64_t off, uint8_t *d, uint32_t len)
{
	uint32_t i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < len; i++) {
		int c = t->current;

		/* QEMU's bound: the byte before the header's end reads 0. */
		d[i] = c >= 0 && off + i + 1 < t->hdr_len[c] ?
			       t->hdr[c][off + i] :
			       0;
	}
	pthread_mutex_unlock(&t->lock);
}

static void mem_read(void *o, uint64_t off, uint8_t *d, uint32_t len)
{
	bar_read(o, off, d, len);
}

static void io_read(void *o, uint64_t off, uint8_t *d, uint32_t len)
{
	bar_read(o, off, d, len);
}

static void bar_write(struct testdev *t, int bar, uint64_t off,
		      const uint8_t *d, uint32_t len)
{
	uint32_t i;

	pthread_mutex_lock(&t->lock);
	/* A wider access is that many byte accesses. */
	for (i = 0; i < len; i++)
		write_byte(t, bar, off + i, d[i]);
	pthread_mutex_unlock(&t->lock);
}

static void mem_write(void *o, uint64_t off, const uint8_t *d, uint32_t len)
{
	bar_write(o, 0, off, d, len);
}

static void io_write(void *o, uint64_t off, const uint8_t *d, uint32_t len)
{
	bar_write(o, 1, off, d, len);
}

static void release(void *o)
{
	struct testdev *t = o;
	int i;

	for (i = 0; i < NR_TESTS; i++)
		if (t->efd[i] >= 0)
			close(t->efd[i]);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void reset(void *o)
{
	struct testdev *t = o;

	pthread_mutex_lock(&t->lock);
	stop_current(t);
	pthread_mutex_unlock(&t->lock);
}

static const struct bus_ops mem_ops = { .read = mem_read,
					.write = mem_write,
					.release = release };
static const struct bus_ops io_ops = { .read = io_read, .write = io_write };
static const struct pci_device_ops dev_ops = { .reset = reset };

static int pci_testdev_add(const struct device_env *env, struct pci_host *host,
			   const char *spec, struct errmsg *err)
{
	struct pci_device_info info = {
		.name = "pci-testdev",
		.vendor_id = 0x1b36, /* Red Hat, as QEMU */
		.device_id = 0x0005,
		.subsystem_vendor_id = 0x1af4,
		.subsystem_id = 0x1100,
		.class_code = 0xff0000, /* "other" */
		.ops = &dev_ops,
	};
	struct testdev *t;
	int i, r;

	(void)env;
	if (spec[0])
		return errmsg_set(
			err, EINVAL,
			"--device pci-testdev takes no arguments, not '%s'",
			spec);
	t = calloc(1, sizeof(*t));
	if (!t)
		return errmsg_set(err, ENOMEM, "out of memory");
	pthread_mutex_init(&t->lock, NULL);
	t->current = -1;
	for (i = 0; i < NR_TESTS; i++) {
		uint8_t *h = t->hdr[i];
		uint32_t off =
			(i < TESTS_PER_BAR ? MEM_TEST_BASE : IO_TEST_BASE) +
			(uint32_t)i;
		const char *kind = kinds[i % TESTS_PER_BAR];
		size_t n;

		h[0] = (uint8_t)i;
		h[1] = 1;
		h[4] = (uint8_t)off, h[5] = (uint8_t)(off >> 8);
		h[8] = i % TESTS_PER_BAR == 1 ? NOMATCH : DATAMATCH;
		n = (size_t)snprintf((char *)h + HDR_NAME, HDR_MAX - HDR_NAME,
				     "%s-%s",
				     i < TESTS_PER_BAR ? "mmio" : "portio",
				     kind);
		t->hdr_len[i] = (unsigned int)(HDR_NAME + n + 1);
		t->efd[i] = i % TESTS_PER_BAR ?
				    eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) :
				    -1;
	}
	info.bars[0] = (struct pci_bar_desc){ PCI_BAR_MEM32, 4096, false,
					      &mem_ops, t };
	info.bars[1] =
		(struct pci_bar_desc){ PCI_BAR_IO, 256, false, &io_ops, t };
	info.opaque = t;
	r = pci_device_add(host, &info, &t->pci, err);
	if (r)
		release(t);
	return r;
}

const struct device_option pci_testdev_option = { "pci-testdev",
						  pci_testdev_add };
