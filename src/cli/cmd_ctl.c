// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmscope ctl`: one control command over a running VM's --api-sock, as a
 * QMP client: greeting, qmp_capabilities, the command, its reply.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/commands.h"
#include "api/server.h"
#include "cli/cli.h"
#include "cli/ctl_format.h"
#include "cmd/cmdline.h"
#include "util/log.h"
#include "util/parse.h"
#include "vmm/exit_status.h"

#define CTL_DEFAULT_TIMEOUT 30
#define CTL_FAILED 1 /* the command ran and failed */
#define CTL_TROUBLE KS_STATUS_USAGE /* usage or connection problem */

static void ctl_usage(FILE *out)
{
	const struct api_command *cmds;
	int i, n;

	fputs("usage: kvmscope ctl [--json] [--timeout SEC] SOCKET COMMAND [name=value ...]\n"
	      "\n"
	      "Run one control command on a VM started with kvmscope run --api-sock SOCKET\n"
	      "and print the answer.\n"
	      "\n"
	      "  -j, --json          print the server's JSON reply instead of a table\n"
	      "  -t, --timeout SEC   give up after SEC seconds (default 30, 0: never)\n"
	      "  -h, --help          this help\n"
	      "\n"
	      "Arguments are typed by the command's own description below: N and ADDR\n"
	      "are numbers (decimal or 0x hex), BOOL is true or false, everything else\n"
	      "is a string (hex=0011 stays \"0011\"). For a name not listed there,\n"
	      "true/false become booleans, decimal integers numbers, the rest strings.\n"
	      "name:=JSON sends a JSON value as it is, e.g. pattern:='\"123\"'.\n"
	      "Commands marked * need stopped vCPUs: run 'stop' first, or add pause=true\n"
	      "to stop the VM just around the command. The other inspection commands\n"
	      "take pause=true too, for a consistent snapshot.\n"
	      "\n"
	      "commands:\n",
	      out);
	cmds = api_commands(&n);
	for (i = 0; i < n; i++)
		fprintf(out, "  %-17s%s %s%s%s\n", cmds[i].name,
			cmds[i].pause == API_NEEDS_STOP ? "*" : " ",
			cmds[i].args_help,
			*cmds[i].args_help ? "\n                     " : "",
			cmds[i].help);
	fputs("\n"
	      "Exit status: 0 done, 1 the command failed, 2 bad usage or no answer\n"
	      "from SOCKET.\n",
	      out);
}

struct conn {
	const char *path;
	int fd;
	long timeout_ms; /* < 0: no limit */
	struct timespec start;
	char *buf;
	size_t len, cap;
};

static int ms_left(struct conn *c)
{
	struct timespec now;
	long used;

	if (c->timeout_ms < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	used = (now.tv_sec - c->start.tv_sec) * 1000 +
	       (now.tv_nsec - c->start.tv_nsec) / 1000000;
	return used >= c->timeout_ms ? 0 : (int)(c->timeout_ms - used);
}

static int wait_fd(struct conn *c, short events)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	int r;

	do {
		r = poll(&pfd, 1, ms_left(c));
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		log_error("no answer from %s within %ld s", c->path,
			  c->timeout_ms / 1000);
	else if (r < 0)
		log_error("%s: poll: %s", c->path, strerror(errno));
	return r > 0 ? 0 : -1;
}

static int send_msg(struct conn *c, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len, off = 0;
	ssize_t n;

	json_decref(msg);
	if (!text) {
		log_error("cannot encode the request");
		return -1;
	}
	len = strlen(text);
	text[len] = '\n'; /* the NUL is not sent: newline ends the request */
	while (off < len + 1) {
		n = send(c->fd, text + off, len + 1 - off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(c, POLLOUT))
				goto fail;
			continue;
		}
		if (n < 0 && errno != EINTR) {
			log_error("%s: send: %s", c->path, strerror(errno));
			goto fail;
		}
		if (n > 0)
			off += n;
	}
	free(text);
	return 0;
fail:
	free(text);
	return -1;
}

/* The next JSON object from the server (NULL after printing why). */
static json_t *recv_msg(struct conn *c)
{
	char errtext[JSON_ERROR_TEXT_LENGTH];
	enum api_stream_result res;
	size_t used, grow;
	json_t *msg;
	ssize_t n;
	char *p;

	for (;;) {
		/*
		 * Messages end with "\r\n": parsing only once one may be
		 * complete keeps a large reply read in pieces linear.
		 */
		res = API_STREAM_MORE;
		if (c->len && memchr(c->buf, '\n', c->len))
			res = api_stream_next(c->buf, c->len, &msg, &used,
					      errtext, sizeof(errtext));
		if (res == API_STREAM_OBJECT) {
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return msg;
		}
		if (res == API_STREAM_ERROR) {
			log_error("%s sent malformed JSON: %s", c->path,
				  errtext);
			return NULL;
		}
		if (c->cap - c->len < 65536) {
			/* doubling: a 1.4 MiB read-memory reply is common */
			grow = c->cap > 65536 ? c->cap : 65536;
			p = realloc(c->buf, c->cap + grow);
			if (!p) {
				log_error("out of memory reading the reply");
				return NULL;
			}
			c->buf = p;
			c->cap += grow;
		}
		if (wait_fd(c, POLLIN))
			return NULL;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n == 0) {
			log_error("%s closed the connection without answering",
				  c->path);
			return NULL;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			log_error("%s: recv: %s", c->path, strerror(errno));
			return NULL;
		}
		if (n > 0)
			c->len += n;
	}
}

/*
 * The reply carrying id, skipping events. A reply without an id is the
 * server's complaint about the request itself (e.g. a parse error): ours.
 */
