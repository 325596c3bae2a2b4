/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seam between the virtio-net device model (virtio_net.c) and what
 * carries its frames: a TAP device (net_tap.c) or user-mode networking
 * with libslirp (net_user.c).
 *
 * Frames cross the seam as scatter lists that start with the 12-byte
 * struct virtio_net_hdr, in guest RAM: send reads one the driver posted
 * (after net_hdr_check), recv writes one into a receive buffer. Every
 * call but create and destroy runs on the device's I/O thread.
 */
#ifndef KVMSCOPE_DEVICES_NET_BACKEND_H
#define KVMSCOPE_DEVICES_NET_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "devices/net_hdr.h"
#include "devices/net_spec.h"
#include "util/errmsg.h"

struct net_backend {
	const char *name; /* "tap:IFNAME" or "user": log lines */
	/* Virtio-net feature bits (net_hdr.h) the backend can carry. */
	uint64_t offloads;
	/*
	 * Readable (EPOLLIN) while rx_pending may be true: the device
	 * watches it on its I/O thread while the driver has buffers.
	 */
	int rx_fd;
	/* A frame is waiting for a receive buffer. */
	bool (*rx_pending)(struct net_backend *be);
	/*
	 * Fill a receive buffer with the header and the next frame: the
	 * bytes written, 0 when there was none after all, or -EMSGSIZE when
	 * it did not fit (the frame is dropped).
	 */
	ssize_t (*recv)(struct net_backend *be, const struct iovec *iov,
			int cnt);
	/*
	 * Send one header + frame. 0, or -errno when it was dropped
	 * (-EAGAIN: the backend's queue is full).
	 */
	int (*send)(struct net_backend *be, const struct iovec *iov, int cnt);
	/* The driver acked these features (a subset of offloads): 0/-errno. */
	int (*set_offloads)(struct net_backend *be, uint64_t features);
	/* Main thread, at teardown. */
	void (*destroy)(struct net_backend *be);
};

/* The two rows. Main thread, before the VM starts. */
int net_tap_create(const struct net_spec *spec, struct net_backend **out,
		   struct errmsg *err);
int net_user_create(const struct net_spec *spec, struct net_backend **out,
		    struct errmsg *err);

#endif
