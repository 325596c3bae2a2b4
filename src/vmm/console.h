/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The terminal side of the serial console: stdin in raw mode (so line
 * editing and Ctrl-C belong to the guest), fed into the UART's RX FIFO only
 * as fast as the guest drains it (no input is dropped), an escape sequence
 * to leave kvmscope, and a terminal restored on every way out.
 *
 * Escape: Ctrl-A x quits kvmscope; Ctrl-A Ctrl-A sends one Ctrl-A.
 */
#ifndef KVMSCOPE_VMM_CONSOLE_H
#define KVMSCOPE_VMM_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/devices.h"
#include "util/errmsg.h"
#include "util/event_loop.h"

struct serial;
struct console;

/* in_fd < 0: no input. Puts a terminal in raw mode. */
int console_open(struct console **out, int in_fd, struct serial *serial,
		 struct vm_control ctl, struct errmsg *err);
/* Register the console's fds as sources of the main loop. */
int console_watch(struct console *c, struct event_loop *loop);
/* Handle readiness of one of the console's fds. */
void console_handle(struct console *c, int fd);
void console_close(struct console *c);

/* Restore the terminal; async-signal-safe, idempotent. */
void console_restore_terminal(void);

#endif
