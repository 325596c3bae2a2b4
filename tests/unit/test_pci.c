// SPDX-License-Identifier: GPL-2.0
/*
 * devices/pci.c and pci_msix.c without KVM: a host on plain buses with a
 * recording irq sink and KVM hooks. Both config mechanisms give the same
 * bytes; BAR sizing for each type; 64-bit BARs; the command register
 * turns decoding on and off; the capability chain; MSI-X table, masks,
 * routes and irqfds, pending bits; INTx; 0xcf9 beside 0xcf8.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/pci.h"
#include "vmm/bus.h"

static struct bus pio, mmio;
static struct device_env env;
static struct pci_host *host;
static int irq_level[32];
static struct {
	int routes, route_gsi, irqfds_on, irqfd_calls, ioeventfds;
	uint64_t last_addr;
	uint32_t last_data;
	uint64_t ioev_addr;
} k;

static void set_level(void *o, unsigned int irq, int level)
{
	(void)o;
	if (irq < 32)
		irq_level[irq] = level;
}

static int h_ioeventfd(void *o, bool is_mmio, uint64_t addr, uint32_t len,
		       int fd, bool assign)
{
	(void)o, (void)is_mmio, (void)len, (void)fd;
	k.ioeventfds += assign ? 1 : -1;
	if (assign)
		k.ioev_addr = addr;
	return 0;
}

static int h_msi_route(void *o, int *gsi, uint64_t addr, uint32_t data)
{
	(void)o;
	if (*gsi < 0) {
		*gsi = 100 + k.routes;
		k.routes++;
	}
	k.route_gsi = *gsi;
	k.last_addr = addr;
	k.last_data = data;
	return 0;
}

static void h_msi_route_free(void *o, int gsi)
{
	(void)o, (void)gsi;
	k.routes--;
}

static int h_irqfd(void *o, int gsi, int fd, bool assign)
{
	(void)o, (void)gsi, (void)fd;
	k.irqfd_calls++;
	k.irqfds_on += assign ? 1 : -1;
	return 0;
}

/* A test device: BAR0 64-bit memory (MSI-X in it), BAR2 I/O, BAR3 32. */
struct tdev {
	uint64_t last_off;
	uint32_t writes, reads;
	int cfg_writes;
	uint32_t cfg_last;
};

static void t_read(void *o, uint64_t off, uint8_t *d, uint32_t len)
{
	struct tdev *t = o;

	t->reads++;
	t->last_off = off;
	memset(d, 0x5a, len);
}

static void t_write(void *o, uint64_t off, const uint8_t *d, uint32_t len)
{
	struct tdev *t = o;

	(void)d, (void)len;
	t->writes++;
	t->last_off = off;
}

static void t_cfg_write(void *o, uint32_t off, const uint8_t *d, uint32_t len)
{
	struct tdev *t = o;

	(void)d, (void)len;
	t->cfg_writes++;
	t->cfg_last = off;
}

static const struct bus_ops t_ops = { .read = t_read, .write = t_write };
static const struct pci_device_ops t_dev_ops = { .cfg_write = t_cfg_write };
static struct tdev td;
static struct pci_device *dev;

