// SPDX-License-Identifier: GPL-2.0
/*
 * MSI-X (PCI Local Bus 3.0, 6.8.2): the table and PBA in a BAR, the
 * capability's enable and function-mask bits, per-vector masks.
 *
 * Each vector has an eventfd the device writes to raise it. While the
 * vector can be delivered (MSI-X on, function and vector unmasked) the
 * eventfd is a KVM irqfd on the vector's MSI route, so an interrupt never
 * passes through kvmscope. While it cannot, the irqfd is disconnected and
 * the eventfd's count is the pending bit: the PBA reads it (poll, without
 * consuming it), and reconnecting the irqfd on unmask makes KVM deliver
 * what is pending, as the architecture requires. A host without irqfds
 * gets what is pending delivered by KVM_SIGNAL_MSI at each unmask only:
 * kvm_hooks.c logs that such a host is limited.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/pci_internal.h"

#define MSIX_CAP_LEN 12
#define MSIX_ENTRY 16
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_VECTOR_MASKED 1

static bool deliverable(const struct pci_device *d, const struct msix_vector *v)
{
	return d->msix_on && !d->msix_masked && !(v->ctrl & MSIX_VECTOR_MASKED);
}

static bool pending(const struct msix_vector *v)
{
	struct pollfd p = { .fd = v->efd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Connect or disconnect vector i as its state says (msix_lock held). */
static void update_vector(struct pci_device *d, unsigned int i)
{
	const struct kvm_hooks *k = &d->host->env.kvm;
	struct msix_vector *v = &d->vec[i];
	uint64_t addr = (uint64_t)v->addr_hi << 32 | v->addr_lo;

	if (!deliverable(d, v)) {
		if (v->irqfd && k->irqfd)
			k->irqfd(k->opaque, v->gsi, v->efd, false);
		v->irqfd = false;
		return;
	}
	/* On failure the old route stays (the hook logged why). */
	if (k->msi_route)
		k->msi_route(k->opaque, &v->gsi, addr, v->data);
	if (!v->irqfd && v->gsi >= 0 && k->irqfd &&
	    !k->irqfd(k->opaque, v->gsi, v->efd, true)) {
		v->irqfd = true;
		return;
	}
	if (!v->irqfd && pending(v)) {
		uint64_t n;

		/* No irqfd: deliver what is pending ourselves. */
		if (read(v->efd, &n, sizeof(n)) == sizeof(n) && k->signal_msi)
			k->signal_msi(k->opaque, addr, v->data);
	}
}

int pci_msix_init(struct pci_device *d, struct errmsg *err)
{
	const struct pci_device_info *info = &d->info;
	uint8_t cap[MSIX_CAP_LEN] = { PCI_CAP_ID_MSIX };
	const struct pci_bar_desc *b;
	unsigned int i;
	uint32_t t;

	if (!info->msix_vectors)
		return 0;
	if (info->msix_vectors > 2048 || info->msix_bar < 0 ||
	    info->msix_bar >= PCI_NUM_BARS)
		return errmsg_set(err, EINVAL, "%s: bad MSI-X setup",
				  info->name);
	b = &info->bars[info->msix_bar];
	if (b->type == PCI_BAR_NONE || b->type == PCI_BAR_IO ||
	    (info->msix_table_offset & 7) || (info->msix_pba_offset & 7) ||
	    info->msix_table_offset + info->msix_vectors * MSIX_ENTRY >
		    b->size ||
	    info->msix_pba_offset + (info->msix_vectors + 63) / 64 * 8 >
		    b->size)
		return errmsg_set(err, EINVAL,
				  "%s: MSI-X table or PBA outside BAR %d",
				  info->name, info->msix_bar);
	d->vec = calloc(info->msix_vectors, sizeof(*d->vec));
	if (!d->vec)
		return errmsg_set(err, ENOMEM, "out of memory");
	for (i = 0; i < info->msix_vectors; i++) {
		d->vec[i].gsi = -1;
		d->vec[i].ctrl = MSIX_VECTOR_MASKED;
		d->vec[i].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->vec[i].efd < 0) {
			d->nr_vec = i;
			return errmsg_set(err, errno, "%s: eventfd: %s",
					  info->name, strerror(errno));
		}
	}
	d->nr_vec = info->msix_vectors;
	cap[2] = (uint8_t)(info->msix_vectors - 1);
	cap[3] = (uint8_t)((info->msix_vectors - 1) >> 8);
	t = (uint32_t)info->msix_table_offset | (uint32_t)info->msix_bar;
	memcpy(cap + 4, &t, 4);
	t = (uint32_t)info->msix_pba_offset | (uint32_t)info->msix_bar;
	memcpy(cap + 8, &t, 4);
	if (pci_device_add_capability(d, cap, sizeof(cap), NULL))
		return errmsg_set(err, ENOSPC, "%s: no room for MSI-X",
				  info->name);
	return 0;
}

