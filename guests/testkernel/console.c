// SPDX-License-Identifier: GPL-2.0-only
/* COM1 output, a small printf and the debug-exit port. */
#include "kernel.h"

#define COM1		0x3f8
#define UART_THR	0	/* transmit holding (DLAB=0) */
#define UART_DLL	0	/* divisor low (DLAB=1) */
#define UART_IER	1
#define UART_DLM	1	/* divisor high (DLAB=1) */
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_LSR_THRE	0x20
#define UART_LCR_DLAB	0x80
#define UART_LCR_8N1	0x03

#define DEBUG_EXIT_PORT	0xf4

/* One CPU prints a whole message at a time. */
static volatile u32 console_lock;

void serial_init(void)
{
	outb(COM1 + UART_IER, 0);		/* polled, no interrupts */
	outb(COM1 + UART_LCR, UART_LCR_DLAB);
	outb(COM1 + UART_DLL, 1);		/* 115200 = 115200 / 1 */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, UART_LCR_8N1);
	outb(COM1 + UART_FCR, 0x07);		/* enable and clear FIFOs */
	outb(COM1 + UART_MCR, 0x03);		/* DTR, RTS */
}

static void serial_putc(char c)
{
	/*
	 * Without a UART the port reads 0xff, so THRE looks set and we
	 * never spin here.
	 */
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		cpu_relax();
	outb(COM1 + UART_THR, c);
}

static void lock_console(void)
{
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock_console(void)
{
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

/*
 * The fatal exception path may interrupt a printf that holds the lock;
 * it must still get its message out.
 */
void console_break_lock(void)
{
	unlock_console();
}

static int put_str(const char *s, int width, bool left)
{
	int len = strlen(s), n = 0;

	for (; !left && len + n < width; n++)
		serial_putc(' ');
	for (; *s; s++, n++)
		serial_putc(*s);
	for (; left && n < width; n++)
		serial_putc(' ');
	return n;
}

static int put_num(u64 val, unsigned int base, bool neg, int width,
		   bool zero, bool left)
{
	char buf[24];
	int len = 0, n = 0;

	do {
		buf[len++] = "0123456789abcdef"[val % base];
		val /= base;
	} while (val);
	if (neg && zero) {
		serial_putc('-');
		n++;
		width--;
	}
	for (; !left && len + (neg && !zero) < width; width--, n++)
		serial_putc(zero ? '0' : ' ');
	if (neg && !zero) {
		serial_putc('-');
		n++;
	}
	while (len) {
		serial_putc(buf[--len]);
		n++;
	}
	for (; left && n < width; n++)
		serial_putc(' ');
	return n;
}

static int do_vprintf(const char *fmt, va_list ap)
{
	int n = 0;

	for (; *fmt; fmt++) {
		bool zero = false, left = false;
		int width = 0, lng = 0;
		u64 val;

		if (*fmt != '%') {
			serial_putc(*fmt);
			n++;
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				zero = true;
			else if (*fmt == '-')
				left = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}

		switch (*fmt) {
		case 'd':
		case 'i': {
			s64 sval = lng ? va_arg(ap, s64) : va_arg(ap, int);

			val = sval < 0 ? -(u64)sval : (u64)sval;
			n += put_num(val, 10, sval < 0, width, zero, left);
			break;
		}
		case 'u':
		case 'x':
			val = lng ? va_arg(ap, u64) : va_arg(ap, unsigned int);
			n += put_num(val, *fmt == 'u' ? 10 : 16, false, width,
				     zero, left);
			break;
		case 'p':
			n += put_str("0x", 0, false);
			n += put_num((u64)va_arg(ap, void *), 16, false, 16,
				     true, false);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			n += put_str(s ? s : "(null)", width, left);
			break;
		}
		case 'c':
			serial_putc((char)va_arg(ap, int));
			n++;
			break;
		case '%':
			serial_putc('%');
			n++;
			break;
		case '\0':
			return n;
		default:
			/* Unknown conversion: show it rather than guess. */
			serial_putc('%');
			serial_putc(*fmt);
			n += 2;
			break;
		}
	}
	return n;
}

int vprintf(const char *fmt, va_list ap)
{
	int n;

	lock_console();
	n = do_vprintf(fmt, ap);
	unlock_console();
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

/*
 * QEMU's isa-debug-exit turns the value into exit status
 * (code << 1) | 1.  Without such a device the write is ignored and the
 * CPU parks.
 */
void debug_exit(u32 code)
{
	outl(DEBUG_EXIT_PORT, code);
	halt_forever();
}
