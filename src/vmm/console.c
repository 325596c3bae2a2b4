// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include "devices/serial.h"
#include "util/log.h"
#include "vmm/console.h"
#include "vmm/exit_status.h"

#define CONSOLE_ESCAPE 0x01 /* Ctrl-A */

struct console {
	int in_fd;
	int room_efd; /* the UART signals "RX FIFO has room again" */
	struct event_loop *loop;
	bool watching_in; /* in_fd is armed in the loop */
	bool eof;
	bool escape; /* previous byte was the escape key */
	struct serial *serial;
	struct vm_control ctl;
	uint8_t pending[256]; /* read from stdin, not yet taken by the UART */
	size_t pending_len;
	size_t pending_off;
};

/* Saved terminal state: global so signal handlers and atexit can reach it. */
static struct termios saved_termios;
static int saved_termios_fd = -1;

void console_restore_terminal(void)
{
	if (saved_termios_fd >= 0) {
		tcsetattr(saved_termios_fd, TCSANOW, &saved_termios);
		saved_termios_fd = -1;
	}
}

static void fatal_signal(int sig)
{
	console_restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void enter_raw_mode(int fd)
{
	struct termios raw;

	if (!isatty(fd) || tcgetattr(fd, &saved_termios) < 0)
		return;
	raw = saved_termios;
	/* cfmakeraw minus output processing changes: keep OPOST so our own
	 * log lines are readable, everything else (ISIG, ICANON, ECHO, IXON,
	 * ICRNL) goes to the guest. */
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
			 ICRNL | IXON);
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag &= ~(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	saved_termios_fd = fd;
	atexit(console_restore_terminal);
	signal(SIGSEGV, fatal_signal);
	signal(SIGBUS, fatal_signal);
	signal(SIGABRT, fatal_signal);
	signal(SIGFPE, fatal_signal);
	signal(SIGILL, fatal_signal);
	tcsetattr(fd, TCSANOW, &raw);
}

static void room_notify(void *opaque)
{
	struct console *c = opaque;
	uint64_t one = 1;

	if (write(c->room_efd, &one, sizeof(one)) < 0)
		return;
}

int console_open(struct console **out, int in_fd, struct serial *serial,
		 struct vm_control ctl, struct errmsg *err)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c)
		return errmsg_set(err, ENOMEM, "out of memory");
	c->in_fd = in_fd;
	c->serial = serial;
	c->ctl = ctl;
	c->room_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->room_efd < 0) {
		free(c);
		return errmsg_set(err, errno, "eventfd: %s", strerror(errno));
	}
	if (in_fd >= 0)
		enter_raw_mode(in_fd);
	serial_set_rx_room_notify(serial, room_notify, c);
	*out = c;
	return 0;
}

static void arm_input(struct console *c, bool on)
{
	if (c->in_fd < 0 || c->eof || c->watching_in == on)
		return;
	if (event_loop_mod(c->loop, c->in_fd, on ? EPOLLIN : 0) == 0)
		c->watching_in = on;
}

static void console_ready(void *opaque, int fd, uint32_t events)
{
	console_handle(opaque, fd);
}

int console_watch(struct console *c, struct event_loop *loop)
{
	int r;

	c->loop = loop;
	r = event_loop_add(loop, c->room_efd, EPOLLIN, console_ready, c);
	if (r)
		return r;
	if (c->in_fd >= 0) {
		/* Regular files and /dev/null cannot be polled: no input. */
		if (event_loop_add(loop, c->in_fd, EPOLLIN, console_ready, c) ==
		    0)
			c->watching_in = true;
		else
			c->eof = true;
	}
	return 0;
}

/*
 * Apply the escape sequence to the pending bytes in place: Ctrl-A x quits,
 * Ctrl-A Ctrl-A is a literal Ctrl-A, Ctrl-A + anything else is dropped.
 * Returns false when the user asked to quit.
 */
static bool filter_escape(struct console *c, uint8_t *buf, size_t *len)
{
	size_t i, j = 0;

	for (i = 0; i < *len; i++) {
		uint8_t ch = buf[i];

		if (c->escape) {
			c->escape = false;
			if (ch == 'x' || ch == 'X') {
				*len = j;
				return false;
			}
			if (ch == CONSOLE_ESCAPE)
				buf[j++] = ch;
			continue;
		}
		if (ch == CONSOLE_ESCAPE) {
			c->escape = true;
			continue;
		}
		buf[j++] = ch;
	}
	*len = j;
	return true;
}

/* Hand pending bytes to the UART; stop reading stdin while it is full. */
static void feed_serial(struct console *c)
{
	size_t n;

	if (c->pending_off < c->pending_len) {
		n = serial_receive(c->serial, c->pending + c->pending_off,
				   c->pending_len - c->pending_off);
		c->pending_off += n;
	}
	if (c->pending_off >= c->pending_len) {
		c->pending_off = c->pending_len = 0;
		arm_input(c, true);
	} else {
		arm_input(c, false);
	}
}

static void read_input(struct console *c)
{
	ssize_t n;

	if (c->pending_len)
		return;
	n = read(c->in_fd, c->pending, sizeof(c->pending));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* EOF or error: the guest keeps running without input. */
		event_loop_del(c->loop, c->in_fd);
		c->watching_in = false;
		c->eof = true;
		return;
	}
	c->pending_len = n;
	c->pending_off = 0;
	if (saved_termios_fd == c->in_fd &&
	    !filter_escape(c, c->pending, &c->pending_len)) {
		c->ctl.request_end(c->ctl.opaque, KS_STATUS_SIGNAL,
				   "quit from the console (Ctrl-A x)");
		c->pending_len = 0;
		return;
	}
	feed_serial(c);
}

void console_handle(struct console *c, int fd)
{
	uint64_t v;

	if (fd == c->room_efd) {
		if (read(c->room_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return;
		feed_serial(c);
		return;
	}
	if (fd == c->in_fd)
		read_input(c);
}

void console_close(struct console *c)
{
	if (!c)
		return;
	console_restore_terminal();
	if (c->loop) {
		event_loop_del(c->loop, c->room_efd);
		if (c->in_fd >= 0)
			event_loop_del(c->loop, c->in_fd);
	}
	close(c->room_efd);
	free(c);
}
