/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct virtio_net_hdr (virtio 1.2, 5.1.6) and the checks a transmit
 * header gets before a backend acts on it (net_hdr.c). Pure: the unit
 * test and the fuzz target run exactly this code.
 */
#ifndef KVMSCOPE_DEVICES_NET_HDR_H
#define KVMSCOPE_DEVICES_NET_HDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "devices/virtqueue.h"

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_STATUS 16

#define NET_BIT(f) (1ULL << (f))
/* Every offload bit a backend may offer. */
#define NET_OFFLOADS                                                           \
	(NET_BIT(VIRTIO_NET_F_CSUM) | NET_BIT(VIRTIO_NET_F_GUEST_CSUM) |       \
	 NET_BIT(VIRTIO_NET_F_GUEST_TSO4) | NET_BIT(VIRTIO_NET_F_GUEST_TSO6) | \
	 NET_BIT(VIRTIO_NET_F_GUEST_ECN) | NET_BIT(VIRTIO_NET_F_HOST_TSO4) |   \
	 NET_BIT(VIRTIO_NET_F_HOST_TSO6) | NET_BIT(VIRTIO_NET_F_HOST_ECN))

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

#define NET_HDR_LEN 12
#define NET_ETH_HLEN 14
/* The largest frame after the header: a 64 KiB TSO packet + headers. */
#define NET_MAX_FRAME (65535 + NET_ETH_HLEN + 4)

struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len; /* little-endian, as every field below */
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

/*
 * A transmit header for a frame of frame_len bytes under the negotiated
 * features: 0 when a backend may act on it, else -EINVAL and *why.
 * NEEDS_CSUM only with F_CSUM, a checksum field inside the frame; GSO
 * types only as negotiated (TCPv4/TCPv6 with HOST_TSO4/6, ECN with
 * HOST_ECN; UDP never), with NEEDS_CSUM, a gso_size in 1..frame and a
 * hdr_len inside the frame.
 */
int net_hdr_check(const struct virtio_net_hdr *h, size_t frame_len,
		  uint64_t features, const char **why);

/*
 * A transmit chain as popped from the queue: its readable bytes are the
 * header, then the frame; nothing writable. 0 with *hdr copied out (the
 * driver may split it anywhere), or -EINVAL and *why.
 */
int net_tx_check(const struct virtqueue_elem *e, uint64_t features,
		 struct virtio_net_hdr *hdr, const char **why);

/*
 * Fill a receive buffer (writable segments iov[0..cnt)) with a header
 * that says "whole checksums, no GSO, one buffer" and the frame: 12 + len,
 * or -EMSGSIZE when the buffer has not room for both (nothing written).
 */
ssize_t net_rx_fill(const struct iovec *iov, int cnt, const void *frame,
		    size_t len);

/*
 * The feature bits a set of offload features asks a TAP to receive,
 * as TUN_F_* flags for TUNSETOFFLOAD (what the guest accepts).
 */
unsigned int net_tun_offload_flags(uint64_t features);

size_t net_iov_from_buf(const struct iovec *iov, int cnt, size_t off,
			const void *buf, size_t len);
size_t net_iov_to_buf(const struct iovec *iov, int cnt, size_t off, void *buf,
		      size_t len);

#endif
