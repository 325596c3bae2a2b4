// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's QMP framing. A session is one client's protocol
 * state (buffers, negotiation) and works without a socket, so tests and
 * the fuzzer drive exactly the code a connected client does; a client adds
 * the socket, its epoll registration and back-pressure.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/server.h"
#include "util/log.h"
#include "util/outbuf.h"
#include "util/unix_listener.h"
#include "vmm/vm.h"

#ifndef KVMSCOPE_VERSION
#define KVMSCOPE_VERSION "0.1.0"
#endif

/*
 * Past this much queued output a client's requests wait (and its socket is
 * not read) until it has read some: one read-memory reply is 1.4 MiB.
 */
#define OUT_HIGH (2u << 20)
/* Only events can push a queue past OUT_HIGH; this many means a client
 * that stopped reading altogether. */
#define OUT_MAX (64u << 20)
#define READ_CHUNK (64u << 10)
/* Reads per readiness report, so one busy client cannot starve the loop. */
#define READS_PER_ROUND 16
#define CLOSE_FLUSH_MS 1000

struct api_session {
	struct api_ctx ctx;
	const struct api_command *table; /* NULL: the real table */
	int count;
	bool negotiated;
	bool finished; /* request too large: no more input */
	/*
	 * After a parse error the rest of the line is dropped, so one bad
	 * request produces one error rather than one per leftover token.
	 */
	bool skip_line;
	/*
	 * Input that arrived since the last incomplete parse holds a byte that
	 * can end a value ('}', ']') or a line: parsing is retried only then,
	 * so a large request arriving in pieces is not re-parsed per piece.
	 */
	bool maybe_complete;
	char *in;
	size_t in_len, in_cap;
	struct outbuf out; /* past OUT_MAX: overflowed, disconnect */
};

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

enum proc_state {
	PROC_IDLE, /* everything complete was handled: needs more input */
	PROC_FULL, /* stopped because the output queue is long */
	PROC_CLOSE, /* request too large: disconnect */
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* True when buf ends inside a multi-byte UTF-8 sequence. */
static bool utf8_cut(const char *buf, size_t len)
{
	size_t i, need;

	for (i = 1; i <= 3 && i <= len; i++) {
		unsigned char c = buf[len - i];

		if ((c & 0xc0) == 0x80)
			continue;
		if ((c & 0xe0) == 0xc0)
			need = 2;
		else if ((c & 0xf0) == 0xe0)
			need = 3;
		else if ((c & 0xf8) == 0xf0)
			need = 4;
		else
			return false;
		return i < need;
	}
	return false;
}

enum api_stream_result api_stream_next(const char *buf, size_t len,
				       json_t **out, size_t *used,
				       char *errtext, size_t errlen)
{
	json_error_t e;
	size_t ws = 0, pos;
	json_t *j;
	char last;

	*out = NULL;
	*used = 0;
	while (ws < len && is_ws(buf[ws]))
		ws++;
	if (ws == len)
		return API_STREAM_MORE;
	j = json_loadb(buf + ws, len - ws,
		       JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &e);
	if (j) {
		*out = j;
		*used = ws + e.position;
		return API_STREAM_OBJECT;
	}
	/*
	 * jansson reports a token cut by the end of the buffer ("tr", "1e",
	 * "\u00") as invalid rather than premature: an error at the very end
	 * is only final when the last byte ends a token by itself.
	 */
	pos = e.position;
	last = buf[len - 1];
	if (json_error_code(&e) == json_error_premature_end_of_input ||
	    (pos >= len - ws && !strchr("{}[],:\"", last) && !is_ws(last)) ||
	    (json_error_code(&e) == json_error_invalid_utf8 &&
	     utf8_cut(buf, len)))
		return API_STREAM_MORE;
	snprintf(errtext, errlen, "%s", e.text);
	*used = ws + (pos ? pos : 1);
	if (*used > len)
		*used = len;
	return API_STREAM_ERROR;
}

static size_t out_pending(const struct api_session *s)
{
	return outbuf_pending(&s->out);
}

static void out_append(struct api_session *s, const char *data, size_t len)
{
	outbuf_append(&s->out, data, len);
}

/* Queue one message (stolen) followed by "\r\n", as QEMU frames them. */
static void send_json(struct api_session *s, json_t *msg)
{
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;

	json_decref(msg);
	if (!text) {
		/* e.g. a NaN in a reply: still answer, or the client hangs */
		static const char fail[] =
			"{\"error\": {\"class\": \"GenericError\", \"desc\": \"the reply could not be encoded as JSON\"}}\r\n";

		out_append(s, fail, sizeof(fail) - 1);
		return;
	}
	out_append(s, text, strlen(text));
	out_append(s, "\r\n", 2);
	free(text);
}

static void reply_error(struct api_session *s, json_t *id, const char *cls,
			const char *desc)
{
	json_t *msg =
		json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);

