// SPDX-License-Identifier: GPL-2.0
/*
 * GDB remote protocol framing and parsing; see gdb_packet.h. No VM, no
 * I/O: the caller feeds bytes in and sends what comes out.
 */
#include <stdio.h>
#include <string.h>

#include "debug/gdb_packet.h"
#include "util/parse.h"

enum {
	RX_IDLE, /* between packets */
	RX_DATA, /* after '$' */
	RX_CSUM1, /* after '#' */
	RX_CSUM2, /* after the first checksum digit */
};

void gdb_rx_init(struct gdb_rx *rx)
{
	rx->state = RX_IDLE;
	rx->len = 0;
	rx->overflow = false;
	rx->sum = 0;
	rx->csum = 0;
	rx->buf[0] = '\0';
}

static void rx_start(struct gdb_rx *rx)
{
	rx->state = RX_DATA;
	rx->len = 0;
	rx->overflow = false;
	rx->sum = 0;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
	int d;

	switch (rx->state) {
	case RX_IDLE:
		if (c == '$')
			rx_start(rx);
		else if (c == '+')
			return GDB_RX_ACK;
		else if (c == '-')
			return GDB_RX_NACK;
		else if (c == 0x03)
			return GDB_RX_INTERRUPT;
		return GDB_RX_NONE;
	case RX_DATA:
		if (c == '$') {
			rx_start(rx);
		} else if (c == '#') {
			rx->state = RX_CSUM1;
		} else {
			rx->sum += c;
			if (rx->len < GDB_PACKET_MAX)
				rx->buf[rx->len++] = c;
			else
				rx->overflow = true;
		}
		return GDB_RX_NONE;
	case RX_CSUM1:
	case RX_CSUM2:
		d = parse_hex_digit(c);
		if (d < 0) {
			bool overflow = rx->overflow;

			/* Not a checksum: a broken frame. Resync on '$'. */
			rx->state = RX_IDLE;
			if (c == '$')
				rx_start(rx);
			return overflow ? GDB_RX_TOO_LONG : GDB_RX_BAD_CHECKSUM;
		}
		if (rx->state == RX_CSUM1) {
			rx->csum = d << 4;
			rx->state = RX_CSUM2;
			return GDB_RX_NONE;
		}
		rx->csum |= d;
		rx->state = RX_IDLE;
		rx->buf[rx->len] = '\0';
		if (rx->overflow)
			return GDB_RX_TOO_LONG;
		return rx->csum == rx->sum ? GDB_RX_PACKET :
					     GDB_RX_BAD_CHECKSUM;
	}
	/* A corrupted state cannot come from bytes; start over. */
	gdb_rx_init(rx);
	return GDB_RX_NONE;
}

uint8_t gdb_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

static const char hexchars[] = "0123456789abcdef";

static bool needs_escape(uint8_t c)
{
	return c == '#' || c == '$' || c == '}' || c == '*';
}

size_t gdb_frame(const void *payload, size_t len, bool binary, char *out,
		 size_t outsz)
{
	const uint8_t *p = payload;
	size_t i, o = 0;
	uint8_t sum = 0;

	if (outsz < 4)
		return 0;
	out[o++] = '$';
	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (binary && needs_escape(c)) {
			if (o + 2 > outsz - 3)
				return 0;
			out[o++] = '}';
			sum += '}';
			c ^= 0x20;
		} else if (o + 1 > outsz - 3) {
			return 0;
		}
		out[o++] = c;
		sum += c;
	}
	out[o++] = '#';
	out[o++] = hexchars[sum >> 4];
	out[o++] = hexchars[sum & 15];
	return o;
}

long gdb_unescape(const char *in, size_t inlen, uint8_t *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; i < inlen; i++) {
		uint8_t c = in[i];

		if (c == '}') {
			if (++i == inlen)
				return -1;
			c = in[i] ^ 0x20;
		}
		if (o == outsz)
			return -1;
		out[o++] = c;
	}
	return o;
}

void gdb_hex_encode(const void *data, size_t len, char *out)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hexchars[p[i] >> 4];
		out[2 * i + 1] = hexchars[p[i] & 15];
	}
	out[2 * len] = '\0';
}

