// SPDX-License-Identifier: GPL-2.0
/* The gdb stub's protocol layer: framing, escapes, hex and packet parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/kvm.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "debug/gdb_packet.h"
#include "util/parse.h"
#include "debug/gdbstub.h"
#include "util/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

static struct gdb_rx rx;

/* Feed a string; return the last event that was not NONE. */
static enum gdb_rx_event feed(const char *s, size_t len)
{
	enum gdb_rx_event last = GDB_RX_NONE, e;
	size_t i;

	for (i = 0; i < len; i++) {
		e = gdb_rx_byte(&rx, (uint8_t)s[i]);
		if (e != GDB_RX_NONE)
			last = e;
	}
	return last;
}

#define FEED(s) feed(s, sizeof(s) - 1)

static void test_rx_packet(void **state)
{
	gdb_rx_init(&rx);
	/* "qC": 'q' 0x71 + 'C' 0x43 = 0xb4 */
	assert_int_equal(FEED("$qC#b4"), GDB_RX_PACKET);
	assert_string_equal(rx.buf, "qC");
	assert_int_equal(rx.len, 2);
	/* Upper-case checksum digits are fine too. */
	assert_int_equal(FEED("$qC#B4"), GDB_RX_PACKET);
	/* Empty packet: checksum 00. */
	assert_int_equal(FEED("$#00"), GDB_RX_PACKET);
	assert_string_equal(rx.buf, "");
}

static void test_rx_bad_checksum(void **state)
{
	gdb_rx_init(&rx);
	assert_int_equal(FEED("$qC#b5"), GDB_RX_BAD_CHECKSUM);
	/* A non-hex checksum digit is a broken frame. */
	assert_int_equal(FEED("$qC#zz"), GDB_RX_BAD_CHECKSUM);
	/* ... and the receiver is ready for the next one. */
	assert_int_equal(FEED("z$qC#b4"), GDB_RX_PACKET);
	assert_string_equal(rx.buf, "qC");
}

static void test_rx_controls(void **state)
{
	gdb_rx_init(&rx);
	assert_int_equal(gdb_rx_byte(&rx, '+'), GDB_RX_ACK);
	assert_int_equal(gdb_rx_byte(&rx, '-'), GDB_RX_NACK);
	assert_int_equal(gdb_rx_byte(&rx, 0x03), GDB_RX_INTERRUPT);
	assert_int_equal(gdb_rx_byte(&rx, 'x'), GDB_RX_NONE);
	/* Inside a packet these are data. */
	assert_int_equal(gdb_rx_byte(&rx, '$'), GDB_RX_NONE);
	assert_int_equal(gdb_rx_byte(&rx, '+'), GDB_RX_NONE);
	assert_int_equal(gdb_rx_byte(&rx, 0x03), GDB_RX_NONE);
	assert_int_equal(FEED("#2e"), GDB_RX_PACKET);
	assert_int_equal(rx.len, 2);
	assert_memory_equal(rx.buf, "+\x03", 2);
}

/* A '$' in the middle restarts: a lost '#' costs one packet, not two. */
static void test_rx_restart(void **state)
{
	gdb_rx_init(&rx);
	assert_int_equal(FEED("$garbage$qC#b4"), GDB_RX_PACKET);
	assert_string_equal(rx.buf, "qC");
}

static void test_rx_too_long(void **state)
{
	char *big = malloc(GDB_PACKET_MAX + 16);
	size_t i;

	assert_non_null(big);
	gdb_rx_init(&rx);
	big[0] = '$';
	for (i = 1; i < GDB_PACKET_MAX + 10; i++)
		big[i] = 'm';
	assert_int_equal(feed(big, GDB_PACKET_MAX + 10), GDB_RX_NONE);
	assert_int_equal(FEED("#00"), GDB_RX_TOO_LONG);
	/* Exactly GDB_PACKET_MAX bytes still fit. */
	for (i = 1; i <= GDB_PACKET_MAX; i++)
		big[i] = 'a';
	big[GDB_PACKET_MAX + 1] = '#';
	snprintf(big + GDB_PACKET_MAX + 2, 3, "%02x",
		 gdb_checksum(big + 1, GDB_PACKET_MAX));
	assert_int_equal(feed(big, GDB_PACKET_MAX + 4), GDB_RX_PACKET);
	assert_int_equal(rx.len, GDB_PACKET_MAX);
	free(big);
}

