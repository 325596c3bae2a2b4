// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net's header path and --net spec parsing, as the device runs
 * them: net_tx_check on transmit chains (a header split anywhere, every
 * offload field bounded against the frame and the negotiated features),
 * net_rx_fill on receive buffers, the TUN offload flags a driver's
 * features ask for, MAC parsing, and each spec the parser must refuse.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/net_hdr.h"
#include "devices/net_spec.h"

static struct virtqueue_elem e;
static uint8_t buf[4][70000];

#define ALL_OFFLOADS NET_OFFLOADS

/* A transmit chain: the header, then a frame of len bytes, in segs. */
static void tx_chain(const struct virtio_net_hdr *h, size_t len,
		     unsigned int segs)
{
	static uint8_t flat[NET_HDR_LEN + 70000];
	size_t total = NET_HDR_LEN + len, per = total / segs, off = 0;
	unsigned int i;

	memcpy(flat, h, NET_HDR_LEN);
	for (i = 0; i < len; i++)
		flat[NET_HDR_LEN + i] = (uint8_t)i;
	memset(&e, 0, sizeof(e));
	for (i = 0; i < segs; i++) {
		size_t l = i == segs - 1 ? total - off : per;

		memcpy(buf[i], flat + off, l);
		e.iov[i].iov_base = buf[i];
		e.iov[i].iov_len = l;
		off += l;
	}
	e.nr_out = segs;
	e.out_len = total;
}

static int tx(const struct virtio_net_hdr *h, size_t len, uint64_t features,
	      const char **why)
{
	struct virtio_net_hdr got;

	*why = NULL;
	tx_chain(h, len, 1);
	return net_tx_check(&e, features, &got, why);
}

static void test_plain_frame_accepted_any_split(void **state)
{
	struct virtio_net_hdr h = { 0 }, got;
	const char *why = NULL;
	unsigned int segs;

	(void)state;
	for (segs = 1; segs <= 4; segs++) {
		tx_chain(&h, 60, segs); /* splits the header at 18 or 24 */
		memset(&got, 0xff, sizeof(got));
		assert_int_equal(net_tx_check(&e, 0, &got, &why), 0);
		assert_memory_equal(&got, &h, sizeof(h));
	}
	/* The smallest frame: an Ethernet header; the largest: 64 KiB TSO. */
	assert_int_equal(tx(&h, NET_ETH_HLEN, 0, &why), 0);
	assert_int_equal(tx(&h, NET_ETH_HLEN - 1, 0, &why), -EINVAL);
	assert_string_equal(
		why, "a frame shorter than an Ethernet header or over 64 KiB");
	assert_int_equal(tx(&h, NET_MAX_FRAME + 1, 0, &why), -EINVAL);
}

static void test_chain_shape_refused(void **state)
{
	struct virtio_net_hdr h = { 0 }, got;
	const char *why = NULL;

	(void)state;
	tx_chain(&h, 60, 1);
	e.nr_in = 1; /* a writable segment after the readable ones */
	e.iov[1].iov_base = buf[1];
	e.iov[1].iov_len = 100;
	assert_int_equal(net_tx_check(&e, 0, &got, &why), -EINVAL);
	assert_string_equal(why, "a transmit chain with writable segments");
	tx_chain(&h, 0, 1);
	e.iov[0].iov_len = e.out_len = 11;
	assert_int_equal(net_tx_check(&e, 0, &got, &why), -EINVAL);
	assert_string_equal(why, "a transmit chain shorter than the header");
}

static void test_csum_bounds(void **state)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .csum_start = 34,
				    .csum_offset = 16 };
	const char *why;

	(void)state;
	assert_int_equal(tx(&h, 54, NET_BIT(VIRTIO_NET_F_CSUM), &why), 0);
	assert_int_equal(tx(&h, 54, 0, &why), -EINVAL);
	assert_string_equal(why, "NEEDS_CSUM without VIRTIO_NET_F_CSUM");
	/* The checksum's 2 bytes end exactly at the frame's end... */
	h.csum_offset = 18;
	assert_int_equal(tx(&h, 54, NET_BIT(VIRTIO_NET_F_CSUM), &why), 0);
	/* ... or one past: refused, as is a huge start. */
	h.csum_offset = 19;
	assert_int_equal(tx(&h, 54, NET_BIT(VIRTIO_NET_F_CSUM), &why), -EINVAL);
	assert_string_equal(why, "csum_start + csum_offset beyond the frame");
	h.csum_start = 0xffff;
	h.csum_offset = 0xffff;
	assert_int_equal(tx(&h, 54, NET_BIT(VIRTIO_NET_F_CSUM), &why), -EINVAL);
	h.flags = 2; /* DATA_VALID: receive only */
	assert_int_equal(tx(&h, 54, ALL_OFFLOADS, &why), -EINVAL);
	assert_string_equal(why, "flags other than NEEDS_CSUM");
}