static json_t *recv_reply(struct conn *c, json_int_t id)
{
	json_t *msg, *mid;

	for (;;) {
		msg = recv_msg(c);
		if (!msg)
			return NULL;
		mid = json_object_get(msg, "id");
		if ((json_is_integer(mid) && json_integer_value(mid) == id) ||
		    (!mid && json_object_get(msg, "error")))
			return msg;
		json_decref(msg);
	}
}

static const char *error_desc(json_t *reply)
{
	json_t *e = json_object_get(reply, "error");
	json_t *d = json_object_get(e, "desc");

	return json_is_string(d) ? json_string_value(d) : NULL;
}

static int ctl_connect(struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		log_error(
			"cannot connect to %s: the path is too long for a unix socket",
			c->path);
		return -1;
	}
	memcpy(sa.sun_path, c->path, strlen(c->path));
	/* Blocking, but every send and recv below passes MSG_DONTWAIT. */
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		log_error("socket: %s", strerror(errno));
		return -1;
	}
	/* connect() only blocks on a full backlog; bound that wait too. */
	if (c->timeout_ms > 0) {
		struct timeval tv = { .tv_sec = c->timeout_ms / 1000 };

		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	r = connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0) {
		log_error(
			"cannot connect to %s: %s (is kvmscope run --api-sock %s running?)",
			c->path, strerror(errno), c->path);
		return -1;
	}
	return 0;
}

/* Greeting and negotiation: 0 when the command may be sent. */
static int ctl_handshake(struct conn *c)
{
	json_t *msg = recv_msg(c);
	const char *desc;

	if (!msg)
		return -1;
	if (!json_object_get(msg, "QMP")) {
		desc = error_desc(msg);
		if (desc)
			log_error("%s: %s", c->path, desc);
		else
			log_error("%s does not greet like a QMP server",
				  c->path);
		json_decref(msg);
		return -1;
	}
	json_decref(msg);
	if (send_msg(c, json_pack("{s:s,s:i}", "execute", "qmp_capabilities",
				  "id", 1)))
		return -1;
	msg = recv_reply(c, 1);
	if (!msg)
		return -1;
	desc = error_desc(msg);
	if (desc)
		log_error("%s refused capabilities negotiation: %s", c->path,
			  desc);
	json_decref(msg);
	return desc ? -1 : 0;
}

enum { OPT_JSON = 'j', OPT_TIMEOUT = 't' };

static const struct option ctl_longopts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_ctl(int argc, char **argv)
{
	struct conn c = { .fd = -1, .timeout_ms = CTL_DEFAULT_TIMEOUT * 1000 };
	const char *command, *desc;
	json_t *args, *reply = NULL, *ret;
	bool json_out = false;
	struct errmsg why;
	int opt, status = CTL_TROUBLE;
	long n;

	optind = 1;
	opterr = 0;
	/* '+': stop at SOCKET, so nothing after it is taken for an option. */
	while ((opt = getopt_long(argc, argv, "+:jt:h", ctl_longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case OPT_JSON:
			json_out = true;
			break;
		case OPT_TIMEOUT:
			if (parse_int(optarg, 0, INT_MAX / 1000, &n)) {
				log_error(
					"--timeout '%s' is invalid: give whole seconds (0: wait forever)",
					optarg);
				return CTL_TROUBLE;
			}
			c.timeout_ms = n ? n * 1000 : -1;
			break;
		case 'h':
			ctl_usage(stdout);
			return 0;
		case ':':
			log_error(
				"option '%s' needs a value (see kvmscope ctl --help)",
				argv[optind - 1]);
			return CTL_TROUBLE;
		default:
			log_error(
				"unknown option '%s' (see kvmscope ctl --help)",
				argv[optind - 1]);
			return CTL_TROUBLE;
		}
	}
	if (argc - optind < 2) {
		log_error(
			"ctl needs a socket and a command: kvmscope ctl SOCKET COMMAND [name=value ...] (see kvmscope ctl --help)");
		return CTL_TROUBLE;
	}
	c.path = argv[optind];
	command = argv[optind + 1];
	args = cmdline_build_args(api_command_find(command), argc - optind - 2,
				  argv + optind + 2, &why);
	if (!args) {
		log_error("%s", why.text);
		return CTL_TROUBLE;
	}

	clock_gettime(CLOCK_MONOTONIC, &c.start);
	if (ctl_connect(&c) || ctl_handshake(&c) ||
	    send_msg(&c, json_pack("{s:s,s:O,s:i}", "execute", command,
				   "arguments", args, "id", 2)))
		goto out;
	reply = recv_reply(&c, 2);
	if (!reply)
		goto out;

	desc = error_desc(reply);
	ret = json_object_get(reply, "return");
	if (json_out) {
		char *text = json_dumps(reply, JSON_COMPACT);

		if (text)
			printf("%s\n", text);
		free(text);
	} else if (!desc && ret) {
		ctl_format(stdout, command, ret);
	}
	if (desc) {
		json_t *cls = json_object_get(json_object_get(reply, "error"),
					      "class");

		/* Negotiation is done, so CommandNotFound means a bad name. */
		if (json_is_string(cls) &&
		    !strcmp(json_string_value(cls), "CommandNotFound"))
			log_error("%s (kvmscope ctl --help lists the commands)",
				  desc);
		else
			log_error("%s", desc);
		status = CTL_FAILED;
	} else if (!ret) {
		log_error("%s answered without a result", c.path);
		status = CTL_FAILED;
	} else {
		status = 0;
	}
	if (fflush(stdout) || ferror(stdout)) {
		log_error("cannot write the answer: %s", strerror(errno));
		status = CTL_FAILED;
	}
out:
	json_decref(reply);
	json_decref(args);
	if (c.fd >= 0)
		close(c.fd);
	free(c.buf);
	return status;
}