static void test_frame(void **state)
{
	char out[64];
	size_t n;

	n = gdb_frame("OK", 2, false, out, sizeof(out));
	assert_int_equal(n, 6);
	assert_memory_equal(out, "$OK#9a", 6);
	n = gdb_frame("", 0, false, out, sizeof(out));
	assert_memory_equal(out, "$#00", n);
	/* Binary: '#', '$', '}' and '*' go as '}' and the byte ^ 0x20. */
	n = gdb_frame("a#$}*", 5, true, out, sizeof(out));
	assert_int_equal(n, 1 + 9 + 3);
	assert_memory_equal(out, "$a}\x03}\x04}]}\x0a#", 11);
	/* The checksum covers the escaped bytes. */
	assert_int_equal((uint8_t)strtoul(out + 11, NULL, 16),
			 gdb_checksum(out + 1, 9));
	/* Too small: nothing. */
	assert_int_equal(gdb_frame("OK", 2, false, out, 5), 0);
	assert_int_equal(gdb_frame("#", 1, true, out, 5), 0);
	assert_int_equal(gdb_frame("OK", 2, false, out, 3), 0);
}

static void test_frame_worst_case(void **state)
{
	char payload[100], out[GDB_FRAME_SIZE(100)];

	memset(payload, '}', sizeof(payload));
	assert_int_equal(gdb_frame(payload, sizeof(payload), true, out,
				   sizeof(out)),
			 GDB_FRAME_SIZE(100));
}

static void test_unescape(void **state)
{
	uint8_t out[8];

	assert_int_equal(gdb_unescape("a}\x03}]", 5, out, sizeof(out)), 3);
	assert_memory_equal(out, "a#}", 3);
	/* A dangling escape. */
	assert_int_equal(gdb_unescape("ab}", 3, out, sizeof(out)), -1);
	/* Too small. */
	assert_int_equal(gdb_unescape("abc", 3, out, 2), -1);
	assert_int_equal(gdb_unescape("", 0, out, 0), 0);
}

static void test_hex(void **state)
{
	uint8_t bytes[4];
	char hex[9];

	gdb_hex_encode("\x00\xab\xff\x10", 4, hex);
	assert_string_equal(hex, "00abff10");
	assert_int_equal(gdb_hex_decode("00ABff10", 8, bytes, 4), 4);
	assert_memory_equal(bytes, "\x00\xab\xff\x10", 4);
	assert_int_equal(gdb_hex_decode("0", 1, bytes, 4), -1);
	assert_int_equal(gdb_hex_decode("0g", 2, bytes, 4), -1);
	assert_int_equal(gdb_hex_decode("0011223344", 10, bytes, 4), -1);
	assert_int_equal(parse_hex_digit('F'), 15);
	assert_int_equal(parse_hex_digit('x'), -1);
}

static void test_parse_hex(void **state)
{
	const char *s;
	uint64_t v;

	s = "ffffffffffffffff,";
	assert_true(gdb_parse_hex(&s, &v));
	assert_true(v == UINT64_MAX);
	assert_string_equal(s, ",");
	/* Leading zeros do not count against the 16 digits. */
	s = "0000000000000000001";
	assert_true(gdb_parse_hex(&s, &v));
	assert_int_equal(v, 1);
	/* 17 significant digits do not fit. */
	s = "10000000000000000";
	assert_false(gdb_parse_hex(&s, &v));
	assert_string_equal(s, "10000000000000000");
	s = "";
	assert_false(gdb_parse_hex(&s, &v));
	s = "-1";
	assert_false(gdb_parse_hex(&s, &v));
}

static void test_addr_len(void **state)
{
	const char *rest;
	uint64_t a, l;

	assert_true(gdb_parse_addr_len("ffffffff80001000,40", &a, &l, &rest));
	assert_true(a == 0xffffffff80001000ULL);
	assert_int_equal(l, 0x40);
	assert_string_equal(rest, "");
	assert_true(gdb_parse_addr_len("10,2:abcd", &a, &l, &rest));
	assert_string_equal(rest, ":abcd");
	assert_false(gdb_parse_addr_len("10", &a, &l, &rest));
	assert_false(gdb_parse_addr_len("10,", &a, &l, &rest));
	assert_false(gdb_parse_addr_len(",10", &a, &l, &rest));
}

