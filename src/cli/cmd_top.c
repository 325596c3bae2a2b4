// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmscope top SOCKET`: a live view of a VM over its --api-sock only (no
 * root): query-status, query-cpus-fast and query-stats each refresh, RIPs
 * sampled with query-registers pause=true a few times a second. The frame
 * itself is top_frame.c.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/top_frame.h"
#include "inspect/symbols.h"
#include "util/log.h"
#include "vmm/exit_status.h"

#define RIP_SAMPLES 5 /* per interval */

struct qmp {
	const char *path;
	FILE *in, *out;
	long id;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static json_t *qmp_read(struct qmp *q)
{
	char *line = NULL;
	size_t cap = 0;
	json_t *j;

	if (getline(&line, &cap, q->in) < 0) {
		free(line);
		return NULL;
	}
	j = json_loads(line, 0, NULL);
	free(line);
	return j;
}

/*
 * Run one command: 0 with *ret (the "return" value, owned by the caller),
 * 1 when the server answered an error (desc in err), -1 when the
 * connection failed.
 */
static int qmp_call(struct qmp *q, const char *cmd, json_t *args, json_t **ret,
		    char *err, size_t err_size)
{
	json_t *req = json_pack("{s:s, s:I}", "execute", cmd, "id",
				(json_int_t)++q->id);
	char *text;

	*ret = NULL;
	if (args)
		json_object_set_new(req, "arguments", args);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text || fprintf(q->out, "%s\n", text) < 0 || fflush(q->out)) {
		free(text);
		return -1;
	}
	free(text);
	for (;;) {
		json_t *r = qmp_read(q), *v;

		if (!r)
			return -1;
		if (json_object_get(r, "event")) {
			json_decref(r);
			continue;
		}
		if (json_integer_value(json_object_get(r, "id")) != q->id) {
			json_decref(r);
			continue;
		}
		v = json_object_get(r, "return");
		if (v) {
			*ret = json_incref(v);
			json_decref(r);
			return 0;
		}
		snprintf(
			err, err_size, "%s",
			json_string_value(json_object_get(json_object_get(r, "error"), "desc")) ?:
				"error");
		json_decref(r);
		return 1;
	}
}

static int qmp_connect(struct qmp *q, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	json_t *g, *r;
	char err[160];
	int fd;

	q->path = path;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_error("%s: socket path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_error(
			"cannot connect to %s: %s (is kvmscope run --api-sock %s running?)",
			path, strerror(errno), path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	q->in = fdopen(fd, "r");
	q->out = fdopen(dup(fd), "w");
	if (!q->in || !q->out)
		return -1;
	g = qmp_read(q);
	if (!g || !json_object_get(g, "QMP")) {
		log_error("%s: no QMP greeting", path);
		json_decref(g);
		return -1;
	}
	json_decref(g);
	if (qmp_call(q, "qmp_capabilities", NULL, &r, err, sizeof(err))) {
		log_error("%s: qmp_capabilities failed: %s", path, err);
		return -1;
	}
	json_decref(r);
	return 0;
}

static int take_sample(struct qmp *q, struct top_sample *s)
{
	char err[160];
	int r;

	memset(s, 0, sizeof(*s));
	s->t = now_s();
	if (qmp_call(q, "query-status", NULL, &s->status, err, sizeof(err)) <
		    0 ||
	    qmp_call(q, "query-cpus-fast", NULL, &s->cpus, err, sizeof(err)) <
		    0)
		return -1;
	r = qmp_call(q, "query-stats", json_pack("{s:s}", "target", "vcpu"),
		     &s->stats_vcpu, s->stats_err, sizeof(s->stats_err));
	if (r < 0)
		return -1;
	if (r == 0 &&
	    qmp_call(q, "query-stats", json_pack("{s:s}", "target", "vm"),
		     &s->stats_vm, err, sizeof(err)) < 0)
		return -1;
	/* In-kernel exits while someone (root) has trace-kvm on. */
	if (qmp_call(q, "query-trace-kvm", NULL, &s->trace, err, sizeof(err)) <
	    0)
		return -1;
	if (s->trace && !json_is_true(json_object_get(s->trace, "enabled"))) {
		json_decref(s->trace);
		s->trace = NULL;
	}
	return 0;
}

static void sample_rips(struct qmp *q, const struct top_sample *s,
			struct top_rips *rips)
{
	json_t *c, *regs;
	char err[160];
	size_t i;

	json_array_foreach(s->cpus, i, c)
	{
		int cpu = json_integer_value(json_object_get(c, "cpu-index"));
		const char *rip;

		if (qmp_call(q, "query-registers",
			     json_pack("{s:i, s:b}", "cpu", cpu, "pause", 1),
			     &regs, err, sizeof(err)))
			continue;
		rip = json_string_value(json_object_get(regs, "rip"));
		if (rip)
			top_rips_add(rips, cpu, strtoull(rip, NULL, 0));
		json_decref(regs);
	}
}

static struct termios saved_tty;
static bool tty_raw;

static void tty_restore(void)
{
	if (tty_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
		fputs("\033[?25h", stdout);
		fflush(stdout);
		tty_raw = false;
	}
}

static void on_signal(int sig)
{
	tty_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void tty_setup(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty))
		return;
	t = saved_tty;
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t))
		return;
	tty_raw = true;
	atexit(tty_restore);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	fputs("\033[?25l", stdout);
}

