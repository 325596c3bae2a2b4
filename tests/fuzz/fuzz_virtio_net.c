// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile virtio-net driver: its chains through the same virtqueue
 * walker and header path the device's I/O thread runs (net_tx_check on a
 * transmit chain, net_rx_fill on a receive chain), and --net specs
 * through net_spec_parse.
 *
 * Input: a 12-byte header, then the first bytes of a 64 KiB guest RAM
 * (the rest zero) holding the descriptor table (at 0), the available ring
 * (at 0x1000) and buffers; the used ring is at 0x2000.
 *
 *   0      bit 7: the rest of the input is a --net spec (string mode);
 *          bit 6: header mode: bytes 12-23 are a transmit header, the
 *          frame behind it is (bytes 2-3 | (byte 1 & 1) << 16) long
 *          (the header's fields against a length the input names);
 *          else queue size 1 << (b % 9)
 *   1      bit 0: indirect descriptors
 *   2-3    length of the frame offered to each receive chain (% 2048)
 *   4-11   the negotiated features (masked to the offload bits)
 *
 * Asserted besides "no crash": an accepted transmit chain has nothing
 * writable, the header the check returned is the chain's first 12
 * readable bytes, and every field obeys the bounds net_hdr.h states
 * (flags, checksum span, GSO type as negotiated, gso_size, hdr_len, the
 * frame's length); a refused one says why. A receive chain gets 12 + len
 * bytes exactly when it has room for them, else -EMSGSIZE. A spec is
 * accepted only with fields in range, else refused with a --net line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/net_hdr.h"
#include "devices/net_spec.h"
#include "vmm/memory.h"

#define RAM (64ULL << 10)
#define HDR 12

static struct guest_memory mem;
static struct virtqueue_elem elem;
static uint8_t flat[RAM], rxframe[2048], zeros[1 << 17];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned int i;

	(void)argc, (void)argv;
	if (guest_memory_alloc(&mem, RAM))
		abort();
	for (i = 0; i < sizeof(rxframe); i++)
		rxframe[i] = (uint8_t)(i * 7 + 1);
	return 0;
}

/* The chain's readable bytes, in order, into flat; their count. */
static size_t flatten_out(const struct virtqueue_elem *e)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < e->nr_out; i++) {
		if (e->iov[i].iov_len > RAM - n)
			abort(); /* the caller checked out_len <= RAM */
		memcpy(flat + n, e->iov[i].iov_base, e->iov[i].iov_len);
		n += e->iov[i].iov_len;
	}
	return n;
}

static bool negotiated(uint64_t f, unsigned int bit)
{
	return f & NET_BIT(bit);
}

