// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/serial.h"

#define COM1 SERIAL_COM1_PORT
#define RBR (COM1 + 0)
#define THR (COM1 + 0)
#define DLL (COM1 + 0)
#define IER (COM1 + 1)
#define DLM (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)
#define SCR (COM1 + 7)

/* Fake VM: two buses and an interrupt line recorder. */
static struct bus pio, mmio;
static int irq_level[16];
static int irq_rises[16];
static int irq_calls;
static struct device_env env;
static struct serial *uart;
static int notified;

static void record_irq(void *opaque, unsigned int irq, int level)
{
	assert_true(irq < 16);
	/* The UART drives the line only when its level changes. */
	assert_int_not_equal(irq_level[irq], level);
	if (level)
		irq_rises[irq]++;
	irq_level[irq] = level;
	irq_calls++;
}

static void reset_env(void)
{
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	memset(irq_level, 0, sizeof(irq_level));
	memset(irq_rises, 0, sizeof(irq_rises));
	irq_calls = 0;
	notified = 0;
	memset(&env, 0, sizeof(env));
	env.pio = &pio;
	env.mmio = &mmio;
	env.irq.set_level = record_irq;
	env.nr_cpus = 1;
}

static int setup(void **state)
{
	struct errmsg err;

	reset_env();
	uart = serial_create(&env, COM1, SERIAL_COM1_IRQ, -1, &err);
	assert_non_null(uart);
	return 0;
}

static int teardown(void **state)
{
	serial_destroy(uart);
	uart = NULL;
	bus_release(&pio);
	return 0;
}

static void outb(uint16_t port, uint8_t v)
{
	assert_true(bus_write(&pio, port, &v, 1));
}

static uint8_t inb(uint16_t port)
{
	uint8_t v = 0;

	assert_true(bus_read(&pio, port, &v, 1));
	return v;
}

static int level(void)
{
	return irq_level[SERIAL_COM1_IRQ];
}

static void test_create_conflict(void **state)
{
	struct errmsg err = { "" };

	assert_null(serial_create(&env, COM1 + 4, 3, -1, &err));
	assert_non_null(strstr(err.text, "0x3fc"));
	assert_non_null(strstr(err.text, "exists"));
}

static void test_divisor_latch(void **state)
{
	outb(LCR, 0x83);
	outb(DLL, 0x01);
	outb(DLM, 0x02);
	assert_int_equal(inb(DLL), 0x01);
	assert_int_equal(inb(DLM), 0x02);
	assert_int_equal(inb(LCR), 0x83);
	/* DLAB off: offsets 0 and 1 are RBR and IER again. */
	outb(LCR, 0x03);
	assert_int_equal(inb(IER), 0x00);
	outb(IER, 0xff);
	assert_int_equal(inb(IER), 0x0f);
	outb(LCR, 0x83);
	assert_int_equal(inb(DLM), 0x02);
	outb(LCR, 0x03);
	assert_int_equal(inb(IER), 0x0f);
}

static void test_lcr_mcr_scr(void **state)
{
	outb(LCR, 0x1b);
	assert_int_equal(inb(LCR), 0x1b);
	outb(MCR, 0x0b);
	assert_int_equal(inb(MCR), 0x0b);
	outb(MCR, 0xff);
	assert_int_equal(inb(MCR), 0x1f);
	outb(MCR, 0x00);
	outb(SCR, 0xa5);
	assert_int_equal(inb(SCR), 0xa5);
	/* Reset state: idle line, empty transmitter. */
	assert_int_equal(inb(LSR), 0x60);
	assert_int_equal(inb(MSR) & 0xf0, 0xb0);
	assert_int_equal(inb(IIR), 0x01);
}

