// SPDX-License-Identifier: GPL-2.0
/*
 * The user-mode row of the virtio-net backend seam: --net user, QEMU's
 * -netdev user with Debian's libslirp. The guest gets 10.0.2.15 by DHCP
 * (gateway and host 10.0.2.2, DNS 10.0.2.3; net= moves the network),
 * its TCP and UDP leave through ordinary sockets of this unprivileged
 * process, and hostfwd= rules listen on the host for the guest.
 *
 * libslirp is not thread-safe, so one thread of this backend makes every
 * slirp call once it runs (slirp_new and the hostfwd rules come before
 * it starts, slirp_cleanup after it ended): a poll loop over slirp's
 * sockets (slirp_pollfds_fill/poll each round, as QEMU's main loop does
 * for net/slirp.c) and a wakeup eventfd, with slirp's timers kept here
 * and run when due. Frames cross to and from the device's I/O thread
 * through two bounded rings of whole frames:
 *   tx: the I/O thread copies a frame in and wakes the slirp thread,
 *       which feeds it to slirp_input; full -> the frame is dropped.
 *   rx: slirp's send_packet copies a frame in and signals rx_fd, which
 *       the device watches while the driver has buffers posted; full ->
 *       dropped (TCP retransmits), so the slirp thread never blocks on
 *       the guest.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <libslirp.h>

#include "devices/devices.h"
#include "devices/net_backend.h"
#include "util/eventfd.h"

#define RING_SLOTS 256
#define SLOT_BYTES 1536 /* a 1500-byte MTU frame + Ethernet (+ VLAN) */

struct slot {
	uint32_t len;
	uint8_t data[SLOT_BYTES];
};

/* One producer, one consumer; head and tail under the lock. */
struct ring {
	struct slot *slots;
	unsigned int head, tail; /* head - tail = frames queued */
};

struct user_timer {
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
	struct user_timer *next;
};

struct net_user {
	struct net_backend be;
	Slirp *slirp;
	pthread_t thread;
	bool thread_started;
	int wake_fd; /* eventfd: a tx frame queued, or quit */
	pthread_mutex_t lock;
	struct ring tx, rx;
	bool quit; /* under lock */
	/* The slirp thread's own. */
	struct user_timer *timers;
	struct pollfd *pfd;
	unsigned int npfd, cap_pfd;
	uint64_t rx_full_drops, tx_full_drops;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- the rings --- */

/* The producer's free slot, or NULL when full. */
static struct slot *ring_free(struct net_user *u, struct ring *r)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&u->lock);
	if (r->head - r->tail < RING_SLOTS)
		s = &r->slots[r->head % RING_SLOTS];
	pthread_mutex_unlock(&u->lock);
	return s;
}

/* Publish the slot ring_free gave; true if the ring was empty. */
static bool ring_push(struct net_user *u, struct ring *r)
{
	bool was_empty;

	pthread_mutex_lock(&u->lock);
	was_empty = r->head == r->tail;
	r->head++;
	pthread_mutex_unlock(&u->lock);
	return was_empty;
}

/* The consumer's oldest frame, or NULL. */
static struct slot *ring_peek(struct net_user *u, struct ring *r)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&u->lock);
	if (r->head != r->tail)
		s = &r->slots[r->tail % RING_SLOTS];
	pthread_mutex_unlock(&u->lock);
	return s;
}

static void ring_pop(struct net_user *u, struct ring *r)
{
	pthread_mutex_lock(&u->lock);
	r->tail++;
	pthread_mutex_unlock(&u->lock);
}

/* --- the device's side (I/O thread) --- */

static bool user_rx_pending(struct net_backend *be)
{
	struct net_user *u = (struct net_user *)be;

	if (ring_peek(u, &u->rx))
		return true;
	/* Empty: clear the signal, then look again (a push in between). */
	eventfd_drain(be->rx_fd);
	return ring_peek(u, &u->rx) != NULL;
}

static ssize_t user_recv(struct net_backend *be, const struct iovec *iov,
			 int cnt)
{
	struct net_user *u = (struct net_user *)be;
	struct slot *s = ring_peek(u, &u->rx);
	ssize_t r;

	if (!s)
		return 0;
	/* slirp's frames carry whole checksums: no flags, no GSO. */
	r = net_rx_fill(iov, cnt, s->data, s->len);
	ring_pop(u, &u->rx);
	return r;
}