static void check_tx(const struct virtqueue_elem *e, uint64_t f)
{
	struct virtio_net_hdr h;
	const char *why = NULL;
	uint8_t gso;
	size_t len;
	int r = net_tx_check(e, f, &h, &why);

	if (r) {
		if (r != -EINVAL || !why)
			abort();
		return;
	}
	if (e->nr_in || e->out_len < NET_HDR_LEN)
		abort();
	len = e->out_len - NET_HDR_LEN;
	if (len < NET_ETH_HLEN || len > NET_MAX_FRAME)
		abort();
	/* Segments may repeat the same RAM; out_len <= 64 KiB here. */
	if (e->out_len <= RAM &&
	    (flatten_out(e) != e->out_len || memcmp(flat, &h, sizeof(h))))
		abort();
	if (h.flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		abort();
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM &&
	    (!negotiated(f, VIRTIO_NET_F_CSUM) ||
	     (size_t)h.csum_start + h.csum_offset + 2 > len))
		abort();
	gso = h.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	if (gso == VIRTIO_NET_HDR_GSO_NONE) {
		if (h.gso_type || h.gso_size)
			abort();
		return;
	}
	if (!(gso == VIRTIO_NET_HDR_GSO_TCPV4 &&
	      negotiated(f, VIRTIO_NET_F_HOST_TSO4)) &&
	    !(gso == VIRTIO_NET_HDR_GSO_TCPV6 &&
	      negotiated(f, VIRTIO_NET_F_HOST_TSO6)))
		abort();
	if (h.gso_type & VIRTIO_NET_HDR_GSO_ECN &&
	    !negotiated(f, VIRTIO_NET_F_HOST_ECN))
		abort();
	if (!(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !h.gso_size ||
	    h.gso_size > len || h.hdr_len > len)
		abort();
}

static void check_rx(struct virtqueue_elem *e, size_t len)
{
	static const uint8_t want_hdr[NET_HDR_LEN] = { [10] = 1 };
	ssize_t w =
		net_rx_fill(&e->iov[e->nr_out], (int)e->nr_in, rxframe, len);
	const uint8_t *p;

	if (e->in_len < NET_HDR_LEN + len) {
		if (w != -EMSGSIZE)
			abort();
		return;
	}
	if (w != (ssize_t)(NET_HDR_LEN + len))
		abort();
	/* One writable segment cannot overlap itself: read it back. */
	if (e->nr_in == 1) {
		p = e->iov[e->nr_out].iov_base;
		if (memcmp(p, want_hdr, sizeof(want_hdr)) ||
		    memcmp(p + NET_HDR_LEN, rxframe, len))
			abort();
	}
}

static void check_spec(const uint8_t *data, size_t size)
{
	char spec[1100];
	struct net_spec s;
	struct errmsg err;
	unsigned int i;
	size_t n = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;

	memcpy(spec, data, n);
	spec[n] = 0;
	err.text[0] = 0;
	if (net_spec_parse(spec, &s, &err)) {
		if (strncmp(err.text, "--net", 5))
			abort();
		return;
	}
	if (s.kind == NET_TAP &&
	    (!s.ifname[0] || strnlen(s.ifname, IFNAMSIZ) >= IFNAMSIZ))
		abort();
	if (s.has_mac && s.mac[0] & 1)
		abort();
	if (s.prefix < 8 || s.prefix > 28 || s.net & ~(~0u << (32 - s.prefix)))
		abort();
	if (s.nr_fwd > NET_MAX_HOSTFWD || (s.kind == NET_TAP && s.nr_fwd))
		abort();
	for (i = 0; i < s.nr_fwd; i++) {
		if (!s.fwd[i].host_port || !s.fwd[i].guest_port)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtqueue vq;
	size_t body, rxlen;
	uint64_t features = 0;
	uint16_t qsize;
	unsigned int taken, i;

	if (size < HDR)
		return 0;
	if (data[0] & 0x80) {
		check_spec(data + HDR, size - HDR);
		return 0;
	}
	for (i = 0; i < 8; i++)
		features |= (uint64_t)data[4 + i] << (8 * i);
	features &= NET_OFFLOADS;
	if (data[0] & 0x40) {
		uint8_t h[NET_HDR_LEN] = { 0 };
		size_t len =
			(size_t)(data[2] | data[3] << 8 | (data[1] & 1) << 16);

		memcpy(h, data + HDR,
		       size - HDR < NET_HDR_LEN ? size - HDR : NET_HDR_LEN);
		memset(&elem, 0, sizeof(elem));
		elem.iov[0] = (struct iovec){ h, NET_HDR_LEN };
		elem.iov[1] = (struct iovec){ zeros, len };
		elem.nr_out = 2;
		elem.out_len = NET_HDR_LEN + len;
		check_tx(&elem, features);
		return 0;
	}
	body = size - HDR < RAM ? size - HDR : RAM;
	memset(mem.base, 0, RAM);
	memcpy(mem.base, data + HDR, body);
	qsize = (uint16_t)(1u << (data[0] % 9));
	rxlen = (size_t)(data[2] | data[3] << 8) % sizeof(rxframe);
	if (virtqueue_setup(&vq, &mem, qsize, 0, 0x1000, 0x2000, false,
			    data[1] & 1))
		return 0;
	for (taken = 0; taken <= qsize; taken++) {
		if (virtqueue_pop(&vq, &elem) <= 0)
			break;
		/* Each chain is tried both ways, as a hostile driver may
		 * put any chain on either queue. */
		check_tx(&elem, features);
		check_rx(&elem, rxlen);
		virtqueue_push(&vq, elem.head, 0);
	}
	return 0;
}
