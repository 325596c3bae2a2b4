// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio 1.2, 5.1) over a TAP device: --net tap:IFNAME[,mac=MAC].
 *
 * Queue 0 receives, queue 1 transmits. The TAP is opened with
 * IFF_VNET_HDR and a 12-byte header (TUNSETVNETHDRSZ), which is exactly
 * virtio 1.x's struct virtio_net_hdr, so frames and headers pass between
 * the TAP and guest RAM with readv/writev and no copy. No checksum or
 * segmentation offload is offered yet (TUNSETOFFLOAD 0), so every header
 * the guest sends must say "no GSO": the guest controls it, and the TAP
 * would act on it, so a header with gso_type set is dropped with a log
 * line. Without VIRTIO_NET_F_MRG_RXBUF every receive buffer the driver
 * posts holds a whole frame (Linux posts 1526-byte ones); num_buffers is
 * always 1.
 *
 * Receiving: the TAP fd is watched on the device's I/O thread only while
 * the driver has receive buffers posted; when they run out the watch is
 * dropped and a receive-queue kick restores it, so a full guest costs no
 * spinning and the kernel queues frames in the TAP meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/virtio.h"
#include "devices/virtio_net.h"

#define NET_QUEUE_SIZE 256
#define RXQ 0
#define TXQ 1
#define NET_HDR_LEN 12 /* struct virtio_net_hdr (with num_buffers) */
#define NET_MAX_PER_KICK 4096
#define F_MAC 5
#define F_STATUS 16
#define NET_S_LINK_UP 1
#define GSO_NONE 0

struct net_config {
	uint8_t mac[6];
	uint16_t status;
} __attribute__((packed));

struct virtio_net {
	struct virtio_device *vdev;
	int tap;
	char ifname[IFNAMSIZ];
	struct net_config cfg;
	struct virtqueue_elem elem;
	bool watching;
	uint64_t rx_frames, tx_frames, tx_dropped;
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
	unsigned int i;

	(void)fd, (void)events;
	if (!vq)
		return;
	for (i = 0; i < NET_MAX_PER_KICK; i++) {
		struct virtqueue_elem *e = &n->elem;
		struct pollfd p = { .fd = n->tap, .events = POLLIN };
		ssize_t r;
		int got;

		/* A frame first, then a buffer: none is taken for nothing. */
		if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
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
		r = readv(n->tap, &e->iov[0], (int)e->nr_in);
		if (r < 0)
			r = 0; /* vanished meanwhile: an empty buffer back */
		/* num_buffers = 1 (le16 at offset 10 of the header). */
		if (e->iov[0].iov_len >= NET_HDR_LEN) {
			uint8_t *h = e->iov[0].iov_base;

			h[10] = 1;
			h[11] = 0;
		}
		virtqueue_push(vq, e->head, (uint32_t)r);
		n->rx_frames++;
		virtio_notify(n->vdev, RXQ);
	}
}

static void watch(struct virtio_net *n, bool on)
{
	if (n->watching == on)
		return;
	if (!virtio_watch_fd(n->vdev, n->tap, on ? EPOLLIN : 0, rx_ready))
		n->watching = on;
}

