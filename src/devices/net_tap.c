// SPDX-License-Identifier: GPL-2.0
/*
 * The TAP row of the virtio-net backend seam: --net tap:IFNAME.
 *
 * The TAP is opened with IFF_VNET_HDR and a 12-byte header
 * (TUNSETVNETHDRSZ), which is exactly virtio 1.x's struct virtio_net_hdr,
 * so frames and headers pass between the TAP and guest RAM with
 * readv/writev and no copy. With offload=on (the default) the device
 * offers checksum and TSO offloads and TUNSETOFFLOAD is set from what the
 * driver acked: the kernel then hands us only GSO frames and partial
 * checksums the guest accepts, and takes the ones the guest sends (after
 * net_hdr_check).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/devices.h"
#include "devices/net_backend.h"

struct net_tap {
	struct net_backend be;
	char name[IFNAMSIZ + 8];
	int fd;
};

static bool tap_rx_pending(struct net_backend *be)
{
	struct pollfd p = { .fd = be->rx_fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && p.revents & POLLIN;
}

static ssize_t tap_recv(struct net_backend *be, const struct iovec *iov,
			int cnt)
{
	ssize_t r = readv(be->rx_fd, iov, cnt);

	if (r < 0)
		return errno == EAGAIN ? 0 : -errno;
	/* The kernel truncates a frame that does not fit (no MRG_RXBUF). */
	return r;
}

static int tap_send(struct net_backend *be, const struct iovec *iov, int cnt)
{
	return writev(be->rx_fd, iov, cnt) < 0 ? -errno : 0;
}

static int tap_set_offloads(struct net_backend *be, uint64_t features)
{
	unsigned int f = net_tun_offload_flags(features);

	if (ioctl(be->rx_fd, TUNSETOFFLOAD, f) < 0) {
		log_warn("virtio-net %s: TUNSETOFFLOAD %#x: %s", be->name, f,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

static void tap_destroy(struct net_backend *be)
{
	struct net_tap *t = (struct net_tap *)be;

	close(t->fd);
	free(t);
}

int net_tap_create(const struct net_spec *spec, struct net_backend **out,
		   struct errmsg *err)
{
	struct net_tap *t;
	struct ifreq ifr;
	int hdr = NET_HDR_LEN, fd, e;
	unsigned int probe = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
			     TUN_F_TSO_ECN;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errno, "--net tap:%s: /dev/net/tun: %s",
				  spec->ifname, strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, spec->ifname, strlen(spec->ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		close(fd);
		return errmsg_set(err, e, "--net tap:%s: %s%s", spec->ifname,
				  strerror(e),
				  e == EPERM ?
					  " (create it first: ip tuntap add "
					  "mode tap NAME user $USER)" :
				  e == EBUSY ? " (another process uses it)" :
					       "");
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		e = errno;
		close(fd);
		return errmsg_set(err, e, "--net tap:%s: vnet header: %s",
				  spec->ifname, strerror(e));
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		return errmsg_set(err, ENOMEM, "--net: out of memory");
	}
	t->fd = fd;
	snprintf(t->name, sizeof(t->name), "tap:%s", spec->ifname);
	t->be.name = t->name;
	t->be.rx_fd = fd;
	/* Offer offloads only if this kernel's TAP takes them all. */
	if (spec->offload && ioctl(fd, TUNSETOFFLOAD, probe) == 0)
		t->be.offloads = NET_OFFLOADS;
	if (ioctl(fd, TUNSETOFFLOAD, 0) < 0)
		log_warn("virtio-net %s: TUNSETOFFLOAD 0: %s", t->name,
			 strerror(errno));
	t->be.rx_pending = tap_rx_pending;
	t->be.recv = tap_recv;
	t->be.send = tap_send;
	t->be.set_offloads = tap_set_offloads;
	t->be.destroy = tap_destroy;
	*out = &t->be;
	return 0;
}
