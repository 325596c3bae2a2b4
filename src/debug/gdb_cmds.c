// SPDX-License-Identifier: GPL-2.0
/*
 * The packet table: which handler answers which gdb packet, and whether
 * the packet needs every vCPU parked. One row per packet; the first row
 * whose name matches wins, a packet no row names gets the empty reply
 * ("not supported"). Also the small packets with no home elsewhere
 * (qSupported, QStartNoAckMode, D, k).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "debug/gdbstub_int.h"

enum gdb_match {
	MATCH_EXACT, /* the whole packet is the name */
	MATCH_PREFIX, /* the packet starts with the name; args follow */
};

struct gdb_cmd {
	const char *name;
	enum gdb_match match;
	gdb_cmd_fn fn;
	/*
	 * Refused (EBUSY) unless every vCPU is parked for gdb: all-stop gdb
	 * waits for the stop reply first, other clients must too.
	 */
	bool stopped;
};

static void cmd_supported(struct gdbstub *gs, const struct gdb_req *req)
{
	char buf[160];

	snprintf(
		buf, sizeof(buf),
		"PacketSize=%x;qXfer:features:read+;vContSupported+;swbreak+;hwbreak+;QStartNoAckMode+",
		GDB_PACKET_MAX);
	gs_send_packet(gs, buf);
}

/* The VM existed before gdb: detaching leaves it running. */
static void cmd_attached(struct gdbstub *gs, const struct gdb_req *req)
{
	gs_send_packet(gs, "1");
}

static void cmd_offsets(struct gdbstub *gs, const struct gdb_req *req)
{
	gs_send_packet(gs, "Text=0;Data=0;Bss=0");
}

static void cmd_ok(struct gdbstub *gs, const struct gdb_req *req)
{
	gs_send_packet(gs, "OK");
}

static void cmd_no_ack(struct gdbstub *gs, const struct gdb_req *req)
{
	gs_send_packet(gs, "OK");
	/* gdb acks this reply; nothing after it. */
	gs->noack = true;
}

static void cmd_vcont_query(struct gdbstub *gs, const struct gdb_req *req)
{
	gs_send_packet(gs, "vCont;c;C;s;S;t");
}

static void cmd_detach(struct gdbstub *gs, const struct gdb_req *req)
{
	gs_send_packet(gs, "OK");
	gs_flush_out(gs);
	gs_disconnect(gs, "gdb detached");
}

static void cmd_vkill(struct gdbstub *gs, const struct gdb_req *req)
{
	gs_kill_vm(gs, true);
}

/* 'k' has no reply. */
static void cmd_kill(struct gdbstub *gs, const struct gdb_req *req)
{
	gs_kill_vm(gs, false);
}

static const struct gdb_cmd commands[] = {
	/* Stop reason, registers, memory. */
	{ "?", MATCH_EXACT, gs_cmd_stop_reason, false },
	{ "g", MATCH_EXACT, gs_cmd_read_regs, true },
	{ "G", MATCH_PREFIX, gs_cmd_write_regs, true },
	{ "p", MATCH_PREFIX, gs_cmd_read_reg, true },
	{ "P", MATCH_PREFIX, gs_cmd_write_reg, true },
	{ "m", MATCH_PREFIX, gs_cmd_read_mem, true },
	{ "M", MATCH_PREFIX, gs_cmd_write_mem_hex, true },
	{ "X", MATCH_PREFIX, gs_cmd_write_mem_bin, true },
	/* Breakpoints and watchpoints. */
	{ "Z", MATCH_PREFIX, gs_cmd_breakpoint, true },
	{ "z", MATCH_PREFIX, gs_cmd_breakpoint, true },
	/* Run control. */
	{ "c", MATCH_PREFIX, gs_cmd_resume_legacy, true },
	{ "C", MATCH_PREFIX, gs_cmd_resume_legacy, true },
	{ "s", MATCH_PREFIX, gs_cmd_resume_legacy, true },
	{ "S", MATCH_PREFIX, gs_cmd_resume_legacy, true },
	{ "vCont?", MATCH_EXACT, cmd_vcont_query, false },
	{ "vCont;", MATCH_PREFIX, gs_cmd_vcont, true },
	/* Threads. */
	{ "H", MATCH_PREFIX, gs_cmd_set_thread, false },
	{ "T", MATCH_PREFIX, gs_cmd_thread_alive, false },
	{ "qC", MATCH_EXACT, gs_cmd_current_thread, false },
	{ "qfThreadInfo", MATCH_EXACT, gs_cmd_thread_info_first, false },
	{ "qsThreadInfo", MATCH_EXACT, gs_cmd_thread_info_next, false },
	{ "qThreadExtraInfo,", MATCH_PREFIX, gs_cmd_thread_extra, false },
	/* Session. */
	{ "qSupported", MATCH_PREFIX, cmd_supported, false },
	{ "QStartNoAckMode", MATCH_EXACT, cmd_no_ack, false },
	{ "qAttached", MATCH_EXACT, cmd_attached, false },
	{ "qAttached:", MATCH_PREFIX, cmd_attached, false },
	{ "qOffsets", MATCH_EXACT, cmd_offsets, false },
	{ "qSymbol:", MATCH_PREFIX, cmd_ok, false },
	{ "qXfer:", MATCH_PREFIX, gs_cmd_xfer, false },
	{ "qRcmd,", MATCH_PREFIX, gs_cmd_monitor, false },
	{ "D", MATCH_PREFIX, cmd_detach, false },
	{ "vKill", MATCH_PREFIX, cmd_vkill, true },
	{ "k", MATCH_PREFIX, cmd_kill, false },
};

static const struct gdb_cmd *find_command(const char *pkt)
{
	size_t i, n;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct gdb_cmd *c = &commands[i];

		n = strlen(c->name);
		if (strncmp(pkt, c->name, n))
			continue;
		if (c->match == MATCH_EXACT && pkt[n])
			continue;
		return c;
	}
	return NULL;
}

void gs_handle_packet(struct gdbstub *gs, const char *pkt, size_t len)
{
	const struct gdb_cmd *c = find_command(pkt);
	struct gdb_req req = { .pkt = pkt, .len = len };

	if (!c) {
		gs_send_packet(gs, "");
		return;
	}
	if (c->stopped && gs->state != GS_STOPPED) {
		gs_send_error(gs, EBUSY);
		return;
	}
	req.args = pkt + strlen(c->name);
	c->fn(gs, &req);
}
