// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues (virtio 1.2, 2.7), the device side. The rings live in
 * guest RAM and the driver writes them from other CPUs while we read, so:
 *
 * - every ring field is read once with an atomic load (a 16-bit field the
 *   driver is updating is never torn) and every descriptor is copied out
 *   before it is checked, so the driver cannot change a value between our
 *   check and our use;
 * - the orderings the spec asks for (2.7.13, 2.7.14) are explicit
 *   fences: avail->idx before the ring entries and descriptors it
 *   publishes (acquire), the used element before used->idx (release), and
 *   a full fence between publishing our index and reading the driver's
 *   suppression fields (the store-load pairs of event index);
 * - a chain is bounded by the table it lives in (queue size, or the
 *   indirect table's entries), so a loop ends as "chain too long".
 *
 * Ring addresses are looked up again on each access instead of caching
 * host pointers: the lookup is a scan of at most GUEST_MAX_REGIONS and
 * keeps every pointer computation inside memory.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "devices/devices.h"
#include "devices/virtqueue.h"

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_USED_F_NO_NOTIFY 1
#define VRING_AVAIL_F_NO_INTERRUPT 1

#define DESC_SIZE 16
#define AVAIL_HDR 4 /* flags, idx */
#define USED_HDR 4
#define USED_ELEM_SIZE 8

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static void vq_break(struct virtqueue *vq, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vq_break(struct virtqueue *vq, const char *fmt, ...)
{
	va_list ap;

	if (vq->broken)
		return;
	va_start(ap, fmt);
	vsnprintf(vq->why, sizeof(vq->why), fmt, ap);
	va_end(ap);
	vq->broken = true;
	device_log_guest("virtqueue: %s", vq->why);
}

/* Size in bytes of the rings for a queue of size entries. */
static uint64_t avail_bytes(uint16_t size)
{
	return AVAIL_HDR + 2ULL * size + 2; /* + used_event */
}

static uint64_t used_bytes(uint16_t size)
{
	return USED_HDR + (uint64_t)USED_ELEM_SIZE * size + 2; /* avail_event */
}

/*
 * A 16-bit ring field at gpa. setup checked the whole ring lies in RAM;
 * the lookup can only fail if the queue was never set up.
 */
static uint16_t *ring16(struct virtqueue *vq, uint64_t gpa)
{
	return guest_memory_ptr(vq->mem, gpa, 2);
}

static uint16_t avail_idx(struct virtqueue *vq)
{
	uint16_t *p = ring16(vq, vq->avail_gpa + 2);

	/* Acquire: the entries and descriptors it publishes come after. */
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static uint16_t avail_flags(struct virtqueue *vq)
{
	return __atomic_load_n(ring16(vq, vq->avail_gpa), __ATOMIC_RELAXED);
}

static uint16_t avail_ring(struct virtqueue *vq, uint16_t i)
{
	uint64_t gpa = vq->avail_gpa + AVAIL_HDR + 2ULL * (i & (vq->size - 1));

	return __atomic_load_n(ring16(vq, gpa), __ATOMIC_RELAXED);
}

static uint16_t used_event(struct virtqueue *vq)
{
	uint64_t gpa = vq->avail_gpa + AVAIL_HDR + 2ULL * vq->size;

	return __atomic_load_n(ring16(vq, gpa), __ATOMIC_RELAXED);
}

static void set_avail_event(struct virtqueue *vq, uint16_t v)
{
	uint64_t gpa =
		vq->used_gpa + USED_HDR + (uint64_t)USED_ELEM_SIZE * vq->size;

	__atomic_store_n(ring16(vq, gpa), v, __ATOMIC_RELAXED);
}

static void set_used_flags(struct virtqueue *vq, uint16_t flags)
{
	__atomic_store_n(ring16(vq, vq->used_gpa), flags, __ATOMIC_RELAXED);
}

/* Both ranges lie in RAM (checked first), so the sums do not wrap. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

void virtqueue_reset(struct virtqueue *vq)
{
	memset(vq, 0, sizeof(*vq));
}

int virtqueue_setup(struct virtqueue *vq, struct guest_memory *mem,
		    uint16_t size, uint64_t desc, uint64_t avail, uint64_t used,
		    bool event_idx, bool indirect)
{
	virtqueue_reset(vq);
	vq->mem = mem;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	if (size == 0 || (size & (size - 1)) || size > VIRTQUEUE_MAX_SIZE) {
		vq_break(vq, "queue size %u is not a power of two <= %u", size,
			 VIRTQUEUE_MAX_SIZE);
		return -EINVAL;
	}
	/* Alignments of 2.7 (table 2.7.2): 16, 2 and 4. */
	if ((desc & 15) || (avail & 1) || (used & 3)) {
		vq_break(
			vq,
			"misaligned rings: desc 0x%llx avail 0x%llx used 0x%llx",
			(unsigned long long)desc, (unsigned long long)avail,
			(unsigned long long)used);
		return -EINVAL;
	}
	if (!guest_memory_ptr(mem, desc, (uint64_t)DESC_SIZE * size) ||
	    !guest_memory_ptr(mem, avail, avail_bytes(size)) ||
	    !guest_memory_ptr(mem, used, used_bytes(size))) {
		vq_break(
			vq,
			"rings outside RAM: desc 0x%llx avail 0x%llx used 0x%llx size %u",
			(unsigned long long)desc, (unsigned long long)avail,
			(unsigned long long)used, size);
		return -EINVAL;
	}
	/*
	 * The device writes the used ring: one over the driver's rings
	 * would let our own writes publish buffers, a loop without end.
	 */
	if (overlaps(used, used_bytes(size), desc,
		     (uint64_t)DESC_SIZE * size) ||
	    overlaps(used, used_bytes(size), avail, avail_bytes(size))) {
		vq_break(
			vq,
			"used ring 0x%llx overlaps the descriptor table or available ring",
			(unsigned long long)used);
		return -EINVAL;
	}
	vq->size = size;
	vq->desc_gpa = desc;
	vq->avail_gpa = avail;
	vq->used_gpa = used;
	vq->enabled = true;
	return 0;
}

/* Map [gpa, gpa + len) into elem's iovecs, one per RAM region it spans. */
static int map_segment(struct virtqueue *vq, struct virtqueue_elem *elem,
		       uint64_t gpa, uint32_t len)
{
	unsigned int n = elem->nr_out + elem->nr_in;
	uint64_t left = len;

	while (left) {
		uint64_t span = guest_memory_span(vq->mem, gpa);
		uint64_t chunk = span < left ? span : left;
		void *p;

		if (!span) {
			vq_break(vq, "buffer 0x%llx+0x%x outside RAM",
				 (unsigned long long)(gpa - (len - left)), len);
			return -EINVAL;
		}
		if (n >= VIRTQUEUE_MAX_SEGS) {
			vq_break(vq, "chain needs more than %u segments",
				 VIRTQUEUE_MAX_SEGS);
			return -EINVAL;
		}
		p = guest_memory_ptr(vq->mem, gpa, chunk);
		if (!p) { /* cannot happen: span said it is RAM */
			vq_break(vq, "buffer 0x%llx not mappable",
				 (unsigned long long)gpa);
			return -EINVAL;
		}
		elem->iov[n].iov_base = p;
		elem->iov[n].iov_len = chunk;
		n++;
		gpa += chunk;
		left -= chunk;
	}
	return (int)n;
}

static int read_desc(struct virtqueue *vq, uint64_t table, uint32_t i,
		     struct vring_desc *d)
{
	uint8_t raw[DESC_SIZE];

	/* One copy: later checks and uses see the same values. */
	if (guest_memory_read(vq->mem, table + (uint64_t)i * DESC_SIZE, raw,
			      sizeof(raw))) {
		vq_break(vq, "descriptor %u of table 0x%llx outside RAM", i,
			 (unsigned long long)table);
		return -EINVAL;
	}
	memcpy(&d->addr, raw, 8);
	memcpy(&d->len, raw + 8, 4);
	memcpy(&d->flags, raw + 12, 2);
	memcpy(&d->next, raw + 14, 2);
	return 0;
}

/*
 * Walk the chain starting at head. The table changes once, to an
 * indirect one; in each table at most its number of entries are visited,
 * which bounds loops.
 */
static int walk_chain(struct virtqueue *vq, uint16_t head,
		      struct virtqueue_elem *elem)
{
	uint64_t table = vq->desc_gpa;
	uint32_t count = vq->size, i = head, visited = 0;
	bool in_indirect = false;
	struct vring_desc d;
	int n;

	for (;;) {
		if (i >= count) {
			vq_break(vq, "descriptor index %u >= %u", i, count);
			return -EINVAL;
		}
		if (++visited > count) {
			vq_break(vq,
				 "chain from head %u longer than %u (a loop?)",
				 head, count);
			return -EINVAL;
		}
		if (read_desc(vq, table, i, &d))
			return -EINVAL;
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect) {
				vq_break(
					vq,
					"indirect descriptor without RING_INDIRECT_DESC");
				return -EINVAL;
			}
			if (in_indirect) {
				vq_break(
					vq,
					"indirect descriptor inside an indirect table");
				return -EINVAL;
			}
			if (d.flags & VRING_DESC_F_NEXT) {
				vq_break(vq,
					 "indirect descriptor with NEXT set");
				return -EINVAL;
			}
			if (d.len == 0 || d.len % DESC_SIZE) {
				vq_break(
					vq,
					"indirect table length %u is not a non-zero multiple of 16",
					d.len);
				return -EINVAL;
			}
			if ((d.addr & 15) ||
			    !guest_memory_ptr(vq->mem, d.addr, d.len)) {
				vq_break(
					vq,
					"indirect table 0x%llx+0x%x misaligned or outside RAM",
					(unsigned long long)d.addr, d.len);
				return -EINVAL;
			}
			table = d.addr;
			count = d.len / DESC_SIZE;
			in_indirect = true;
			i = 0;
			visited = 0;
			continue;
		}
		if (d.flags & VRING_DESC_F_WRITE) {
			n = map_segment(vq, elem, d.addr, d.len);
			if (n < 0)
				return n;
			elem->in_len += d.len;
			elem->nr_in = n - elem->nr_out;
		} else {
			if (elem->nr_in) {
				vq_break(
					vq,
					"device-readable descriptor after a writable one (head %u)",
					head);
				return -EINVAL;
			}
			n = map_segment(vq, elem, d.addr, d.len);
			if (n < 0)
				return n;
			elem->out_len += d.len;
			elem->nr_out = n;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int virtqueue_pop(struct virtqueue *vq, struct virtqueue_elem *elem)
{
	uint16_t idx, pending, head;

	if (vq->broken)
		return -EINVAL;
	if (!vq->enabled || !vq->size)
		return 0;
	idx = avail_idx(vq);
	if (idx == vq->last_avail && vq->event_idx && !vq->no_kick) {
		/*
		 * Empty: ask for a kick at the next buffer, then look again,
		 * since the driver may have added one before it saw the
		 * request (our store then its load, its store then our load:
		 * the full fences make one of us see the other).
		 */
		set_avail_event(vq, vq->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		idx = avail_idx(vq);
	}
	pending = (uint16_t)(idx - vq->last_avail);
	if (!pending)
		return 0;
	if (pending > vq->size) {
		vq_break(
			vq,
			"avail idx %u is %u entries ahead of %u, queue size %u",
			idx, pending, vq->last_avail, vq->size);
		return -EINVAL;
	}
	head = avail_ring(vq, vq->last_avail);
	elem->head = head;
	elem->nr_out = elem->nr_in = 0;
	elem->out_len = elem->in_len = 0;
	if (walk_chain(vq, head, elem))
		return -EINVAL;
	vq->last_avail++;
	if (vq->event_idx && !vq->no_kick)
		set_avail_event(vq, vq->last_avail);
	return 1;
}

void virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	uint64_t gpa;
	uint8_t elem[USED_ELEM_SIZE];
	uint32_t id = head;

	if (vq->broken || !vq->enabled || !vq->size)
		return;
	gpa = vq->used_gpa + USED_HDR +
	      (uint64_t)USED_ELEM_SIZE * (vq->used_idx & (vq->size - 1));
	memcpy(elem, &id, 4);
	memcpy(elem + 4, &written, 4);
	/* setup checked the used ring lies in RAM. */
	guest_memory_write(vq->mem, gpa, elem, sizeof(elem));
	vq->used_idx++;
	/* Release: the element is visible before the index that covers it. */
	__atomic_store_n(ring16(vq, vq->used_gpa + 2), vq->used_idx,
			 __ATOMIC_RELEASE);
}

/* 2.7.10: has new_idx passed event since old_idx? (wrap-safe) */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool virtqueue_should_notify(struct virtqueue *vq)
{
	uint16_t old, ev;
	bool valid;

	if (vq->broken || !vq->enabled || !vq->size)
		return false;
	/* Our used->idx store before the driver's suppression fields. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(avail_flags(vq) & VRING_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	valid = vq->signalled_valid;
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	ev = used_event(vq);
	return need_event(ev, vq->used_idx, old);
}

bool virtqueue_set_kick_wanted(struct virtqueue *vq, bool wanted)
{
	if (vq->broken || !vq->enabled || !vq->size)
		return false;
	vq->no_kick = !wanted;
	if (vq->event_idx) {
		/*
		 * Without kicks avail_event just stays behind (the driver
		 * then kicks at most once per wrap); with them it points
		 * at the next buffer.
		 */
		if (wanted)
			set_avail_event(vq, vq->last_avail);
	} else {
		set_used_flags(vq, wanted ? 0 : VRING_USED_F_NO_NOTIFY);
	}
	/* Our request before the driver's next avail->idx. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return avail_idx(vq) != vq->last_avail;
}