static void test_thre_interrupt(void **state)
{
	assert_int_equal(level(), 0);
	/* Enabling ETBEI with THR empty raises the interrupt at once. */
	outb(IER, 0x02);
	assert_int_equal(level(), 1);
	assert_int_equal(inb(IIR), 0x02);
	/* That read acknowledged it. */
	assert_int_equal(level(), 0);
	assert_int_equal(inb(IIR), 0x01);
	/* Rewriting IER without a 0 -> 1 change does not re-raise. */
	outb(IER, 0x02);
	assert_int_equal(level(), 0);

	/* Each byte written raises it again, with a fresh edge. */
	outb(THR, 'a');
	assert_int_equal(level(), 1);
	assert_int_equal(irq_rises[SERIAL_COM1_IRQ], 2);
	outb(THR, 'b');
	assert_int_equal(level(), 1);
	assert_int_equal(irq_rises[SERIAL_COM1_IRQ], 3);
	assert_int_equal(inb(IIR), 0x02);
	assert_int_equal(level(), 0);

	/* Disabling and re-enabling ETBEI raises it again (Linux's probe). */
	outb(IER, 0x00);
	outb(IER, 0x02);
	assert_int_equal(inb(IIR), 0x02);
	outb(IER, 0x00);
	assert_int_equal(level(), 0);
	outb(THR, 'c');
	assert_int_equal(level(), 0);
	assert_int_equal(inb(LSR) & 0x60, 0x60);
}

static void test_iir_priorities(void **state)
{
	uint8_t v;

	/* Loopback lets the guest side create every interrupt source. */
	outb(MCR, 0x10);
	outb(IER, 0x0f);
	/* THRE pending (ETBEI enabled) and MSR deltas (lines dropped). */
	assert_int_equal(inb(IIR), 0x02);
	assert_int_equal(inb(IIR), 0x00);
	outb(THR, 0x41);
	/* RX data beats THRE; FIFOs are off, so one byte fills RBR. */
	assert_int_equal(inb(IIR), 0x04);
	outb(THR, 0x42);
	/* The second byte overran: line status beats everything. */
	assert_int_equal(inb(IIR), 0x06);
	assert_int_equal(level(), 1);
	v = inb(LSR);
	assert_int_equal(v, 0x63); /* TEMT, THRE, OE, DR */
	/* Reading LSR cleared OE. */
	assert_int_equal(inb(LSR), 0x61);
	assert_int_equal(inb(IIR), 0x04);
	assert_int_equal(inb(RBR), 0x41);
	assert_int_equal(inb(LSR), 0x60);
	/* The THR writes re-armed THRE after the earlier acknowledgement. */
	assert_int_equal(inb(IIR), 0x02);
	/* Modem status is last, cleared by reading MSR. */
	assert_int_equal(inb(IIR), 0x00);
	assert_int_equal(level(), 1);
	v = inb(MSR);
	assert_int_not_equal(v & 0x0f, 0);
	assert_int_equal(inb(MSR) & 0x0f, 0);
	assert_int_equal(inb(IIR), 0x01);
	assert_int_equal(level(), 0);
	/* Disabled sources do not show. */
	outb(IER, 0x00);
	outb(THR, 0x43);
	assert_int_equal(inb(IIR), 0x01);
	assert_int_equal(level(), 0);
}

static void test_rx_fifo(void **state)
{
	uint8_t in[20];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = 'A' + i;
	outb(FCR, 0x07); /* enable, clear both, trigger 1 */
	assert_int_equal(inb(IIR), 0xc1);
	assert_int_equal(serial_rx_room(uart), 16);
	assert_int_equal(serial_receive(uart, in, sizeof(in)), 16);
	assert_int_equal(serial_rx_room(uart), 0);
	assert_int_equal(serial_receive(uart, in, 1), 0);
	assert_int_equal(inb(LSR) & 0x03, 0x01); /* DR, no overrun */
	assert_int_equal(level(), 0);
	outb(IER, 0x01);
	assert_int_equal(level(), 1);
	assert_int_equal(inb(IIR), 0xc4);
	for (i = 0; i < 16; i++)
		assert_int_equal(inb(RBR), 'A' + i);
	assert_int_equal(inb(LSR) & 0x01, 0);
	assert_int_equal(inb(IIR), 0xc1);
	assert_int_equal(level(), 0);
	/* Empty RBR keeps returning the last byte. */
	assert_int_equal(inb(RBR), 'A' + 15);

	/* Below a trigger level of 14, data reports as a timeout. */
	outb(FCR, 0xc1);
	assert_int_equal(serial_receive(uart, in, 5), 5);
	assert_int_equal(inb(IIR), 0xcc);
	assert_int_equal(serial_receive(uart, in, 9), 9);
	assert_int_equal(inb(IIR), 0xc4);

	/* FCR bit 1 empties the RX FIFO. */
	outb(FCR, 0xc3);
	assert_int_equal(inb(LSR) & 0x01, 0);
	assert_int_equal(inb(IIR), 0xc1);
	assert_int_equal(serial_rx_room(uart), 16);

	/* Turning the FIFOs off empties them too and leaves one byte. */
	assert_int_equal(serial_receive(uart, in, 3), 3);
	outb(FCR, 0x00);
	assert_int_equal(inb(IIR), 0x01);
	assert_int_equal(inb(LSR) & 0x01, 0);
	assert_int_equal(serial_receive(uart, in, 3), 1);
	assert_int_equal(inb(IIR), 0x04);
	assert_int_equal(inb(RBR), 'A');
	/* With FIFOs off, other FCR bits are ignored. */
	outb(FCR, 0xc0);
	assert_int_equal(inb(IIR) & 0xc0, 0);
}

