// SPDX-License-Identifier: GPL-2.0
/*
 * KVM ioeventfds inside BARs: a device names a BAR offset, and the
 * bridge keeps KVM's registration where that BAR decodes now, dropping
 * it while the BAR is off or outside its window (pci.c calls
 * pci_move_ioeventfds whenever a BAR's decoded address changes).
 */
#include <errno.h>

#include "devices/pci_internal.h"

static int kvm_ioeventfd(struct pci_device *d, const struct pci_ioeventfd *e,
			 uint64_t at, bool assign)
{
	const struct kvm_hooks *k = &d->host->env.kvm;
	bool mmio = d->info.bars[e->bar].type != PCI_BAR_IO;

	if (e->match)
		return k->ioeventfd_match ?
			       k->ioeventfd_match(k->opaque, mmio, at, e->len,
						  e->data, e->fd, assign) :
			       -EOPNOTSUPP;
	return k->ioeventfd ? k->ioeventfd(k->opaque, mmio, at, e->len, e->fd,
					   assign) :
			      -EOPNOTSUPP;
}

void pci_move_ioeventfds(struct pci_device *d, int bar)
{
	int i;

	for (i = 0; i < d->nr_ioev; i++) {
		struct pci_ioeventfd *e = &d->ioev[i];
		uint64_t to = d->bar_at[bar] == PCI_BAR_UNMAPPED ?
				      PCI_BAR_UNMAPPED :
				      d->bar_at[bar] + e->offset;

		if (e->bar != bar || e->at == to)
			continue;
		if (e->at != PCI_BAR_UNMAPPED)
			kvm_ioeventfd(d, e, e->at, false);
		e->at = PCI_BAR_UNMAPPED;
		if (to != PCI_BAR_UNMAPPED && !kvm_ioeventfd(d, e, to, true))
			e->at = to;
	}
}

static int add_ioeventfd(struct pci_device *d, int bar, uint64_t offset,
			 uint32_t len, bool match, uint64_t data, int fd)
{
	struct pci_ioeventfd *e;

	if (bar < 0 || bar >= PCI_NUM_BARS ||
	    d->info.bars[bar].type == PCI_BAR_NONE || !len ||
	    offset + len > d->info.bars[bar].size)
		return -EINVAL;
	if (d->nr_ioev == PCI_MAX_IOEVENTFDS)
		return -ENOSPC;
	if (match ? !d->host->env.kvm.ioeventfd_match :
		    !d->host->env.kvm.ioeventfd)
		return -EOPNOTSUPP;
	/*
	 * No lock: before the vCPUs run nothing races, and from the BAR's
	 * own handler the host is read-locked, so no BAR moves meanwhile.
	 */
	e = &d->ioev[d->nr_ioev++];
	*e = (struct pci_ioeventfd){ bar,  offset,	    len, fd, match,
				     data, PCI_BAR_UNMAPPED };
	pci_move_ioeventfds(d, bar);
	return e->at == PCI_BAR_UNMAPPED && d->bar_at[bar] != PCI_BAR_UNMAPPED ?
		       -EOPNOTSUPP :
		       0;
}

int pci_bar_add_ioeventfd(struct pci_device *d, int bar, uint64_t offset,
			  uint32_t len, int fd)
{
	return add_ioeventfd(d, bar, offset, len, false, 0, fd);
}

int pci_bar_add_ioeventfd_match(struct pci_device *d, int bar, uint64_t offset,
				uint32_t len, uint64_t data, int fd)
{
	return add_ioeventfd(d, bar, offset, len, true, data, fd);
}

/*
 * Called from a BAR handler (host read-locked) or the main thread: the
 * table is changed in place, and the lock's holders only read it.
 */
int pci_bar_del_ioeventfd(struct pci_device *d, int bar, uint64_t offset,
			  int fd)
{
	int i;

	for (i = 0; i < d->nr_ioev; i++) {
		struct pci_ioeventfd *e = &d->ioev[i];

		if (e->bar != bar || e->offset != offset || e->fd != fd)
			continue;
		if (e->at != PCI_BAR_UNMAPPED)
			kvm_ioeventfd(d, e, e->at, false);
		d->ioev[i] = d->ioev[--d->nr_ioev];
		return 0;
	}
	return -ENOENT;
}