static void test_gso_only_as_negotiated(void **state)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				    .hdr_len = 66,
				    .gso_size = 1448,
				    .csum_start = 34,
				    .csum_offset = 16 };
	uint64_t csum = NET_BIT(VIRTIO_NET_F_CSUM);
	const char *why;

	(void)state;
	assert_int_equal(tx(&h, 65000, ALL_OFFLOADS, &why), 0);
	assert_int_equal(
		tx(&h, 65000, csum | NET_BIT(VIRTIO_NET_F_HOST_TSO4), &why), 0);
	assert_int_equal(tx(&h, 65000, csum | NET_BIT(VIRTIO_NET_F_HOST_TSO6),
			    &why),
			 -EINVAL);
	assert_string_equal(why, "gso_type TCPV4 without HOST_TSO4");
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	h.csum_start = 54;
	assert_int_equal(tx(&h, 65000, csum | NET_BIT(VIRTIO_NET_F_HOST_TSO4),
			    &why),
			 -EINVAL);
	assert_string_equal(why, "gso_type TCPV6 without HOST_TSO6");
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN;
	assert_int_equal(tx(&h, 65000, csum | NET_BIT(VIRTIO_NET_F_HOST_TSO6),
			    &why),
			 -EINVAL);
	assert_string_equal(why, "gso_type ECN without HOST_ECN");
	assert_int_equal(tx(&h, 65000, ALL_OFFLOADS, &why), 0);
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	assert_int_equal(tx(&h, 65000, ALL_OFFLOADS, &why), -EINVAL);
	assert_string_equal(
		why,
		"a gso_type that is not TCPV4 or TCPV6 (UFO is not offered)");
	h.gso_type = 0x42;
	assert_int_equal(tx(&h, 65000, ALL_OFFLOADS, &why), -EINVAL);
	h.gso_type = VIRTIO_NET_HDR_GSO_ECN; /* ECN alone */
	assert_int_equal(tx(&h, 65000, ALL_OFFLOADS, &why), -EINVAL);
	assert_string_equal(why, "gso_size or ECN without a gso_type");
}

static void test_gso_fields_bounded(void **state)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				    .hdr_len = 66,
				    .gso_size = 1448,
				    .csum_start = 34,
				    .csum_offset = 16 };
	const char *why;

	(void)state;
	h.gso_size = 0;
	assert_int_equal(tx(&h, 3000, ALL_OFFLOADS, &why), -EINVAL);
	assert_string_equal(why, "a gso_size of 0 or beyond the frame");
	h.gso_size = 3001;
	assert_int_equal(tx(&h, 3000, ALL_OFFLOADS, &why), -EINVAL);
	h.gso_size = 1448;
	h.hdr_len = 3001;
	assert_int_equal(tx(&h, 3000, ALL_OFFLOADS, &why), -EINVAL);
	assert_string_equal(why, "a hdr_len beyond the frame");
	h.hdr_len = 3000; /* Linux gives the linear length: allowed */
	assert_int_equal(tx(&h, 3000, ALL_OFFLOADS, &why), 0);
	h.flags = 0;
	assert_int_equal(tx(&h, 3000, ALL_OFFLOADS, &why), -EINVAL);
	assert_string_equal(why, "a GSO frame without NEEDS_CSUM");
	/* gso_size with no GSO type */
	memset(&h, 0, sizeof(h));
	h.gso_size = 1;
	assert_int_equal(tx(&h, 3000, ALL_OFFLOADS, &why), -EINVAL);
}