	if (msg && id)
		json_object_set(msg, "id", id);
	send_json(s, msg);
}

static void send_greeting(struct api_session *s)
{
	send_json(s, json_pack("{s:{s:{s:{s:i,s:i,s:i},s:s},s:[]}}", "QMP",
			       "version", "qemu", "major", 7, "minor", 2,
			       "micro", 0, "package",
			       "kvmscope " KVMSCOPE_VERSION, "capabilities"));
}

static void handle_request(struct api_session *s, json_t *req)
{
	json_t *id, *exec, *args, *ret, *v;
	const char *name, *key, *cls;
	struct errmsg err;
	char desc[160];
	int r;

	if (!json_is_object(req)) {
		reply_error(s, NULL, "GenericError",
			    "QMP input must be a JSON object");
		return;
	}
	id = json_object_get(req, "id");
	json_object_foreach(req, key, v)
	{
		if (strcmp(key, "execute") && strcmp(key, "arguments") &&
		    strcmp(key, "id")) {
			snprintf(desc, sizeof(desc),
				 "QMP input member '%.64s' is unexpected", key);
			reply_error(s, id, "GenericError", desc);
			return;
		}
	}
	exec = json_object_get(req, "execute");
	args = json_object_get(req, "arguments");
	if (!exec) {
		reply_error(s, id, "GenericError",
			    "QMP input lacks member 'execute'");
		return;
	}
	if (!json_is_string(exec)) {
		reply_error(s, id, "GenericError",
			    "QMP input member 'execute' must be a string");
		return;
	}
	if (args && !json_is_object(args)) {
		reply_error(s, id, "GenericError",
			    "QMP input member 'arguments' must be an object");
		return;
	}
	name = json_string_value(exec);
	if (!s->negotiated && strcmp(name, "qmp_capabilities")) {
		reply_error(
			s, id, "CommandNotFound",
			"Expecting capabilities negotiation with 'qmp_capabilities'");
		return;
	}
	if (s->negotiated && !strcmp(name, "qmp_capabilities")) {
		reply_error(
			s, id, "CommandNotFound",
			"Capabilities negotiation is already complete, command ignored");
		return;
	}

	if (s->table)
		r = api_execute_table(s->table, s->count, &s->ctx, name, args,
				      &ret, &cls, &err);
	else
		r = api_execute(&s->ctx, name, args, &ret, &cls, &err);
	if (r) {
		reply_error(s, id, cls, err.text);
		return;
	}
	if (!strcmp(name, "qmp_capabilities"))
		s->negotiated = true;
	v = json_object();
	if (v) {
		json_object_set_new(v, "return", ret);
		if (id)
			json_object_set(v, "id", id);
	} else {
		json_decref(ret);
	}
	send_json(s, v);
}

/* Handle every complete request in the input buffer. */
static enum proc_state session_process(struct api_session *s, size_t out_limit)
{
	enum proc_state st = PROC_IDLE;
	enum api_stream_result res;
	char errtext[JSON_ERROR_TEXT_LENGTH], desc[JSON_ERROR_TEXT_LENGTH + 32];
	size_t pos = 0, used;
	json_t *req;
	char *nl;

	if (s->finished)
		return PROC_CLOSE;
	for (;;) {
		if (out_pending(s) >= out_limit) {
			st = PROC_FULL;
			break;
		}
		if (s->skip_line) {
			nl = memchr(s->in + pos, '\n', s->in_len - pos);
			if (!nl) {
				pos = s->in_len;
				break;
			}
			pos = nl - s->in + 1;
			s->skip_line = false;
			continue;
		}
		while (pos < s->in_len && is_ws(s->in[pos]))
			pos++;
		if (pos == s->in_len || !s->maybe_complete)
			break;
		res = api_stream_next(s->in + pos, s->in_len - pos, &req, &used,
				      errtext, sizeof(errtext));
		if (res == API_STREAM_MORE) {
			s->maybe_complete = false;
			break;
		}
		if (res == API_STREAM_ERROR) {
			snprintf(desc, sizeof(desc), "JSON parse error: %s",
				 errtext);
			reply_error(s, NULL, "GenericError", desc);
			/* Drop from the bad token's last byte to the line end. */
			pos += used - 1;
			s->skip_line = true;
			continue;
		}
		pos += used;
		handle_request(s, req);
		json_decref(req);
	}