static int user_send(struct net_backend *be, const struct iovec *iov, int cnt)
{
	struct net_user *u = (struct net_user *)be;
	struct slot *s;
	size_t len = 0;
	int i;

	for (i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	if (len - NET_HDR_LEN > SLOT_BYTES)
		return -EMSGSIZE;
	s = ring_free(u, &u->tx);
	if (!s) {
		u->tx_full_drops++;
		return -EAGAIN;
	}
	s->len = (uint32_t)net_iov_to_buf(iov, cnt, NET_HDR_LEN, s->data,
					  SLOT_BYTES);
	if (ring_push(u, &u->tx))
		eventfd_kick(u->wake_fd);
	return 0;
}

/* --- slirp's callbacks (the slirp thread) --- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_user *u = opaque;
	struct slot *s;

	if (len > SLOT_BYTES)
		return (ssize_t)len; /* slirp's MTU is 1500: never */
	s = ring_free(u, &u->rx);
	if (!s) {
		u->rx_full_drops++;
		return (ssize_t)len;
	}
	memcpy(s->data, buf, len);
	s->len = (uint32_t)len;
	if (ring_push(u, &u->rx))
		eventfd_kick(u->be.rx_fd);
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	device_log_guest("virtio-net user: slirp: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_user *u = opaque;
	struct user_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = u->timers;
	u->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct net_user *u = opaque;
	struct user_timer **p;

	for (p = &u->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = ((struct user_timer *)timer)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	if (timer)
		((struct user_timer *)timer)->expire_ms = expire_ms;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd, (void)opaque; /* every round polls what slirp lists */
}

static void cb_notify(void *opaque)
{
	struct net_user *u = opaque;

	eventfd_kick(u->wake_fd);
}

static const SlirpCb callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_register_poll_fd,
	.notify = cb_notify,
};

/* --- the slirp thread --- */

static short to_poll(int ev)
{
	return (short)((ev & SLIRP_POLL_IN ? POLLIN : 0) |
		       (ev & SLIRP_POLL_OUT ? POLLOUT : 0) |
		       (ev & SLIRP_POLL_PRI ? POLLPRI : 0));
}

static int add_poll(int fd, int events, void *opaque)
{
	struct net_user *u = opaque;

	if (u->npfd == u->cap_pfd) {
		unsigned int cap = u->cap_pfd ? 2 * u->cap_pfd : 32;
		struct pollfd *p = realloc(u->pfd, cap * sizeof(*p));

		if (!p)
			return -1; /* slirp skips this socket this round */
		u->pfd = p;
		u->cap_pfd = cap;
	}
	u->pfd[u->npfd] =
		(struct pollfd){ .fd = fd, .events = to_poll(events) };
	return (int)u->npfd++;
}

static int get_revents(int idx, void *opaque)
{
	struct net_user *u = opaque;
	short re;

	if (idx < 1 || (unsigned int)idx >= u->npfd)
		return 0;
	re = u->pfd[idx].revents;
	return (re & POLLIN ? SLIRP_POLL_IN : 0) |
	       (re & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (re & POLLPRI ? SLIRP_POLL_PRI : 0) |
	       (re & POLLERR ? SLIRP_POLL_ERR : 0) |
	       (re & POLLHUP ? SLIRP_POLL_HUP : 0);
}

/* Run due timers; the ms until the next one (or UINT32_MAX). */
static uint32_t run_timers(struct net_user *u)
{
	int64_t now, next;
	struct user_timer *t;

again:
	now = now_ns() / 1000000;
	next = -1;
	for (t = u->timers; t; t = t->next) {
		if (t->expire_ms < 0)
			continue;
		if (t->expire_ms <= now) {
			/* The callback may re-arm or free timers: rescan. */
			t->expire_ms = -1;
			t->cb(t->cb_opaque);
			goto again;
		}
		if (next < 0 || t->expire_ms < next)
			next = t->expire_ms;
	}
	if (next < 0)
		return UINT32_MAX;
	return next - now > 60000 ? 60000 : (uint32_t)(next - now);
}

static void feed_tx(struct net_user *u)
{
	struct slot *s;
	unsigned int n;

	for (n = 0; n < RING_SLOTS && (s = ring_peek(u, &u->tx)); n++) {
		slirp_input(u->slirp, s->data, (int)s->len);
		ring_pop(u, &u->tx);
	}
}

static void *slirp_thread(void *opaque)
{
	struct net_user *u = opaque;

	for (;;) {
		uint32_t timeout = run_timers(u), t2;
		bool quit;
		int r;

		pthread_mutex_lock(&u->lock);
		quit = u->quit;
		pthread_mutex_unlock(&u->lock);
		if (quit)
			break;
		u->npfd = 0;
		add_poll(u->wake_fd, SLIRP_POLL_IN, u);
		if (!u->npfd)
			break; /* out of memory for one pollfd */
		t2 = UINT32_MAX;
		slirp_pollfds_fill(u->slirp, &t2, add_poll, u);
		if (t2 < timeout)
			timeout = t2;
		r = poll(u->pfd, u->npfd,
			 timeout == UINT32_MAX ? -1 : (int)timeout);
		if (r < 0 && errno != EINTR)
			log_warn("virtio-net user: poll: %s", strerror(errno));
		if (r > 0 && u->pfd[0].revents & POLLIN)
			eventfd_drain(u->wake_fd);
		feed_tx(u);
		slirp_pollfds_poll(u->slirp, r < 0, get_revents, u);
	}
	return NULL;
}

/* --- create and destroy (main thread) --- */

static void user_free(struct net_user *u)
{
	struct user_timer *t;

	if (u->thread_started) {
		pthread_mutex_lock(&u->lock);
		u->quit = true;
		pthread_mutex_unlock(&u->lock);
		eventfd_kick(u->wake_fd);
		pthread_join(u->thread, NULL);
	}
	if (u->slirp)
		slirp_cleanup(u->slirp);
	while ((t = u->timers)) {
		u->timers = t->next;
		free(t);
	}
	if (u->rx_full_drops || u->tx_full_drops)
		log_debug(
			"virtio-net user: %llu frames to the guest and %llu from it dropped on full rings",
			(unsigned long long)u->rx_full_drops,
			(unsigned long long)u->tx_full_drops);
	if (u->wake_fd >= 0)
		close(u->wake_fd);
	if (u->be.rx_fd >= 0)
		close(u->be.rx_fd);
	pthread_mutex_destroy(&u->lock);
	free(u->pfd);
	free(u->tx.slots);
	free(u->rx.slots);
	free(u);
}

static void user_destroy(struct net_backend *be)
{
	user_free((struct net_user *)be);
}

static int add_hostfwd(struct net_user *u, const struct net_spec *spec,
		       const struct net_hostfwd *f, struct errmsg *err)
{
	struct in_addr guest = f->guest_addr;
	char ha[INET_ADDRSTRLEN];
	int e;

	if (!guest.s_addr)
		guest = net_user_addr(spec, NET_USER_DHCP);
	errno = 0;
	if (slirp_add_hostfwd(u->slirp, f->udp, f->host_addr, f->host_port,
			      guest, f->guest_port) == 0)
		return 0;
	e = errno ? errno : EADDRINUSE;
	inet_ntop(AF_INET, &f->host_addr, ha, sizeof(ha));
	return errmsg_set(
		err, e,
		"--net user: hostfwd %s %s:%u: cannot listen: %s (pick a free host port)",
		f->udp ? "udp" : "tcp", ha, f->host_port, strerror(e));
}

int net_user_create(const struct net_spec *spec, struct net_backend **out,
		    struct errmsg *err)
{
	SlirpConfig cfg = { .version = 4 };
	struct net_user *u;
	unsigned int i;
	int r;

	u = calloc(1, sizeof(*u));
	if (!u)
		return errmsg_set(err, ENOMEM, "--net user: out of memory");
	u->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	u->be.rx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&u->lock, NULL);
	u->tx.slots = calloc(RING_SLOTS, sizeof(struct slot));
	u->rx.slots = calloc(RING_SLOTS, sizeof(struct slot));
	if (u->wake_fd < 0 || u->be.rx_fd < 0 || !u->tx.slots || !u->rx.slots) {
		r = errmsg_set(err, errno ? errno : ENOMEM, "--net user: %s",
			       strerror(errno ? errno : ENOMEM));
		user_free(u);
		return r;
	}
	u->be.name = "user";
	u->be.rx_pending = user_rx_pending;
	u->be.recv = user_recv;
	u->be.send = user_send;
	u->be.destroy = user_destroy;

	cfg.in_enabled = true;
	cfg.vnetwork.s_addr = htonl(spec->net);
	cfg.vnetmask.s_addr = htonl(~0u << (32 - spec->prefix));
	cfg.vhost = net_user_addr(spec, NET_USER_HOST);
	cfg.vdhcp_start = net_user_addr(spec, NET_USER_DHCP);
	cfg.vnameserver = net_user_addr(spec, NET_USER_DNS);
	cfg.vhostname = "kvmscope";
	u->slirp = slirp_new(&cfg, &callbacks, u);
	if (!u->slirp) {
		user_free(u);
		return errmsg_set(err, EINVAL, "--net user: slirp_new failed");
	}
	for (i = 0; i < spec->nr_fwd; i++) {
		r = add_hostfwd(u, spec, &spec->fwd[i], err);
		if (r) {
			user_free(u);
			return r;
		}
	}
	r = pthread_create(&u->thread, NULL, slirp_thread, u);
	if (r) {
		user_free(u);
		return errmsg_set(err, r,
				  "--net user: cannot start its thread: %s",
				  strerror(r));
	}
	u->thread_started = true;
	*out = &u->be;
	return 0;
}