static void test_loopback(void **state)
{
	const uint8_t host = 'h';

	/* Linux's 8250 probe: LOOP | OUT2 | RTS must read back DCD | CTS. */
	outb(MCR, 0x1a);
	assert_int_equal(inb(MSR) & 0xf0, 0x90);
	outb(MCR, 0x15); /* LOOP | OUT1 | DTR */
	assert_int_equal(inb(MSR) & 0xf0, 0x60);
	outb(MCR, 0x10);
	/* DSR fell (delta) and RI fell (trailing edge). */
	assert_int_equal(inb(MSR), 0x06);

	/* The receiver is cut off from the host while looping back. */
	assert_int_equal(serial_rx_room(uart), 0);
	assert_int_equal(serial_receive(uart, &host, 1), 0);

	outb(FCR, 0x01);
	outb(THR, 'x');
	outb(THR, 'y');
	assert_int_equal(inb(LSR) & 0x01, 0x01);
	assert_int_equal(inb(RBR), 'x');
	assert_int_equal(inb(RBR), 'y');

	/* Leaving loopback: idle lines again, room for the host again. */
	outb(MCR, 0x0b);
	assert_int_equal(inb(MSR) & 0xf0, 0xb0);
	assert_int_equal(notified, 0);
	assert_int_equal(serial_receive(uart, &host, 1), 1);
	assert_int_equal(inb(RBR), 'h');
}

static void test_output_to_pipe(void **state)
{
	struct errmsg err;
	struct serial *s;
	char buf[16];
	int fds[2];
	uint8_t two[2] = { 'o', 0x00 };

	serial_destroy(uart);
	uart = NULL;
	reset_env();
	assert_int_equal(pipe(fds), 0);
	s = serial_create(&env, COM1, SERIAL_COM1_IRQ, fds[1], &err);
	assert_non_null(s);
	uart = s;
	outb(THR, 'h');
	outb(THR, 'i');
	/* A 2-byte write is THR then IER, as the ISA bus splits it. */
	assert_true(bus_write(&pio, THR, two, 2));
	/* Divisor writes and loopback bytes never reach the host. */
	outb(LCR, 0x83);
	outb(DLL, 'X');
	outb(LCR, 0x03);
	outb(MCR, 0x10);
	outb(THR, 'Y');
	outb(MCR, 0x00);
	outb(THR, '\n');
	close(fds[1]);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(read(fds[0], buf, sizeof(buf)), 4);
	assert_string_equal(buf, "hio\n");
	close(fds[0]);
}

static void on_room(void *opaque)
{
	const uint8_t more = 'z';

	notified++;
	/* The lock must not be held: the console may push input right away. */
	assert_int_equal(serial_receive(uart, &more, 1), 1);
}

static void test_rx_room_notify(void **state)
{
	uint8_t in[16];

	memset(in, 'q', sizeof(in));
	serial_set_rx_room_notify(uart, on_room, NULL);
	outb(FCR, 0x01);
	assert_int_equal(serial_receive(uart, in, 16), 16);
	assert_int_equal(inb(RBR), 'q');
	assert_int_equal(notified, 1);
	/* The callback refilled the FIFO; the next read frees a slot again. */
	assert_int_equal(serial_rx_room(uart), 0);
	assert_int_equal(inb(RBR), 'q');
	assert_int_equal(notified, 2);
	/* Reads from a FIFO that was not full do not notify. */
	serial_set_rx_room_notify(uart, NULL, NULL);
	assert_int_equal(inb(RBR), 'q');
	serial_set_rx_room_notify(uart, on_room, NULL);
	assert_int_equal(inb(RBR), 'q');
	assert_int_equal(notified, 2);
	/* Clearing a full FIFO through FCR makes room as well. */
	serial_set_rx_room_notify(uart, NULL, NULL);
	assert_int_equal(serial_receive(uart, in, 16), 2);
	serial_set_rx_room_notify(uart, on_room, NULL);
	outb(FCR, 0x03);
	assert_int_equal(notified, 3);
}

