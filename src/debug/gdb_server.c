// SPDX-License-Identifier: GPL-2.0
/*
 * The gdb stub's server: the listening socket (TCP, or unix through
 * util/unix_listener), the one gdb connection, buffered output and
 * packet framing, attaching and detaching, and the main loop's entry
 * points (gdbstub_open/watch/handle/close). See gdbstub.h for the
 * threading model and gdbstub_int.h for how the stub is split.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "debug/gdbstub_int.h"
#include "util/log.h"
#include "vmm/exit_status.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/*
 * Replies the socket has not taken yet: monitor output can be megabytes,
 * but a gdb that stops reading is dropped there.
 */
#define OUT_MAX (64u << 20)
#define MONITOR_CHUNK 1024 /* text bytes per 'O' packet */
#define CLOSE_FLUSH_MS 1000

/* ---- output --------------------------------------------------------- */

static void update_epoll_out(struct gdbstub *gs)
{
	bool want = gs->out_len > 0;

	if (gs->conn_fd < 0 || !gs->loop || want == gs->out_armed)
		return;
	if (event_loop_mod(gs->loop, gs->conn_fd,
			   EPOLLIN | (want ? EPOLLOUT : 0)) == 0)
		gs->out_armed = want;
}

void gs_flush_out(struct gdbstub *gs)
{
	size_t off = 0;

	while (gs->conn_fd >= 0 && off < gs->out_len) {
		ssize_t n = send(gs->conn_fd, gs->out + off, gs->out_len - off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			gs->out_len = 0;
			gs_disconnect(gs, "the connection failed");
			return;
		}
		off += n;
	}
	if (off) {
		memmove(gs->out, gs->out + off, gs->out_len - off);
		gs->out_len -= off;
	}
	update_epoll_out(gs);
}

static bool out_append(struct gdbstub *gs, const char *data, size_t len)
{
	if (gs->conn_fd < 0)
		return false;
	if (gs->out_len + len > OUT_MAX) {
		gs_disconnect(gs, "gdb stopped reading its replies");
		return false;
	}
	if (gs->out_len + len > gs->out_cap) {
		size_t cap = gs->out_len + len + 4096;
		char *p = realloc(gs->out, cap);

		if (!p) {
			gs_disconnect(gs, "out of memory");
			return false;
		}
		gs->out = p;
		gs->out_cap = cap;
	}
	memcpy(gs->out + gs->out_len, data, len);
	gs->out_len += len;
	return true;
}

void gs_send_packet_len(struct gdbstub *gs, const char *payload, size_t len,
			bool binary)
{
	size_t cap = GDB_FRAME_SIZE(len), n;
	char *frame = malloc(cap);

	if (!frame) {
		gs_disconnect(gs, "out of memory");
		return;
	}
	n = gdb_frame(payload, len, binary, frame, cap);
	if (!gs->noack) {
		free(gs->last);
		gs->last = frame;
		gs->last_len = n;
		frame = NULL;
		if (!out_append(gs, gs->last, n))
			return;
	} else if (!out_append(gs, frame, n)) {
		free(frame);
		return;
	}
	free(frame);
	gs_flush_out(gs);
}

void gs_send_packet(struct gdbstub *gs, const char *payload)
{
	gs_send_packet_len(gs, payload, strlen(payload), false);
}

void gs_send_error(struct gdbstub *gs, int errnum)
{
	char e[8];

	snprintf(e, sizeof(e), "E%02x", errnum & 0xff);
	gs_send_packet(gs, e);
}

/* Console output for gdb ('O' packets): what `monitor` prints. */
void gs_send_console(struct gdbstub *gs, const char *text, size_t len)
{
	char pkt[1 + 2 * MONITOR_CHUNK + 1];

	while (len) {
		size_t n = len < MONITOR_CHUNK ? len : MONITOR_CHUNK;

		pkt[0] = 'O';
		gdb_hex_encode(text, n, pkt + 1);
		gs_send_packet(gs, pkt);
		text += n;
		len -= n;
	}
}

void gs_console_printf(struct gdbstub *gs, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		gs_send_console(gs, buf,
				(size_t)n < sizeof(buf) ? (size_t)n :
							  sizeof(buf) - 1);
}

void gs_set_note(struct gdbstub *gs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(gs->note, sizeof(gs->note), fmt, ap);
	va_end(ap);
	log_info("gdb: %s", gs->note);
}

/* ---- connection ----------------------------------------------------- */

static void gdbstub_ready(void *opaque, int fd, uint32_t events)
{
	gdbstub_handle(opaque, fd, events);
}