static void tx_kick(struct virtio_net *n)
{
	struct virtqueue *vq = virtio_queue(n->vdev, TXQ);
	unsigned int i;

	if (!vq)
		return;
	for (i = 0; i < NET_MAX_PER_KICK; i++) {
		struct virtqueue_elem *e = &n->elem;
		uint8_t hdr[NET_HDR_LEN];
		size_t got = 0;
		unsigned int k;

		if (virtqueue_pop(vq, e) <= 0)
			break;
		/* The header's bytes, wherever the driver split them. */
		for (k = 0; k < e->nr_out && got < sizeof(hdr); k++) {
			size_t c = e->iov[k].iov_len < sizeof(hdr) - got ?
					   e->iov[k].iov_len :
					   sizeof(hdr) - got;

			memcpy(hdr + got, e->iov[k].iov_base, c);
			got += c;
		}
		if (got < sizeof(hdr) || e->nr_in) {
			device_log_guest(
				"virtio-net %s: a transmit chain without a whole header, or writable",
				n->ifname);
			n->tx_dropped++;
		} else if (hdr[1] != GSO_NONE) {
			device_log_guest(
				"virtio-net %s: a frame with gso_type %u, which was not negotiated: dropped",
				n->ifname, hdr[1]);
			n->tx_dropped++;
		} else if (writev(n->tap, e->iov, (int)e->nr_out) < 0) {
			n->tx_dropped++;
		} else {
			n->tx_frames++;
		}
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
	rx_ready(n, n->tap, EPOLLIN);
}

static int net_start(void *o, uint64_t features)
{
	struct virtio_net *n = o;

	(void)features;
	n->watching = false;
	watch(n, true);
	return 0;
}

static void net_stop(void *o, bool reset)
{
	struct virtio_net *n = o;

	(void)reset;
	watch(n, false);
}

static void net_destroy(void *o)
{
	struct virtio_net *n = o;

	if (n->tap >= 0)
		close(n->tap);
	free(n);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	/* A multicast address cannot be a NIC's. */
	return mac[0] & 1 ? -EINVAL : 0;
}

static int open_tap(struct virtio_net *n, struct errmsg *err)
{
	struct ifreq ifr;
	int hdr = NET_HDR_LEN, fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errno, "--net tap:%s: /dev/net/tun: %s",
				  n->ifname, strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, n->ifname, strlen(n->ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		close(fd);
		return errmsg_set(err, e, "--net tap:%s: %s%s", n->ifname,
				  strerror(e),
				  e == EPERM ?
					  " (create it first: ip tuntap add "
					  "mode tap NAME user $USER)" :
				  e == EBUSY ? " (another process uses it)" :
					       "");
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		int e = errno;

		close(fd);
		return errmsg_set(err, e, "--net tap:%s: vnet header: %s",
				  n->ifname, strerror(e));
	}
	n->tap = fd;
	return 0;
}

int virtio_net_add(const struct device_env *env, struct pci_host *host,
		   const char *spec, struct errmsg *err)
{
	static unsigned int nr_nics;
	struct virtio_device_ops *ops;
	struct virtio_net *n;
	const char *name, *comma;
	size_t len;
	int r;

	if (strncmp(spec, "tap:", 4))
		return errmsg_set(
			err, EINVAL,
			"--net '%s': use tap:IFNAME[,mac=MAC] (user-mode networking is not built in yet)",
			spec);
	name = spec + 4;
	comma = strchr(name, ',');
	len = comma ? (size_t)(comma - name) : strlen(name);
	if (!len || len >= IFNAMSIZ)
		return errmsg_set(
			err, EINVAL,
			"--net '%s': give an interface name of 1 to %d characters",
			spec, IFNAMSIZ - 1);
	n = calloc(1, sizeof(*n));
	ops = calloc(1, sizeof(*ops));
	if (!n || !ops) {
		free(n);
		free(ops);
		return errmsg_set(err, ENOMEM, "--net: out of memory");
	}
	n->tap = -1;
	memcpy(n->ifname, name, len);
	/* QEMU's default: 52:54:00:12:34:56, the last byte per NIC. */
	memcpy(n->cfg.mac, "\x52\x54\x00\x12\x34\x56", 6);
	n->cfg.mac[5] = (uint8_t)(0x56 + nr_nics);
	if (comma) {
		if (strncmp(comma, ",mac=", 5) ||
		    parse_mac(comma + 5, n->cfg.mac)) {
			free(n);
			free(ops);
			return errmsg_set(
				err, EINVAL,
				"--net '%s': the only option is mac=XX:XX:XX:XX:XX:XX (a unicast address)",
				spec);
		}
	}
	n->cfg.status = NET_S_LINK_UP;
	r = open_tap(n, err);
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
		.features = 1ULL << F_MAC | 1ULL << F_STATUS,
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
		close(n->tap);
		free(n);
		free(ops);
		return r;
	}
	nr_nics++;
	return 0;
}

const struct device_option virtio_net_option = { "virtio-net", virtio_net_add };