#define WRITERS 4
#define BYTES_EACH 2000

static void *writer(void *arg)
{
	uint8_t c = (uint8_t)(uintptr_t)arg;
	int i;

	for (i = 0; i < BYTES_EACH; i++)
		assert_true(bus_write(&pio, THR, &c, 1));
	return NULL;
}

/* Several vCPUs writing at once: nothing lost, no deadlock. */
static void test_concurrent_output(void **state)
{
	pthread_t t[WRITERS];
	struct errmsg err;
	int counts[WRITERS] = { 0 };
	uint8_t buf[4096];
	int fds[2], total = 0, i;
	ssize_t n;

	serial_destroy(uart);
	reset_env();
	assert_int_equal(pipe(fds), 0);
	/* Small pipe: writers block and must queue behind each other. */
	fcntl(fds[1], F_SETPIPE_SZ, 4096);
	uart = serial_create(&env, COM1, SERIAL_COM1_IRQ, fds[1], &err);
	assert_non_null(uart);
	outb(IER, 0x02);
	for (i = 0; i < WRITERS; i++)
		pthread_create(&t[i], NULL, writer, (void *)(uintptr_t)i);
	while (total < WRITERS * BYTES_EACH) {
		n = read(fds[0], buf, sizeof(buf));
		assert_true(n > 0);
		for (i = 0; i < n; i++) {
			assert_true(buf[i] < WRITERS);
			counts[buf[i]]++;
		}
		total += n;
	}
	for (i = 0; i < WRITERS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(counts[i], BYTES_EACH);
	}
	close(fds[0]);
	close(fds[1]);
}

#define FLOW_BYTES 20000

static pthread_mutex_t flow_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flow_cond = PTHREAD_COND_INITIALIZER;
static int flow_room;

static void flow_notify(void *opaque)
{
	pthread_mutex_lock(&flow_lock);
	flow_room = 1;
	pthread_cond_signal(&flow_cond);
	pthread_mutex_unlock(&flow_lock);
}

/* The console side: push input, sleep until the guest makes room. */
static void *flow_console(void *arg)
{
	uint8_t buf[FLOW_BYTES];
	size_t sent = 0;
	int i;

	for (i = 0; i < FLOW_BYTES; i++)
		buf[i] = i & 0xff;
	while (sent < FLOW_BYTES) {
		pthread_mutex_lock(&flow_lock);
		flow_room = 0;
		pthread_mutex_unlock(&flow_lock);
		sent += serial_receive(uart, buf + sent, FLOW_BYTES - sent);
		if (sent == FLOW_BYTES)
			break;
		pthread_mutex_lock(&flow_lock);
		while (!flow_room)
			pthread_cond_wait(&flow_cond, &flow_lock);
		pthread_mutex_unlock(&flow_lock);
	}
	return NULL;
}

/*
 * Input flow control between the console thread and a polling guest: no
 * byte lost or reordered, and no lost wake-up leaves the console asleep.
 */
static void test_console_flow(void **state)
{
	pthread_t console;
	int got = 0;

	serial_set_rx_room_notify(uart, flow_notify, NULL);
	outb(FCR, 0x01);
	pthread_create(&console, NULL, flow_console, NULL);
	while (got < FLOW_BYTES) {
		if (!(inb(LSR) & 0x01))
			continue;
		assert_int_equal(inb(RBR), got & 0xff);
		got++;
	}
	pthread_join(console, NULL);
	assert_int_equal(inb(LSR) & 0x01, 0);
}

/* A broken output fd must not hang or crash the vCPU. */
static void test_output_error(void **state)
{
	struct errmsg err;
	int fds[2];

	serial_destroy(uart);
	reset_env();
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	uart = serial_create(&env, COM1, SERIAL_COM1_IRQ, fds[1], &err);
	assert_non_null(uart);
	signal(SIGPIPE, SIG_IGN);
	outb(THR, 'a');
	outb(THR, 'b');
	assert_int_equal(inb(LSR) & 0x60, 0x60);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_conflict, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_divisor_latch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lcr_mcr_scr, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_thre_interrupt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_iir_priorities, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rx_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_to_pipe, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rx_room_notify, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_output, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_console_flow, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_output_error, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