/* Detach-like cleanup: nothing of gdb's stays in the guest; it runs on. */
static void release_guest(struct gdbstub *gs)
{
	if (gs->state == GS_IDLE)
		return;
	vm_hold(gs->vm, VM_HOLD_DEBUGGER);
	gs_remove_all(gs);
	gs_set_state(gs, GS_IDLE, -1);
	vm_unhold(gs->vm, VM_HOLD_DEBUGGER);
}

void gs_disconnect(struct gdbstub *gs, const char *why)
{
	if (gs->conn_fd < 0)
		return;
	log_info("gdb: %s; the guest runs on", why);
	release_guest(gs);
	if (gs->loop)
		event_loop_del(gs->loop, gs->conn_fd);
	close(gs->conn_fd);
	gs->conn_fd = -1;
	gs->out_len = 0;
	gs->out_armed = false;
	free(gs->last);
	gs->last = NULL;
}

/* 'k' / vKill: like the control socket's quit, the VM ends (status 130). */
void gs_kill_vm(struct gdbstub *gs, bool reply)
{
	if (reply)
		gs_send_packet(gs, "OK");
	gs_flush_out(gs);
	vm_hold(gs->vm, VM_HOLD_DEBUGGER);
	gs_remove_all(gs);
	gs_set_state(gs, GS_IDLE, -1);
	vm_request_end(gs->vm, KS_STATUS_SIGNAL, "killed by gdb", NULL);
	if (gs->conn_fd < 0)
		return;
	if (gs->loop)
		event_loop_del(gs->loop, gs->conn_fd);
	close(gs->conn_fd);
	gs->conn_fd = -1;
	gs->out_len = 0;
	gs->out_armed = false;
}

static void on_input(struct gdbstub *gs)
{
	char buf[4096];
	ssize_t n, i;

	n = recv(gs->conn_fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		gs_disconnect(gs,
			      n ? "the connection failed" : "gdb went away");
		return;
	}
	for (i = 0; i < n && gs->conn_fd >= 0; i++) {
		switch (gdb_rx_byte(&gs->rx, buf[i])) {
		case GDB_RX_NONE:
		case GDB_RX_ACK:
			break;
		case GDB_RX_NACK:
			if (!gs->noack && gs->last &&
			    out_append(gs, gs->last, gs->last_len))
				gs_flush_out(gs);
			break;
		case GDB_RX_INTERRUPT:
			gs_interrupt(gs);
			break;
		case GDB_RX_BAD_CHECKSUM:
			log_debug("gdb: packet with a bad checksum");
			if (!gs->noack && out_append(gs, "-", 1))
				gs_flush_out(gs);
			break;
		case GDB_RX_TOO_LONG:
			log_debug("gdb: packet longer than %d bytes",
				  GDB_PACKET_MAX);
			if (!gs->noack && !out_append(gs, "+", 1))
				break;
			gs_send_error(gs, E2BIG);
			break;
		case GDB_RX_PACKET:
			if (!gs->noack && !out_append(gs, "+", 1))
				break;
			gs_handle_packet(gs, gs->rx.buf, gs->rx.len);
			break;
		}
	}
	/* An ack with no reply behind it (c, s, vCont;c) goes out now too. */
	if (gs->conn_fd >= 0 && gs->out_len)
		gs_flush_out(gs);
}

/* A connected gdb on fd (non-blocking): the VM stops for it. */
static int attach(struct gdbstub *gs, int fd)
{
	int r;

	if (gs->loop) {
		r = event_loop_add(gs->loop, fd, EPOLLIN, gdbstub_ready, gs);
		if (r)
			return r;
	}
	gs->conn_fd = fd;
	gs->out_armed = false;
	gs->noack = false;
	gs->phys = false;
	gs->note[0] = '\0';
	gdb_rx_init(&gs->rx);
	gs->g_cpu = 0;
	gs->c_cpu = -1;
	gs->emulate_watch = gs_use_step_watch(gs);
	/* gdb expects a stopped target: stop the VM on attach. */
	vm_hold(gs->vm, VM_HOLD_DEBUGGER);
	gs_set_state(gs, GS_STOPPED, -1);
	gs_attach_stop(gs);
	log_info("gdb: connected on %s; the VM is stopped%s", gs->where,
		 vm_is_dead(gs->vm) ? " (the guest is dead)" : "");
	return 0;
}