static void test_rx_fill(void **state)
{
	static const uint8_t want[NET_HDR_LEN] = { [10] = 1 };
	uint8_t frame[1514], a[20], b[2000];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 3 + 1);
	memset(a, 0xee, sizeof(a));
	memset(b, 0xee, sizeof(b));
	assert_int_equal(net_rx_fill(iov, 2, frame, sizeof(frame)),
			 NET_HDR_LEN + sizeof(frame));
	assert_memory_equal(a, want, NET_HDR_LEN);
	assert_memory_equal(a + NET_HDR_LEN, frame, 8);
	assert_memory_equal(b, frame + 8, sizeof(frame) - 8);
	assert_int_equal(b[sizeof(frame) - 8], 0xee); /* nothing past it */
	/* Exactly full fits; one byte short writes nothing. */
	iov[1].iov_len = sizeof(frame) - 8;
	assert_int_equal(net_rx_fill(iov, 2, frame, sizeof(frame)),
			 NET_HDR_LEN + sizeof(frame));
	memset(a, 0xee, sizeof(a));
	iov[1].iov_len = sizeof(frame) - 9;
	assert_int_equal(net_rx_fill(iov, 2, frame, sizeof(frame)), -EMSGSIZE);
	assert_int_equal(a[0], 0xee);
	assert_int_equal(net_rx_fill(iov, 0, frame, 0), -EMSGSIZE);
}

static void test_tun_offload_flags(void **state)
{
	(void)state;
	assert_int_equal(net_tun_offload_flags(0), 0);
	/* Host-side bits ask nothing of the TAP's receive path. */
	assert_int_equal(net_tun_offload_flags(NET_BIT(VIRTIO_NET_F_CSUM) |
					       NET_BIT(VIRTIO_NET_F_HOST_TSO4)),
			 0);
	/* GSO the guest accepts only with GUEST_CSUM. */
	assert_int_equal(
		net_tun_offload_flags(NET_BIT(VIRTIO_NET_F_GUEST_TSO4)), 0);
	assert_int_equal(
		net_tun_offload_flags(NET_BIT(VIRTIO_NET_F_GUEST_CSUM)),
		TUN_F_CSUM);
	assert_int_equal(net_tun_offload_flags(NET_OFFLOADS),
			 TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN);
	assert_int_equal(
		net_tun_offload_flags(NET_BIT(VIRTIO_NET_F_GUEST_CSUM) |
				      NET_BIT(VIRTIO_NET_F_GUEST_ECN)),
		TUN_F_CSUM);
}

static void test_mac(void **state)
{
	uint8_t mac[6];
	static const char *const bad[] = {
		"01:00:00:00:00:01", /* multicast */
		"52:54:00:12:34",    "52:54:00:12:34:56:78",
		"52:54:00:12:34:5",  "52:54:00:12:34:5g",
		"52-54-00-12-34-56", "+2:54:00:12:34:56",
		" 2:54:00:12:34:56", "",
	};
	unsigned int i;

	(void)state;
	assert_int_equal(net_parse_mac("52:54:00:aB:cd:EF", mac), 0);
	assert_memory_equal(mac, "\x52\x54\x00\xab\xcd\xef", 6);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(net_parse_mac(bad[i], mac), -EINVAL);
}

static void test_spec_accepted(void **state)
{
	struct net_spec s;
	struct errmsg err;
	char a[16];

	(void)state;
	assert_int_equal(net_spec_parse("tap:kst0", &s, &err), 0);
	assert_int_equal(s.kind, NET_TAP);
	assert_string_equal(s.ifname, "kst0");
	assert_true(s.offload);
	assert_false(s.has_mac);
	assert_int_equal(
		net_spec_parse("tap:x,offload=off,mac=52:54:00:00:00:01", &s,
			       &err),
		0);
	assert_false(s.offload);
	assert_true(s.has_mac);
	assert_int_equal(s.mac[5], 1);

	assert_int_equal(net_spec_parse("user", &s, &err), 0);
	assert_int_equal(s.kind, NET_USER);
	assert_int_equal(s.net, 0x0a000200);
	assert_int_equal(s.prefix, 24);
	assert_int_equal(s.nr_fwd, 0);
	inet_ntop(AF_INET, &(struct in_addr){ net_user_addr(&s, 15).s_addr }, a,
		  sizeof(a));
	assert_string_equal(a, "10.0.2.15");

	assert_int_equal(
		net_spec_parse(
			"user,net=192.168.0.0/16,hostfwd=tcp::2222-:22,hostfwd=udp:127.0.0.1:5353-10.0.2.9:53,hostfwd=::1-:65535",
			&s, &err),
		0);
	assert_int_equal(s.net, 0xc0a80000);
	assert_int_equal(s.prefix, 16);
	assert_int_equal(s.nr_fwd, 3);
	assert_false(s.fwd[0].udp);
	assert_int_equal(s.fwd[0].host_port, 2222);
	assert_int_equal(s.fwd[0].guest_port, 22);
	assert_int_equal(s.fwd[0].host_addr.s_addr, 0);
	assert_int_equal(s.fwd[0].guest_addr.s_addr, 0); /* the DHCP one */
	assert_true(s.fwd[1].udp);
	assert_int_equal(s.fwd[1].host_addr.s_addr, htonl(0x7f000001));
	assert_int_equal(s.fwd[1].guest_addr.s_addr, htonl(0x0a000209));
	assert_int_equal(s.fwd[2].host_port, 1);
	assert_int_equal(s.fwd[2].guest_port, 65535);
}

