// SPDX-License-Identifier: GPL-2.0
/*
 * One control-socket client's protocol state: framing the input stream
 * into JSON values, the greeting, negotiation, dispatching each request to
 * the command table and queueing the replies. It works without a socket,
 * so tests and the fuzzer drive exactly the code a connected client does;
 * server.c adds the socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/server.h"
#include "api/session.h"

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
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

		outbuf_append(&s->out, fail, sizeof(fail) - 1);
		return;
	}
	outbuf_append(&s->out, text, strlen(text));
	outbuf_append(&s->out, "\r\n", 2);
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
	send_json(s, json_pack("{s:{s:o,s:[]}}", "QMP", "version",
			       api_version_object(), "capabilities"));
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

/*
 * Reply to a request that cannot be parsed, with its id when the text
 * shows one, and drop the rest of its line: the request starts at start
 * and went wrong at bad.
 */
static void parse_error(struct api_session *s, size_t start, size_t bad,
			const char *desc)
{
	const char *nl = memchr(s->in + bad, '\n', s->in_len - bad);
	size_t end = nl ? (size_t)(nl - s->in) : s->in_len;
	json_t *id = api_stream_recover_id(s->in + start, end - start);

	reply_error(s, id, "GenericError", desc);
	json_decref(id);
	s->skip_line = true;
}

/* Handle every complete request in the input buffer. */
enum api_proc_state api_session_process(struct api_session *s, size_t out_limit)
{
	enum api_proc_state st = API_PROC_IDLE;
	enum api_stream_result res;
	char errtext[JSON_ERROR_TEXT_LENGTH], desc[JSON_ERROR_TEXT_LENGTH + 32];
	size_t pos = 0, used, lim;
	json_t *req;
	char *nl, *nul;

	if (s->finished)
		return API_PROC_CLOSE;
	for (;;) {
		if (outbuf_pending(&s->out) >= out_limit) {
			st = API_PROC_FULL;
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
		/* jansson would take a NUL byte for the end of the text */
		nul = memchr(s->in + pos, '\0', s->in_len - pos);
		lim = nul ? (size_t)(nul - s->in) : s->in_len;
		res = API_STREAM_MORE;
		if (lim > pos)
			res = api_stream_next(s->in + pos, lim - pos, &req,
					      &used, errtext, sizeof(errtext));
		if (res == API_STREAM_MORE && nul) {
			snprintf(
				desc, sizeof(desc),
				"JSON parse error: NUL byte at offset %zu of the request",
				lim - pos);
			parse_error(s, pos, lim, desc);
			pos = lim; /* dropped up to the line end */
			continue;
		}
		if (res == API_STREAM_MORE) {
			s->maybe_complete = false;
			break;
		}
		if (res == API_STREAM_ERROR) {
			snprintf(desc, sizeof(desc), "JSON parse error: %s",
				 errtext);
			/* Drop from the bad token's last byte to the line end. */
			parse_error(s, pos, pos + used - 1, desc);
			pos += used - 1;
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
	if (st == API_PROC_IDLE && s->in_len > API_MAX_REQUEST) {
		json_t *id = api_stream_recover_id(s->in, s->in_len);

		reply_error(
			s, id, "GenericError",
			"request larger than 4 MiB without a complete JSON object: disconnecting");
		json_decref(id);
		s->finished = true;
		s->in_len = 0;
		return API_PROC_CLOSE;
	}
	return st;
}

/* Make room for n more input bytes. */
bool api_session_reserve(struct api_session *s, size_t n)
{
	size_t cap;
	char *p;

	if (s->in_len + n <= s->in_cap)
		return true;
	cap = s->in_cap ? s->in_cap : API_READ_CHUNK;
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
void api_session_commit(struct api_session *s, size_t n)
{
	const char *p = s->in + s->in_len;
	size_t i;

	for (i = 0; i < n && !s->maybe_complete; i++)
		if (p[i] == '}' || p[i] == ']' || p[i] == '\n' || !p[i])
			s->maybe_complete = true;
	s->in_len += n;
}

void api_session_init(struct api_session *s, struct api_ctx ctx,
		      const struct api_command *table, int count)
{
	memset(s, 0, sizeof(*s));
	outbuf_init(&s->out, API_OUT_HIGH, API_OUT_MAX);
	s->ctx = ctx;
	s->table = table;
	s->count = count;
	send_greeting(s);
}

void api_session_release(struct api_session *s)
{
	free(s->in);
	outbuf_free(&s->out);
}

/* ---- sessions without a socket (tests, fuzzer) ---- */

struct api_session *api_session_new(struct api_ctx ctx,
				    const struct api_command *table, int count)
{
	struct api_session *s = malloc(sizeof(*s));

	if (s)
		api_session_init(s, ctx, table, count);
	return s;
}

bool api_session_feed(struct api_session *s, const void *buf, size_t len)
{
	if (s->finished)
		return false;
	if (len) {
		if (!api_session_reserve(s, len))
			return false;
		memcpy(s->in + s->in_len, buf, len);
		api_session_commit(s, len);
	}
	return api_session_process(s, SIZE_MAX) != API_PROC_CLOSE;
}

char *api_session_take_output(struct api_session *s, size_t *len)
{
	return outbuf_take(&s->out, len);
}

void api_session_free(struct api_session *s)
{
	if (!s)
		return;
	api_session_release(s);
	free(s);
}