static void on_accept(struct gdbstub *gs)
{
	int one = 1;
	int fd = gs->is_unix ? unix_listener_accept(&gs->ul) :
			       accept4(gs->listen_fd, NULL, NULL,
				       SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (gs->conn_fd >= 0) {
		/* One debugger at a time; the second one hears nothing. */
		log_warn("gdb: refused a second connection on %s", gs->where);
		close(fd);
		return;
	}
	/* Replies are small and gdb waits for each: no Nagle delay. */
	if (!gs->is_unix)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (attach(gs, fd))
		close(fd);
}

/* ---- setup ----------------------------------------------------------- */

static int listen_tcp(struct gdbstub *gs, const char *spec, struct errmsg *err)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *ai = NULL;
	char host[128], port[16];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	size_t hlen;
	int fd, r, one = 1;

	if (!colon || !colon[1] || strlen(colon + 1) >= sizeof(port))
		return errmsg_set(
			err, EINVAL,
			"--gdb tcp:%s: give tcp:HOST:PORT, e.g. tcp:127.0.0.1:1234",
			spec);
	hlen = colon - spec;
	/* [v6 address] as in URLs. */
	if (hlen >= 2 && spec[0] == '[' && spec[hlen - 1] == ']') {
		spec++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return errmsg_set(err, EINVAL, "--gdb: host name too long");
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	/* No host: loopback only. The stub reads and writes guest memory. */
	r = getaddrinfo(hlen ? host : "127.0.0.1", port, &hints, &ai);
	if (r)
		return errmsg_set(err, EINVAL, "--gdb tcp:%s:%s: %s", host,
				  port, gai_strerror(r));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		r = errno;
		freeaddrinfo(ai);
		return errmsg_set(err, r, "--gdb: socket: %s", strerror(r));
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		r = errno;
		freeaddrinfo(ai);
		close(fd);
		return errmsg_set(
			err, r, "--gdb tcp:%s:%s: %s%s", host, port,
			strerror(r),
			r == EADDRINUSE ?
				" (another gdb stub or QEMU? pick another port, or 0 for any)" :
				"");
	}
	freeaddrinfo(ai);
	gs->listen_fd = fd;
	{
		char h[64] = "?", p[16] = "?";

		getnameinfo((struct sockaddr *)&sa, salen, h, sizeof(h), p,
			    sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV);
		snprintf(gs->where, sizeof(gs->where), "tcp:%s%s%s:%s",
			 strchr(h, ':') ? "[" : "", h,
			 strchr(h, ':') ? "]" : "", p);
	}
	return 0;
}

/* The shared unix listener: stale-socket check, 0600, unlink only ours. */
static int listen_unix(struct gdbstub *gs, const char *path, struct errmsg *err)
{
	int r = unix_listener_open(&gs->ul, "--gdb", path, 1, err);

	if (r)
		return r;
	gs->is_unix = true;
	gs->listen_fd = gs->ul.fd;
	snprintf(gs->where, sizeof(gs->where), "unix:%s", path);
	return 0;
}

static bool debug_exit_hook(void *opaque, struct vcpu *vcpu, bool from_int3)
{
	return gdbstub_vcpu_debug_exit(opaque, vcpu, from_int3);
}

static struct gdbstub *stub_alloc(struct vm *vm, struct errmsg *err)
{
	struct gdbstub *gs = calloc(1, sizeof(*gs));
	int r;

	if (gs)
		gs->plan = calloc(vm->nr_vcpus ? vm->nr_vcpus : 1, 1);
	if (!gs || !gs->plan) {
		free(gs);
		errmsg_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	gs->vm = vm;
	gs->listen_fd = gs->conn_fd = -1;
	gs->ul.fd = -1;
	gs->mask_cpu = -1;
	gs->last_stop_cpu = -1;
	gs->state = GS_IDLE;
	gs->watch_mode = WATCH_AUTO;
	/* Flags KVM knows (BLOCKIRQ is new); without the cap: the basics. */
	r = kvm_check_cap(vm->kvm.fd, KVM_CAP_SET_GUEST_DEBUG2);
	gs->dbg_caps = r > 0 ? (unsigned int)r : 0;
	gs->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (gs->efd < 0) {
		errmsg_set(err, errno, "--gdb: eventfd: %s", strerror(errno));
		free(gs->plan);
		free(gs);
		return NULL;
	}
	pthread_mutex_init(&gs->lock, NULL);
	vm_set_debug_hook(vm, debug_exit_hook, gs);
	/* The guest's death ends a continue: see gs_on_vm_state. */
	gs->listening = !vm_add_state_listener(vm, gs_on_vm_state, gs);
	if (!gs->listening)
		log_warn(
			"gdb: no room for a state listener: a continue will not see the guest die");
	return gs;
}

static void stub_free(struct gdbstub *gs)
{
	if (gs->listening)
		vm_remove_state_listener(gs->vm, gs_on_vm_state, gs);
	close(gs->efd);
	pthread_mutex_destroy(&gs->lock);
	free(gs->out);
	free(gs->last);
	free(gs->plan);
	free(gs);
}

int gdbstub_open(struct gdbstub **out, const char *spec, struct vm *vm,
		 struct errmsg *err)
{
	struct gdbstub *gs;
	int r;

