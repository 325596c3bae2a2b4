// SPDX-License-Identifier: GPL-2.0
/*
 * The guest-controlled virtio_net_hdr of a transmit frame, checked before
 * a TAP acts on it (the kernel checks too; this keeps a hostile header
 * from reaching it and names the problem in the log), and the TUN
 * offload flags a driver's features ask for.
 */
#include <endian.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <stdbool.h>
#include <string.h>

#include "devices/net_hdr.h"

#define le16(v) le16toh(v)

int net_hdr_check(const struct virtio_net_hdr *h, size_t frame_len,
		  uint64_t features, const char **why)
{
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	size_t cs = le16(h->csum_start), co = le16(h->csum_offset);

	if (frame_len < NET_ETH_HLEN || frame_len > NET_MAX_FRAME) {
		*why = "a frame shorter than an Ethernet header or over 64 KiB";
		return -EINVAL;
	}
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		*why = "flags other than NEEDS_CSUM";
		return -EINVAL;
	}
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!(features & NET_BIT(VIRTIO_NET_F_CSUM))) {
			*why = "NEEDS_CSUM without VIRTIO_NET_F_CSUM";
			return -EINVAL;
		}
		if (cs + co + 2 > frame_len) {
			*why = "csum_start + csum_offset beyond the frame";
			return -EINVAL;
		}
	}
	if (gso == VIRTIO_NET_HDR_GSO_NONE) {
		if (le16(h->gso_size) || h->gso_type & VIRTIO_NET_HDR_GSO_ECN) {
			*why = "gso_size or ECN without a gso_type";
			return -EINVAL;
		}
		return 0;
	}
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4) {
		if (!(features & NET_BIT(VIRTIO_NET_F_HOST_TSO4))) {
			*why = "gso_type TCPV4 without HOST_TSO4";
			return -EINVAL;
		}
	} else if (gso == VIRTIO_NET_HDR_GSO_TCPV6) {
		if (!(features & NET_BIT(VIRTIO_NET_F_HOST_TSO6))) {
			*why = "gso_type TCPV6 without HOST_TSO6";
			return -EINVAL;
		}
	} else {
		*why = "a gso_type that is not TCPV4 or TCPV6 (UFO is not offered)";
		return -EINVAL;
	}
	if (h->gso_type & VIRTIO_NET_HDR_GSO_ECN &&
	    !(features & NET_BIT(VIRTIO_NET_F_HOST_ECN))) {
		*why = "gso_type ECN without HOST_ECN";
		return -EINVAL;
	}
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		*why = "a GSO frame without NEEDS_CSUM";
		return -EINVAL;
	}
	if (!le16(h->gso_size) || le16(h->gso_size) > frame_len) {
		*why = "a gso_size of 0 or beyond the frame";
		return -EINVAL;
	}
	if (le16(h->hdr_len) > frame_len) {
		*why = "a hdr_len beyond the frame";
		return -EINVAL;
	}
	return 0;
}

int net_tx_check(const struct virtqueue_elem *e, uint64_t features,
		 struct virtio_net_hdr *hdr, const char **why)
{
	if (e->nr_in) {
		*why = "a transmit chain with writable segments";
		return -EINVAL;
	}
	if (e->out_len < NET_HDR_LEN ||
	    net_iov_to_buf(e->iov, (int)e->nr_out, 0, hdr, sizeof(*hdr)) <
		    sizeof(*hdr)) {
		*why = "a transmit chain shorter than the header";
		return -EINVAL;
	}
	return net_hdr_check(hdr, e->out_len - NET_HDR_LEN, features, why);
}

ssize_t net_rx_fill(const struct iovec *iov, int cnt, const void *frame,
		    size_t len)
{
	static const struct virtio_net_hdr hdr = {
		.num_buffers = 1 /* le16: x86 */
	};
	size_t room = 0;
	int i;

	for (i = 0; i < cnt; i++)
		room += iov[i].iov_len;
	if (len > NET_MAX_FRAME || room < NET_HDR_LEN + len)
		return -EMSGSIZE;
	net_iov_from_buf(iov, cnt, 0, &hdr, NET_HDR_LEN);
	net_iov_from_buf(iov, cnt, NET_HDR_LEN, frame, len);
	return (ssize_t)(NET_HDR_LEN + len);
}

unsigned int net_tun_offload_flags(uint64_t features)
{
	unsigned int f = 0;

	/* The TAP may hand us partial checksums and GSO only if accepted. */
	if (!(features & NET_BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	f |= TUN_F_CSUM;
	if (features & NET_BIT(VIRTIO_NET_F_GUEST_TSO4))
		f |= TUN_F_TSO4;
	if (features & NET_BIT(VIRTIO_NET_F_GUEST_TSO6))
		f |= TUN_F_TSO6;
	if (f & (TUN_F_TSO4 | TUN_F_TSO6) &&
	    features & NET_BIT(VIRTIO_NET_F_GUEST_ECN))
		f |= TUN_F_TSO_ECN;
	return f;
}

/* Copy between the vector (from byte off) and buf, either way. */
static size_t iov_copy(const struct iovec *iov, int cnt, size_t off,
		       uint8_t *buf, size_t len, bool into_iov)
{
	size_t done = 0;
	int i;

	for (i = 0; i < cnt && done < len; i++) {
		size_t l = iov[i].iov_len, c;
		uint8_t *seg;

		if (off >= l) {
			off -= l;
			continue;
		}
		seg = (uint8_t *)iov[i].iov_base + off;
		c = l - off < len - done ? l - off : len - done;
		if (into_iov)
			memcpy(seg, buf + done, c);
		else
			memcpy(buf + done, seg, c);
		done += c;
		off = 0;
	}
	return done;
}

size_t net_iov_from_buf(const struct iovec *iov, int cnt, size_t off,
			const void *buf, size_t len)
{
	return iov_copy(iov, cnt, off, (uint8_t *)buf, len, true);
}

size_t net_iov_to_buf(const struct iovec *iov, int cnt, size_t off, void *buf,
		      size_t len)
{
	return iov_copy(iov, cnt, off, buf, len, false);
}
