/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket: a unix stream socket speaking QMP's framing (greeting,
 * capabilities negotiation, {"execute", "arguments", "id"} requests,
 * {"return"|"error", "id"} replies and {"event"} messages, each one JSON
 * object followed by "\r\n"), served from the main thread's epoll loop.
 *
 * Requests run one at a time on the main thread through api_execute, so a
 * handler never races another one. Several clients may be connected; each
 * has its own input buffer and output queue, so a large reply to a client
 * that reads slowly never blocks the VM's event loop.
 */
#ifndef KVMSCOPE_API_SERVER_H
#define KVMSCOPE_API_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/commands.h"
#include "util/event_loop.h"

#define API_MAX_CLIENTS 16
/*
 * Longest request: a 1 MiB write-memory in hex is 2 MiB of digits, so the
 * cap leaves room for that while bounding what a client can make us hold.
 * Past it without a complete JSON object the client gets one error and is
 * disconnected (README "Framing").
 */
#define API_MAX_REQUEST (4u << 20)

struct api_server;

/*
 * Create the socket at path (mode 0600). An existing path is only replaced
 * when it is a stale socket (nobody accepts connections on it). base is the
 * context every command runs with; its server member is set to the new
 * server.
 */
int api_server_open(struct api_server **out, const char *path,
		    struct api_ctx base, struct errmsg *err);
/*
 * Register the listening socket (and later the clients) as sources of the
 * main loop, and listen to the VM's run-state changes (STOP, RESUME,
 * GUEST_PANICKED and SHUTDOWN events).
 */
int api_server_watch(struct api_server *srv, struct event_loop *loop);
/* Readiness (epoll events) of one of the server's fds: the loop's callback. */
void api_server_handle(struct api_server *srv, int fd, uint32_t events);
/*
 * Send an event to every client past negotiation. data (may be NULL) is
 * stolen.
 */
void api_server_event(struct api_server *srv, const char *event, json_t *data);
/*
 * Flush what can be flushed within a second (e.g. the reply to 'quit'),
 * then close every client and the socket and remove its path. NULL is
 * allowed.
 */
void api_server_close(struct api_server *srv);

/* Tests: clients accepted from now on use this table instead of the real
 * one (see api_execute_table). */
void api_server_use_table(struct api_server *srv,
			  const struct api_command *table, int count);

/*
 * Stream framing, shared with `kvmscope ctl` (stream.c): the next JSON
 * object or array at the start of buf (after any whitespace). Integer
 * literals from 2^63 to 2^64 - 1 (outside strings) come back as strings of
 * their digits, which the argument helpers parse, since jansson cannot
 * hold them. buf must not hold a NUL byte (the session stops at one).
 *  API_STREAM_OBJECT: *out is the value, *used the bytes it took;
 *  API_STREAM_MORE: buf holds only whitespace or the start of a value;
 *  API_STREAM_ERROR: malformed, errtext says why; *used is where the
 *    error was found (at least 1).
 */
enum api_stream_result {
	API_STREAM_OBJECT,
	API_STREAM_MORE,
	API_STREAM_ERROR,
};
enum api_stream_result api_stream_next(const char *buf, size_t len,
				       json_t **out, size_t *used,
				       char *errtext, size_t errlen);

/*
 * A client without a socket, for unit tests and the fuzzer: the same
 * greeting, framing, negotiation and dispatch, with the output collected
 * in memory. table == NULL means the real command table. Events are not
 * delivered to sessions (ctx.server is whatever the caller put there).
 */
struct api_session;
struct api_session *api_session_new(struct api_ctx ctx,
				    const struct api_command *table, int count);
/*
 * Consume bytes. A request that cannot be parsed (bad JSON, a NUL byte,
 * invalid UTF-8) gets one error, with its id when the text shows one, and
 * the rest of its line is dropped. Returns false when a connected client
 * would be disconnected (a request over API_MAX_REQUEST); the session is
 * then finished and ignores further input.
 */
bool api_session_feed(struct api_session *s, const void *buf, size_t len);
/* The output produced so far, NUL-terminated; the caller frees it. */
char *api_session_take_output(struct api_session *s, size_t *len);
void api_session_free(struct api_session *s);

#endif