static int setup(void **state)
{
	struct pci_device_info info = {
		.name = "test",
		.vendor_id = 0x1af4,
		.device_id = 0x1041,
		.class_code = 0x020000,
		.has_intx = true,
		.msix_vectors = 3,
		.msix_bar = 0,
		.msix_table_offset = 0x2000,
		.msix_pba_offset = 0x3000,
		.ops = &t_dev_ops,
		.opaque = &td,
	};
	struct errmsg err;
	const uint8_t cap[8] = { 0x09, 0, 8, 1, 2, 3, 4, 5 };

	(void)state;
	memset(&k, 0, sizeof(k));
	memset(&td, 0, sizeof(td));
	memset(irq_level, 0, sizeof(irq_level));
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	env = (struct device_env){
		.pio = &pio,
		.mmio = &mmio,
		.irq = { .set_level = set_level },
		.kvm = { .ioeventfd = h_ioeventfd,
			 .msi_route = h_msi_route,
			 .msi_route_free = h_msi_route_free,
			 .irqfd = h_irqfd },
		.ram_size = 256 << 20,
		.low_ram_end = 256 << 20,
	};
	info.bars[0] = (struct pci_bar_desc){ PCI_BAR_MEM64, 0x4000, false,
					      &t_ops, &td };
	info.bars[2] = (struct pci_bar_desc){ PCI_BAR_IO, 0x40, false, &t_ops,
					      &td };
	info.bars[3] = (struct pci_bar_desc){ PCI_BAR_MEM32, 0x1000, true,
					      &t_ops, &td };
	assert_int_equal(pci_host_create(&env, &host, &err), 0);
	assert_int_equal(pci_device_add(host, &info, &dev, &err), 0);
	assert_int_equal(pci_device_add_capability(dev, cap, sizeof(cap), NULL),
			 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	bus_release(&pio); /* 0xcf8 owns the host */
	bus_release(&mmio);
	return 0;
}

static uint32_t cf8_read(unsigned int slot, uint32_t reg, uint32_t len)
{
	uint32_t ca = 0x80000000U | slot << 11 | (reg & 0xfc), v = 0;
	uint8_t b[4];

	bus_write(&pio, 0xcf8, (uint8_t *)&ca, 4);
	bus_read(&pio, 0xcfc + (reg & 3), b, len);
	memcpy(&v, b, len);
	return v;
}

static void cf8_write(unsigned int slot, uint32_t reg, uint32_t v,
		      uint32_t len)
{
	uint32_t ca = 0x80000000U | slot << 11 | (reg & 0xfc);

	bus_write(&pio, 0xcf8, (uint8_t *)&ca, 4);
	bus_write(&pio, 0xcfc + (reg & 3), (uint8_t *)&v, len);
}

static uint32_t ecam_read(unsigned int slot, uint32_t reg, uint32_t len)
{
	uint32_t v = 0;

	bus_read(&mmio, PCI_ECAM_BASE + (slot << 15) + reg, (uint8_t *)&v,
		 len);
	return v;
}

static void test_both_mechanisms_agree(void **state)
{
	uint32_t reg;

	(void)state;
	assert_int_equal(cf8_read(0, 0, 4), 0x29c08086); /* host bridge */
	assert_int_equal(cf8_read(1, 0, 4), 0x10411af4);
	assert_int_equal(cf8_read(1, 0, 2), 0x1af4);
	assert_int_equal(cf8_read(1, 2, 2), 0x1041);
	assert_int_equal(cf8_read(1, 0xb, 1), 0x02); /* class */
	for (reg = 0; reg < 256; reg += 4)
		assert_int_equal(cf8_read(1, reg, 4), ecam_read(1, reg, 4));
	/* absent slots and functions read as all-ones */
	assert_int_equal(cf8_read(7, 0, 4), 0xffffffffU);
	assert_int_equal(ecam_read(7, 0, 4), 0xffffffffU);
	/* enable bit clear: all-ones */
	{
		uint32_t ca = 1 << 11, v = 0;

		bus_write(&pio, 0xcf8, (uint8_t *)&ca, 4);
		bus_read(&pio, 0xcfc, (uint8_t *)&v, 4);
		assert_int_equal(v, 0xffffffffU);
	}
	/* a misaligned ECAM dword is ignored */
	assert_int_equal(ecam_read(1, 2, 4), 0xffffffffU);
}

static void test_bar_sizing_and_64bit(void **state)
{
	uint32_t lo, hi, io, m32;

	(void)state;
	lo = cf8_read(1, 0x10, 4);
	hi = cf8_read(1, 0x14, 4);
	assert_int_equal(lo & 0xf, 0x4); /* memory, 64-bit, not prefetchable */
	assert_true(((uint64_t)hi << 32 | (lo & ~0xfU)) >= 0x100000000ULL);
	cf8_write(1, 0x10, 0xffffffffU, 4);
	cf8_write(1, 0x14, 0xffffffffU, 4);
	assert_int_equal(cf8_read(1, 0x10, 4), 0xffffc004U); /* 16 KiB */
	assert_int_equal(cf8_read(1, 0x14, 4), 0xffffffffU);
	io = cf8_read(1, 0x18, 4);
	assert_int_equal(io & 3, 1);
	cf8_write(1, 0x18, 0xffffffffU, 4);
	assert_int_equal(cf8_read(1, 0x18, 4), 0xffffffc1U); /* 64 bytes */
	m32 = cf8_read(1, 0x1c, 4);
	assert_int_equal(m32 & 0xf, 0x8); /* prefetchable 32-bit */
	cf8_write(1, 0x1c, 0xffffffffU, 4);
	assert_int_equal(cf8_read(1, 0x1c, 4), 0xfffff008U);
	/* sized away: not decoded; restored: decoded again */
	assert_int_equal(pci_bar_address(dev, 3), PCI_BAR_UNMAPPED);
	cf8_write(1, 0x1c, m32, 4);
	assert_int_equal(pci_bar_address(dev, 3), m32 & ~0xfU);
	/* unused BARs stay zero */
	cf8_write(1, 0x24, 0xffffffffU, 4);
	assert_int_equal(cf8_read(1, 0x24, 4), 0);
}

static void test_command_register_decoding(void **state)
{
	uint64_t m32 = cf8_read(1, 0x1c, 4) & ~0xfU;
	uint16_t io = (uint16_t)(cf8_read(1, 0x18, 4) & ~3U);
	uint8_t b[4];

	(void)state;
	assert_true(bus_read(&mmio, m32 + 8, b, 4));
	assert_int_equal(td.reads, 1);
	assert_int_equal(td.last_off, 8);
	assert_true(bus_read(&pio, io + 4, b, 2));
	assert_int_equal(td.reads, 2);
	/* memory decode off: unclaimed (all-ones), the device hears nothing */
	cf8_write(1, 0x04, 0x0001, 2);
	assert_false(bus_read(&mmio, m32 + 8, b, 4)); /* unclaimed */
	assert_int_equal(mmio.unclaimed_reads, 1);
	assert_int_equal(td.reads, 2);
	assert_int_equal(b[0], 0xff);
	bus_read(&pio, io + 4, b, 2);
	assert_int_equal(td.reads, 3);
	/* move the BAR while decoding is on */
	cf8_write(1, 0x04, 0x0003, 2);
	cf8_write(1, 0x1c, (uint32_t)(m32 + 0x100000), 4);
	bus_write(&mmio, m32 + 0x100000, b, 4);
	assert_int_equal(td.writes, 1);
	assert_int_equal(td.last_off, 0);
	/* only the defined command bits stick */
	cf8_write(1, 0x04, 0xffff, 2);
	assert_int_equal(cf8_read(1, 0x04, 2), 0x0407);
}

static void test_capability_chain(void **state)
{
	uint8_t at;
	int seen_msix = 0, seen_vendor = 0, n = 0;

	(void)state;
	assert_true(cf8_read(1, 0x06, 2) & 0x10); /* capability list */
	for (at = (uint8_t)cf8_read(1, 0x34, 1); at && n < 48;
	     at = (uint8_t)cf8_read(1, at + 1u, 1), n++) {
		uint8_t id = (uint8_t)cf8_read(1, at, 1);

		assert_true(at >= 0x40 && !(at & 3));
		seen_msix += id == 0x11;
		seen_vendor += id == 0x09;
		if (id == 0x11) /* table size 3: N - 1 */
			assert_int_equal(cf8_read(1, at + 2u, 2) & 0x7ff, 2);
	}
	assert_int_equal(seen_msix, 1);
	assert_int_equal(seen_vendor, 1);
	/* A device capability's body is writable and the device hears it;
	 * its ID and next pointer are not. */
	for (at = (uint8_t)cf8_read(1, 0x34, 1); at;
	     at = (uint8_t)cf8_read(1, at + 1u, 1))
		if (cf8_read(1, at, 1) == 0x09)
			break;
	cf8_write(1, at + 4u, 0x77, 1);
	assert_int_equal(cf8_read(1, at + 4u, 1), 0x77);
	assert_int_equal(td.cfg_writes, 1);
	assert_int_equal(td.cfg_last, at + 4u);
	cf8_write(1, at, 0x55, 1);
	assert_int_equal(cf8_read(1, at, 1), 0x09);
}

static uint8_t msix_cap(void)
{
	uint8_t at;

	for (at = (uint8_t)cf8_read(1, 0x34, 1); at;
	     at = (uint8_t)cf8_read(1, at + 1u, 1))
		if (cf8_read(1, at, 1) == 0x11)
			return at;
	fail();
	return 0;
}

static void test_msix(void **state)
{
	uint64_t bar = pci_bar_address(dev, 0);
	uint8_t at = msix_cap();
	uint32_t v, pba;
	uint64_t one = 1;
	int fd = pci_msix_vector_fd(dev, 1);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(pci_msix_vector_fd(dev, 3), -1);
	/* vector 1: address, data, unmasked; MSI-X still disabled */
	v = 0xfee00000U;
	bus_write(&mmio, bar + 0x2000 + 16, (uint8_t *)&v, 4);
	v = 0x41;
	bus_write(&mmio, bar + 0x2000 + 16 + 8, (uint8_t *)&v, 4);
	v = 0;
	bus_write(&mmio, bar + 0x2000 + 16 + 12, (uint8_t *)&v, 4);
	assert_int_equal(k.irqfds_on, 0);
	assert_false(pci_msix_enabled(dev));
	/* enable: vector 1 routed and connected, the others masked */
	cf8_write(1, at + 2u, 0x8002, 2);
	assert_true(pci_msix_enabled(dev));
	assert_int_equal(k.irqfds_on, 1);
	assert_int_equal(k.last_addr, 0xfee00000U);
	assert_int_equal(k.last_data, 0x41);
	/* table reads back; vector control keeps only the mask bit */
	bus_read(&mmio, bar + 0x2000 + 16 + 8, (uint8_t *)&v, 4);
	assert_int_equal(v, 0x41);
	v = 0xfffffffeU;
	bus_write(&mmio, bar + 0x2000 + 16 + 12, (uint8_t *)&v, 4);
	bus_read(&mmio, bar + 0x2000 + 16 + 12, (uint8_t *)&v, 4);
	assert_int_equal(v, 0);
	/* function mask: disconnected; a write is pending in the PBA */
	cf8_write(1, at + 2u, 0xc002, 2);
	assert_int_equal(k.irqfds_on, 0);
	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
	bus_read(&mmio, bar + 0x3000, (uint8_t *)&pba, 4);
	assert_int_equal(pba, 0x2);
	/* PBA is read-only */
	v = 0;
	bus_write(&mmio, bar + 0x3000, (uint8_t *)&v, 4);
	bus_read(&mmio, bar + 0x3000, (uint8_t *)&pba, 4);
	assert_int_equal(pba, 0x2);
	/* unmask: connected again (KVM then delivers what is pending) */
	cf8_write(1, at + 2u, 0x8002, 2);
	assert_int_equal(k.irqfds_on, 1);
	/* bad widths and offsets past the table: ignored, all-ones */
	bus_read(&mmio, bar + 0x2000 + 1, (uint8_t *)&v, 2);
	assert_int_equal(v & 0xffff, 0xffff);
	bus_read(&mmio, bar + 0x2000 + 3 * 16, (uint8_t *)&v, 4);
	assert_int_equal(td.last_off, 0x2000 + 3 * 16); /* not the table */
	/* the table size field cannot be written */
	cf8_write(1, at + 2u, 0x87ff, 2);
	assert_int_equal(cf8_read(1, at + 2u, 2) & 0x7ff, 2);
}

static void test_intx(void **state)
{
	int gsi = pci_intx_gsi(1, 1);

	(void)state;
	assert_int_equal(cf8_read(1, 0x3d, 1), 1); /* INTA# */
	assert_int_equal(cf8_read(1, 0x3c, 1), gsi);
	assert_int_equal(gsi, 16 + (1 + 0) % 4); /* slot 1, INTA# */
	pci_set_intx(dev, 1);
	assert_int_equal(irq_level[gsi], 1);
	assert_true(cf8_read(1, 0x06, 2) & 0x08); /* interrupt status */
	/* INTx disable masks the line, not the status */
	cf8_write(1, 0x05, 0x04, 1);
	assert_int_equal(irq_level[gsi], 0);
	assert_true(cf8_read(1, 0x06, 2) & 0x08);
	cf8_write(1, 0x05, 0x00, 1);
	assert_int_equal(irq_level[gsi], 1);
	pci_set_intx(dev, 0);
	assert_int_equal(irq_level[gsi], 0);
	assert_false(cf8_read(1, 0x06, 2) & 0x08);
}

static void test_ioeventfd_follows_the_bar(void **state)
{
	uint64_t m32 = pci_bar_address(dev, 3);

	(void)state;
	assert_int_equal(pci_bar_add_ioeventfd(dev, 3, 0x10, 2, 42), 0);
	assert_int_equal(k.ioeventfds, 1);
	assert_int_equal(k.ioev_addr, m32 + 0x10);
	cf8_write(1, 0x04, 0x0001, 2); /* memory off: removed */
	assert_int_equal(k.ioeventfds, 0);
	cf8_write(1, 0x1c, (uint32_t)(m32 + 0x10000), 4);
	cf8_write(1, 0x04, 0x0003, 2); /* on, moved */
	assert_int_equal(k.ioeventfds, 1);
	assert_int_equal(k.ioev_addr, m32 + 0x10000 + 0x10);
	assert_int_equal(pci_bar_add_ioeventfd(dev, 3, 0xfff, 2, 43), -EINVAL);
	assert_int_equal(pci_bar_add_ioeventfd(dev, 1, 0, 2, 43), -EINVAL);
}

static void test_list(void **state)
{
	struct pci_function_info f[4];

	(void)state;
	assert_int_equal(pci_host_list(host, f, 4), 2);
	assert_int_equal(f[0].slot, 0);
	assert_int_equal(f[1].slot, 1);
	assert_int_equal(f[1].vendor_id, 0x1af4);
	assert_int_equal(f[1].bars[0].type, PCI_BAR_MEM64);
	assert_int_equal(f[1].bars[0].size, 0x4000);
	assert_int_equal(f[1].msix_vectors, 3);
	assert_int_equal(f[1].irq_line, pci_intx_gsi(1, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_both_mechanisms_agree,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing_and_64bit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_command_register_decoding,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_capability_chain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_msix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioeventfd_follows_the_bar,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
