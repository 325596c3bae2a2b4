// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: the listener, its clients (a session, see
 * session.c, plus the socket, its epoll registration and back-pressure)
 * and events broadcast to every negotiated client.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/server.h"
#include "api/session.h"
#include "util/log.h"
#include "util/outbuf.h"
#include "util/unix_listener.h"
#include "vmm/vm.h"

/* Reads per readiness report, so one busy client cannot starve the loop. */
#define READS_PER_ROUND 16
#define CLOSE_FLUSH_MS 1000

struct api_client {
	struct api_session s;
	int fd;
	uint32_t events; /* what epoll watches now */
	bool read_eof;
	bool dead; /* closed at the next safe point (reap) */
};

struct api_server {
	struct unix_listener listener;
	struct event_loop *loop; /* NULL until api_server_watch */
	struct api_ctx ctx;
	const struct api_command *table; /* NULL: the real table */
	int table_count;
	struct api_client *clients[API_MAX_CLIENTS];
	int busy; /* handling depth: events can arrive from inside a handler */
};

static void client_flush(struct api_client *c)
{
	if (outbuf_flush(&c->s.out, c->fd) < 0 || outbuf_overflowed(&c->s.out))
		c->dead = true;
}

static void server_ready(void *opaque, int fd, uint32_t events);

static void client_update_events(struct api_server *srv, struct api_client *c)
{
	uint32_t want;

	if (c->dead)
		return;
	/* Not reading while replies pile up is what bounds a client. */
	want = outbuf_interest(&c->s.out, !c->read_eof);
	if (want == c->events)
		return;
	if (event_loop_mod(srv->loop, c->fd, want) < 0)
		c->dead = true;
	else
		c->events = want;
}

static void client_read(struct api_client *c)
{
	ssize_t n;
	int i;

	for (i = 0; i < READS_PER_ROUND && !c->read_eof; i++) {
		if (!api_session_reserve(&c->s, API_READ_CHUNK)) {
			c->dead = true;
			return;
		}
		n = recv(c->fd, c->s.in + c->s.in_len, API_READ_CHUNK,
			 MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true;
			return;
		}
		if (n == 0) {
			c->read_eof = true;
			return;
		}
		api_session_commit(&c->s, n);
	}
}

/* Run buffered requests and send replies as far as the socket takes them. */
static void client_pump(struct api_server *srv, struct api_client *c)
{
	enum api_proc_state st;

	for (;;) {
		st = api_session_process(&c->s, API_OUT_HIGH);
		client_flush(c);
		if (st == API_PROC_CLOSE)
			c->dead = true;
		if (c->dead || st == API_PROC_IDLE ||
		    outbuf_pending(&c->s.out) >= API_OUT_HIGH)
			break;
	}
	/* After EOF, what is left is an incomplete request nobody ends. */
	if (c->read_eof && st == API_PROC_IDLE && !outbuf_pending(&c->s.out))
		c->dead = true;
	client_update_events(srv, c);
}

static void client_free(struct api_server *srv, struct api_client *c)
{
	if (srv->loop)
		event_loop_del(srv->loop, c->fd);
	close(c->fd);
	api_session_release(&c->s);
	free(c);
}

static void reap(struct api_server *srv)
{
	int i;

	if (srv->busy)
		return;
	for (i = 0; i < API_MAX_CLIENTS; i++) {
		if (srv->clients[i] && srv->clients[i]->dead) {
			client_free(srv, srv->clients[i]);
			srv->clients[i] = NULL;
		}
	}
}

static void refuse(int fd)
{
	static const char msg[] =
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"too many control connections (16 at once): close one and retry\"}}\r\n";

	if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("api: refusing a client: %s", strerror(errno));
	close(fd);
}

static void accept_clients(struct api_server *srv)
{
	struct api_client *c;
	int fd, i, r;

	for (;;) {
		fd = unix_listener_accept(&srv->listener);
		if (fd < 0) {
			if (fd == -EINTR || fd == -ECONNABORTED)
				continue;
			if (fd != -EAGAIN && fd != -EWOULDBLOCK)
				log_warn("api: accept on %s failed: %s",
					 srv->listener.path, strerror(-fd));
			return;
		}
		for (i = 0; i < API_MAX_CLIENTS && srv->clients[i]; i++)
			;
		c = i < API_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			refuse(fd);
			continue;
		}
		api_session_init(&c->s, srv->ctx, srv->table, srv->table_count);
		c->fd = fd;
		r = event_loop_add(srv->loop, fd, EPOLLIN | EPOLLOUT,
				   server_ready, srv);
		if (r) {
			log_warn("api: cannot watch a new client: %s",
				 strerror(-r));
			close(fd);
			api_session_release(&c->s);
			free(c);
			continue;
		}
		c->events = EPOLLIN | EPOLLOUT;
		srv->clients[i] = c;
		client_flush(c);
		client_update_events(srv, c);
	}
}

static struct api_client *find_client(struct api_server *srv, int fd)
{
	int i;

	for (i = 0; i < API_MAX_CLIENTS; i++)
		if (srv->clients[i] && srv->clients[i]->fd == fd)
			return srv->clients[i];
	return NULL;
}

