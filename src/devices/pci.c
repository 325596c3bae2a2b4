// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI host bridge: configuration mechanism #1 (0xcf8/0xcfc) and ECAM
 * reach the same per-function config space; BARs are assigned at start
 * as firmware does, sized and moved by the guest, and decoded when the
 * command register says so. The bus is fixed once the vCPUs run, so the
 * bridge registers each window once and dispatches inside it under its
 * own lock: a BAR moving on one vCPU never races an access on another.
 *
 * Config space rules (what a guest can change): the command register's
 * I/O, memory, bus-master and INTx-disable bits, BARs (masked to their
 * size), the interrupt line, MSI-X message control, and the bytes of the
 * capabilities a device added (past their ID and next pointer), which
 * the device also hears through cfg_write. Everything else is read-only;
 * offsets past the space read as zero.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/pci_internal.h"
#include "util/le.h"

/* INTA#-INTD# of slot s go to GSI 16 + (s + pin) % 4 (the DSDT's _PRT). */
#define PCI_INTX_GSI_BASE 16

int pci_intx_gsi(int slot, int pin)
{
	return PCI_INTX_GSI_BASE + (slot + pin - 1) % 4;
}

static bool bar_is_io(const struct pci_device *d, int i)
{
	return d->info.bars[i].type == PCI_BAR_IO;
}

/* The BAR's programmed base, from its dword(s). */
static uint64_t bar_base(const struct pci_device *d, int i)
{
	uint64_t v = le_get(d->cfg + PCI_BAR0 + 4 * i, 4);

	if (bar_is_io(d, i))
		return v & ~3ULL;
	v &= ~0xfULL;
	if (d->info.bars[i].type == PCI_BAR_MEM64)
		v |= (uint64_t)le_get(d->cfg + PCI_BAR0 + 4 * (i + 1), 4) << 32;
	return v;
}

static bool in_window(const struct pci_host *h, const struct pci_device *d,
		      int i, uint64_t base)
{
	uint64_t size = d->info.bars[i].size;

	if (bar_is_io(d, i))
		return base >= PCI_IO_BASE &&
		       base + size <= PCI_IO_BASE + PCI_IO_SIZE;
	if (base >= PCI_MMIO32_BASE &&
	    base + size <= PCI_MMIO32_BASE + PCI_MMIO32_SIZE)
		return true;
	return base >= h->mmio64_base &&
	       base - h->mmio64_base + size <= PCI_MMIO64_SIZE;
}

/* Recompute what each BAR decodes now (host write-locked). */
static void remap_bars(struct pci_device *d)
{
	uint16_t cmd = (uint16_t)le_get(d->cfg + PCI_COMMAND, 2);
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar_desc *b = &d->info.bars[i];
		uint64_t at = PCI_BAR_UNMAPPED, base;

		if (b->type == PCI_BAR_NONE)
			continue;
		base = bar_base(d, i);
		if ((bar_is_io(d, i) ? cmd & PCI_CMD_IO : cmd & PCI_CMD_MEM) &&
		    in_window(d->host, d, i, base))
			at = base;
		if (at != d->bar_at[i]) {
			d->bar_at[i] = at;
			pci_move_ioeventfds(d, i);
		}
		if (b->type == PCI_BAR_MEM64)
			i++;
	}
}

static void apply_intx(struct pci_device *d)
{
	uint16_t cmd = (uint16_t)le_get(d->cfg + PCI_COMMAND, 2);
	int level = __atomic_load_n(&d->intx_level, __ATOMIC_SEQ_CST);

	if (d->gsi < 0)
		return;
	d->host->env.irq.set_level(d->host->env.irq.opaque,
				   (unsigned int)d->gsi,
				   level && !(cmd & PCI_CMD_INTX_DISABLE));
}

void pci_set_intx(struct pci_device *d, int level)
{
	level = !!level;
	if (__atomic_exchange_n(&d->intx_level, level, __ATOMIC_SEQ_CST) ==
	    level)
		return;
	apply_intx(d);
}

bool pci_msix_enabled(const struct pci_device *d)
{
	return __atomic_load_n(&d->msix_on, __ATOMIC_SEQ_CST);
}

