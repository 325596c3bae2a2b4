/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI: one host bridge, bus 0, function 0 of up to PCI_MAX_SLOTS slots.
 * The bridge (devices/pci.c) owns configuration mechanism #1 (0xcf8/0xcfc)
 * and ECAM, the standard header of every function, BAR sizing and
 * decoding, the capability list, MSI-X (table, PBA, KVM routes) and INTx.
 * A device model only describes itself (struct pci_device_info), adds its
 * capabilities, and handles accesses to its BARs and its own config space.
 *
 * Guest-physical layout (the 32-bit MMIO hole starts at 3 GiB, memory.h):
 *   PCI_MMIO32_BASE .. +PCI_MMIO32_SIZE   32-bit memory BAR window
 *   PCI_ECAM_BASE   .. +PCI_ECAM_SIZE     ECAM for bus 0 (MCFG, reserved)
 *   above RAM (PCI_MMIO64_ALIGN aligned)  64-bit memory BAR window
 *   PCI_IO_BASE     .. +PCI_IO_SIZE       I/O BAR window
 * kvmscope assigns every BAR at start-up, as firmware does; a guest may
 * move BARs and toggle decoding through the command register, and the
 * bridge follows (including ioeventfds registered on a BAR).
 *
 * Threads: registration happens on the main thread before the vCPUs run.
 * Config and BAR accesses arrive on vCPU threads; the bridge serialises
 * config accesses and BAR (re)mapping with its own lock. Interrupt calls
 * (pci_set_intx, writing a vector's eventfd) may come from any thread.
 */
#ifndef KVMSCOPE_DEVICES_PCI_H
#define KVMSCOPE_DEVICES_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/devices.h"
#include "util/errmsg.h"
#include "vmm/bus.h"

#define PCI_MAX_SLOTS 32
#define PCI_NUM_BARS 6
#define PCI_CFG_SPACE_SIZE 256
#define PCI_CFG_SPACE_EXP_SIZE 4096

#define PCI_MMIO32_BASE 0xc0000000ULL
#define PCI_MMIO32_SIZE 0x20000000ULL /* 512 MiB */
#define PCI_ECAM_BASE 0xe0000000ULL
#define PCI_ECAM_SIZE 0x00100000ULL /* bus 0: 32 slots x 8 functions x 4 KiB */
#define PCI_MMIO64_ALIGN 0x40000000ULL /* 1 GiB */
#define PCI_MMIO64_SIZE 0x1000000000ULL /* 64 GiB */
#define PCI_IO_BASE 0xc000
#define PCI_IO_SIZE 0x4000

/* Where the 64-bit window starts: above RAM, 1 GiB aligned. */
static inline uint64_t pci_mmio64_base(uint64_t high_ram_size)
{
	return (0x100000000ULL + high_ram_size + PCI_MMIO64_ALIGN - 1) &
	       ~(PCI_MMIO64_ALIGN - 1);
}

/* Config mechanism #1; 0xcf9 inside it stays the reset register. */
#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT 0xcfc

/* A BAR that is not decoded (disabled, or never placed). */
#define PCI_BAR_UNMAPPED UINT64_MAX

enum pci_bar_type {
	PCI_BAR_NONE = 0,
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64, /* takes this BAR and the next */
};

struct pci_bar_desc {
	enum pci_bar_type type;
	uint64_t size; /* power of two; >= 16 for memory, >= 4 for I/O */
	bool prefetchable;
	/*
	 * Accesses inside the BAR, offset relative to its start; len 1..8.
	 * NULL ops: the bridge itself serves the region (MSI-X table/PBA).
	 */
	const struct bus_ops *ops;
	void *opaque;
};

struct pci_device;

struct pci_device_ops {
	/*
	 * Optional: config space past the 64-byte header, except the MSI-X
	 * capability, off + len <= the device's config size. cfg_read runs
	 * after the bridge filled data with the stored bytes (it may change
	 * them: a window such as virtio's PCI_CFG data). Guest writes to a
	 * capability the device added update its bytes (all but ID and next
	 * pointer) before cfg_write sees them; elsewhere they are dropped
	 * and only cfg_write hears them.
	 */
	void (*cfg_read)(void *opaque, uint32_t off, uint8_t *data,
			 uint32_t len);
	void (*cfg_write)(void *opaque, uint32_t off, const uint8_t *data,
			  uint32_t len);
	/* Optional: the machine was reset (guest reboot with restart). */
	void (*reset)(void *opaque);
};

struct pci_device_info {
	const char *name; /* for query-pci and log lines: "virtio-blk" */
	uint16_t vendor_id;
	uint16_t device_id;
	uint16_t subsystem_vendor_id;
	uint16_t subsystem_id;
	uint8_t revision;
	uint32_t class_code; /* base << 16 | sub << 8 | prog-if */
	bool has_intx; /* interrupt pin INTA#, routed through the IOAPIC */
	bool express; /* 4 KiB config space (ECAM only past 256) */
	struct pci_bar_desc bars[PCI_NUM_BARS];
	/*
	 * MSI-X: msix_vectors > 0 adds the capability; table and PBA live in
	 * BAR msix_bar at the given offsets (that BAR's ops are called for
	 * every other offset).
	 */
	unsigned int msix_vectors;
	int msix_bar;
	uint64_t msix_table_offset;
	uint64_t msix_pba_offset;
	const struct pci_device_ops *ops;
	void *opaque;
};

/*
 * The host bridge, registered on env's buses (config ports, ECAM, the BAR
 * windows). One per VM.
 */
struct pci_host;
int pci_host_create(const struct device_env *env, struct pci_host **out,
		    struct errmsg *err);
void pci_host_destroy(struct pci_host *host);

/*
 * Add a device in the next free slot (slot 0 is the host bridge itself);
 * the bridge builds its header and assigns its BARs. Before the vCPUs run.
 */
int pci_device_add(struct pci_host *host, const struct pci_device_info *info,
		   struct pci_device **out, struct errmsg *err);

/*
 * Append a capability (cap[0] = ID; the bridge fills the next pointer at
 * cap[1]) to the device's list; *offset gets its config-space offset.
 * Before the vCPUs run. -ENOSPC when the 256-byte space is full.
 */
int pci_device_add_capability(struct pci_device *dev, const uint8_t *cap,
			      size_t len, uint8_t *offset);

/* The machine was reset: every device's ops->reset. Main thread. */
void pci_host_reset(struct pci_host *host);

/* The GSI that INTx pin (1 = INTA#) of slot routes to (the DSDT's _PRT). */
int pci_intx_gsi(int slot, int pin);

/* Where BAR bar is decoded now, PCI_BAR_UNMAPPED when it is not. */
uint64_t pci_bar_address(const struct pci_device *dev, int bar);

/*
 * Register eventfd fd to be signalled by KVM on a write of len bytes at
 * BAR bar + offset (any value), kept in place while the BAR moves (before
 * the vCPUs run, or from the BAR's own handler, and one device at a
 * time), and
 * written by the bridge itself when the write exits to userspace (no
 * KVM_IOEVENTFD, or the BAR is not mapped where KVM saw it). 0/-errno.
 */
int pci_bar_add_ioeventfd(struct pci_device *dev, int bar, uint64_t offset,
			  uint32_t len, int fd);
/* The same for writes of exactly data only (KVM's datamatch). */
int pci_bar_add_ioeventfd_match(struct pci_device *dev, int bar,
				uint64_t offset, uint32_t len, uint64_t data,
				int fd);
/* Remove one (0, -ENOENT); may be called from the BAR's own handler. */
int pci_bar_del_ioeventfd(struct pci_device *dev, int bar, uint64_t offset,
			  int fd);

/*
 * Interrupts. With MSI-X enabled by the guest a device raises vector v by
 * writing 1 to pci_msix_vector_fd(dev, v): the bridge keeps that eventfd
 * connected to KVM (irqfd + GSI route) while the vector is unmasked, and
 * sets its PBA bit and delivers it on unmask otherwise. With MSI-X
 * disabled the device drives INTx with pci_set_intx (level-triggered,
 * shared as the _PRT says) instead.
 */
bool pci_msix_enabled(const struct pci_device *dev);
int pci_msix_vector_fd(struct pci_device *dev, unsigned int vector);
void pci_set_intx(struct pci_device *dev, int level);

/*
 * What query-pci reports; the strings stay valid while the host does.
 * Safe from the main thread while vCPUs run.
 */
struct pci_bar_info {
	enum pci_bar_type type;
	uint64_t address; /* PCI_BAR_UNMAPPED: not decoded */
	uint64_t size;
	bool prefetchable;
};

struct pci_function_info {
	unsigned int bus, slot, function;
	const char *name;
	uint16_t vendor_id, device_id, subsystem_vendor_id, subsystem_id;
	uint8_t revision;
	uint32_t class_code;
	uint16_t command;
	int irq_line; /* -1: no INTx */
	unsigned int msix_vectors;
	bool msix_enabled;
	struct pci_bar_info bars[PCI_NUM_BARS];
};

/* Fill out[0..max) in slot order; returns the number of functions. */
size_t pci_host_list(struct pci_host *host, struct pci_function_info *out,
		     size_t max);

#endif