void pci_msix_free(struct pci_device *d)
{
	const struct kvm_hooks *k = &d->host->env.kvm;
	unsigned int i;

	for (i = 0; i < d->nr_vec; i++) {
		struct msix_vector *v = &d->vec[i];

		if (v->irqfd && k->irqfd)
			k->irqfd(k->opaque, v->gsi, v->efd, false);
		if (v->gsi >= 0 && k->msi_route_free)
			k->msi_route_free(k->opaque, v->gsi);
		close(v->efd);
	}
	free(d->vec);
	d->vec = NULL;
	d->nr_vec = 0;
	pthread_mutex_destroy(&d->msix_lock);
}

int pci_msix_vector_fd(struct pci_device *d, unsigned int vector)
{
	return vector < d->nr_vec ? d->vec[vector].efd : -1;
}

void pci_msix_control_write(struct pci_device *d, uint16_t ctrl)
{
	unsigned int i;

	pthread_mutex_lock(&d->msix_lock);
	/* Only enable and function mask are writable; table size is not. */
	d->cfg[d->msix_cap + 3] =
		(uint8_t)((d->cfg[d->msix_cap + 3] & 0x07) |
			  ((ctrl & (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL)) >>
			   8));
	__atomic_store_n(&d->msix_on, !!(ctrl & MSIX_CTRL_ENABLE),
			 __ATOMIC_SEQ_CST);
	d->msix_masked = !!(ctrl & MSIX_CTRL_MASKALL);
	for (i = 0; i < d->nr_vec; i++)
		update_vector(d, i);
	pthread_mutex_unlock(&d->msix_lock);
}

static void table_access(struct pci_device *d, uint64_t off, uint8_t *rdata,
			 const uint8_t *wdata, uint32_t len)
{
	unsigned int i = (unsigned int)(off / MSIX_ENTRY);
	uint32_t word = (uint32_t)(off % MSIX_ENTRY) / 4;
	struct msix_vector *v;
	uint32_t *f, val;

	/* The spec allows dword and qword accesses, naturally aligned. */
	if ((len != 4 && len != 8) || (off & (len - 1))) {
		device_log_guest(
			"pci %s: MSI-X table access of %u bytes at 0x%llx ignored",
			d->info.name, len, (unsigned long long)off);
		if (rdata)
			memset(rdata, 0xff, len);
		return;
	}
	if (len == 8) {
		table_access(d, off, rdata, wdata, 4);
		table_access(d, off + 4, rdata ? rdata + 4 : NULL,
			     wdata ? wdata + 4 : NULL, 4);
		return;
	}
	v = &d->vec[i];
	f = word == 0 ? &v->addr_lo :
	    word == 1 ? &v->addr_hi :
	    word == 2 ? &v->data :
			&v->ctrl;
	if (rdata) {
		memcpy(rdata, f, 4);
		return;
	}
	memcpy(&val, wdata, 4);
	/* Vector control: only the mask bit is writable. */
	*f = word == 3 ? (val & MSIX_VECTOR_MASKED) : val;
	update_vector(d, i);
}

bool pci_msix_access(struct pci_device *d, int bar, uint64_t off,
		     uint8_t *rdata, const uint8_t *wdata, uint32_t len)
{
	uint64_t tbl = d->info.msix_table_offset, pba = d->info.msix_pba_offset;
	uint64_t tlen = (uint64_t)d->nr_vec * MSIX_ENTRY;
	uint64_t plen = (d->nr_vec + 63) / 64 * 8;

	if (bar != d->info.msix_bar)
		return false;
	if (off >= tbl && off < tbl + tlen) {
		if (off + len > tbl + tlen) {
			if (rdata)
				memset(rdata, 0xff, len);
			return true;
		}
		pthread_mutex_lock(&d->msix_lock);
		table_access(d, off - tbl, rdata, wdata, len);
		pthread_mutex_unlock(&d->msix_lock);
		return true;
	}
	if (off >= pba && off < pba + plen) {
		uint8_t bytes[8] = { 0 };
		uint64_t first = (off - pba) * 8;
		unsigned int i;

		/* Read-only: the pending bits are the eventfds' counts. */
		if (!rdata)
			return true;
		pthread_mutex_lock(&d->msix_lock);
		for (i = 0; i < len * 8 && i < 64; i++) {
			uint64_t vi = first + i;

			if (vi < d->nr_vec && !d->vec[vi].irqfd &&
			    pending(&d->vec[vi]))
				bytes[i / 8] |= (uint8_t)(1u << (i % 8));
		}
		pthread_mutex_unlock(&d->msix_lock);
		memcpy(rdata, bytes, len);
		return true;
	}
	return false;
}