	if (pos) {
		memmove(s->in, s->in + pos, s->in_len - pos);
		s->in_len -= pos;
	}
	if (st == PROC_IDLE && s->in_len > API_MAX_REQUEST) {
		reply_error(
			s, NULL, "GenericError",
			"request larger than 4 MiB without a complete JSON object: disconnecting");
		s->finished = true;
		s->in_len = 0;
		return PROC_CLOSE;
	}
	return st;
}

/* Make room for n more input bytes. */
static bool in_reserve(struct api_session *s, size_t n)
{
	size_t cap;
	char *p;

	if (s->in_len + n <= s->in_cap)
		return true;
	cap = s->in_cap ? s->in_cap : READ_CHUNK;
	while (cap < s->in_len + n)
		cap *= 2;
	p = realloc(s->in, cap);
	if (!p)
		return false;
	s->in = p;
	s->in_cap = cap;
	return true;
}

/* Account n bytes written at s->in + s->in_len. */
static void in_commit(struct api_session *s, size_t n)
{
	const char *p = s->in + s->in_len;
	size_t i;

	for (i = 0; i < n && !s->maybe_complete; i++)
		if (p[i] == '}' || p[i] == ']' || p[i] == '\n')
			s->maybe_complete = true;
	s->in_len += n;
}

static void session_init(struct api_session *s, struct api_ctx ctx,
			 const struct api_command *table, int count)
{
	memset(s, 0, sizeof(*s));
	outbuf_init(&s->out, OUT_HIGH, OUT_MAX);
	s->ctx = ctx;
	s->table = table;
	s->count = count;
	send_greeting(s);
}

static void session_release(struct api_session *s)
{
	free(s->in);
	outbuf_free(&s->out);
}

/* ---- sockets ---- */

static void client_flush(struct api_client *c)
{
	if (outbuf_flush(&c->s.out, c->fd) < 0 ||
	    outbuf_overflowed(&c->s.out))
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
		if (!in_reserve(&c->s, READ_CHUNK)) {
			c->dead = true;
			return;
		}
		n = recv(c->fd, c->s.in + c->s.in_len, READ_CHUNK,
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
		in_commit(&c->s, n);
	}
}

/* Run buffered requests and send replies as far as the socket takes them. */
static void client_pump(struct api_server *srv, struct api_client *c)
{
	enum proc_state st;

	for (;;) {
		st = session_process(&c->s, OUT_HIGH);
		client_flush(c);
		if (st == PROC_CLOSE)
			c->dead = true;
		if (c->dead || st == PROC_IDLE ||
		    out_pending(&c->s) >= OUT_HIGH)
			break;
	}
	/* After EOF, what is left is an incomplete request nobody ends. */
	if (c->read_eof && st == PROC_IDLE && !out_pending(&c->s))
		c->dead = true;
	client_update_events(srv, c);
}

static void client_free(struct api_server *srv, struct api_client *c)
{
	if (srv->loop)
		event_loop_del(srv->loop, c->fd);
	close(c->fd);
	session_release(&c->s);
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
		session_init(&c->s, srv->ctx, srv->table, srv->table_count);
		c->fd = fd;
		r = event_loop_add(srv->loop, fd, EPOLLIN | EPOLLOUT,
				   server_ready, srv);
		if (r) {
			log_warn("api: cannot watch a new client: %s",
				 strerror(-r));
			close(fd);
			session_release(&c->s);
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
		out_append(&c->s, text, strlen(text));
		out_append(&c->s, "\r\n", 2);
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
		api_server_event(
			srv, "GUEST_PANICKED",
			json_pack("{s:s,s:{s:s,s:s,s:s,s:i,s:s,s:i}}", "action",
				  "pause", "info", "type", "kvmscope",
				  "reason", ev->reason, "run-state",
				  ev->run_state, "status", ev->status, "why",
				  ev->why, "cpu", ev->cpu));
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

		while (c && !c->dead && out_pending(&c->s)) {
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

/* ---- socket-less sessions (tests, fuzzer) ---- */

struct api_session *api_session_new(struct api_ctx ctx,
				    const struct api_command *table, int count)
{
	struct api_session *s = malloc(sizeof(*s));

	if (s)
		session_init(s, ctx, table, count);
	return s;
}

bool api_session_feed(struct api_session *s, const void *buf, size_t len)
{
	if (s->finished)
		return false;
	if (len) {
		if (!in_reserve(s, len))
			return false;
		memcpy(s->in + s->in_len, buf, len);
		in_commit(s, len);
	}
	return session_process(s, SIZE_MAX) != PROC_CLOSE;
}

char *api_session_take_output(struct api_session *s, size_t *len)
{
	return outbuf_take(&s->out, len);
}

void api_session_free(struct api_session *s)
{
	if (!s)
		return;
	session_release(s);
	free(s);
}
