// SPDX-License-Identifier: GPL-2.0
/*
 * 16550A UART.
 *
 * The line itself is not modelled: a byte written to THR leaves at once (so
 * THR and the transmitter are always empty), and host input is pushed in by
 * the console only while the RX FIFO has room, so host input never overruns.
 * Only loopback, where the guest feeds its own receiver, can overrun.
 *
 * Locking: one mutex per UART guards the register state; vCPU threads and
 * the console thread take it. Output is written to out_fd after that mutex
 * is dropped, so a slow or blocked out_fd stalls only the vCPU that wrote,
 * never the console thread's input path; a ticket keeps bytes from
 * different vCPUs in the order the UART accepted them. The interrupt line
 * is driven with the mutex held, because two threads deciding the level
 * and then driving it unlocked could leave the line in the older state;
 * irq.set_level therefore must not call back into the UART.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/serial.h"

/* Register offsets from the base port. */
#define UART_RBR 0 /* read, DLAB = 0 */
#define UART_THR 0 /* write, DLAB = 0 */
#define UART_DLL 0 /* DLAB = 1 */
#define UART_IER 1 /* DLAB = 0 */
#define UART_DLM 1 /* DLAB = 1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_NR_REGS 8

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI 0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK 0x0f

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c /* character timeout */
#define IIR_ID_MASK 0x0f
#define IIR_FIFO_ON 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_TRIGGER_SHIFT 6

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f /* bit 5 and up are 16750 extensions */

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_DELTAS 0x0f

#define RX_FIFO_SIZE 16

struct serial {
	pthread_mutex_t lock;

	struct irq_sink irq;
	unsigned int irq_line;
	int irq_level; /* level we last drove */
	uint16_t port;

	uint8_t rx[RX_FIFO_SIZE];
	unsigned int rx_head;
	unsigned int rx_count;
	uint8_t rbr_last; /* RBR keeps its old value when read empty */

	uint8_t ier;
	uint8_t lcr;
	uint8_t mcr;
	uint8_t lsr_errors; /* sticky LSR error bits, cleared by reading LSR */
	uint8_t msr;
	uint8_t scr;
	uint8_t dll;
	uint8_t dlm;
	bool fifo_enabled;
	unsigned int rx_trigger;
	bool thr_ipending; /* THR-empty interrupt not yet acknowledged */

	void (*rx_notify)(void *opaque);
	void *rx_notify_opaque;

	/* Output; out_next is under lock, the rest under out_lock. */
	int out_fd;
	uint64_t out_next;
	pthread_mutex_t out_lock;
	pthread_cond_t out_turn;
	uint64_t out_serving;
	bool out_failed;
};

static const unsigned int rx_trigger_levels[4] = { 1, 4, 8, 14 };

static bool loopback(const struct serial *s)
{
	return s->mcr & MCR_LOOP;
}

/* With FIFOs off the 16550 behaves like a 16450: a one-byte RBR. */
static unsigned int rx_capacity(const struct serial *s)
{
	return s->fifo_enabled ? RX_FIFO_SIZE : 1;
}

/*
 * Room for host input. In loopback the receiver is cut off from the line,
 * so the host must hold its bytes back until the guest leaves loopback.
 */
static size_t rx_room_locked(const struct serial *s)
{
	if (loopback(s))
		return 0;
	return rx_capacity(s) - s->rx_count;
}

static bool rx_push(struct serial *s, uint8_t byte)
{
	if (s->rx_count >= rx_capacity(s))
		return false;
	s->rx[(s->rx_head + s->rx_count) % RX_FIFO_SIZE] = byte;
	s->rx_count++;
	return true;
}

static uint8_t rx_pop(struct serial *s)
{
	if (s->rx_count) {
		s->rbr_last = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % RX_FIFO_SIZE;
		s->rx_count--;
	}
	return s->rbr_last;
}

static void rx_clear(struct serial *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
}

static uint8_t lsr_value(const struct serial *s)
{
	uint8_t lsr = LSR_THRE | LSR_TEMT | s->lsr_errors;

	if (s->rx_count)
		lsr |= LSR_DR;
	return lsr;
}

