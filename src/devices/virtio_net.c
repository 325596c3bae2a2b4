// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio 1.2, 5.1): --net tap:IFNAME[,...] or --net user[,...].
 *
 * Queue 0 receives, queue 1 transmits. The device model moves frames
 * between the virtqueues and a backend (net_backend.h: net_tap.c or
 * net_user.c), each frame with its 12-byte struct virtio_net_hdr. The
 * header the guest sends is guest-controlled and the TAP would act on
 * it, so net_hdr_check bounds it against the negotiated features and the
 * frame first; a bad one drops the frame with a rate-limited log line.
 * Offload features are offered only as the backend can carry them
 * (TAP with offload=on; none for user). Without VIRTIO_NET_F_MRG_RXBUF
 * every receive buffer the driver posts holds a whole frame (Linux posts
 * 1526-byte ones, or 64 KiB chains once GUEST_TSO4/6 is acked), so
 * num_buffers is always 1.
 *
 * Receiving: the backend's rx fd is watched on the device's I/O thread
 * only while the driver has receive buffers posted; when they run out
 * the watch is dropped and a receive-queue kick restores it, so a full
 * guest costs no spinning and frames wait in the backend meanwhile (the
 * TAP's kernel queue, slirp's bounded ring).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "devices/net_backend.h"
#include "devices/virtio.h"
#include "devices/virtio_net.h"

#define NET_QUEUE_SIZE 256
#define RXQ 0
#define TXQ 1
#define NET_MAX_PER_KICK 4096
#define NET_S_LINK_UP 1

struct net_config {
	uint8_t mac[6];
	uint16_t status;
} __attribute__((packed));

struct virtio_net {
	struct virtio_device *vdev;
	struct net_backend *be;
	struct net_config cfg;
	struct virtqueue_elem elem;
	uint64_t features;
	bool watching;
	uint64_t rx_frames, rx_dropped, tx_frames, tx_dropped;
};

static void net_config_read(void *o, uint32_t off, uint8_t *d, uint32_t len)
{
	struct virtio_net *n = o;

	memcpy(d, (uint8_t *)&n->cfg + off, len);
}

static void net_config_write(void *o, uint32_t off, const uint8_t *d,
			     uint32_t len)
{
	/* mac is writable only with VIRTIO_NET_F_CTRL_MAC_ADDR (absent). */
	(void)o, (void)off, (void)d, (void)len;
}

static void watch(struct virtio_net *n, bool on);

static void rx_ready(void *o, int fd, uint32_t events)
{
	struct virtio_net *n = o;
	struct virtqueue *vq = virtio_queue(n->vdev, RXQ);
	static const uint8_t one[2] = { 1, 0 };
	unsigned int i, pushed = 0;

	(void)fd, (void)events;
	if (!vq)
		return;
	for (i = 0; i < NET_MAX_PER_KICK; i++) {
		struct virtqueue_elem *e = &n->elem;
		ssize_t r;
		int got;

		/* A frame first, then a buffer: none is taken for nothing. */
		if (!n->be->rx_pending(n->be))
			break;
		got = virtqueue_pop(vq, e);
		if (got <= 0) {
			/* No buffer posted: wait for the driver's kick. */
			if (!got)
				watch(n, false);
			break;
		}
		if (e->nr_out || e->in_len < NET_HDR_LEN) {
			virtio_device_broken(
				n->vdev,
				"a virtio-net receive buffer that is readable or too short for the header");
			return;
		}
		r = n->be->recv(n->be, &e->iov[0], (int)e->nr_in);
		if (r > 0 && (uint64_t)r > e->in_len) {
			/* A TAP says how long the frame was, not what fit. */
			device_log_guest(
				"virtio-net %s: a %zd-byte frame for a %llu-byte receive buffer: dropped",
				n->be->name, r, (unsigned long long)e->in_len);
			r = -EMSGSIZE;
		}
		if (r < NET_HDR_LEN) {
			/* Dropped or vanished: an empty buffer back. */
			if (r < 0)
				n->rx_dropped++;
			r = 0;
		} else {
			/* num_buffers = 1 (le16 at offset 10 of the header). */
			net_iov_from_buf(&e->iov[0], (int)e->nr_in, 10, one, 2);
			n->rx_frames++;
		}
		virtqueue_push(vq, e->head, (uint32_t)r);
		pushed++;
	}
	if (pushed)
		virtio_notify(n->vdev, RXQ);
}

static void watch(struct virtio_net *n, bool on)
{
	if (n->watching == on)
		return;
	if (!virtio_watch_fd(n->vdev, n->be->rx_fd, on ? EPOLLIN : 0, rx_ready))
		n->watching = on;
}