static void test_thread_id(void **state)
{
	const char *s;
	long t;

	s = "-1";
	assert_true(gdb_parse_thread_id(&s, &t));
	assert_int_equal(t, -1);
	s = "0";
	assert_true(gdb_parse_thread_id(&s, &t));
	assert_int_equal(t, 0);
	s = "1f;";
	assert_true(gdb_parse_thread_id(&s, &t));
	assert_int_equal(t, 0x1f);
	assert_string_equal(s, ";");
	s = "p1.2";
	assert_true(gdb_parse_thread_id(&s, &t));
	assert_int_equal(t, 2);
	s = "p1.-1";
	assert_true(gdb_parse_thread_id(&s, &t));
	assert_int_equal(t, -1);
	s = "p1";
	assert_true(gdb_parse_thread_id(&s, &t));
	assert_int_equal(t, -1);
	s = "x";
	assert_false(gdb_parse_thread_id(&s, &t));
	s = "100000000";
	assert_false(gdb_parse_thread_id(&s, &t));
	s = "-2";
	assert_false(gdb_parse_thread_id(&s, &t));
}

static void test_z(void **state)
{
	struct gdb_zpacket z;

	assert_true(gdb_parse_z("Z0,101a50,1", &z));
	assert_true(z.insert);
	assert_int_equal(z.type, 0);
	assert_int_equal(z.addr, 0x101a50);
	assert_int_equal(z.kind, 1);
	assert_true(gdb_parse_z("z2,18e018,8", &z));
	assert_false(z.insert);
	assert_int_equal(z.type, 2);
	assert_int_equal(z.kind, 8);
	assert_true(gdb_parse_z("Z0,10,1;X2,ab", &z));
	assert_false(gdb_parse_z("Z5,10,1", &z));
	assert_false(gdb_parse_z("Z0,10", &z));
	assert_false(gdb_parse_z("Z0,10,1x", &z));
	assert_false(gdb_parse_z("Z", &z));
	assert_false(gdb_parse_z("Q0,10,1", &z));
}

static void test_vcont(void **state)
{
	struct gdb_vcont_action a[4];

	assert_int_equal(gdb_parse_vcont(";c", a, 4), 1);
	assert_int_equal(a[0].op, 'c');
	assert_int_equal(a[0].tid, -1);
	assert_int_equal(gdb_parse_vcont(";s:2;c", a, 4), 2);
	assert_int_equal(a[0].op, 's');
	assert_int_equal(a[0].tid, 2);
	assert_int_equal(a[1].op, 'c');
	assert_int_equal(a[1].tid, -1);
	assert_int_equal(gdb_parse_vcont(";C05:1;S0b:p1.2;t", a, 4), 3);
	assert_int_equal(a[0].op, 'c');
	assert_int_equal(a[0].sig, 5);
	assert_int_equal(a[1].op, 's');
	assert_int_equal(a[1].sig, 0xb);
	assert_int_equal(a[1].tid, 2);
	assert_int_equal(a[2].op, 't');
	assert_int_equal(gdb_parse_vcont("", a, 4), -1);
	assert_int_equal(gdb_parse_vcont(";", a, 4), -1);
	assert_int_equal(gdb_parse_vcont(";r1,2", a, 4), -1);
	assert_int_equal(gdb_parse_vcont(";c:0", a, 4), -1);
	assert_int_equal(gdb_parse_vcont(";c:", a, 4), -1);
	assert_int_equal(gdb_parse_vcont(";C", a, 4), -1);
	assert_int_equal(gdb_parse_vcont(";C100", a, 4), -1);
	assert_int_equal(gdb_parse_vcont(";c;c;c;c;c", a, 4), -1);
	assert_int_equal(gdb_parse_vcont("c", a, 4), -1);
}

static void test_qxfer(void **state)
{
	struct gdb_qxfer x;

	assert_true(gdb_parse_qxfer_read("qXfer:features:read:target.xml:0,ffb",
					 &x));
	assert_int_equal(x.object_len, 8);
	assert_memory_equal(x.object, "features", 8);
	assert_int_equal(x.annex_len, 10);
	assert_memory_equal(x.annex, "target.xml", 10);
	assert_int_equal(x.offset, 0);
	assert_int_equal(x.length, 0xffb);
	assert_true(gdb_parse_qxfer_read("qXfer:features:read::10,20", &x));
	assert_int_equal(x.annex_len, 0);
	assert_false(gdb_parse_qxfer_read("qXfer:features:write:a:0,1", &x));
	assert_false(gdb_parse_qxfer_read("qXfer:features:read:a:0", &x));
	assert_false(gdb_parse_qxfer_read("qXfer:features:read:a:0,1x", &x));
	assert_false(gdb_parse_qxfer_read("qXfer::read:a:0,1", &x));
	assert_false(gdb_parse_qxfer_read("qXfer:features", &x));
}

