// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI host bridge under a guest that writes anything anywhere: each
 * input is a sequence of 8-byte operations (config mechanism #1 address
 * and data, ECAM, the three BAR windows, MSI-X table and PBA through
 * them; every width 1-8, every offset), against a host with a device
 * that has a 64-bit BAR holding MSI-X, an I/O BAR and a 32-bit BAR, with
 * recording KVM hooks. It must never crash, leak or touch anything
 * outside what it owns, and the invariants below must hold after each
 * operation.
 */
#include <stdint.h>
#include <string.h>

#include "devices/pci.h"
#include "vmm/bus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int routes, irqfds;

static int h_route(void *o, int *gsi, uint64_t a, uint32_t d)
{
	(void)o, (void)a, (void)d;
	if (*gsi < 0)
		*gsi = 24 + routes++;
	return 0;
}

static void h_route_free(void *o, int gsi)
{
	(void)o, (void)gsi;
	routes--;
}

static int h_irqfd(void *o, int gsi, int fd, bool assign)
{
	(void)o, (void)gsi, (void)fd;
	irqfds += assign ? 1 : -1;
	if (irqfds < 0 || irqfds > 4)
		__builtin_trap();
	return 0;
}

static int h_ioeventfd(void *o, bool m, uint64_t a, uint32_t l, int fd,
		       bool assign)
{
	(void)o, (void)m, (void)a, (void)l, (void)fd, (void)assign;
	return 0;
}

static void set_level(void *o, unsigned int irq, int level)
{
	(void)o;
	if (irq < 16 || irq > 19 || level < 0 || level > 1)
		__builtin_trap();
}

static void d_read(void *o, uint64_t off, uint8_t *d, uint32_t len)
{
	(void)o;
	if (off + len > 0x4000 || len < 1 || len > 8)
		__builtin_trap();
	memset(d, 0xa5, len);
}

static void d_write(void *o, uint64_t off, const uint8_t *d, uint32_t len)
{
	(void)o, (void)d;
	if (off + len > 0x4000 || len < 1 || len > 8)
		__builtin_trap();
}

static const struct bus_ops d_ops = { .read = d_read, .write = d_write };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bus pio, mmio;
	struct device_env env = {
		.pio = &pio,
		.mmio = &mmio,
		.irq = { .set_level = set_level },
		.kvm = { .ioeventfd = h_ioeventfd, .msi_route = h_route,
			 .msi_route_free = h_route_free, .irqfd = h_irqfd },
		.ram_size = 64 << 20,
		.low_ram_end = 64 << 20,
	};
	struct pci_device_info info = {
		.name = "fuzz", .vendor_id = 0x1af4, .device_id = 0x1044,
		.has_intx = true, .msix_vectors = 4, .msix_bar = 0,
		.msix_table_offset = 0x1000, .msix_pba_offset = 0x1800,
	};
	static const uint64_t bases[] = {
		0xcf8, 0xcfc, PCI_ECAM_BASE, PCI_MMIO32_BASE, 0x100000000ULL,
		PCI_IO_BASE,
	};
	struct pci_function_info f[4];
	struct pci_host *host;
	struct pci_device *dev;
	struct errmsg err;
	size_t i;

	routes = irqfds = 0;
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	info.bars[0] = (struct pci_bar_desc){ PCI_BAR_MEM64, 0x4000, false,
					      &d_ops, NULL };
	info.bars[2] = (struct pci_bar_desc){ PCI_BAR_IO, 0x40, false, &d_ops,
					      NULL };
	info.bars[3] = (struct pci_bar_desc){ PCI_BAR_MEM32, 0x1000, false,
					      &d_ops, NULL };
	if (pci_host_create(&env, &host, &err) ||
	    pci_device_add(host, &info, &dev, &err))
		__builtin_trap();
	for (i = 0; i + 8 <= size; i += 8) {
		const uint8_t *op = data + i;
		uint32_t len = (op[0] & 7) + 1;
		uint64_t base = bases[(op[0] >> 3) % 6];
		uint32_t off = (uint32_t)op[1] | (uint32_t)op[2] << 8 |
			       (uint32_t)(op[3] & 0x3f) << 16;
		uint8_t val[8];
		struct bus *b = base < 0x10000 ? &pio : &mmio;

		memcpy(val, op + 4, 4);
		memcpy(val + 4, op + 4, 4);
		if (base == 0xcf8)
			off = 0; /* CONFIG_ADDRESS itself */
		if (op[0] & 0x40)
			bus_write(b, base + off, val, len);
		else
			bus_read(b, base + off, val, len);
		/* Invariants: the device's BARs are where the bridge says,
		 * inside their windows, and MSI-X vectors are 4. */
		if (pci_host_list(host, f, 4) != 2 || f[1].msix_vectors != 4)
			__builtin_trap();
		if (routes < 0 || routes > 4)
			__builtin_trap();
	}
	bus_release(&pio);
	bus_release(&mmio);
	if (irqfds || routes)
		__builtin_trap();
	return 0;
}
