/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gdb stub's private header: the state every part of the stub shares
 * (struct gdbstub) and what the parts call of each other. Not for use
 * outside src/debug/gdb_*.c; the public API is gdbstub.h.
 *
 * The parts: gdb_server.c (sockets, the connection, output, attaching),
 * gdb_cmds.c (the packet table), gdb_run.c (run control, stop replies,
 * threads, holds), gdb_break.c (breakpoints, watchpoints, guest debug and
 * the vCPU-thread debug exit), gdb_mem.c (guest memory), gdb_reg_access.c
 * (vCPU registers; the layout is arch/x86/gdb_regs.c) and gdb_monitor.c
 * (qRcmd).
 *
 * Run states. IDLE: no gdb, the stub does nothing. STOPPED: gdb is
 * connected and every vCPU is parked. RUNNING: vCPUs released by a
 * continue. STEPPING: one vCPU released for gdb's single step. STEP_OVER:
 * one vCPU released to step off the breakpoint it stopped at, before a
 * continue releases everything (gdb normally removes breakpoints before
 * stepping over them itself; this covers clients that keep them in).
 *
 * Locking. gs->lock guards what vCPU threads read or write in
 * gdbstub_vcpu_debug_exit: the breakpoint tables, the run state and the
 * pending stop. The main thread changes the tables only while every vCPU
 * is parked, and never holds the lock across vm_hold(), which waits for
 * vCPU threads that may be waiting for the lock.
 */
#ifndef KVMSCOPE_DEBUG_GDBSTUB_INT_H
#define KVMSCOPE_DEBUG_GDBSTUB_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debug/gdb_packet.h"
#include "debug/gdbstub.h"
#include "util/unix_listener.h"
#include "vmm/runstate.h"

#define SW_BP_MAX 256
#define HW_SLOTS 4
#define SW_WATCH_MAX 8
#define SW_WATCH_LEN_MAX 64

#define GDB_SIGINT 2
#define GDB_SIGTRAP 5
#define GDB_SIGSEGV 11

enum run_state {
	GS_IDLE,
	GS_STOPPED,
	GS_RUNNING,
	GS_STEPPING,
	GS_STEP_OVER,
};

enum watch_mode {
	WATCH_AUTO, /* debug registers with VMX/SVM, else single-stepping */
	WATCH_HW,
	WATCH_STEP,
};

struct sw_bp {
	uint64_t gva, gpa;
	uint8_t orig; /* the byte 0xcc replaced */
	bool lifted; /* original byte back for a step over it */
	bool user; /* on a page CPL 3 code can execute */
};

/* One debug register. A watch gdb asks for may take several (alignment). */
struct hw_slot {
	bool used;
	int type; /* Z type: 1 exec, 2 write, 3 read, 4 access */
	uint64_t addr;
	unsigned int len;
	uint64_t req_addr, req_len; /* the Z packet it belongs to */
};

/* A write watchpoint emulated by single-stepping: the bytes last seen. */
struct sw_watch {
	bool used;
	uint64_t addr, len, gpa;
	uint8_t seen[SW_WATCH_LEN_MAX];
};

struct gdbstub {
	struct vm *vm;
	int listen_fd, conn_fd, efd;
	struct unix_listener ul; /* unix:PATH mode; ul.fd is listen_fd */
	bool is_unix;
	struct event_loop *loop; /* NULL until gdbstub_watch */
	bool listening; /* a state listener is registered */
	char where[160]; /* what we listen on, for messages */
	gdbstub_formatter fmt;
	unsigned int dbg_caps; /* KVM_CAP_SET_GUEST_DEBUG2: flags KVM knows */

	/* Protocol, main thread only. */
	struct gdb_rx rx;
	bool noack;
	char *out;
	size_t out_len, out_cap;
	bool out_armed; /* EPOLLOUT requested */
	char *last; /* last packet sent, for '-' */
	size_t last_len;
	int g_cpu; /* registers and memory */
	int c_cpu; /* 's'/'c' without vCont; -1 all */
	bool phys; /* m/M/X take guest-physical addresses */
	enum watch_mode watch_mode;
	char note[320]; /* why the last request was refused */
	uint8_t *plan; /* per vCPU: 1 = released by the pending continue */
	bool plan_all;
	struct gdb_stop last_stop; /* reported to gdb */
	int last_stop_cpu;
	uint64_t last_stop_rip;
	int mask_cpu; /* the stepping vCPU runs without... */
	unsigned int mask_slots; /* ...these debug registers */

