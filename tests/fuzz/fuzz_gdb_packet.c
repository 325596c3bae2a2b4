// SPDX-License-Identifier: GPL-2.0
/*
 * The gdb stub's input: the packet layer alone, then the whole engine.
 *
 * Input: byte 0 picks how the rest is cut into writes to the stub (bits
 * 0-5: chunk size, 0 = one write); the rest is what gdb sends.
 *
 * 1. The bytes go through the receiver one at a time; every payload it
 *    completes is given to every parser, which must not read past it, and
 *    is framed again (as text and as binary) and received back unchanged.
 * 2. The same bytes go to a real stub over a socketpair, serving a VM with
 *    one vCPU whose fd is invalid (every vCPU ioctl fails, as for a vCPU
 *    that is gone) and 1 MiB of RAM, reachable with `monitor phys on`.
 *    Whatever arrives, the stub must answer with well-formed frames, '+'
 *    and '-', and never crash, hang or leak.
 */
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "debug/gdb_packet.h"
#include "debug/gdbstub.h"
#include "util/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define RAM (1ULL << 20)

static struct vm vm;
static struct vcpu cpu0;
static struct vcpu *cpus[1] = { &cpu0 };
static struct kvm_run run0;
static struct gdb_rx rx, rx2;

static void setup(void)
{
	log_verbosity = -1; /* quiet: the stub logs refusals */
	if (guest_memory_alloc(&vm.mem, RAM))
		abort();
	pthread_mutex_init(&vm.end_lock, NULL);
	pthread_mutex_init(&vm.pause_lock, NULL);
	pthread_cond_init(&vm.pause_cond, NULL);
	vm.fd = -1;
	vm.kvm.fd = -1;
	vm.end_efd = -1;
	vm.nr_vcpus = 1;
	vm.vcpus = cpus;
	cpu0.vm = &vm;
	cpu0.fd = -1;
	cpu0.run = &run0;
}

/* Every parser over one payload; the results must stay in bounds. */
static void parse_all(const char *p, size_t len)
{
	struct gdb_vcont_action acts[GDB_VCONT_MAX];
	uint8_t bin[GDB_PACKET_MAX];
	char copy[GDB_PACKET_MAX + 1], *words[16], *slice;
	struct gdb_zpacket z;
	struct gdb_qxfer x;
	const char *s, *rest;
	uint64_t a, l;
	long t, n;

	gdb_parse_z(p, &z);
	if (len > 5)
		gdb_parse_vcont(p + 5, acts, GDB_VCONT_MAX);
	if (gdb_parse_qxfer_read(p, &x)) {
		if (x.object + x.object_len > p + len ||
		    x.annex + x.annex_len > p + len)
			abort();
		slice = malloc(64);
		if (!slice)
			abort();
		if (gdb_qxfer_slice(p, len, x.offset, x.length, slice, 64) > 64)
			abort();
		free(slice);
	}
	if (len > 1 && gdb_parse_addr_len(p + 1, &a, &l, &rest)) {
		if (rest < p + 1 || rest > p + len)
			abort();
		n = gdb_unescape(rest, len - (rest - p), bin, sizeof(bin));
		if (n > (long)sizeof(bin))
			abort();
		n = gdb_hex_decode(rest, len - (rest - p), bin, sizeof(bin));
		if (n > (long)sizeof(bin))
			abort();
	}
	s = p + (len > 2 ? 2 : len);
	if (gdb_parse_thread_id(&s, &t) && (s > p + len || t < -1))
		abort();
	memcpy(copy, p, len + 1);
	n = gdb_split_words(copy, words, 16);
	if (n > 16)
		abort();
}

/* Framing what was received gives it back, text or binary. */
static void roundtrip(const char *p, size_t len)
{
	static char frame[GDB_FRAME_SIZE(GDB_PACKET_MAX)];
	static uint8_t back[GDB_PACKET_MAX];
	enum gdb_rx_event e = GDB_RX_NONE;
	size_t n, i;
	long u;

	n = gdb_frame(p, len, true, frame, sizeof(frame));
	if (!n)
		abort();
	gdb_rx_init(&rx2);
	for (i = 0; i < n; i++)
		e = gdb_rx_byte(&rx2, frame[i]);
	/* '$' and '#' are escaped in binary frames: always one packet. */
	if (e != GDB_RX_PACKET)
		abort();
	u = gdb_unescape(rx2.buf, rx2.len, back, sizeof(back));
	if (u != (long)len || memcmp(back, p, len))
		abort();
	if (memchr(p, '#', len) || memchr(p, '$', len))
		return;
	n = gdb_frame(p, len, false, frame, sizeof(frame));
	gdb_rx_init(&rx2);
	for (i = 0; i < n; i++)
		e = gdb_rx_byte(&rx2, frame[i]);
	if (e != GDB_RX_PACKET || rx2.len != len || memcmp(rx2.buf, p, len))
		abort();
}

/* The stub's replies: '+', '-' and "$...#xx" frames with good sums. */
static void check_replies(struct gdb_rx *out, const uint8_t *b, ssize_t n)
{
	ssize_t i;

	for (i = 0; i < n; i++) {
		enum gdb_rx_event e = gdb_rx_byte(out, b[i]);

		if (e == GDB_RX_BAD_CHECKSUM || e == GDB_RX_TOO_LONG ||
		    e == GDB_RX_INTERRUPT)
			abort();
	}
}

static void drain(int fd, struct gdb_rx *out)
{
	uint8_t buf[65536];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		check_replies(out, buf, n);
}

static void run_engine(const uint8_t *data, size_t size, size_t chunk)
{
	static struct gdb_rx out;
	struct errmsg err = { { 0 } };
	struct gdbstub *gs;
	size_t off = 0;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv))
		abort();
	if (gdbstub_open_conn(&gs, sv[0], &vm, &err))
		abort();
	gdb_rx_init(&out);
	while (off < size) {
		size_t n = chunk && chunk < size - off ? chunk : size - off;
		ssize_t w = send(sv[1], data + off, n, MSG_NOSIGNAL);

		if (w <= 0)
			break;
		off += w;
		gdbstub_handle(gs, sv[0], EPOLLIN);
		drain(sv[1], &out);
	}
	/* Whatever the socket still holds, and a chance to flush. */
	gdbstub_handle(gs, sv[0], EPOLLIN | EPOLLOUT);
	drain(sv[1], &out);
	gdbstub_close(gs);
	drain(sv[1], &out);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	size_t i, chunk;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1 || size > 4 * GDB_PACKET_MAX)
		return 0;
	chunk = data[0] & 0x3f;
	data++;
	size--;

	gdb_rx_init(&rx);
	for (i = 0; i < size; i++) {
		enum gdb_rx_event e = gdb_rx_byte(&rx, data[i]);

		if (rx.len > GDB_PACKET_MAX)
			abort();
		if (e == GDB_RX_PACKET) {
			if (rx.buf[rx.len] != '\0')
				abort();
			parse_all(rx.buf, rx.len);
			roundtrip(rx.buf, rx.len);
		}
	}

	/* The stub's state lives in the VM between inputs: reset it. */
	vm.end_requested = false;
	__atomic_store_n(&vm.pause_req, 0, __ATOMIC_SEQ_CST);
	memset(vm.mem.base, 0, RAM);
	run_engine(data, size, chunk);
	return 0;
}
