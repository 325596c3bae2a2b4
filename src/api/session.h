/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the control socket: one client's protocol state (session.c),
 * shared by the socket server (server.c) and the socket-less sessions of
 * tests and the fuzzer (api_session_new, server.h).
 */
#ifndef KVMSCOPE_API_SESSION_H
#define KVMSCOPE_API_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "api/commands.h"
#include "util/outbuf.h"

/*
 * Past this much queued output a client's requests wait (and its socket is
 * not read) until it has read some: one read-memory reply is 1.4 MiB.
 */
#define API_OUT_HIGH (2u << 20)
/* Only events can push a queue past API_OUT_HIGH; this many means a client
 * that stopped reading altogether. */
#define API_OUT_MAX (64u << 20)
/* Input is read in pieces of this size. */
#define API_READ_CHUNK (64u << 10)

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
	 * can end a value ('}', ']'), a line or the text (a NUL byte): parsing
	 * is retried only then, so a large request arriving in pieces is not
	 * re-parsed per piece.
	 */
	bool maybe_complete;
	char *in;
	size_t in_len, in_cap;
	struct outbuf out; /* past API_OUT_MAX: overflowed, disconnect */
};

enum api_proc_state {
	API_PROC_IDLE, /* everything complete was handled: needs more input */
	API_PROC_FULL, /* stopped because the output queue is long */
	API_PROC_CLOSE, /* request too large: disconnect */
};

/*
 * The "id" member of the request that starts at buf, found in its text
 * when it cannot be parsed as a whole (stream.c): a new reference, or
 * NULL when there is none before the text ends or breaks off.
 */
json_t *api_stream_recover_id(const char *buf, size_t len);

/* Set up s and queue the greeting. */
void api_session_init(struct api_session *s, struct api_ctx ctx,
		      const struct api_command *table, int count);
void api_session_release(struct api_session *s);
/* Make room for n more input bytes at s->in + s->in_len. */
bool api_session_reserve(struct api_session *s, size_t n);
/* Account n bytes written at s->in + s->in_len. */
void api_session_commit(struct api_session *s, size_t n);
/*
 * Handle every complete request in the input, stopping early once
 * out_limit bytes of output are queued.
 */
enum api_proc_state api_session_process(struct api_session *s,
					size_t out_limit);

#endif
