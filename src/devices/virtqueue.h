/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues (virtio 1.2, 2.7) as a device sees them: the driver's
 * descriptor table, available ring and used ring in guest RAM. The guest
 * is hostile: every index, address, length and chain is checked, and a
 * queue whose driver broke the rules is marked broken (the device then
 * sets DEVICE_NEEDS_RESET) with a log line, never a read or write outside
 * guest RAM, a loop or an unbounded allocation.
 *
 * Supported: indirect descriptors (VIRTIO_F_RING_INDIRECT_DESC, one level,
 * as the spec requires), event index (VIRTIO_F_RING_EVENT_IDX) in both
 * directions. A queue is used by one thread at a time (its device's I/O
 * thread); the transport configures it while the device is stopped.
 */
#ifndef KVMSCOPE_DEVICES_VIRTQUEUE_H
#define KVMSCOPE_DEVICES_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/memory.h"

#define VIRTQUEUE_MAX_SIZE 32768 /* the spec's maximum queue size */
/* Most segments one element maps (a chain of more is failed). */
#define VIRTQUEUE_MAX_SEGS 1024

struct virtqueue {
	struct guest_memory *mem;
	/* Set by the transport from the driver's queue configuration. */
	uint16_t size; /* power of two, <= VIRTQUEUE_MAX_SIZE */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx; /* VIRTIO_F_RING_EVENT_IDX negotiated */
	bool indirect; /* VIRTIO_F_RING_INDIRECT_DESC negotiated */
	bool enabled;
	/* Device state. */
	uint16_t last_avail; /* next available-ring entry to take */
	uint16_t used_idx; /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx when the driver was last told */
	bool signalled_valid;
	bool no_kick; /* virtqueue_set_kick_wanted(false) is in force */
	bool broken; /* the driver broke the rules; see why */
	char why[128];
};

/*
 * One request: the chain's device-readable segments first (out), then its
 * device-writable ones (in), each a host pointer into guest RAM that was
 * checked to lie inside it. A segment crossing a RAM region is split.
 */
struct virtqueue_elem {
	uint16_t head; /* descriptor index, returned with virtqueue_push */
	unsigned int nr_out, nr_in;
	uint64_t out_len, in_len; /* total bytes of each */
	struct iovec iov[VIRTQUEUE_MAX_SEGS]; /* out[0..nr_out) then in */
};

/*
 * Set the rings (the transport, at DRIVER_OK or queue_enable). -EINVAL
 * (and broken) when size is not a power of two or a ring does not lie in
 * guest RAM with its alignment.
 */
int virtqueue_setup(struct virtqueue *vq, struct guest_memory *mem,
		    uint16_t size, uint64_t desc, uint64_t avail, uint64_t used,
		    bool event_idx, bool indirect);
void virtqueue_reset(struct virtqueue *vq);

/*
 * Take the next available chain: 1 with *elem filled, 0 when the ring is
 * empty, -EINVAL when the driver broke the rules (the queue is broken and
 * stays so until reset; why says what).
 */
int virtqueue_pop(struct virtqueue *vq, struct virtqueue_elem *elem);

/*
 * Put a chain back as used with written bytes of device-writable data.
 * Several pushes can be followed by one virtqueue_should_notify.
 */
void virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t written);

/*
 * After pushes: does the driver want an interrupt now (used-event index,
 * or VRING_AVAIL_F_NO_INTERRUPT without event index)?
 */
bool virtqueue_should_notify(struct virtqueue *vq);

/*
 * Device-side notification suppression: tell the driver not to kick (or
 * to kick again) while the device polls the ring itself. With event
 * index this writes avail_event. Returns true when new buffers arrived
 * meanwhile (re-check before sleeping).
 */
bool virtqueue_set_kick_wanted(struct virtqueue *vq, bool wanted);

#endif