static void test_qxfer_slice(void **state)
{
	const char *doc = "0123456789";
	char out[16];
	size_t n;

	n = gdb_qxfer_slice(doc, 10, 0, 4, out, sizeof(out));
	assert_int_equal(n, 5);
	assert_memory_equal(out, "m0123", 5);
	n = gdb_qxfer_slice(doc, 10, 8, 4, out, sizeof(out));
	assert_memory_equal(out, "l89", n);
	n = gdb_qxfer_slice(doc, 10, 6, 4, out, sizeof(out));
	assert_memory_equal(out, "l6789", n);
	n = gdb_qxfer_slice(doc, 10, 10, 4, out, sizeof(out));
	assert_memory_equal(out, "l", n);
	n = gdb_qxfer_slice(doc, 10, UINT64_MAX, UINT64_MAX, out, sizeof(out));
	assert_memory_equal(out, "l", n);
	/* Clipped to the buffer: more follows. */
	n = gdb_qxfer_slice(doc, 10, 0, 100, out, 4);
	assert_memory_equal(out, "m012", n);
	assert_int_equal(gdb_qxfer_slice(doc, 10, 0, 1, out, 0), 0);
}

static void test_split_words(void **state)
{
	char line[] = "  translate\tcpu=0  gva=0x1000 ";
	char *w[4];
	char many[] = "a b c d e";

	assert_int_equal(gdb_split_words(line, w, 4), 3);
	assert_string_equal(w[0], "translate");
	assert_string_equal(w[1], "cpu=0");
	assert_string_equal(w[2], "gva=0x1000");
	assert_int_equal(gdb_split_words(many, w, 4), -1);
}

static void test_stop_reply(void **state)
{
	struct gdb_stop st = { .sig = 5, .thread = 2 };
	char out[64];

	gdb_format_stop(&st, out, sizeof(out));
	assert_string_equal(out, "T05thread:2;");
	st.kind = GDB_STOP_SWBREAK;
	gdb_format_stop(&st, out, sizeof(out));
	assert_string_equal(out, "T05thread:2;swbreak:;");
	st.kind = GDB_STOP_HWBREAK;
	st.thread = 0x1a;
	gdb_format_stop(&st, out, sizeof(out));
	assert_string_equal(out, "T05thread:1a;hwbreak:;");
	st.kind = GDB_STOP_WATCH;
	st.addr = 0x18e018;
	gdb_format_stop(&st, out, sizeof(out));
	assert_string_equal(out, "T05thread:1a;watch:18e018;");
	st.kind = GDB_STOP_RWATCH;
	gdb_format_stop(&st, out, sizeof(out));
	assert_string_equal(out, "T05thread:1a;rwatch:18e018;");
	st.kind = GDB_STOP_AWATCH;
	st.sig = 2;
	st.thread = 0;
	gdb_format_stop(&st, out, sizeof(out));
	assert_string_equal(out, "T02awatch:18e018;");
	/* Cut, but terminated. */
	assert_true(gdb_format_stop(&st, out, 4) > 3);
	assert_string_equal(out, "T02");
}

/*
 * The engine over a socketpair, serving a VM without vCPU threads: one
 * vCPU whose fd is invalid (its ioctls fail) and 1 MiB of RAM.
 */
static struct vm vm;
static struct vcpu cpu0;
static struct vcpu *cpus[1] = { &cpu0 };
static struct kvm_run run0;

struct engine {
	struct gdbstub *gs;
	int fd; /* the stub's end of the socketpair */
	int peer; /* gdb's end */
	struct gdb_rx rx;
	char console[4096]; /* 'O' output of the last exchange */
};