uint64_t pci_bar_address(const struct pci_device *d, int bar)
{
	if (bar < 0 || bar >= PCI_NUM_BARS)
		return PCI_BAR_UNMAPPED;
	return d->bar_at[bar];
}

/* A capability the device added, holding byte off (past id/next)? */
static bool in_dev_cap(const struct pci_device *d, uint32_t off)
{
	int i;

	for (i = 0; i < d->nr_dev_caps; i++)
		if (off >= d->dev_caps[i].off + 2u &&
		    off < (uint32_t)d->dev_caps[i].off + d->dev_caps[i].len)
			return true;
	return false;
}

static void cfg_read(struct pci_device *d, uint32_t off, uint8_t *data,
		     uint32_t len)
{
	uint16_t status;

	memcpy(data, d->cfg + off, len);
	/* Status: INTx status reflects the line as the device drives it. */
	if (off < PCI_STATUS + 2 && off + len > PCI_STATUS) {
		uint8_t s[2];

		status = (uint16_t)le_get(d->cfg + PCI_STATUS, 2);
		if (__atomic_load_n(&d->intx_level, __ATOMIC_SEQ_CST))
			status |= PCI_STATUS_INTX;
		le_put(s, status, 2);
		for (uint32_t i = 0; i < len; i++)
			if (off + i >= PCI_STATUS && off + i < PCI_STATUS + 2)
				data[i] = s[off + i - PCI_STATUS];
	}
	if (off >= PCI_HEADER_END && d->info.ops && d->info.ops->cfg_read &&
	    !(d->msix_cap && off >= d->msix_cap && off < d->msix_cap + 12u))
		d->info.ops->cfg_read(d->info.opaque, off, data, len);
}

static void write_bar(struct pci_device *d, int i, uint32_t off, uint8_t v)
{
	const struct pci_bar_desc *b;
	int first = i;
	uint64_t mask;

	/* The high half of a 64-bit BAR belongs to the BAR before it. */
	if (i > 0 && d->info.bars[i].type == PCI_BAR_NONE &&
	    d->info.bars[i - 1].type == PCI_BAR_MEM64)
		first = i - 1;
	b = &d->info.bars[first];
	if (b->type == PCI_BAR_NONE)
		return;
	/* Address bits: all but size - 1; the type bits are read-only. */
	mask = ~(b->size - 1) & (b->type == PCI_BAR_IO ? ~3ULL : ~0xfULL);
	if (b->type != PCI_BAR_MEM64)
		mask &= 0xffffffffULL;
	if (first != i)
		mask >>= 32;
	else
		mask &= 0xffffffffULL;
	off &= 3;
	d->cfg[PCI_BAR0 + 4 * i + off] =
		(uint8_t)((d->cfg[PCI_BAR0 + 4 * i + off] &
			   ~(uint8_t)(mask >> (8 * off))) |
			  (v & (uint8_t)(mask >> (8 * off))));
}

static void cfg_write(struct pci_device *d, uint32_t off, const uint8_t *data,
		      uint32_t len)
{
	bool remap = false, intx = false, dev_hears = false;
	uint32_t i;

	for (i = 0; i < len; i++) {
		uint32_t o = off + i;
		uint8_t v = data[i];

		if (o == PCI_COMMAND) {
			d->cfg[o] = v &
				    (PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER);
			remap = true;
		} else if (o == PCI_COMMAND + 1) {
			d->cfg[o] = v & (PCI_CMD_INTX_DISABLE >> 8);
			intx = true;
		} else if (o >= PCI_BAR0 && o < PCI_BAR0 + 24) {
			write_bar(d, (int)(o - PCI_BAR0) / 4, o, v);
			remap = true;
		} else if (o == PCI_INTERRUPT_LINE) {
			d->cfg[o] = v;
		} else if (d->msix_cap &&
			   (o == d->msix_cap + 2u || o == d->msix_cap + 3u)) {
			uint8_t c[2];

			memcpy(c, d->cfg + d->msix_cap + 2, 2);
			c[o - d->msix_cap - 2] = v;
			pci_msix_control_write(d, (uint16_t)le_get(c, 2));
		} else if (o >= PCI_HEADER_END && in_dev_cap(d, o)) {
			d->cfg[o] = v;
			dev_hears = true;
		} else if (o >= PCI_HEADER_END &&
			   !(d->msix_cap && o >= d->msix_cap &&
			     o < d->msix_cap + 12u)) {
			dev_hears = true;
		}
	}
	if (remap)
		remap_bars(d);
	if (intx)
		apply_intx(d);
	if (dev_hears && d->info.ops && d->info.ops->cfg_write)
		d->info.ops->cfg_write(d->info.opaque, off, data, len);
}