/* One transmit chain: 0 sent, else -errno (dropped, with a log line). */
static int tx_one(struct virtio_net *n, struct virtqueue_elem *e)
{
	struct virtio_net_hdr hdr;
	const char *why;
	int r;

	if (net_tx_check(e, n->features, &hdr, &why)) {
		device_log_guest("virtio-net %s: transmit: %s: dropped",
				 n->be->name, why);
		return -EINVAL;
	}
	r = n->be->send(n->be, e->iov, (int)e->nr_out);
	if (r)
		device_log_guest("virtio-net %s: send: %s: dropped",
				 n->be->name, strerror(-r));
	return r;
}

static void tx_kick(struct virtio_net *n)
{
	struct virtqueue *vq = virtio_queue(n->vdev, TXQ);
	unsigned int i;

	if (!vq)
		return;
	for (i = 0; i < NET_MAX_PER_KICK; i++) {
		struct virtqueue_elem *e = &n->elem;

		if (virtqueue_pop(vq, e) <= 0)
			break;
		if (tx_one(n, e))
			n->tx_dropped++;
		else
			n->tx_frames++;
		virtqueue_push(vq, e->head, 0);
	}
	virtio_notify(n->vdev, TXQ);
}

static void net_queue_notify(void *o, unsigned int q)
{
	struct virtio_net *n = o;

	if (q == TXQ) {
		tx_kick(n);
		return;
	}
	/* New receive buffers: take frames again. */
	watch(n, true);
	rx_ready(n, n->be->rx_fd, EPOLLIN);
}

static int net_start(void *o, uint64_t features)
{
	struct virtio_net *n = o;
	int r;

	n->features = features;
	if (n->be->set_offloads) {
		r = n->be->set_offloads(n->be, features & n->be->offloads);
		if (r)
			return r;
	}
	n->watching = false;
	watch(n, true);
	return 0;
}

static void net_stop(void *o, bool reset)
{
	struct virtio_net *n = o;

	watch(n, false);
	/* A reset driver has accepted nothing yet: no GSO frames for it. */
	if (reset && n->be->set_offloads)
		n->be->set_offloads(n->be, 0);
}

static void net_destroy(void *o)
{
	struct virtio_net *n = o;

	log_debug(
		"virtio-net %s: %llu frames received (%llu dropped), %llu sent (%llu dropped)",
		n->be->name, (unsigned long long)n->rx_frames,
		(unsigned long long)n->rx_dropped,
		(unsigned long long)n->tx_frames,
		(unsigned long long)n->tx_dropped);
	n->be->destroy(n->be);
	free(n);
}

int virtio_net_add(const struct device_env *env, struct pci_host *host,
		   const char *spec, struct errmsg *err)
{
	static unsigned int nr_nics;
	struct virtio_device_ops *ops;
	struct virtio_net *n;
	struct net_spec s;
	int r;

	r = net_spec_parse(spec, &s, err);
	if (r)
		return r;
	n = calloc(1, sizeof(*n));
	ops = calloc(1, sizeof(*ops));
	if (!n || !ops) {
		free(n);
		free(ops);
		return errmsg_set(err, ENOMEM, "--net: out of memory");
	}
	/* QEMU's default: 52:54:00:12:34:56, the last byte per NIC. */
	memcpy(n->cfg.mac, "\x52\x54\x00\x12\x34\x56", 6);
	n->cfg.mac[5] = (uint8_t)(0x56 + nr_nics);
	if (s.has_mac)
		memcpy(n->cfg.mac, s.mac, 6);
	n->cfg.status = NET_S_LINK_UP;
	r = s.kind == NET_TAP ? net_tap_create(&s, &n->be, err) :
				net_user_create(&s, &n->be, err);
	if (r) {
		free(n);
		free(ops);
		return r;
	}
	*ops = (struct virtio_device_ops){
		.name = "virtio-net",
		.device_id = VIRTIO_ID_NET,
		.nr_queues = 2,
		.queue_max_size = NET_QUEUE_SIZE,
		.features = NET_BIT(VIRTIO_NET_F_MAC) |
			    NET_BIT(VIRTIO_NET_F_STATUS) | n->be->offloads,
		.config_size = sizeof(struct net_config),
		.config_read = net_config_read,
		.config_write = net_config_write,
		.start = net_start,
		.queue_notify = net_queue_notify,
		.stop = net_stop,
		.destroy = net_destroy,
	};
	r = virtio_pci_add(host, env, ops, n, &n->vdev, err);
	if (r) {
		n->be->destroy(n->be);
		free(n);
		free(ops);
		return r;
	}
	nr_nics++;
	return 0;
}

const struct device_option virtio_net_option = { "virtio-net", virtio_net_add };
