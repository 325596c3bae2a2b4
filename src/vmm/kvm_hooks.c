// SPDX-License-Identifier: GPL-2.0
/*
 * What devices/devices.h's struct kvm_hooks promises, on the VM's fd:
 *
 *  - ioeventfd: KVM_IOEVENTFD (KVM_CAP_IOEVENTFD), any value, no datamatch.
 *  - MSI routes: GSIs from KVM_HOOKS_FIRST_MSI_GSI up, each an MSI route,
 *    pushed with the fixed IRQ-chip table (arch/x86/irq_routing.c) in one
 *    KVM_SET_GSI_ROUTING whenever one changes. Guests reprogram MSI-X
 *    from vCPU threads, so the table has a lock.
 *  - irqfd: KVM_IRQFD (KVM_CAP_IRQFD).
 *  - signal_msi: KVM_SIGNAL_MSI (KVM_CAP_SIGNAL_MSI).
 *  - run listeners: called from vm_pause once every vCPU is parked and
 *    from vm_resume before they run again, for every pause (a user or
 *    debugger stop, the brief pause of a command such as
 *    dump-guest-memory, a death, S3), so device threads never touch
 *    guest memory while it is inspected.
 *
 * A host without a capability gets -EOPNOTSUPP, and devices fall back to
 * exits (a notify write reaching the BAR handler, an interrupt by
 * KVM_SIGNAL_MSI or INTx).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "arch/x86/irq_routing.h"
#include "util/log.h"
#include "vmm/kvm.h"
#include "vmm/kvm_hooks.h"
#include "vmm/vm.h"

#define MAX_RUN_LISTENERS 32

struct msi_route {
	bool used;
	uint64_t address;
	uint32_t data;
};

struct kvm_hooks_state {
	struct vm *vm;
	bool has_ioeventfd, has_irqfd, has_routing, has_signal_msi;
	pthread_mutex_t lock; /* routes */
	struct msi_route routes[KVM_HOOKS_MAX_MSI];
	struct kvm_irq_routing *table; /* scratch for KVM_SET_GSI_ROUTING */
	struct {
		void (*fn)(void *dev, bool running);
		void *dev;
	} listeners[MAX_RUN_LISTENERS];
	int nr_listeners;
	bool quiet; /* listeners were told "stopped" */
};

static int hook_ioeventfd(void *opaque, bool mmio, uint64_t addr, uint32_t len,
			  int fd, bool assign)
{
	struct kvm_hooks_state *h = opaque;
	struct kvm_ioeventfd ev = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = (mmio ? 0 : KVM_IOEVENTFD_FLAG_PIO) |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (!h->has_ioeventfd)
		return -EOPNOTSUPP;
	if (ioctl(h->vm->fd, KVM_IOEVENTFD, &ev) < 0)
		return -errno;
	return 0;
}

static int hook_ioeventfd_match(void *opaque, bool mmio, uint64_t addr,
				uint32_t len, uint64_t data, int fd,
				bool assign)
{
	struct kvm_hooks_state *h = opaque;
	struct kvm_ioeventfd ev = {
		.datamatch = data,
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH |
			 (mmio ? 0 : KVM_IOEVENTFD_FLAG_PIO) |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (!h->has_ioeventfd)
		return -EOPNOTSUPP;
	if (ioctl(h->vm->fd, KVM_IOEVENTFD, &ev) < 0)
		return -errno;
	return 0;
}

/* The fixed table plus every MSI route in use, under h->lock. */
static int push_routes(struct kvm_hooks_state *h)
{
	int n, i;

	n = irq_routing_fill(h->table->entries, IRQ_ROUTING_NR_ENTRIES);
	if (n < 0)
		return n;
	for (i = 0; i < KVM_HOOKS_MAX_MSI; i++) {
		struct kvm_irq_routing_entry *e;

		if (!h->routes[i].used)
			continue;
		e = &h->table->entries[n++];
		memset(e, 0, sizeof(*e));
		e->gsi = KVM_HOOKS_FIRST_MSI_GSI + (uint32_t)i;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (uint32_t)h->routes[i].address;
		e->u.msi.address_hi = (uint32_t)(h->routes[i].address >> 32);
		e->u.msi.data = h->routes[i].data;
	}
	h->table->nr = (uint32_t)n;
	h->table->flags = 0;
	if (ioctl(h->vm->fd, KVM_SET_GSI_ROUTING, h->table) < 0)
		return -errno;
	return 0;
}

static int hook_msi_route(void *opaque, int *gsi, uint64_t address,
			  uint32_t data)
{
	struct kvm_hooks_state *h = opaque;
	int i = *gsi, r;

	if (!h->has_routing)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&h->lock);
	if (i < 0) {
		for (i = 0; i < KVM_HOOKS_MAX_MSI && h->routes[i].used; i++)
			;
		if (i == KVM_HOOKS_MAX_MSI) {
			pthread_mutex_unlock(&h->lock);
			return -ENOSPC;
		}
	} else {
		i -= KVM_HOOKS_FIRST_MSI_GSI;
		if (i < 0 || i >= KVM_HOOKS_MAX_MSI || !h->routes[i].used) {
			pthread_mutex_unlock(&h->lock);
			return -EINVAL;
		}
		if (h->routes[i].address == address &&
		    h->routes[i].data == data) {
			pthread_mutex_unlock(&h->lock);
			return 0;
		}
	}
	h->routes[i] = (struct msi_route){ true, address, data };
	r = push_routes(h);
	if (!r)
		*gsi = KVM_HOOKS_FIRST_MSI_GSI + i;
	else if (*gsi < 0)
		h->routes[i].used = false;
	pthread_mutex_unlock(&h->lock);
	if (r)
		log_debug("KVM_SET_GSI_ROUTING with an MSI route failed: %s",
			  strerror(-r));
	return r;
}