/*
 * One config access (bus 0 only; other buses and functions read as
 * all-ones, as absent devices do). Host write-locked.
 */
static void config_access(struct pci_host *h, unsigned int bus,
			  unsigned int slot, unsigned int fn, uint32_t off,
			  uint8_t *rdata, const uint8_t *wdata, uint32_t len)
{
	struct pci_device *d = bus == 0 && fn == 0 && slot < PCI_MAX_SLOTS ?
				       h->dev[slot] :
				       NULL;

	if (!d || off + len > d->cfg_size) {
		if (rdata)
			memset(rdata, d ? 0 : 0xff, len);
		return;
	}
	if (rdata)
		cfg_read(d, off, rdata, len);
	else
		cfg_write(d, off, wdata, len);
}

/* 0xcf8-0xcff: CONFIG_ADDRESS (dword at 0xcf8) and CONFIG_DATA. */
static void cf8_access(struct pci_host *h, uint64_t offset, uint8_t *rdata,
		       const uint8_t *wdata, uint32_t len)
{
	uint32_t ca;

	pthread_rwlock_wrlock(&h->lock);
	if (offset == 0 && len == 4) {
		if (rdata)
			le_put(rdata, h->config_address, 4);
		else
			h->config_address = le_get(wdata, 4) & 0x80fffffcU;
	} else if (offset >= 4 && offset + len <= 8) {
		ca = h->config_address;
		if (ca & 0x80000000U)
			config_access(h, (ca >> 16) & 0xff, (ca >> 11) & 0x1f,
				      (ca >> 8) & 7,
				      (ca & 0xfc) + (uint32_t)(offset - 4),
				      rdata, wdata, len);
		else if (rdata)
			memset(rdata, 0xff, len);
	} else if (rdata) {
		memset(rdata, 0xff, len);
	}
	pthread_rwlock_unlock(&h->lock);
}

static void cf8_read(void *o, uint64_t off, uint8_t *data, uint32_t len)
{
	cf8_access(o, off, data, NULL, len);
}

static void cf8_write(void *o, uint64_t off, const uint8_t *data, uint32_t len)
{
	cf8_access(o, off, NULL, data, len);
}

/* The bus releases the config ports last of the host's ranges. */
static void host_release(void *o)
{
	pci_host_destroy(o);
}

static const struct bus_ops cf8_ops = { .read = cf8_read,
					.write = cf8_write,
					.release = host_release };

/* ECAM: bus << 20 | slot << 15 | function << 12 | register. */
static void ecam_access(struct pci_host *h, uint64_t off, uint8_t *rdata,
			const uint8_t *wdata, uint32_t len)
{
	uint32_t reg = (uint32_t)(off & 0xfff);

	if ((len != 1 && len != 2 && len != 4) || (reg & (len - 1))) {
		device_log_guest(
			"pci: ECAM access of %u bytes at 0x%llx ignored", len,
			(unsigned long long)off);
		if (rdata)
			memset(rdata, 0xff, len);
		return;
	}
	pthread_rwlock_wrlock(&h->lock);
	config_access(h, (unsigned int)(off >> 20), (off >> 15) & 0x1f,
		      (off >> 12) & 7, reg, rdata, wdata, len);
	pthread_rwlock_unlock(&h->lock);
}

static void ecam_read(void *o, uint64_t off, uint8_t *data, uint32_t len)
{
	ecam_access(o, off, data, NULL, len);
}

static void ecam_write(void *o, uint64_t off, const uint8_t *data, uint32_t len)
{
	ecam_access(o, off, NULL, data, len);
}

static const struct bus_ops ecam_ops = { .read = ecam_read,
					 .write = ecam_write };