/* The highest-priority enabled interrupt, as IIR bits 0-3. */
static uint8_t pending_iir(const struct serial *s)
{
	if ((s->ier & IER_ELSI) && (s->lsr_errors & LSR_ERRORS))
		return IIR_RLSI;
	if ((s->ier & IER_ERBFI) && s->rx_count) {
		/*
		 * Time is not modelled, so data sitting below the trigger
		 * level reports as a character timeout straight away rather
		 * than four character times later; drivers treat both alike.
		 */
		if (s->fifo_enabled && s->rx_count < s->rx_trigger)
			return IIR_CTI;
		return IIR_RDI;
	}
	if ((s->ier & IER_ETBEI) && s->thr_ipending)
		return IIR_THRI;
	if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NO_INT;
}

/*
 * On a PC the UART's interrupt output reaches the PIC through a gate
 * controlled by MCR.OUT2. It is deliberately not modelled (QEMU does not
 * either): Linux sets OUT2 anyway, and small guests that enable IER but
 * never touch MCR then still get their interrupts.
 */
static void update_irq(struct serial *s)
{
	int level = pending_iir(s) != IIR_NO_INT;

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	if (s->irq.set_level)
		s->irq.set_level(s->irq.opaque, s->irq_line, level);
}

/* Recompute MSR's line bits from MCR (loopback) or the idle line. */
static void update_msr(struct serial *s)
{
	uint8_t old = s->msr & ~MSR_DELTAS, now, changed;

	if (loopback(s)) {
		/* The 16550 feeds its modem outputs back to its inputs. */
		now = 0;
		if (s->mcr & MCR_RTS)
			now |= MSR_CTS;
		if (s->mcr & MCR_DTR)
			now |= MSR_DSR;
		if (s->mcr & MCR_OUT1)
			now |= MSR_RI;
		if (s->mcr & MCR_OUT2)
			now |= MSR_DCD;
	} else {
		/* An always-ready peer: carrier, data set ready, clear to send. */
		now = MSR_CTS | MSR_DSR | MSR_DCD;
	}
	changed = old ^ now;
	s->msr = now | (s->msr & MSR_DELTAS);
	if (changed & MSR_CTS)
		s->msr |= MSR_DCTS;
	if (changed & MSR_DSR)
		s->msr |= MSR_DDSR;
	if (changed & MSR_DCD)
		s->msr |= MSR_DDCD;
	/* RI reports only its trailing edge. */
	if ((old & MSR_RI) && !(now & MSR_RI))
		s->msr |= MSR_TERI;
}

static uint8_t reg_read(struct serial *s, unsigned int reg)
{
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RBR:
		if (dlab)
			return s->dll;
		v = rx_pop(s);
		update_irq(s);
		return v;
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR:
		v = pending_iir(s);
		/* Reading IIR acknowledges a THR-empty interrupt it reports. */
		if (v == IIR_THRI) {
			s->thr_ipending = false;
			update_irq(s);
		}
		if (s->fifo_enabled)
			v |= IIR_FIFO_ON;
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		v = lsr_value(s);
		s->lsr_errors = 0;
		update_irq(s);
		return v;
	case UART_MSR:
		v = s->msr;
		s->msr &= ~MSR_DELTAS;
		update_irq(s);
		return v;
	case UART_SCR:
		return s->scr;
	default:
		return 0xff;
	}
}

static void write_fcr(struct serial *s, uint8_t v)
{
	bool enable = v & FCR_ENABLE;

	/* Switching the FIFOs on or off empties them. */
	if (enable != s->fifo_enabled) {
		s->fifo_enabled = enable;
		rx_clear(s);
	}
	/* The 16550 ignores the other FCR bits unless bit 0 is set. */
	if (!enable)
		return;
	if (v & FCR_CLEAR_RX)
		rx_clear(s);
	/* FCR_CLEAR_TX: the transmitter is always empty. */
	s->rx_trigger = rx_trigger_levels[v >> FCR_TRIGGER_SHIFT];
}

