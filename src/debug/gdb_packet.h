/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GDB remote serial protocol, the parts that need no VM: framing and
 * checksums, the byte-at-a-time receiver, binary escapes, hex, and the
 * parsers for the packets the stub understands. Everything here is a pure
 * function over caller-provided buffers (the receiver keeps its state in a
 * struct the caller owns), so it can be unit-tested and fuzzed without
 * /dev/kvm. The stub (src/debug/gdb_*.c, see gdbstub_int.h) uses it.
 *
 * Input comes from the network and is hostile: every parser bounds what it
 * reads by the NUL terminator or an explicit length, numbers are limited to
 * 64 bits (more digits are an error, never a silent wrap) and every output
 * buffer has a size.
 */
#ifndef KVMSCOPE_DEBUG_GDB_PACKET_H
#define KVMSCOPE_DEBUG_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Largest packet payload accepted, advertised as PacketSize: gdb never
 * sends more, and an 'M'/'X' of this size is plenty for loading code.
 */
#define GDB_PACKET_MAX 0x4000

/* Worst-case frame for a payload of n bytes: '$', escapes, '#', 2 digits. */
#define GDB_FRAME_SIZE(n) (2 * (size_t)(n) + 4)

enum gdb_rx_event {
	GDB_RX_NONE, /* byte consumed; nothing complete yet */
	GDB_RX_PACKET, /* rx->buf holds a payload whose checksum matched */
	GDB_RX_BAD_CHECKSUM, /* a whole packet arrived with a wrong checksum */
	GDB_RX_TOO_LONG, /* a whole packet longer than GDB_PACKET_MAX */
	GDB_RX_ACK, /* '+' between packets */
	GDB_RX_NACK, /* '-' between packets: resend the last packet */
	GDB_RX_INTERRUPT, /* 0x03 between packets (Ctrl-C) */
};

struct gdb_rx {
	int state;
	size_t len; /* payload bytes kept */
	bool overflow; /* payload exceeded GDB_PACKET_MAX: dropped */
	uint8_t sum; /* running checksum of the payload */
	uint8_t csum; /* the two digits after '#', as received */
	/* Payload, NUL-terminated when GDB_RX_PACKET is returned. */
	char buf[GDB_PACKET_MAX + 1];
};

void gdb_rx_init(struct gdb_rx *rx);
/*
 * Feed one received byte. Bytes outside a packet other than '+', '-' and
 * 0x03 are ignored, and a '$' inside a packet restarts it (gdb resends
 * whole packets, so a lost '#' must not swallow the next one). The payload
 * is kept raw: escapes are undone by the packet handlers that carry binary
 * data ('X'), since checksums cover the escaped form.
 */
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

/* Modulo-256 sum of the bytes: the protocol's checksum. */
uint8_t gdb_checksum(const void *data, size_t len);

/*
 * Frame a payload as "$payload#xx" into out. With binary, '#', '$', '}'
 * and '*' are escaped ('}' then the byte XOR 0x20), as replies carrying
 * raw bytes (qXfer) need; text replies never contain them. Returns the
 * frame's length, or 0 when it does not fit outsz (GDB_FRAME_SIZE(len)
 * always does). Nothing is NUL-terminated.
 */
size_t gdb_frame(const void *payload, size_t len, bool binary, char *out,
		 size_t outsz);

/*
 * Undo '}' escapes of binary data: in[0..inlen) into out. Returns the
 * number of bytes written, or -1 for a dangling '}' or when out is too
 * small.
 */
long gdb_unescape(const char *in, size_t inlen, uint8_t *out, size_t outsz);

/* Lower-case hex of len bytes into out (2 * len chars + NUL). */
void gdb_hex_encode(const void *data, size_t len, char *out);
/*
 * Decode exactly hexlen hex digits (hexlen must be even) into out. Returns
 * the number of bytes, or -1 for a bad digit, an odd length or too small
 * an out.
 */
long gdb_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outsz);

/*
 * Parse a hex number at *p (at least one digit; more than 16 significant
 * digits is an error) and advance *p past it. false, *p unchanged, on
 * error.
 */