/* An access in a window: the BAR decoding it; false when none does. */
static bool window_access(struct pci_host *h, bool io, uint64_t addr,
			  uint8_t *rdata, const uint8_t *wdata, uint32_t len)
{
	bool claimed = true;
	int s, i;

	pthread_rwlock_rdlock(&h->lock);
	for (s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_device *d = h->dev[s];

		if (!d)
			continue;
		for (i = 0; i < PCI_NUM_BARS; i++) {
			const struct pci_bar_desc *b = &d->info.bars[i];
			uint64_t at = d->bar_at[i], off = addr - at;

			if (at == PCI_BAR_UNMAPPED || bar_is_io(d, i) != io ||
			    addr < at || off >= b->size || len > b->size - off)
				continue;
			if (d->nr_vec && i == d->info.msix_bar &&
			    pci_msix_access(d, i, off, rdata, wdata, len))
				goto out;
			if (!b->ops) {
				if (rdata)
					memset(rdata, 0xff, len);
			} else if (rdata) {
				if (b->ops->read)
					b->ops->read(b->opaque, off, rdata,
						     len);
				else
					memset(rdata, 0xff, len);
			} else if (b->ops->write) {
				b->ops->write(b->opaque, off, wdata, len);
			}
			goto out;
		}
	}
	claimed = false;
out:
	pthread_rwlock_unlock(&h->lock);
	return claimed;
}

struct window {
	struct pci_host *h;
	uint64_t base;
	bool io;
};

static bool win_read(void *o, uint64_t off, uint8_t *data, uint32_t len)
{
	struct window *w = o;

	return window_access(w->h, w->io, w->base + off, data, NULL, len);
}

static bool win_write(void *o, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct window *w = o;

	return window_access(w->h, w->io, w->base + off, NULL, data, len);
}

static void win_release(void *o)
{
	free(o);
}

/* A window access no BAR decodes is the bus's unclaimed access. */
static const struct bus_ops win_ops = { .try_read = win_read,
					.try_write = win_write,
					.release = win_release };