static int engine_setup(void **state)
{
	static struct engine e;
	struct errmsg err = { { 0 } };
	int sv[2];

	log_verbosity = -1;
	memset(&vm, 0, sizeof(vm));
	assert_int_equal(guest_memory_alloc(&vm.mem, 1 << 20), 0);
	pthread_mutex_init(&vm.end_lock, NULL);
	pthread_mutex_init(&vm.pause_lock, NULL);
	pthread_cond_init(&vm.pause_cond, NULL);
	vm.fd = vm.kvm.fd = vm.end_efd = -1;
	vm.nr_vcpus = 1;
	vm.vcpus = cpus;
	cpu0.vm = &vm;
	cpu0.fd = -1;
	cpu0.run = &run0;
	assert_int_equal(socketpair(AF_UNIX,
				    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				    0, sv),
			 0);
	assert_int_equal(gdbstub_open_conn(&e.gs, sv[0], &vm, &err), 0);
	e.fd = sv[0];
	e.peer = sv[1];
	gdb_rx_init(&e.rx);
	*state = &e;
	return 0;
}

static int engine_teardown(void **state)
{
	struct engine *e = *state;

	gdbstub_close(e->gs);
	close(e->peer);
	guest_memory_free(&vm.mem);
	return 0;
}

/* Send one packet; return the reply (console output collected). */
static const char *exchange(struct engine *e, const char *payload)
{
	char frame[GDB_FRAME_SIZE(GDB_PACKET_MAX)], buf[4096];
	size_t n = gdb_frame(payload, strlen(payload), false, frame,
			     sizeof(frame));
	size_t con = 0;
	ssize_t r, i;

	e->console[0] = '\0';
	assert_int_equal(send(e->peer, frame, n, 0), (ssize_t)n);
	for (;;) {
		gdbstub_handle(e->gs, e->fd, EPOLLIN);
		r = recv(e->peer, buf, sizeof(buf), MSG_DONTWAIT);
		assert_true(r > 0);
		for (i = 0; i < r; i++) {
			if (gdb_rx_byte(&e->rx, buf[i]) != GDB_RX_PACKET)
				continue;
			if (e->rx.buf[0] == 'O' && e->rx.buf[1] != 'K') {
				long k = gdb_hex_decode(
					e->rx.buf + 1, e->rx.len - 1,
					(uint8_t *)e->console + con,
					sizeof(e->console) - 1 - con);

				assert_true(k >= 0);
				con += k;
				e->console[con] = '\0';
				continue;
			}
			return e->rx.buf;
		}
	}
}

static const char *monitor(struct engine *e, const char *cmd)
{
	char pkt[256] = "qRcmd,";

	gdb_hex_encode(cmd, strlen(cmd), pkt + 6);
	return exchange(e, pkt);
}

static void test_engine_basics(void **state)
{
	struct engine *e = *state;

	assert_non_null(
		strstr(exchange(e, "qSupported:swbreak+"), "PacketSize=4000"));
	assert_string_equal(exchange(e, "?"), "T05thread:1;");
	assert_string_equal(exchange(e, "qC"), "QC1");
	assert_string_equal(exchange(e, "qfThreadInfo"), "m1");
	assert_string_equal(exchange(e, "qsThreadInfo"), "l");
	assert_string_equal(exchange(e, "qAttached"), "1");
	assert_string_equal(exchange(e, "qSymbol::"), "OK");
	assert_string_equal(exchange(e, "vCont?"), "vCont;c;C;s;S;t");
	assert_string_equal(exchange(e, "qNoSuchThing"), "");
	assert_string_equal(exchange(e, "T1"), "OK");
	assert_string_equal(exchange(e, "T2"), "E03");
	assert_string_equal(exchange(e, "Hg2"), "E03");
	/* vCPU state cannot be read (the fd is bad): an error, not junk. */
	assert_true(exchange(e, "g")[0] == 'E');
}