/*
 * Returns true when the byte must go to out_fd (the caller writes it after
 * dropping the lock).
 */
static bool reg_write(struct serial *s, unsigned int reg, uint8_t v)
{
	bool dlab = s->lcr & LCR_DLAB;
	bool to_host = false;

	switch (reg) {
	case UART_THR:
		if (dlab) {
			s->dll = v;
			break;
		}
		if (!loopback(s))
			to_host = true;
		else if (!rx_push(s, v))
			s->lsr_errors |= LSR_OE;
		/*
		 * The byte leaves at once, so THR empties again: drop the
		 * THR-empty interrupt and raise it anew, which gives an
		 * edge-triggered line a fresh edge for every byte.
		 */
		s->thr_ipending = false;
		update_irq(s);
		s->thr_ipending = true;
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		/*
		 * Enabling ETBEI while THR is empty raises the interrupt
		 * right away; Linux's 8250 driver depends on this to kick
		 * off transmission.
		 */
		if ((v & IER_ETBEI) && !(s->ier & IER_ETBEI))
			s->thr_ipending = true;
		s->ier = v & IER_MASK;
		break;
	case UART_FCR:
		write_fcr(s, v);
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & MCR_MASK;
		update_msr(s);
		break;
	case UART_LSR:
	case UART_MSR:
		device_log_guest(
			"serial 0x%x: write of 0x%02x to read-only %s ignored",
			s->port, v, reg == UART_LSR ? "LSR" : "MSR");
		break;
	case UART_SCR:
		s->scr = v;
		break;
	}
	update_irq(s);
	return to_host;
}

static void write_all(struct serial *s, const uint8_t *buf, size_t len)
{
	while (len && !s->out_failed) {
		ssize_t n = write(s->out_fd, buf, len);

		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Someone made the fd non-blocking; wait, never drop. */
			struct pollfd pfd = { .fd = s->out_fd,
					      .events = POLLOUT };

			poll(&pfd, 1, -1);
			continue;
		}
		/* EPIPE, EBADF, EIO...: nowhere left to put the output. */
		log_warn(
			"serial 0x%x: cannot write guest output: %s; discarding it from now on",
			s->port, n < 0 ? strerror(errno) : "short write");
		s->out_failed = true;
	}
}

/* Write bytes accepted under ticket, after everyone before it. */
static void output(struct serial *s, uint64_t ticket, const uint8_t *buf,
		   size_t len)
{
	pthread_mutex_lock(&s->out_lock);
	while (s->out_serving != ticket)
		pthread_cond_wait(&s->out_turn, &s->out_lock);
	write_all(s, buf, len);
	s->out_serving++;
	pthread_cond_broadcast(&s->out_turn);
	pthread_mutex_unlock(&s->out_lock);
}

/* What an access must remember to do once the lock is dropped. */
struct after {
	size_t room_before;
};

static void begin(struct serial *s, struct after *a)
{
	pthread_mutex_lock(&s->lock);
	a->room_before = rx_room_locked(s);
}

/*
 * Drop the lock and tell the console if room appeared in an RX FIFO that
 * had none: the console stops reading input while the FIFO is full. The
 * callback may call serial_receive(), so the lock must not be held.
 */
static void end(struct serial *s, struct after *a)
{
	void (*fn)(void *opaque) = NULL;
	void *opaque = NULL;

	if (a->room_before == 0 && rx_room_locked(s) > 0) {
		fn = s->rx_notify;
		opaque = s->rx_notify_opaque;
	}
	pthread_mutex_unlock(&s->lock);
	if (fn)
		fn(opaque);
}

/* Wider accesses are split into byte accesses, as the ISA bus does. */
static void serial_read(void *opaque, uint64_t offset, uint8_t *data,
			uint32_t len)
{
	struct serial *s = opaque;
	struct after a;
	uint32_t i;

	begin(s, &a);
	for (i = 0; i < len; i++) {
		uint64_t reg = offset + i;

		data[i] = reg < UART_NR_REGS ? reg_read(s, reg) : 0xff;
	}
	end(s, &a);
}

