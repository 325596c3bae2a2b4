// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's stream parser and dispatcher: bytes in, replies out,
 * through a socket-less session. The table holds the real lifecycle
 * commands (on a VM without vCPUs, which pauses and resumes instantly) and
 * probes that parse every argument type under every pause policy, and
 * human-monitor-command, which splits and types command lines and runs
 * them on the real table: the VM has no vCPUs and no RAM, so handlers that
 * read vCPU state or guest RAM only get as far as refusing.
 *
 * Input: byte 0 picks how the rest is cut into writes (bits 0-5: chunk
 * size, 0 = one write) and whether the session is negotiated first (bit 6);
 * the rest is what the client sends. Whatever it sends, the output must be
 * whole JSON objects, each followed by "\r\n", each a greeting, an event,
 * a return or an error.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/server.h"
#include "inspect/handlers.h"
#include "vmm/vm.h"

static struct vm vm;

/* Every helper, with its result echoed so encoding is exercised too. */
static int probe(struct api_ctx *ctx, json_t *args, json_t **ret,
		 struct errmsg *err)
{
	static const char *const allowed[] = { "a", "b", "c", "d", NULL };
	const char *d;
	uint64_t a;
	bool c = false, has_b;
	long b = 0;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_u64(args, "a", true, &a, NULL, err);
	if (!r)
		r = api_arg_int(args, "b", false, -1000, 1L << 40, &b, &has_b,
				err);
	if (!r)
		r = api_arg_bool(args, "c", &c, NULL, err);
	if (!r)
		r = api_arg_str(args, "d", false, &d, err);
	if (r)
		return r;
	*ret = json_pack("{s:o,s:I,s:b,s:s?,s:b}", "a", api_hex(a), "b",
			 (json_int_t)b, "c", c, "d", d, "was_paused",
			 ctx->was_paused);
	return 0;
}

static struct api_command table[] = {
	{ "qmp_capabilities", api_cmd_qmp_capabilities, API_LIFECYCLE, "", "",
	  true },
	{ "query-version", api_cmd_query_version, API_LIFECYCLE, "", "", true },
	{ "query-commands", api_cmd_query_commands, API_LIFECYCLE, "", "",
	  true },
	{ "query-status", api_cmd_query_status, API_LIFECYCLE, "", "" },
	{ "stop", api_cmd_stop, API_LIFECYCLE, "", "" },
	{ "cont", api_cmd_cont, API_LIFECYCLE, "", "" },
	{ "quit", api_cmd_quit, API_LIFECYCLE, "", "" },
	{ "system_powerdown", api_cmd_system_powerdown, API_LIFECYCLE, "", "" },
	{ "probe", probe, API_RUNS_ANYTIME, "a=ADDR [b=N] [c=BOOL] [d=STRING]",
	  "" },
	{ "probe-stop", probe, API_NEEDS_STOP, "a=ADDR", "" },
	{ "probe-brief", probe, API_PAUSES_BRIEFLY, "a=ADDR", "" },
	{ "human-monitor-command", NULL, API_LIFECYCLE, "", "", true },
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct api_command *hmp =
		api_command_find("human-monitor-command");

	/* the real row: its handler is static to cmd_hmp.c */
	table[sizeof(table) / sizeof(table[0]) - 1] = *hmp;
	pthread_mutex_init(&vm.pause_lock, NULL);
	pthread_cond_init(&vm.pause_cond, NULL);
	pthread_mutex_init(&vm.end_lock, NULL);
	vm.end_efd = -1;
	return 0;
}

static void check_output(const char *out, size_t len)
{
	json_error_t e;
	size_t off = 0;
	json_t *m;

	while (off < len) {
		m = json_loadb(out + off, len - off, JSON_DISABLE_EOF_CHECK,
			       &e);
		if (!m || !json_is_object(m))
			__builtin_trap();
		off += e.position;
		if (len - off < 2 || memcmp(out + off, "\r\n", 2))
			__builtin_trap();
		off += 2;
		if (!!json_object_get(m, "return") +
			    !!json_object_get(m, "error") +
			    !!json_object_get(m, "event") +
			    !!json_object_get(m, "QMP") !=
		    1)
			__builtin_trap();
		if (json_object_get(m, "error") &&
		    !json_is_string(json_object_get(json_object_get(m, "error"),
						    "desc")))
			__builtin_trap();
		json_decref(m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hello[] = "{\"execute\": \"qmp_capabilities\"}";
	struct api_session *s;
	size_t chunk, off, n, len;
	char *out;

	if (!size)
		return 0;
	vm.pause_req = 0;
	vm.end_requested = false;
	chunk = data[0] & 0x3f;
	s = api_session_new((struct api_ctx){ .vm = &vm }, table,
			    sizeof(table) / sizeof(table[0]));
	if (!s)
		abort();
	if (data[0] & 0x40)
		api_session_feed(s, hello, sizeof(hello) - 1);
	data++;
	size--;
	for (off = 0; off < size; off += n) {
		n = chunk && size - off > chunk ? chunk : size - off;
		if (!api_session_feed(s, data + off, n))
			break;
		/* Drain as a socket would, checking as we go. */
		out = api_session_take_output(s, &len);
		if (!out)
			abort();
		check_output(out, len);
		free(out);
	}
	out = api_session_take_output(s, &len);
	if (!out)
		abort();
	check_output(out, len);
	free(out);
	api_session_free(s);
	return 0;
}
