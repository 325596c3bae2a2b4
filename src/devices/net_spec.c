// SPDX-License-Identifier: GPL-2.0
/*
 * --net SPEC parsing: the backend, the NIC's MAC and the backend's
 * options, refused with one line naming the problem and the fix. Pure
 * (no sockets, no TAP), so the unit test and the fuzz target run it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/net_spec.h"

#define TAP_USAGE "tap:IFNAME[,mac=MAC][,offload=on|off]"
#define USER_USAGE \
	"user[,mac=MAC][,net=ADDR/PREFIX][,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]"

int net_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int i, n = 0;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &n) != 6 ||
	    n != 17)
		return -EINVAL;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' :
				 !strchr("0123456789abcdefABCDEF", s[i]))
			return -EINVAL;
	}
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	/* A multicast address cannot be a NIC's. */
	return mac[0] & 1 ? -EINVAL : 0;
}

struct in_addr net_user_addr(const struct net_spec *spec, unsigned int host)
{
	struct in_addr a = { htonl(spec->net | host) };

	return a;
}

/* A decimal port 1-65535 in [s, e): 0 or -EINVAL. */
static int parse_port(const char *s, const char *e, uint16_t *port)
{
	unsigned long v = 0;

	if (s == e || e - s > 5)
		return -EINVAL;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (!v || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* A dotted IPv4 address in [s, e), or any when empty. */
static int parse_addr(const char *s, const char *e, struct in_addr *a,
		      bool *given)
{
	char buf[16];

	*given = s != e;
	if (s == e) {
		a->s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (e - s >= (long)sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = 0;
	return inet_pton(AF_INET, buf, a) == 1 ? 0 : -EINVAL;
}

/* [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static int parse_hostfwd(const char *v, struct net_hostfwd *f)
{
	const char *c1, *dash, *c3;
	bool given;

	memset(f, 0, sizeof(*f));
	if (!strncmp(v, "tcp:", 4)) {
		v += 4;
	} else if (!strncmp(v, "udp:", 4)) {
		f->udp = true;
		v += 4;
	} else if (*v == ':') {
		v++; /* QEMU: tcp when left out */
	}
	c1 = strchr(v, ':');
	if (!c1)
		return -EINVAL;
	dash = strchr(c1, '-');
	if (!dash)
		return -EINVAL;
	c3 = strchr(dash, ':');
	if (!c3 || strchr(c3 + 1, ':'))
		return -EINVAL;
	if (parse_addr(v, c1, &f->host_addr, &given) ||
	    parse_port(c1 + 1, dash, &f->host_port) ||
	    parse_addr(dash + 1, c3, &f->guest_addr, &given) ||
	    parse_port(c3 + 1, c3 + 1 + strlen(c3 + 1), &f->guest_port))
		return -EINVAL;
	if (!given)
		f->guest_addr.s_addr = 0; /* filled with the DHCP address */
	return 0;
}

/* ADDR/PREFIX with no host bits, PREFIX 8-28 (room for .2, .3, .15). */
static int parse_net(const char *v, uint32_t *net, unsigned int *prefix)
{
	const char *slash = strchr(v, '/');
	struct in_addr a;
	bool given;
	char *end;
	unsigned long p;
	uint32_t mask;

	if (!slash || parse_addr(v, slash, &a, &given) || !given)
		return -EINVAL;
	errno = 0;
	p = strtoul(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end || errno || p < 8 ||
	    p > 28)
		return -EINVAL;
	mask = ~0u << (32 - p);
	if (ntohl(a.s_addr) & ~mask)
		return -EINVAL;
	*net = ntohl(a.s_addr);
	*prefix = (unsigned int)p;
	return 0;
}

static int option(const char *spec, struct net_spec *s, char *opt,
		  struct errmsg *err)
{
	char *eq = strchr(opt, '=');
	const char *v;

	if (!eq)
		goto unknown;
	*eq = 0;
	v = eq + 1;
	if (!strcmp(opt, "mac")) {
		if (net_parse_mac(v, s->mac))
			return errmsg_set(
				err, EINVAL,
				"--net '%s': mac=%s: give a unicast address XX:XX:XX:XX:XX:XX",
				spec, v);
		s->has_mac = true;
		return 0;
	}
	if (s->kind == NET_TAP && !strcmp(opt, "offload")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return errmsg_set(
				err, EINVAL,
				"--net '%s': offload=%s: use on or off", spec,
				v);
		s->offload = !strcmp(v, "on");
		return 0;
	}
	if (s->kind == NET_USER && !strcmp(opt, "net")) {
		if (parse_net(v, &s->net, &s->prefix))
			return errmsg_set(
				err, EINVAL,
				"--net '%s': net=%s: give ADDR/PREFIX with PREFIX 8 to 28 and no host bits, e.g. net=10.0.2.0/24",
				spec, v);
		return 0;
	}
	if (s->kind == NET_USER && !strcmp(opt, "hostfwd")) {
		if (s->nr_fwd == NET_MAX_HOSTFWD)
			return errmsg_set(
				err, EINVAL,
				"--net '%s': at most %d hostfwd= rules", spec,
				NET_MAX_HOSTFWD);
		if (parse_hostfwd(v, &s->fwd[s->nr_fwd]))
			return errmsg_set(
				err, EINVAL,
				"--net '%s': hostfwd=%s: use [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT with ports 1 to 65535, e.g. hostfwd=tcp::2222-:22",
				spec, v);
		s->nr_fwd++;
		return 0;
	}
	*eq = '=';
unknown:
	return errmsg_set(err, EINVAL,
			  "--net '%s': unknown option '%s': use %s", spec, opt,
			  s->kind == NET_TAP ? TAP_USAGE : USER_USAGE);
}

int net_spec_parse(const char *spec, struct net_spec *out, struct errmsg *err)
{
	struct net_spec s;
	char buf[1024], *p, *opt;
	size_t len;
	int r;

	memset(&s, 0, sizeof(s));
	s.offload = true;
	s.net = 0x0a000200; /* 10.0.2.0/24 */
	s.prefix = 24;
	if (strlen(spec) >= sizeof(buf))
		return errmsg_set(err, EINVAL, "--net: the spec is too long");
	strcpy(buf, spec);
	p = strchr(buf, ',');
	if (p)
		*p++ = 0;
	if (!strcmp(buf, "user")) {
		s.kind = NET_USER;
	} else if (!strncmp(buf, "tap:", 4)) {
		s.kind = NET_TAP;
		len = strlen(buf + 4);
		if (!len || len >= IFNAMSIZ)
			return errmsg_set(
				err, EINVAL,
				"--net '%s': give an interface name of 1 to %d characters",
				spec, IFNAMSIZ - 1);
		memcpy(s.ifname, buf + 4, len + 1);
	} else {
		return errmsg_set(err, EINVAL, "--net '%s': use %s or %s", spec,
				  TAP_USAGE, USER_USAGE);
	}
	while (p) {
		opt = p;
		p = strchr(p, ',');
		if (p)
			*p++ = 0;
		r = option(spec, &s, opt, err);
		if (r)
			return r;
	}
	*out = s;
	return 0;
}