/* Wait up to sec seconds; true when 'q' was typed. */
static bool wait_key(double sec, bool interactive)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	int ms = (int)(sec * 1000);
	char c;

	if (!interactive) {
		if (ms > 0)
			poll(NULL, 0, ms);
		return false;
	}
	if (poll(&p, 1, ms) > 0 && read(STDIN_FILENO, &c, 1) == 1)
		return c == 'q' || c == 'Q';
	return false;
}

static void top_usage(FILE *out)
{
	fputs("usage: kvmscope top [--once] [--interval SEC] [--symbols FILE] SOCKET\n"
	      "\n"
	      "A live view of a VM started with kvmscope run --api-sock SOCKET, over\n"
	      "the control socket only (no root): per vCPU state, mode and RIP, exits\n"
	      "per second by reason, the busiest ports and MMIO regions, % of time in\n"
	      "the guest and the hottest guest RIPs (sampled with query-registers).\n"
	      "Press q to quit.\n"
	      "\n"
	      "  -1, --once           print one frame (one interval) and exit\n"
	      "  -i, --interval SEC   seconds between refreshes (default 1)\n"
	      "  -s, --symbols FILE   name the sampled RIPs from FILE (System.map or an\n"
	      "                       ELF with symbols, as for kvmscope run --symbols)\n"
	      "  -h, --help           this help\n",
	      out);
}

static const struct option top_longopts[] = {
	{ "once", no_argument, NULL, '1' },
	{ "interval", required_argument, NULL, 'i' },
	{ "symbols", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_top(int argc, char **argv)
{
	struct top_sample prev, cur;
	struct top_rips rips;
	double interval = 1;
	bool once = false, interactive;
	struct qmp q = { 0 };
	struct symbols syms = { 0 };
	const char *symfile = NULL;
	struct errmsg err = { 0 };
	char *end;
	int c, k;

	while ((c = getopt_long(argc, argv, "+1i:s:h", top_longopts, NULL)) !=
	       -1) {
		switch (c) {
		case '1':
			once = true;
			break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || !(interval >= 0.05) || interval > 3600) {
				log_error(
					"--interval: '%s' is not a number of seconds from 0.05 to 3600",
					optarg);
				return KS_STATUS_USAGE;
			}
			break;
		case 's':
			symfile = optarg;
			break;
		case 'h':
			top_usage(stdout);
			return 0;
		default:
			top_usage(stderr);
			return KS_STATUS_USAGE;
		}
	}
	if (optind != argc - 1) {
		top_usage(stderr);
		return KS_STATUS_USAGE;
	}
	if (symfile && symbols_load(&syms, symfile, &err)) {
		log_error("--symbols %s: %s", symfile, err.text);
		return KS_STATUS_USAGE;
	}
	if (qmp_connect(&q, argv[optind]))
		return KS_STATUS_USAGE;
	interactive = !once && isatty(STDIN_FILENO);
	if (interactive)
		tty_setup();
	if (take_sample(&q, &prev))
		goto lost;
	for (;;) {
		bool quit = false;

		memset(&rips, 0, sizeof(rips));
		for (k = 0; k < RIP_SAMPLES && !quit; k++) {
			sample_rips(&q, &prev, &rips);
			quit = wait_key(interval / RIP_SAMPLES, interactive);
		}
		if (take_sample(&q, &cur))
			goto lost;
		if (interactive)
			fputs("\033[H\033[2J", stdout);
		top_render(stdout, argv[optind], &prev, &cur, &rips,
			   symfile ? &syms : NULL);
		fflush(stdout);
		top_sample_free(&prev);
		prev = cur;
		if (once || quit)
			break;
	}
	top_sample_free(&prev);
	symbols_free(&syms);
	tty_restore();
	return 0;
lost:
	symbols_free(&syms);
	tty_restore();
	log_error("%s: the connection ended (the VM is gone?)", argv[optind]);
	return 1;
}
