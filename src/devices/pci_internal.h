/* SPDX-License-Identifier: GPL-2.0 */
/* State shared by the host bridge's files (pci.c, pci_msix.c). */
#ifndef KVMSCOPE_DEVICES_PCI_INTERNAL_H
#define KVMSCOPE_DEVICES_PCI_INTERNAL_H

#include <pthread.h>

#include "devices/pci.h"

#define PCI_MAX_IOEVENTFDS 64
#define PCI_MAX_DEV_CAPS 16
/* Offsets in the type 0 header (PCI Local Bus 3.0, 6.1). */
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_CMD_IO 0x1
#define PCI_CMD_MEM 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_CMD_INTX_DISABLE 0x400
#define PCI_STATUS_INTX 0x08
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_HEADER_END 0x40

struct pci_ioeventfd {
	int bar;
	uint64_t offset;
	uint32_t len;
	int fd;
	bool match; /* only writes of data */
	uint64_t data;
	uint64_t at; /* where KVM has it, PCI_BAR_UNMAPPED: nowhere */
};

struct msix_vector {
	uint32_t addr_lo, addr_hi, data, ctrl; /* the table entry */
	int efd; /* what the device writes to raise the vector */
	int gsi; /* KVM MSI route, -1: none */
	bool irqfd; /* efd connected to gsi */
};

struct pci_device {
	struct pci_host *host;
	int slot;
	struct pci_device_info info;
	uint32_t cfg_size;
	uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE];
	uint8_t next_cap; /* where the next capability goes */
	uint8_t last_cap; /* 0: none yet */
	/* Capabilities the device added: guest-writable past id and next. */
	struct {
		uint8_t off, len;
	} dev_caps[PCI_MAX_DEV_CAPS];
	int nr_dev_caps;
	uint64_t bar_at[PCI_NUM_BARS]; /* decoded address or PCI_BAR_UNMAPPED */
	struct pci_ioeventfd ioev[PCI_MAX_IOEVENTFDS];
	int nr_ioev;
	int intx_level; /* atomic */
	int gsi; /* INTx's GSI, -1: none */
	/* MSI-X (pci_msix.c); msix_lock orders table, PBA and routes. */
	pthread_mutex_t msix_lock;
	uint8_t msix_cap; /* 0: none */
	bool msix_on, msix_masked; /* message control: enable, function mask */
	struct msix_vector *vec;
	unsigned int nr_vec;
};

struct pci_host {
	struct device_env env;
	/* Config accesses and BAR (re)mapping write; BAR dispatch reads. */
	pthread_rwlock_t lock;
	uint32_t config_address; /* CONFIG_ADDRESS at 0xcf8 */
	struct pci_device *dev[PCI_MAX_SLOTS];
	uint64_t mmio32_next, mmio64_base, mmio64_next, io_next;
};

/* pci_msix.c */
int pci_msix_init(struct pci_device *dev, struct errmsg *err);
void pci_msix_free(struct pci_device *dev);
/* Guest config write at the MSI-X capability's message control. */
void pci_msix_control_write(struct pci_device *dev, uint16_t ctrl);
/* Is [off, off + len) of BAR bar the table or PBA? Then serve it. */
bool pci_msix_access(struct pci_device *dev, int bar, uint64_t off,
		     uint8_t *rdata, const uint8_t *wdata, uint32_t len);

#endif