long gdb_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outsz)
{
	size_t i;

	if (hexlen % 2 || hexlen / 2 > outsz)
		return -1;
	for (i = 0; i < hexlen; i += 2) {
		int hi = parse_hex_digit(hex[i]),
		    lo = parse_hex_digit(hex[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = hi << 4 | lo;
	}
	return hexlen / 2;
}

bool gdb_parse_hex(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int d, digits = 0;

	while ((d = parse_hex_digit(*s)) >= 0) {
		/* Leading zeros are free; 17 significant digits overflow. */
		if (v >> 60)
			return false;
		v = v << 4 | d;
		digits++;
		s++;
	}
	if (!digits)
		return false;
	*out = v;
	*p = s;
	return true;
}

bool gdb_parse_addr_len(const char *s, uint64_t *addr, uint64_t *len,
			const char **rest)
{
	if (!gdb_parse_hex(&s, addr) || *s++ != ',' || !gdb_parse_hex(&s, len))
		return false;
	*rest = s;
	return true;
}

bool gdb_parse_thread_id(const char **p, long *tid)
{
	const char *s = *p;
	uint64_t v;

	if (s[0] == '-' && s[1] == '1') {
		*tid = -1;
		*p = s + 2;
		return true;
	}
	if (*s == 'p') {
		/* pPID.TID: the process part must be sane, only TID is kept. */
		s++;
		if (s[0] == '-' && s[1] == '1')
			s += 2;
		else if (!gdb_parse_hex(&s, &v))
			return false;
		if (*s != '.') {
			/* "pPID" alone means all threads of that process. */
			*tid = -1;
			*p = s;
			return true;
		}
		s++;
		if (s[0] == '-' && s[1] == '1') {
			*tid = -1;
			*p = s + 2;
			return true;
		}
	}
	if (!gdb_parse_hex(&s, &v) || v > 0x7fffffff)
		return false;
	*tid = (long)v;
	*p = s;
	return true;
}

bool gdb_parse_z(const char *pkt, struct gdb_zpacket *z)
{
	const char *s = pkt;

	if (*s != 'Z' && *s != 'z')
		return false;
	z->insert = *s++ == 'Z';
	if (*s < '0' || *s > '4')
		return false;
	z->type = *s++ - '0';
	if (*s++ != ',' || !gdb_parse_hex(&s, &z->addr) || *s++ != ',' ||
	    !gdb_parse_hex(&s, &z->kind))
		return false;
	/*
	 * Conditions and commands (";X...") are for the stub to evaluate;
	 * we do not claim ConditionalBreakpoints, so gdb never sends them.
	 */
	return *s == '\0' || *s == ';';
}

int gdb_parse_vcont(const char *s, struct gdb_vcont_action *acts, int max)
{
	int n = 0;

	if (!*s)
		return -1;
	while (*s) {
		struct gdb_vcont_action a = { .tid = -1 };
		uint64_t sig;

		if (*s++ != ';' || n == max)
			return -1;
		switch (*s) {
		case 'c':
		case 's':
		case 't':
			a.op = *s++;
			break;
		case 'C':
		case 'S':
			a.op = *s++ == 'C' ? 'c' : 's';
			if (!gdb_parse_hex(&s, &sig) || sig > 0xff)
				return -1;
			a.sig = (int)sig;
			break;
		default:
			return -1;
		}
		if (*s == ':') {
			s++;
			if (!gdb_parse_thread_id(&s, &a.tid))
				return -1;
			/* "any thread" makes no sense as a target here. */
			if (a.tid == 0)
				return -1;
		}
		acts[n++] = a;
	}
	return n;
}

/* The next ':'-terminated field of s, or NULL. */
static const char *field(const char *s, size_t *len)
{
	const char *colon = strchr(s, ':');

	if (!colon)
		return NULL;
	*len = colon - s;
	return colon + 1;
}

bool gdb_parse_qxfer_read(const char *pkt, struct gdb_qxfer *x)
{
	const char *s, *next;
	size_t len;

	if (strncmp(pkt, "qXfer:", 6))
		return false;
	s = pkt + 6;
	next = field(s, &len);
	if (!next || !len)
		return false;
	x->object = s;
	x->object_len = len;
	s = next;
	next = field(s, &len);
	if (!next || len != 4 || strncmp(s, "read", 4))
		return false;
	s = next;
	next = field(s, &len);
	if (!next)
		return false;
	x->annex = s;
	x->annex_len = len;
	s = next;
	if (!gdb_parse_hex(&s, &x->offset) || *s++ != ',' ||
	    !gdb_parse_hex(&s, &x->length) || *s)
		return false;
	return true;
}

size_t gdb_qxfer_slice(const char *doc, size_t doclen, uint64_t offset,
		       uint64_t length, char *out, size_t outsz)
{
	uint64_t avail, n;

	if (outsz < 1)
		return 0;
	if (offset >= doclen) {
		out[0] = 'l';
		return 1;
	}
	avail = doclen - offset;
	n = length < avail ? length : avail;
	if (n > outsz - 1)
		n = outsz - 1;
	out[0] = offset + n < doclen ? 'm' : 'l';
	memcpy(out + 1, doc + offset, n);
	return n + 1;
}

int gdb_split_words(char *line, char **words, int max)
{
	int n = 0;

	for (;;) {
		while (*line == ' ' || *line == '\t')
			*line++ = '\0';
		if (!*line)
			return n;
		if (n == max)
			return -1;
		words[n++] = line;
		while (*line && *line != ' ' && *line != '\t')
			line++;
	}
}

int gdb_format_stop(const struct gdb_stop *stop, char *out, size_t size)
{
	const char *what = NULL;
	char thread[32] = "";
	int n;

	if (stop->thread > 0)
		snprintf(thread, sizeof(thread), "thread:%lx;", stop->thread);
	switch (stop->kind) {
	case GDB_STOP_SIGNAL:
		break;
	case GDB_STOP_SWBREAK:
		return snprintf(out, size, "T%02x%sswbreak:;", stop->sig & 0xff,
				thread);
	case GDB_STOP_HWBREAK:
		return snprintf(out, size, "T%02x%shwbreak:;", stop->sig & 0xff,
				thread);
	case GDB_STOP_WATCH:
		what = "watch";
		break;
	case GDB_STOP_RWATCH:
		what = "rwatch";
		break;
	case GDB_STOP_AWATCH:
		what = "awatch";
		break;
	}
	if (what)
		n = snprintf(out, size, "T%02x%s%s:%llx;", stop->sig & 0xff,
			     thread, what, (unsigned long long)stop->addr);
	else
		n = snprintf(out, size, "T%02x%s", stop->sig & 0xff, thread);
	return n;
}
