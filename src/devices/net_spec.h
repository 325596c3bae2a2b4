/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --net SPEC, parsed (net_spec.c):
 *   tap:IFNAME[,mac=MAC][,offload=on|off]
 *   user[,mac=MAC][,net=ADDR/PREFIX][,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...
 */
#ifndef KVMSCOPE_DEVICES_NET_SPEC_H
#define KVMSCOPE_DEVICES_NET_SPEC_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/errmsg.h"

#define NET_MAX_HOSTFWD 16

enum net_kind { NET_TAP, NET_USER };

struct net_hostfwd {
	bool udp;
	struct in_addr host_addr; /* INADDR_ANY when not given */
	uint16_t host_port;
	struct in_addr guest_addr; /* the DHCP address when not given */
	uint16_t guest_port;
};

struct net_spec {
	enum net_kind kind;
	char ifname[IFNAMSIZ]; /* tap */
	uint8_t mac[6];
	bool has_mac;
	bool offload; /* tap: offer checksum/TSO offloads (default on) */
	/* user: the network (host order); QEMU's 10.0.2.0/24 by default */
	uint32_t net;
	unsigned int prefix;
	struct net_hostfwd fwd[NET_MAX_HOSTFWD];
	unsigned int nr_fwd;
};

/* 0, or -EINVAL with a line naming the problem and the fix. */
int net_spec_parse(const char *spec, struct net_spec *out, struct errmsg *err);

/* XX:XX:XX:XX:XX:XX, unicast: 0 or -EINVAL. */
int net_parse_mac(const char *s, uint8_t mac[6]);

/* user: the host (gateway), DNS and first DHCP address, network order. */
struct in_addr net_user_addr(const struct net_spec *spec, unsigned int host);
#define NET_USER_HOST 2
#define NET_USER_DNS 3
#define NET_USER_DHCP 15

#endif