static int add_window(struct pci_host *h, struct bus *bus, bool io,
		      uint64_t base, uint64_t size, const char *name)
{
	struct window *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	*w = (struct window){ h, base, io };
	r = bus_register(bus, base, size, &win_ops, w, name);
	if (r)
		free(w);
	return r;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Firmware's job: a naturally aligned place in the BAR's window. */
static int place_bar(struct pci_host *h, struct pci_device *d, int i)
{
	const struct pci_bar_desc *b = &d->info.bars[i];
	uint64_t *next, limit, at;

	if (b->type == PCI_BAR_IO) {
		next = &h->io_next;
		limit = PCI_IO_BASE + PCI_IO_SIZE;
	} else if (b->type == PCI_BAR_MEM64) {
		next = &h->mmio64_next;
		limit = h->mmio64_base + PCI_MMIO64_SIZE;
	} else {
		next = &h->mmio32_next;
		limit = PCI_MMIO32_BASE + PCI_MMIO32_SIZE;
	}
	at = align_up(*next, b->size);
	if (at + b->size > limit || at + b->size < at)
		return -ENOSPC;
	*next = at + b->size;
	le_put(d->cfg + PCI_BAR0 + 4 * i,
	       (at & 0xffffffffULL) |
		       (b->type == PCI_BAR_IO	 ? 1 :
			b->type == PCI_BAR_MEM64 ? 4 :
						   0) |
		       (b->prefetchable ? 8 : 0),
	       4);
	if (b->type == PCI_BAR_MEM64)
		le_put(d->cfg + PCI_BAR0 + 4 * (i + 1), at >> 32, 4);
	return 0;
}

static bool bar_valid(const struct pci_device_info *info, int i)
{
	const struct pci_bar_desc *b = &info->bars[i];
	uint64_t min = b->type == PCI_BAR_IO ? 4 : 16;

	if (b->type == PCI_BAR_NONE)
		return true;
	if (b->size < min || (b->size & (b->size - 1)))
		return false;
	if (b->type == PCI_BAR_IO && b->size > 256)
		return false;
	if (b->type == PCI_BAR_MEM32 && b->size > PCI_MMIO32_SIZE / 2)
		return false;
	return b->type != PCI_BAR_MEM64 ||
	       (i + 1 < PCI_NUM_BARS && info->bars[i + 1].type == PCI_BAR_NONE);
}

static void free_device(struct pci_device *d)
{
	if (!d)
		return;
	pci_msix_free(d);
	free(d);
}

int pci_device_add(struct pci_host *h, const struct pci_device_info *info,
		   struct pci_device **out, struct errmsg *err)
{
	struct pci_device *d;
	int slot, i, r;

	for (slot = 0; slot < PCI_MAX_SLOTS && h->dev[slot]; slot++)
		;
	if (slot == PCI_MAX_SLOTS)
		return errmsg_set(err, ENOSPC, "%s: all %d PCI slots are taken",
				  info->name, PCI_MAX_SLOTS);
	for (i = 0; i < PCI_NUM_BARS; i++)
		if (!bar_valid(info, i))
			return errmsg_set(err, EINVAL,
					  "%s: BAR %d has a bad size or type",
					  info->name, i);
	d = calloc(1, sizeof(*d));
	if (!d)
		return errmsg_set(err, ENOMEM, "out of memory");
	d->host = h;
	d->slot = slot;
	d->info = *info;
	d->cfg_size = info->express ? PCI_CFG_SPACE_EXP_SIZE :
				      PCI_CFG_SPACE_SIZE;
	d->next_cap = PCI_HEADER_END;
	d->gsi = info->has_intx ? pci_intx_gsi(slot, 1) : -1;
	pthread_mutex_init(&d->msix_lock, NULL);
	le_put(d->cfg + 0x00, info->vendor_id, 2);
	le_put(d->cfg + 0x02, info->device_id, 2);
	d->cfg[0x08] = info->revision;
	le_put(d->cfg + 0x09, info->class_code, 3);
	le_put(d->cfg + 0x2c, info->subsystem_vendor_id, 2);
	le_put(d->cfg + 0x2e, info->subsystem_id, 2);
	if (info->has_intx) {
		d->cfg[PCI_INTERRUPT_PIN] = 1;
		d->cfg[PCI_INTERRUPT_LINE] = (uint8_t)d->gsi;
	}
	for (i = 0; i < PCI_NUM_BARS; i++) {
		d->bar_at[i] = PCI_BAR_UNMAPPED;
		if (info->bars[i].type == PCI_BAR_NONE)
			continue;
		r = place_bar(h, d, i);
		if (r) {
			free_device(d);
			return errmsg_set(
				err, ENOSPC,
				"%s: no room for BAR %d (%llu bytes)",
				info->name, i,
				(unsigned long long)info->bars[i].size);
		}
	}
	r = pci_msix_init(d, err);
	if (r) {
		free_device(d);
		return r;
	}
	/* Firmware leaves memory and I/O decoding on, as SeaBIOS does. */
	d->cfg[PCI_COMMAND] = PCI_CMD_IO | PCI_CMD_MEM;
	remap_bars(d);
	h->dev[slot] = d;
	if (out)
		*out = d;
	return 0;
}

int pci_device_add_capability(struct pci_device *d, const uint8_t *cap,
			      size_t len, uint8_t *offset)
{
	uint8_t at = (uint8_t)((d->next_cap + 3) & ~3);

	if (len < 2 || at + len > PCI_CFG_SPACE_SIZE ||
	    d->nr_dev_caps == PCI_MAX_DEV_CAPS)
		return -ENOSPC;
	memcpy(d->cfg + at, cap, len);
	d->cfg[at + 1] = 0;
	if (d->last_cap)
		d->cfg[d->last_cap + 1] = at;
	else
		d->cfg[PCI_CAP_PTR] = at;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->last_cap = at;
	d->next_cap = (uint8_t)(at + len);
	if (cap[0] == PCI_CAP_ID_MSIX) {
		d->msix_cap = at;
	} else {
		d->dev_caps[d->nr_dev_caps].off = at;
		d->dev_caps[d->nr_dev_caps].len = (uint8_t)len;
		d->nr_dev_caps++;
	}
	if (offset)
		*offset = at;
	return 0;
}

int pci_host_create(const struct device_env *env, struct pci_host **out,
		    struct errmsg *err)
{
	static const struct pci_device_info bridge = {
		.name = "host bridge",
		.vendor_id = 0x8086, /* Q35's MCH, as QEMU's q35 */
		.device_id = 0x29c0,
		.subsystem_vendor_id = 0x1af4,
		.subsystem_id = 0x1100,
		.class_code = 0x060000,
		.express = true,
	};
	struct pci_host *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return errmsg_set(err, ENOMEM, "out of memory");
	h->env = *env;
	pthread_rwlock_init(&h->lock, NULL);
	h->mmio32_next = PCI_MMIO32_BASE;
	h->mmio64_base = pci_mmio64_base(env->high_ram_size);
	h->mmio64_next = h->mmio64_base;
	h->io_next = PCI_IO_BASE;
	r = pci_device_add(h, &bridge, NULL, err);
	if (!r)
		r = add_window(h, env->mmio, false, PCI_MMIO32_BASE,
			       PCI_MMIO32_SIZE, "pci mmio32 window");
	if (!r)
		r = add_window(h, env->mmio, false, h->mmio64_base,
			       PCI_MMIO64_SIZE, "pci mmio64 window");
	if (!r)
		r = add_window(h, env->pio, true, PCI_IO_BASE, PCI_IO_SIZE,
			       "pci io window");
	if (!r)
		r = bus_register(env->mmio, PCI_ECAM_BASE, PCI_ECAM_SIZE,
				 &ecam_ops, h, "pci ecam");
	if (r) {
		pci_host_destroy(h);
		return errmsg_set(err, -r, "cannot register the PCI host: %s",
				  strerror(-r));
	}
	/* From here the bus owns h: releasing 0xcf8 destroys it. */
	r = bus_register(env->pio, PCI_CONFIG_ADDRESS_PORT, 8, &cf8_ops, h,
			 "pci config (0xcf8-0xcff)");
	if (r)
		return errmsg_set(err, -r,
				  "cannot register PCI ports 0xcf8-0xcff: %s",
				  strerror(-r));
	*out = h;
	return 0;
}

void pci_host_destroy(struct pci_host *h)
{
	int s, i;

	if (!h)
		return;
	for (s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_device *d = h->dev[s];

		if (!d)
			continue;
		/* Each BAR's device goes with its release hook, once. */
		for (i = 0; i < PCI_NUM_BARS; i++) {
			const struct pci_bar_desc *b = &d->info.bars[i];
			int j;
			bool seen = false;

			for (j = 0; j < i; j++)
				seen |= d->info.bars[j].ops == b->ops &&
					d->info.bars[j].opaque == b->opaque;
			if (b->ops && b->ops->release && !seen)
				b->ops->release(b->opaque);
		}
		free_device(d);
		h->dev[s] = NULL;
	}
	pthread_rwlock_destroy(&h->lock);
	free(h);
}

void pci_host_reset(struct pci_host *h)
{
	int s;

	for (s = 0; s < PCI_MAX_SLOTS; s++)
		if (h->dev[s] && h->dev[s]->info.ops &&
		    h->dev[s]->info.ops->reset)
			h->dev[s]->info.ops->reset(h->dev[s]->info.opaque);
}

size_t pci_host_list(struct pci_host *h, struct pci_function_info *out,
		     size_t max)
{
	size_t n = 0;
	int s, i;

	pthread_rwlock_rdlock(&h->lock);
	for (s = 0; s < PCI_MAX_SLOTS && n < max; s++) {
		struct pci_device *d = h->dev[s];
		struct pci_function_info *f = &out[n];

		if (!d)
			continue;
		memset(f, 0, sizeof(*f));
		f->slot = (unsigned int)s;
		f->name = d->info.name;
		f->vendor_id = d->info.vendor_id;
		f->device_id = d->info.device_id;
		f->subsystem_vendor_id = d->info.subsystem_vendor_id;
		f->subsystem_id = d->info.subsystem_id;
		f->revision = d->info.revision;
		f->class_code = d->info.class_code;
		f->command = (uint16_t)le_get(d->cfg + PCI_COMMAND, 2);
		f->irq_line = d->gsi;
		f->msix_vectors = d->nr_vec;
		f->msix_enabled = pci_msix_enabled(d);
		for (i = 0; i < PCI_NUM_BARS; i++) {
			f->bars[i].type = d->info.bars[i].type;
			f->bars[i].size = d->info.bars[i].size;
			f->bars[i].prefetchable = d->info.bars[i].prefetchable;
			f->bars[i].address = d->bar_at[i];
		}
		n++;
	}
	pthread_rwlock_unlock(&h->lock);
	return n;
}