void api_server_handle(struct api_server *srv, int fd, uint32_t events)
{
	struct api_client *c;

	if (!srv)
		return;
	srv->busy++;
	if (fd == srv->listener.fd) {
		accept_clients(srv);
	} else {
		c = find_client(srv, fd);
		if (c && !c->dead) {
			/* HUP/ERR: the read sees EOF or the error. */
			if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				client_read(c);
			if (!c->dead)
				client_pump(srv, c);
		}
	}
	srv->busy--;
	reap(srv);
}

void api_server_event(struct api_server *srv, const char *event, json_t *data)
{
	struct timespec ts;
	struct api_client *c;
	json_t *msg;
	char *text;
	int i;

	if (!srv) {
		json_decref(data);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	msg = json_pack("{s:{s:I,s:I},s:s}", "timestamp", "seconds",
			(json_int_t)ts.tv_sec, "microseconds",
			(json_int_t)(ts.tv_nsec / 1000), "event", event);
	if (msg && data)
		json_object_set(msg, "data", data);
	json_decref(data);
	text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (!text)
		return;
	for (i = 0; i < API_MAX_CLIENTS; i++) {
		c = srv->clients[i];
		if (!c || c->dead || !c->s.negotiated)
			continue;
		outbuf_append(&c->s.out, text, strlen(text));
		outbuf_append(&c->s.out, "\r\n", 2);
		client_flush(c);
		client_update_events(srv, c);
	}
	free(text);
	reap(srv);
}

int api_server_open(struct api_server **out, const char *path,
		    struct api_ctx base, struct errmsg *err)
{
	struct api_server *srv = calloc(1, sizeof(*srv));
	int r;

	*out = NULL;
	if (!srv)
		return errmsg_set(err, ENOMEM, "--api-sock: out of memory");
	r = unix_listener_open(&srv->listener, "--api-sock", path, 8, err);
	if (r) {
		free(srv);
		return r;
	}
	srv->ctx = base;
	srv->ctx.server = srv;
	*out = srv;
	return 0;
}

static void server_ready(void *opaque, int fd, uint32_t events)
{
	api_server_handle(opaque, fd, events);
}

/* Run-state changes become QMP events for every client. */
static void on_vm_state(void *opaque, const struct vm_state_event *ev)
{
	struct api_server *srv = opaque;

	switch (ev->kind) {
	case VM_STATE_STOP:
		api_server_event(srv, "STOP",
				 json_pack("{s:s}", "reason", ev->reason));
		break;
	case VM_STATE_RESUME:
		api_server_event(srv, "RESUME",
				 json_pack("{s:s}", "reason", ev->reason));
		break;
	case VM_STATE_FATAL:
		api_server_event(srv, "GUEST_PANICKED",
				 json_pack("{s:s,s:{s:s,s:s,s:s,s:i,s:s,s:i}}",
					   "action", "pause", "info", "type",
					   "kvmscope", "reason", ev->reason,
					   "run-state", ev->run_state, "status",
					   ev->status, "why", ev->why, "cpu",
					   ev->cpu));
		break;
	case VM_STATE_SUSPEND:
		/* QEMU's events carry no data; nor do these. */
		api_server_event(srv, "SUSPEND", NULL);
		break;
	case VM_STATE_WAKEUP:
		api_server_event(srv, "WAKEUP", NULL);
		break;
	case VM_STATE_END:
		api_server_event(srv, "SHUTDOWN",
				 json_pack("{s:b,s:s,s:i,s:s}", "guest",
					   ev->guest, "reason", ev->reason,
					   "status", ev->status, "why",
					   ev->why));
		break;
	}
}

int api_server_watch(struct api_server *srv, struct event_loop *loop)
{
	int r = event_loop_add(loop, srv->listener.fd, EPOLLIN, server_ready,
			       srv);

	if (r)
		return r;
	srv->loop = loop;
	if (srv->ctx.vm)
		r = vm_add_state_listener(srv->ctx.vm, on_vm_state, srv);
	return r;
}

void api_server_use_table(struct api_server *srv,
			  const struct api_command *table, int count)
{
	srv->table = table;
	srv->table_count = count;
}

/* Give queued replies (the last one may answer 'quit') a bounded chance. */
static void flush_before_close(struct api_server *srv)
{
	struct timespec start, now;
	struct pollfd pfd;
	long left;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < API_MAX_CLIENTS; i++) {
		struct api_client *c = srv->clients[i];

		while (c && !c->dead && outbuf_pending(&c->s.out)) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = CLOSE_FLUSH_MS -
			       ((now.tv_sec - start.tv_sec) * 1000 +
				(now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0)
				return;
			pfd.fd = c->fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, (int)left) <= 0)
				break;
			client_flush(c);
		}
	}
}

void api_server_close(struct api_server *srv)
{
	int i;

	if (!srv)
		return;
	flush_before_close(srv);
	if (srv->loop && srv->ctx.vm)
		vm_remove_state_listener(srv->ctx.vm, on_vm_state, srv);
	for (i = 0; i < API_MAX_CLIENTS; i++) {
		if (srv->clients[i])
			client_free(srv, srv->clients[i]);
		srv->clients[i] = NULL;
	}
	if (srv->loop)
		event_loop_del(srv->loop, srv->listener.fd);
	unix_listener_close(&srv->listener);
	free(srv);
}