static void hook_msi_route_free(void *opaque, int gsi)
{
	struct kvm_hooks_state *h = opaque;
	int i = gsi - KVM_HOOKS_FIRST_MSI_GSI;

	if (i < 0 || i >= KVM_HOOKS_MAX_MSI)
		return;
	pthread_mutex_lock(&h->lock);
	if (h->routes[i].used) {
		h->routes[i].used = false;
		push_routes(h);
	}
	pthread_mutex_unlock(&h->lock);
}

static int hook_irqfd(void *opaque, int gsi, int fd, bool assign)
{
	struct kvm_hooks_state *h = opaque;
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)fd,
		.gsi = (uint32_t)gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	if (!h->has_irqfd)
		return -EOPNOTSUPP;
	if (ioctl(h->vm->fd, KVM_IRQFD, &irqfd) < 0)
		return -errno;
	return 0;
}

static int hook_signal_msi(void *opaque, uint64_t address, uint32_t data)
{
	struct kvm_hooks_state *h = opaque;
	struct kvm_msi msi = {
		.address_lo = (uint32_t)address,
		.address_hi = (uint32_t)(address >> 32),
		.data = data,
	};
	int r;

	if (!h->has_signal_msi)
		return -EOPNOTSUPP;
	r = ioctl(h->vm->fd, KVM_SIGNAL_MSI, &msi);
	/* 0: the interrupt was blocked (e.g. masked in the LAPIC). */
	return r < 0 ? -errno : 0;
}

static int hook_add_run_listener(void *opaque,
				 void (*fn)(void *dev, bool running), void *dev)
{
	struct kvm_hooks_state *h = opaque;

	if (h->nr_listeners == MAX_RUN_LISTENERS)
		return -ENOSPC;
	h->listeners[h->nr_listeners].fn = fn;
	h->listeners[h->nr_listeners].dev = dev;
	h->nr_listeners++;
	return 0;
}

void kvm_hooks_run_state(struct vm *vm, bool running)
{
	struct kvm_hooks_state *h = vm->hooks;
	int i;

	if (!h || h->quiet == !running)
		return;
	h->quiet = !running;
	for (i = 0; i < h->nr_listeners; i++)
		h->listeners[i].fn(h->listeners[i].dev, running);
}

int kvm_hooks_init(struct vm *vm, struct kvm_hooks *out, struct errmsg *err)
{
	struct kvm_hooks_state *h = calloc(1, sizeof(*h));

	if (!h)
		return errmsg_set(err, ENOMEM, "out of memory");
	h->table =
		calloc(1, sizeof(*h->table) +
				  (IRQ_ROUTING_NR_ENTRIES + KVM_HOOKS_MAX_MSI) *
					  sizeof(h->table->entries[0]));
	if (!h->table) {
		free(h);
		return errmsg_set(err, ENOMEM, "out of memory");
	}
	h->vm = vm;
	pthread_mutex_init(&h->lock, NULL);
	h->has_ioeventfd = kvm_check_cap(vm->fd, KVM_CAP_IOEVENTFD) > 0;
	h->has_irqfd = kvm_check_cap(vm->fd, KVM_CAP_IRQFD) > 0;
	h->has_routing = kvm_check_cap(vm->fd, KVM_CAP_IRQ_ROUTING) > 0;
	h->has_signal_msi = kvm_check_cap(vm->fd, KVM_CAP_SIGNAL_MSI) > 0;
	if (!h->has_ioeventfd || !h->has_irqfd || !h->has_routing)
		log_info(
			"KVM lacks%s%s%s: devices notify and interrupt through exits",
			h->has_ioeventfd ? "" : " KVM_CAP_IOEVENTFD",
			h->has_irqfd ? "" : " KVM_CAP_IRQFD",
			h->has_routing ? "" : " KVM_CAP_IRQ_ROUTING");
	vm->hooks = h;
	*out = (struct kvm_hooks){
		.ioeventfd = hook_ioeventfd,
		.ioeventfd_match = hook_ioeventfd_match,
		.msi_route = hook_msi_route,
		.msi_route_free = hook_msi_route_free,
		.irqfd = hook_irqfd,
		.signal_msi = hook_signal_msi,
		.add_run_listener = hook_add_run_listener,
		.opaque = h,
	};
	return 0;
}

void kvm_hooks_free(struct vm *vm)
{
	struct kvm_hooks_state *h = vm->hooks;

	if (!h)
		return;
	vm->hooks = NULL;
	pthread_mutex_destroy(&h->lock);
	free(h->table);
	free(h);
}