bool gdb_parse_hex(const char **p, uint64_t *out);

/*
 * "ADDR,LEN" for m, M and X: *rest points past LEN (at ':' for M and X,
 * at the NUL for m). Returns false when malformed.
 */
bool gdb_parse_addr_len(const char *s, uint64_t *addr, uint64_t *len,
			const char **rest);

/*
 * A thread id as gdb writes it in H, T, vCont and qThreadExtraInfo: "-1"
 * (all), "0" (any) or a positive hex number. "pPID.TID" is accepted too
 * (only the TID is kept), though the stub does not ask for multiprocess.
 * On success *p is advanced past the id and *tid set (-1 all, 0 any).
 */
bool gdb_parse_thread_id(const char **p, long *tid);

/* Z / z: "Ztype,addr,kind" with an optional ";cond..." ignored. */
struct gdb_zpacket {
	bool insert; /* 'Z' (true) or 'z' */
	int type; /* 0 sw bp, 1 hw bp, 2 write, 3 read, 4 access watch */
	uint64_t addr;
	uint64_t kind; /* breakpoint kind (1 on x86) or watched length */
};
bool gdb_parse_z(const char *pkt, struct gdb_zpacket *z);

/* One vCont action: "c", "s", "Csig", "Ssig", "t", "r..." [":tid"]. */
struct gdb_vcont_action {
	char op; /* 'c', 's' or 't' ('C'/'S' map to 'c'/'s' with sig) */
	int sig; /* for C/S, else 0 */
	long tid; /* -1 when no thread was given (applies to the rest) */
};
#define GDB_VCONT_MAX 64
/*
 * Parse what follows "vCont" (";action[:tid]..."). Range stepping ('r')
 * is refused like any unknown action. Returns the number of actions, or
 * -1 when malformed or more than max.
 */
int gdb_parse_vcont(const char *s, struct gdb_vcont_action *acts, int max);

/*
 * "qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH". Pointers into the packet are
 * returned with their lengths (not NUL-terminated). false when malformed
 * or not a read.
 */
struct gdb_qxfer {
	const char *object;
	size_t object_len;
	const char *annex;
	size_t annex_len;
	uint64_t offset, length;
};
bool gdb_parse_qxfer_read(const char *pkt, struct gdb_qxfer *x);

/*
 * A qXfer read reply for doc[0..doclen) at offset/length: 'm' and the
 * slice when more follows, 'l' and the slice for the last one, "l" past
 * the end. Writes the unframed payload (to be framed as binary) into out
 * and returns its length; at most outsz bytes (the slice is shortened to
 * fit).
 */
size_t gdb_qxfer_slice(const char *doc, size_t doclen, uint64_t offset,
		       uint64_t length, char *out, size_t outsz);

/*
 * Split a line in place at spaces and tabs: at most max words; returns the
 * number, or -1 when there are more than max.
 */
int gdb_split_words(char *line, char **words, int max);

/* Why a vCPU stopped, for the stop reply. */
enum gdb_stop_kind {
	GDB_STOP_SIGNAL, /* plain: attach, step, Ctrl-C */
	GDB_STOP_SWBREAK, /* a software breakpoint (int3 the stub planted) */
	GDB_STOP_HWBREAK, /* an instruction breakpoint in a debug register */
	GDB_STOP_WATCH, /* write watchpoint */
	GDB_STOP_RWATCH, /* read watchpoint */
	GDB_STOP_AWATCH, /* access watchpoint */
};

struct gdb_stop {
	int sig; /* 5 SIGTRAP, 2 SIGINT */
	long thread; /* thread id (vCPU index + 1); <= 0 for none */
	enum gdb_stop_kind kind;
	uint64_t addr; /* data address for the watch kinds */
};

/*
 * "T05thread:1;swbreak:;" and friends. Returns the length like snprintf
 * (the text is cut, NUL-terminated, when size is too small).
 */
int gdb_format_stop(const struct gdb_stop *stop, char *out, size_t size);

#endif