static void test_spec_refused(void **state)
{
	static const struct {
		const char *spec, *message;
	} bad[] = {
		{ "", "--net '': use tap:IFNAME[,mac=MAC][,offload=on|off] or "
		      "user[,mac=MAC][,net=ADDR/PREFIX][,hostfwd=[tcp|udp]:"
		      "[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]" },
		{ "users", NULL },
		{ "tap", NULL },
		{ "tap:", "--net 'tap:': give an interface name of 1 to 15 "
			  "characters" },
		{ "tap:0123456789abcdef", NULL },
		{ "tap:x,", "--net 'tap:x,': unknown option '': use "
			    "tap:IFNAME[,mac=MAC][,offload=on|off]" },
		{ "tap:x,mac", NULL },
		{ "tap:x,net=10.0.2.0/24", NULL },
		{ "user,offload=off", NULL },
		{ "user,mac=ff:ff:ff:ff:ff:ff", NULL },
		{ "user,net=10.0.2.0", NULL },
		{ "user,net=10.0.2.0/7", NULL },
		{ "user,net=10.0.2.0/29", NULL },
		{ "user,net=10.0.2.0/24x", NULL },
		{ "user,net=10.0.2.0/+24", NULL },
		{ "user,net=/24", NULL },
		{ "user,hostfwd=tcp::2222-:22x", NULL },
		{ "user,hostfwd=tcp::2222:22", NULL },
		{ "user,hostfwd=tcp:2222-:22", NULL },
		{ "user,hostfwd=tcp::-:22", NULL },
		{ "user,hostfwd=tcp::2222-:", NULL },
		{ "user,hostfwd=tcp::-2-:22", NULL },
		{ "user,hostfwd=tcp:1.2.3:2222-:22", NULL },
		{ "user,hostfwd=tcp::2222-1.2.3.4.5:22", NULL },
		{ "user,hostfwd=tcp::2222-::22", NULL },
		{ "user,hostfwd=tcp::000000022-:22", NULL },
	};
	struct net_spec s;
	struct errmsg err;
	unsigned int i;
	char many[600] = "user";

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.text[0] = 0;
		assert_int_equal(net_spec_parse(bad[i].spec, &s, &err),
				 -EINVAL);
		assert_true(strstr(err.text, "--net") == err.text);
		if (bad[i].message)
			assert_string_equal(err.text, bad[i].message);
	}
	for (i = 0; i < NET_MAX_HOSTFWD; i++)
		strcat(many, ",hostfwd=::1-:2");
	assert_int_equal(net_spec_parse(many, &s, &err), 0);
	strcat(many, ",hostfwd=::1-:2");
	assert_int_equal(net_spec_parse(many, &s, &err), -EINVAL);
	assert_true(strstr(err.text, "at most 16 hostfwd= rules") != NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_frame_accepted_any_split),
		cmocka_unit_test(test_chain_shape_refused),
		cmocka_unit_test(test_csum_bounds),
		cmocka_unit_test(test_gso_only_as_negotiated),
		cmocka_unit_test(test_gso_fields_bounded),
		cmocka_unit_test(test_rx_fill),
		cmocka_unit_test(test_tun_offload_flags),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_spec_accepted),
		cmocka_unit_test(test_spec_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