/* Every register of the 'g' packet is in target.xml, in order. */
static void test_engine_target_xml(void **state)
{
	static const char *const names[] = {
		"rax",	     "rsp", "r15",   "rip",   "eflags",	 "gs",
		"st7",	     "fop", "xmm15", "mxcsr", "fs_base", "gs_base",
		"k_gs_base", "cr0", "cr3",   "cr8",   "efer",
	};
	struct engine *e = *state;
	char *doc = calloc(1, 65536), pkt[64];
	const char *r, *prev = doc, *at;
	size_t len = 0, i;

	assert_non_null(doc);
	do {
		snprintf(pkt, sizeof(pkt),
			 "qXfer:features:read:target.xml:%zx,200", len);
		r = exchange(e, pkt);
		assert_true(r[0] == 'm' || r[0] == 'l');
		assert_true(len + e->rx.len < 65536);
		/* Text only: nothing needed escaping. */
		memcpy(doc + len, r + 1, e->rx.len - 1);
		len += e->rx.len - 1;
	} while (r[0] == 'm');
	assert_non_null(
		strstr(doc, "<architecture>i386:x86-64</architecture>"));
	assert_non_null(strstr(doc, "org.kvmscope.system"));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char want[32];

		snprintf(want, sizeof(want), "name=\"%s\"", names[i]);
		at = strstr(doc, want);
		assert_non_null(at);
		assert_true(at > prev);
		prev = at;
	}
	assert_string_equal(exchange(e, "qXfer:features:read:x.xml:0,10"),
			    "E00");
	free(doc);
}

static void test_engine_phys_memory(void **state)
{
	struct engine *e = *state;

	/* Virtual addresses need the vCPU's CR3, which it cannot give. */
	assert_string_equal(exchange(e, "m1000,4"), "E0e");
	monitor(e, "phys on");
	assert_non_null(strstr(e->console, "guest-physical"));
	assert_string_equal(exchange(e, "M1000,4:deadbeef"), "OK");
	assert_string_equal(exchange(e, "m1000,4"), "deadbeef");
	/* X: binary with escapes ('}' 0x5d is '}' ^ 0x20 = 0x7d). */
	assert_string_equal(exchange(e, "X1002,2:}]a"), "OK");
	assert_string_equal(exchange(e, "m1000,4"), "dead7d61");
	/* A read running off the end of RAM stops there. */
	assert_string_equal(exchange(e, "mffffe,4"), "0000");
	/* Writes are all or nothing. */
	assert_string_equal(exchange(e, "Mffffe,4:11223344"), "E0e");
	assert_string_equal(exchange(e, "mffffe,2"), "0000");
	assert_string_equal(exchange(e, "M1000,4:dead"), "E16");
}

static void test_engine_refusals_explained(void **state)
{
	struct engine *e = *state;

	/* Breakpoints are virtual even in physical mode: refused here. */
	monitor(e, "phys on");
	assert_string_equal(exchange(e, "Z0,1000,1"), "E0e");
	monitor(e, "info");
	assert_non_null(strstr(e->console,
			       "last refusal: breakpoint at 0x1000 refused"));
	assert_non_null(strstr(e->console, "hbreak"));
	/* Debug registers: four, aligned pieces. */
	monitor(e, "watch-mode hw");
	assert_string_equal(exchange(e, "Z2,1001,10"), "E1c");
	assert_string_equal(exchange(e, "Z2,1000,20"), "OK");
	assert_string_equal(exchange(e, "Z1,2000,1"), "E1c");
	assert_string_equal(exchange(e, "z2,1000,20"), "OK");
	assert_string_equal(exchange(e, "Z1,2000,1"), "OK");
	assert_string_equal(exchange(e, "Z4,3000,0"), "E16");
	/* Emulated watchpoints see writes only. */
	monitor(e, "watch-mode step");
	assert_string_equal(exchange(e, "Z3,3000,4"), "E5f");
	monitor(e, "no-such-command");
	assert_non_null(strstr(e->console, "unknown command"));
	monitor(e, "cont");
	assert_non_null(strstr(e->console, "run state"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rx_packet),
		cmocka_unit_test(test_rx_bad_checksum),
		cmocka_unit_test(test_rx_controls),
		cmocka_unit_test(test_rx_restart),
		cmocka_unit_test(test_rx_too_long),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_frame_worst_case),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_parse_hex),
		cmocka_unit_test(test_addr_len),
		cmocka_unit_test(test_thread_id),
		cmocka_unit_test(test_z),
		cmocka_unit_test(test_vcont),
		cmocka_unit_test(test_qxfer),
		cmocka_unit_test(test_qxfer_slice),
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_stop_reply),
		cmocka_unit_test_setup_teardown(test_engine_basics,
						engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_engine_target_xml,
						engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_engine_phys_memory,
						engine_setup, engine_teardown),
		cmocka_unit_test_setup_teardown(test_engine_refusals_explained,
						engine_setup, engine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