static void serial_write(void *opaque, uint64_t offset, const uint8_t *data,
			 uint32_t len)
{
	struct serial *s = opaque;
	uint8_t out[8];
	size_t nr_out = 0;
	uint64_t ticket = 0;
	struct after a;
	uint32_t i;

	begin(s, &a);
	for (i = 0; i < len && i < sizeof(out); i++) {
		uint64_t reg = offset + i;

		if (reg < UART_NR_REGS && reg_write(s, reg, data[i]))
			out[nr_out++] = data[i];
	}
	if (nr_out && s->out_fd >= 0)
		ticket = s->out_next++;
	else
		nr_out = 0;
	end(s, &a);
	if (nr_out)
		output(s, ticket, out, nr_out);
}

static const struct bus_ops serial_ops = {
	.read = serial_read,
	.write = serial_write,
};

static void serial_reset(struct serial *s)
{
	rx_clear(s);
	s->ier = 0;
	s->lcr = 0x03; /* 8N1 */
	s->mcr = 0;
	s->lsr_errors = 0;
	s->msr = 0;
	update_msr(s);
	s->msr &= ~MSR_DELTAS;
	s->scr = 0;
	s->dll = 0x0c; /* 9600 baud */
	s->dlm = 0;
	s->fifo_enabled = false;
	s->rx_trigger = 1;
	s->thr_ipending = false;
}

struct serial *serial_create(const struct device_env *env, uint16_t port,
			     unsigned int irq, int out_fd, struct errmsg *err)
{
	struct serial *s;
	int ret;

	if (!env || !env->pio) {
		errmsg_set(err, EINVAL, "serial 0x%x: no port I/O bus", port);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errmsg_set(err, ENOMEM, "serial 0x%x: out of memory", port);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->out_lock, NULL);
	pthread_cond_init(&s->out_turn, NULL);
	s->irq = env->irq;
	s->irq_line = irq;
	s->port = port;
	s->out_fd = out_fd;
	serial_reset(s);

	ret = bus_register(env->pio, port, UART_NR_REGS, &serial_ops, s,
			   "serial");
	if (ret < 0) {
		errmsg_set(err, -ret,
			   "cannot register the UART at 0x%x-0x%x: %s", port,
			   port + UART_NR_REGS - 1, strerror(-ret));
		serial_destroy(s);
		return NULL;
	}
	return s;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	pthread_cond_destroy(&s->out_turn);
	pthread_mutex_destroy(&s->out_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n, i;

	pthread_mutex_lock(&s->lock);
	n = rx_room_locked(s);
	if (n > len)
		n = len;
	for (i = 0; i < n; i++)
		rx_push(s, buf[i]);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t serial_rx_room(struct serial *s)
{
	size_t room;

	pthread_mutex_lock(&s->lock);
	room = rx_room_locked(s);
	pthread_mutex_unlock(&s->lock);
	return room;
}

void serial_set_rx_room_notify(struct serial *s, void (*fn)(void *opaque),
			       void *opaque)
{
	pthread_mutex_lock(&s->lock);
	s->rx_notify = fn;
	s->rx_notify_opaque = opaque;
	pthread_mutex_unlock(&s->lock);
}

/* COM1 as the console: the VM learns the UART through env->console_uart. */
static int com1_register(const struct device_env *env)
{
	struct errmsg err;
	struct serial *s;

	if (!env || !env->pio || !env->console_uart)
		return -EINVAL;
	s = serial_create(env, SERIAL_COM1_PORT, SERIAL_COM1_IRQ,
			  env->console_out_fd, &err);
	if (!s) /* the ports are taken, or out of memory */
		return bus_find(env->pio, SERIAL_COM1_PORT, UART_NR_REGS) ?
			       -EEXIST :
			       -ENOMEM;
	*env->console_uart = s;
	return 0;
}

const struct device_desc com1_device = { "COM1 (0x3f8-0x3ff)", com1_register };