	pthread_mutex_t lock;
	enum run_state state;
	int step_cpu;
	bool stop_pending;
	struct gdb_stop pending;
	int pending_cpu;
	struct sw_bp bps[SW_BP_MAX];
	int nr_bps;
	struct hw_slot hw[HW_SLOTS];
	struct sw_watch sww[SW_WATCH_MAX];
	int nr_sww;
	bool emulate_watch; /* resolved watch_mode */
};

/* One packet from gdb, as the command table hands it to a handler. */
struct gdb_req {
	const char *pkt; /* the whole payload, NUL-terminated */
	size_t len; /* payload bytes (X data may hold NULs) */
	const char *args; /* pkt after the table row's name */
};

typedef void (*gdb_cmd_fn)(struct gdbstub *gs, const struct gdb_req *req);

/* gdb_server.c: output and the connection */
void gs_send_packet_len(struct gdbstub *gs, const char *payload, size_t len,
			bool binary);
void gs_send_packet(struct gdbstub *gs, const char *payload);
void gs_send_error(struct gdbstub *gs, int errnum);
void gs_send_console(struct gdbstub *gs, const char *text, size_t len);
void gs_console_printf(struct gdbstub *gs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gs_set_note(struct gdbstub *gs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gs_flush_out(struct gdbstub *gs);
void gs_disconnect(struct gdbstub *gs, const char *why);
void gs_kill_vm(struct gdbstub *gs, bool reply);

/* gdb_cmds.c */
void gs_handle_packet(struct gdbstub *gs, const char *pkt, size_t len);

/* gdb_run.c: run control */
void gs_request_all_stop(struct gdbstub *gs, struct vcpu *self);
void gs_set_state(struct gdbstub *gs, enum run_state st, int step_cpu);
uint64_t gs_vcpu_rip(struct vcpu *v);
void gs_send_stop(struct gdbstub *gs, const struct gdb_stop *st);
void gs_on_vcpu_event(struct gdbstub *gs);
void gs_interrupt(struct gdbstub *gs);
void gs_attach_stop(struct gdbstub *gs);
void gs_on_vm_state(void *opaque, const struct vm_state_event *ev);
bool gs_valid_thread(struct gdbstub *gs, long tid);
void gs_cmd_stop_reason(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_resume_legacy(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_vcont(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_set_thread(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_thread_alive(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_current_thread(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_thread_info_first(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_thread_info_next(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_thread_extra(struct gdbstub *gs, const struct gdb_req *req);

/* gdb_break.c: breakpoints, watchpoints, guest debug */
bool gs_use_step_watch(const struct gdbstub *gs);
int gs_apply_debug(struct gdbstub *gs, struct vcpu *v, bool step,
		   bool block_irq);
struct sw_bp *gs_find_bp_gva(struct gdbstub *gs, uint64_t gva);
const char *gs_ztype_name(int type);
void gs_sw_watch_snapshot(struct gdbstub *gs);
void gs_replant(struct gdbstub *gs);
void gs_remove_all(struct gdbstub *gs);
void gs_cmd_breakpoint(struct gdbstub *gs, const struct gdb_req *req);

/* gdb_mem.c: guest memory */
int gs_translate_user(struct gdbstub *gs, uint64_t gva, bool phys_ok,
		      uint64_t *gpa, bool *user, char *why, size_t whylen);
size_t gs_mem_read(struct gdbstub *gs, uint64_t addr, uint8_t *buf,
		   size_t len, bool phys_ok, char *why, size_t whylen);
int gs_translate(struct gdbstub *gs, uint64_t gva, bool phys_ok, uint64_t *gpa,
		 char *why, size_t whylen);
uint64_t gs_page_left(uint64_t gva);
struct sw_bp *gs_find_bp_gpa(struct gdbstub *gs, uint64_t gpa);
void gs_cmd_read_mem(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_write_mem_hex(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_write_mem_bin(struct gdbstub *gs, const struct gdb_req *req);

/* gdb_reg_access.c: registers and the target description */
void gs_cmd_read_regs(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_write_regs(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_read_reg(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_write_reg(struct gdbstub *gs, const struct gdb_req *req);
void gs_cmd_xfer(struct gdbstub *gs, const struct gdb_req *req);

/* gdb_monitor.c */
void gs_cmd_monitor(struct gdbstub *gs, const struct gdb_req *req);

#endif