	*out = NULL;
	if (!spec || (strncmp(spec, "tcp:", 4) && strncmp(spec, "unix:", 5)))
		return errmsg_set(
			err, EINVAL,
			"--gdb '%s' is not understood: use tcp:HOST:PORT or unix:PATH",
			spec ? spec : "");
	if (kvm_check_cap(vm->kvm.fd, KVM_CAP_SET_GUEST_DEBUG) <= 0)
		return errmsg_set(
			err, ENOTSUP,
			"--gdb: this KVM has no KVM_CAP_SET_GUEST_DEBUG; breakpoints and single steps would not work");
	gs = stub_alloc(vm, err);
	if (!gs)
		return -ENOMEM;
	if (!strncmp(spec, "tcp:", 4))
		r = listen_tcp(gs, spec + 4, err);
	else
		r = listen_unix(gs, spec + 5, err);
	if (r) {
		stub_free(gs);
		return r;
	}
	log_warn("gdb: waiting for gdb on %s (target remote %s)", gs->where,
		 gs->is_unix ? gs->ul.path : gs->where + 4);
	*out = gs;
	return 0;
}

int gdbstub_open_conn(struct gdbstub **out, int fd, struct vm *vm,
		      struct errmsg *err)
{
	struct gdbstub *gs;
	int r;

	*out = NULL;
	gs = stub_alloc(vm, err);
	if (!gs)
		return -ENOMEM;
	snprintf(gs->where, sizeof(gs->where), "fd %d", fd);
	r = attach(gs, fd);
	if (r) {
		stub_free(gs);
		return errmsg_set(err, -r, "gdb: cannot watch fd %d: %s", fd,
				  strerror(-r));
	}
	*out = gs;
	return 0;
}

void gdbstub_set_formatter(struct gdbstub *gs, gdbstub_formatter fmt)
{
	if (gs)
		gs->fmt = fmt;
}

int gdbstub_watch(struct gdbstub *gs, struct event_loop *loop)
{
	int r = 0;

	gs->loop = loop;
	if (gs->listen_fd >= 0)
		r = event_loop_add(loop, gs->listen_fd, EPOLLIN, gdbstub_ready,
				   gs);
	if (!r)
		r = event_loop_add(loop, gs->efd, EPOLLIN, gdbstub_ready, gs);
	if (!r && gs->conn_fd >= 0)
		r = event_loop_add(loop, gs->conn_fd, EPOLLIN, gdbstub_ready,
				   gs);
	return r;
}

void gdbstub_handle(struct gdbstub *gs, int fd, uint32_t events)
{
	if (fd == gs->listen_fd) {
		on_accept(gs);
	} else if (fd == gs->efd) {
		gs_on_vcpu_event(gs);
	} else if (fd == gs->conn_fd) {
		if (events & EPOLLOUT)
			gs_flush_out(gs);
		if (gs->conn_fd >= 0 &&
		    (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			on_input(gs);
	}
}

/* Best effort: the last words to gdb before the socket closes. */
static void flush_blocking(struct gdbstub *gs)
{
	struct pollfd p = { .fd = gs->conn_fd, .events = POLLOUT };

	while (gs->conn_fd >= 0 && gs->out_len &&
	       poll(&p, 1, CLOSE_FLUSH_MS) > 0)
		gs_flush_out(gs);
}

void gdbstub_close(struct gdbstub *gs)
{
	if (!gs)
		return;
	if (gs->conn_fd >= 0) {
		char w[8];

		/* gdb sees the VM's end as the process exiting. */
		snprintf(w, sizeof(w), "W%02x", gs->vm->end_status & 0xff);
		gs->noack = true;
		gs_send_packet(gs, w);
		flush_blocking(gs);
	}
	/* vCPU threads are gone: memory and vCPU fds are ours alone. */
	if (gs->state != GS_IDLE) {
		gs_remove_all(gs);
		gs->state = GS_IDLE;
	}
	if (gs->loop) {
		event_loop_del(gs->loop, gs->efd);
		if (gs->conn_fd >= 0)
			event_loop_del(gs->loop, gs->conn_fd);
		if (gs->listen_fd >= 0)
			event_loop_del(gs->loop, gs->listen_fd);
	}
	vm_set_debug_hook(gs->vm, NULL, NULL);
	if (gs->conn_fd >= 0)
		close(gs->conn_fd);
	if (gs->is_unix)
		unix_listener_close(&gs->ul);
	else if (gs->listen_fd >= 0)
		close(gs->listen_fd);
	stub_free(gs);
}
