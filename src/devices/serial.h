/* SPDX-License-Identifier: GPL-2.0 */
/*
 * 16550A UART model (COM1 at 0x3f8, IRQ 4): full register set (RBR/THR,
 * IER, IIR/FCR, LCR with DLAB, MCR with loopback, LSR, MSR, SCR), 16-byte
 * FIFOs, TX-empty and RX-data interrupts. Output bytes are written to an fd
 * as the guest writes them; input bytes are pushed in by the console.
 */
#ifndef KVMSCOPE_DEVICES_SERIAL_H
#define KVMSCOPE_DEVICES_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "devices/devices.h"
#include "util/errmsg.h"

#define SERIAL_COM1_PORT 0x3f8
#define SERIAL_COM1_IRQ 4

struct serial;

/* Register the UART at [port, port + 8) on env->pio; output goes to out_fd. */
struct serial *serial_create(const struct device_env *env, uint16_t port,
			     unsigned int irq, int out_fd, struct errmsg *err);
void serial_destroy(struct serial *s);

/* Push host input into the RX FIFO; returns how many bytes were taken. */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);
/* Free space in the RX FIFO. */
size_t serial_rx_room(struct serial *s);
/*
 * fn(opaque) is called (from a vCPU thread, with no lock held) whenever the
 * guest reads from a full RX FIFO, so the console can resume reading input.
 */
void serial_set_rx_room_notify(struct serial *s, void (*fn)(void *opaque),
			       void *opaque);

#endif
