// SPDX-License-Identifier: GPL-2.0
/*
 * Breakpoints and watchpoints: software breakpoints (int3 planted in guest
 * RAM), the four debug registers, write watchpoints emulated by
 * single-stepping, KVM_SET_GUEST_DEBUG, the Z/z packets, and the vCPU
 * thread's side: deciding whether a debug exit is the stub's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/cpu_template.h"
#include "debug/gdbstub_int.h"
#include "util/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define X86_BP_VECTOR 3
#define X86_DB_VECTOR 1
#define DR6_BS (1ULL << 14)
#define DR7_FIXED (1ULL << 10) /* reads as 1 */
#define DR7_GE (1ULL << 9) /* exact data breakpoints on old CPUs */

/* Present in newer headers; the value is ABI. */
#ifndef KVM_GUESTDBG_BLOCKIRQ
#define KVM_GUESTDBG_BLOCKIRQ 0x00100000
#endif

bool gs_use_step_watch(const struct gdbstub *gs)
{
	if (gs->watch_mode == WATCH_HW)
		return false;
	if (gs->watch_mode == WATCH_STEP)
		return true;
	return !host_has_hw_virt();
}

static uint64_t dr7_bits(const struct hw_slot *s, int i)
{
	static const unsigned int rw[] = { 0, 0, 1, 3, 3 }; /* by Z type */
	unsigned int len;

	/* Z3 (read) has no DR7 encoding of its own: read/write is closest. */
	switch (s->len) {
	case 2:
		len = 1;
		break;
	case 8:
		len = 2;
		break;
	case 4:
		len = 3;
		break;
	default:
		len = 0;
		break;
	}
	if (s->type == 1)
		len = 0;
	return (1ULL << (2 * i)) | ((uint64_t)rw[s->type] << (16 + 4 * i)) |
	       ((uint64_t)len << (18 + 4 * i));
}

/*
 * Program one parked vCPU's guest debug from the tables: int3 reporting
 * while software breakpoints exist, the debug registers, and single-step
 * when asked (block_irq: no interrupt handler is entered by the step,
 * where KVM can do that).
 */
int gs_apply_debug(struct gdbstub *gs, struct vcpu *v, bool step,
		   bool block_irq)
{
	struct kvm_guest_debug dbg;
	uint64_t dr7 = 0;
	int i;

	memset(&dbg, 0, sizeof(dbg));
	if (gs->nr_bps)
		dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
	for (i = 0; i < HW_SLOTS; i++) {
		const struct hw_slot *s = &gs->hw[i];

		if (!s->used)
			continue;
		if (v->id == gs->mask_cpu && (gs->mask_slots & (1u << i)))
			continue;
		dbg.arch.debugreg[i] = s->addr;
		dr7 |= dr7_bits(s, i);
	}
	if (dr7) {
		dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
		dbg.arch.debugreg[7] = dr7 | DR7_FIXED | DR7_GE;
	}
	if (step) {
		dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
		if (block_irq && (gs->dbg_caps & KVM_GUESTDBG_BLOCKIRQ))
			dbg.control |= KVM_GUESTDBG_BLOCKIRQ;
	}
	if (ioctl(v->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0) {
		int e = errno;

		log_debug("gdb: vCPU %d: KVM_SET_GUEST_DEBUG 0x%x failed: %s",
			  v->id, dbg.control, strerror(e));
		return -e;
	}
	return 0;
}

struct sw_bp *gs_find_bp_gva(struct gdbstub *gs, uint64_t gva)
{
	int i;

	for (i = 0; i < gs->nr_bps; i++)
		if (gs->bps[i].gva == gva)
			return &gs->bps[i];
	return NULL;
}

static int sw_bp_insert(struct gdbstub *gs, uint64_t gva)
{
	static const uint8_t int3 = 0xcc;
	char why[256];
	struct sw_bp *b;
	uint64_t gpa;
	uint8_t orig;
	bool user;

	if (gs_find_bp_gva(gs, gva))
		return 0;
	if (gs->nr_bps == SW_BP_MAX) {
		gs_set_note(
			gs,
			"breakpoint at 0x%" PRIx64
			" refused: %d software breakpoints are the most the stub keeps",
			gva, SW_BP_MAX);
		return -ENOSPC;
	}
	/* Breakpoints are virtual even in physical mode: RIP is. */
	if (gs_translate_user(gs, gva, false, &gpa, &user, why, sizeof(why)) ||
	    guest_memory_read(&gs->vm->mem, gpa, &orig, 1)) {
		gs_set_note(
			gs,
			"breakpoint at 0x%" PRIx64
			" refused: %s; the code is not mapped (yet?) in vCPU %d's address space: use hbreak, which needs no mapping",
			gva, why[0] ? why : "not in guest RAM", gs->g_cpu);
		return -EFAULT;
	}
	/* Two virtual aliases of one byte share its original contents. */
	b = gs_find_bp_gpa(gs, gpa);
	if (b)
		orig = b->orig;
	pthread_mutex_lock(&gs->lock);
	b = &gs->bps[gs->nr_bps++];
	b->gva = gva;
	b->gpa = gpa;
	b->orig = orig;
	b->lifted = false;
	b->user = user;
	pthread_mutex_unlock(&gs->lock);
	if (user && !host_has_hw_virt())
		log_info(
			"gdb: breakpoint at 0x%" PRIx64
			" is on a user-accessible page: on this host KVM does not report int3 executed at CPL 3, the guest would take that #BP itself",
			gva);
	guest_memory_write(&gs->vm->mem, gpa, &int3, 1);
	return 0;
}

static void sw_bp_remove_at(struct gdbstub *gs, int i)
{
	struct sw_bp b = gs->bps[i];
	bool shared;

	pthread_mutex_lock(&gs->lock);
	gs->bps[i] = gs->bps[--gs->nr_bps];
	shared = gs_find_bp_gpa(gs, b.gpa) != NULL;
	pthread_mutex_unlock(&gs->lock);
	if (!b.lifted && !shared)
		guest_memory_write(&gs->vm->mem, b.gpa, &b.orig, 1);
}

static int sw_bp_remove(struct gdbstub *gs, uint64_t gva)
{
	int i;

	for (i = 0; i < gs->nr_bps; i++) {
		if (gs->bps[i].gva == gva) {
			sw_bp_remove_at(gs, i);
			return 0;
		}
	}
	return 0; /* removing what is not there is not an error for gdb */
}

static int free_slots(const struct gdbstub *gs)
{
	int i, n = 0;

	for (i = 0; i < HW_SLOTS; i++)
		n += !gs->hw[i].used;
	return n;
}

/*
 * A watch over [addr, addr + len) in naturally aligned pieces of 1, 2, 4
 * or 8 bytes, one debug register each. Returns the number of pieces, or
 * -1 when more than max would be needed.
 */
static int split_watch(uint64_t addr, uint64_t len, uint64_t *pa,
		       unsigned int *pl, int max)
{
	int n = 0;

	while (len) {
		unsigned int size = 8;

		while (size > 1 && ((addr & (size - 1)) || size > len))
			size >>= 1;
		if (n == max)
			return -1;
		pa[n] = addr;
		pl[n++] = size;
		addr += size;
		len -= size;
	}
	return n;
}

const char *gs_ztype_name(int type)
{
	static const char *const names[] = {
		"software breakpoint", "hardware breakpoint",
		"write watchpoint",    "read watchpoint",
		"access watchpoint",
	};

	return type >= 0 && type <= 4 ? names[type] : "?";
}

static int hw_insert(struct gdbstub *gs, int type, uint64_t addr, uint64_t len)
{
	uint64_t pa[HW_SLOTS];
	unsigned int pl[HW_SLOTS];
	int n, i, k;

	if (type == 1)
		len = 1;
	if (!len || len > 8 * HW_SLOTS) {
		gs_set_note(gs,
			    "%s at 0x%" PRIx64 " refused: length %" PRIu64
			    " (the debug registers watch 1 to %d bytes)",
			    gs_ztype_name(type), addr, len, 8 * HW_SLOTS);
		return -EINVAL;
	}
	for (i = 0; i < HW_SLOTS; i++)
		if (gs->hw[i].used && gs->hw[i].type == type &&
		    gs->hw[i].req_addr == addr && gs->hw[i].req_len == len)
			return 0;
	n = split_watch(addr, len, pa, pl, HW_SLOTS);
	if (n < 0 || n > free_slots(gs)) {
		gs_set_note(
			gs,
			"%s at 0x%" PRIx64 " (%" PRIu64
			" bytes) refused: it needs %s aligned debug registers and %d of the 4 are free",
			gs_ztype_name(type), addr, len,
			n < 0 ? "more than 4" : "more", free_slots(gs));
		return -ENOSPC;
	}
	pthread_mutex_lock(&gs->lock);
	for (i = 0, k = 0; i < HW_SLOTS && k < n; i++) {
		struct hw_slot *s = &gs->hw[i];

		if (s->used)
			continue;
		s->used = true;
		s->type = type;
		s->addr = pa[k];
		s->len = pl[k++];
		s->req_addr = addr;
		s->req_len = len;
	}
	pthread_mutex_unlock(&gs->lock);
	return 0;
}

static int hw_remove(struct gdbstub *gs, int type, uint64_t addr, uint64_t len)
{
	int i;

	if (type == 1)
		len = 1;
	pthread_mutex_lock(&gs->lock);
	for (i = 0; i < HW_SLOTS; i++) {
		struct hw_slot *s = &gs->hw[i];

		if (s->used && s->type == type && s->req_addr == addr &&
		    s->req_len == len)
			memset(s, 0, sizeof(*s));
	}
	pthread_mutex_unlock(&gs->lock);
	return 0;
}

static int sw_watch_insert(struct gdbstub *gs, int type, uint64_t addr,
			   uint64_t len)
{
	struct sw_watch *w = NULL;
	char why[256];
	uint64_t gpa;
	int i;

	if (type != 2) {
		gs_set_note(
			gs,
			"%s at 0x%" PRIx64
			" refused: on this host the stub emulates watchpoints by single-stepping and comparing memory, which sees writes only (data breakpoints do not fire under a KVM without VMX/SVM); use watch, or 'monitor watch-mode hw' to try the debug registers",
			gs_ztype_name(type), addr);
		return -EOPNOTSUPP;
	}
	if (!len || len > SW_WATCH_LEN_MAX || gs_page_left(addr) < len) {
		gs_set_note(
			gs,
			"watchpoint at 0x%" PRIx64 " refused: %" PRIu64
			" bytes; emulated watchpoints cover 1 to %d bytes within one page",
			addr, len, SW_WATCH_LEN_MAX);
		return -EINVAL;
	}
	for (i = 0; i < SW_WATCH_MAX; i++) {
		if (gs->sww[i].used && gs->sww[i].addr == addr &&
		    gs->sww[i].len == len)
			return 0;
		if (!gs->sww[i].used && !w)
			w = &gs->sww[i];
	}
	if (!w) {
		gs_set_note(gs,
			    "watchpoint at 0x%" PRIx64
			    " refused: %d emulated watchpoints at most",
			    addr, SW_WATCH_MAX);
		return -ENOSPC;
	}
	if (gs_translate(gs, addr, false, &gpa, why, sizeof(why)) ||
	    !guest_memory_ptr(&gs->vm->mem, gpa, len)) {
		gs_set_note(gs, "watchpoint at 0x%" PRIx64 " refused: %s", addr,
			    why[0] ? why : "not in guest RAM");
		return -EFAULT;
	}
	pthread_mutex_lock(&gs->lock);
	w->used = true;
	w->addr = addr;
	w->len = len;
	w->gpa = gpa;
	guest_memory_read(&gs->vm->mem, gpa, w->seen, len);
	gs->nr_sww++;
	pthread_mutex_unlock(&gs->lock);
	return 0;
}

static int sw_watch_remove(struct gdbstub *gs, uint64_t addr, uint64_t len)
{
	int i;

	pthread_mutex_lock(&gs->lock);
	for (i = 0; i < SW_WATCH_MAX; i++) {
		struct sw_watch *w = &gs->sww[i];

		if (w->used && w->addr == addr && w->len == len) {
			w->used = false;
			gs->nr_sww--;
		}
	}
	pthread_mutex_unlock(&gs->lock);
	return 0;
}

/* Under gs->lock: a watched region whose bytes changed, or NULL. */
static struct sw_watch *sw_watch_changed(struct gdbstub *gs)
{
	uint8_t now[SW_WATCH_LEN_MAX];
	int i;

	for (i = 0; i < SW_WATCH_MAX; i++) {
		struct sw_watch *w = &gs->sww[i];

		if (!w->used ||
		    guest_memory_read(&gs->vm->mem, w->gpa, now, w->len))
			continue;
		if (memcmp(now, w->seen, w->len)) {
			memcpy(w->seen, now, w->len);
			return w;
		}
	}
	return NULL;
}

/* Fresh reference values before the guest runs (gdb may have written). */
void gs_sw_watch_snapshot(struct gdbstub *gs)
{
	int i;

	pthread_mutex_lock(&gs->lock);
	for (i = 0; i < SW_WATCH_MAX; i++)
		if (gs->sww[i].used)
			guest_memory_read(&gs->vm->mem, gs->sww[i].gpa,
					  gs->sww[i].seen, gs->sww[i].len);
	pthread_mutex_unlock(&gs->lock);
}

/* Put back what a step over a breakpoint took out. */
void gs_replant(struct gdbstub *gs)
{
	static const uint8_t int3 = 0xcc;
	int i;

	pthread_mutex_lock(&gs->lock);
	for (i = 0; i < gs->nr_bps; i++) {
		if (gs->bps[i].lifted) {
			gs->bps[i].lifted = false;
			guest_memory_write(&gs->vm->mem, gs->bps[i].gpa, &int3,
					   1);
		}
	}
	gs->mask_cpu = -1;
	gs->mask_slots = 0;
	pthread_mutex_unlock(&gs->lock);
}

/* Everything out of guest memory and the debug registers. VM stopped. */
void gs_remove_all(struct gdbstub *gs)
{
	int i;

	gs_replant(gs);
	while (gs->nr_bps)
		sw_bp_remove_at(gs, gs->nr_bps - 1);
	pthread_mutex_lock(&gs->lock);
	memset(gs->hw, 0, sizeof(gs->hw));
	memset(gs->sww, 0, sizeof(gs->sww));
	gs->nr_sww = 0;
	pthread_mutex_unlock(&gs->lock);
	for (i = 0; i < gs->vm->nr_vcpus; i++)
		gs_apply_debug(gs, gs->vm->vcpus[i], false, false);
}

/* ---- vCPU thread ---------------------------------------------------- */

static struct sw_bp *find_planted(struct gdbstub *gs, uint64_t gva)
{
	struct sw_bp *b = gs_find_bp_gva(gs, gva);

	return b && !b->lifted ? b : NULL;
}

/* Give the guest the #BP or #DB that was its own (KVM intercepted it). */
static void reinject(struct vcpu *vcpu, unsigned int vector, uint64_t dr6)
{
	struct kvm_debugregs dregs;
	int r;

	if (vector == X86_DB_VECTOR &&
	    ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &dregs) == 0) {
		/* DR6 as the CPU would have left it for the guest. */
		dregs.dr6 = dr6;
		ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &dregs);
	}
	r = vcpu_inject_exception(vcpu, vector, false, 0);
	if (r)
		log_warn(
			"gdb: vCPU %d: cannot give the guest its own exception %u: %s",
			vcpu->id, vector, strerror(-r));
}

static enum gdb_stop_kind slot_kind(int type)
{
	switch (type) {
	case 1:
		return GDB_STOP_HWBREAK;
	case 2:
		return GDB_STOP_WATCH;
	case 3:
		return GDB_STOP_RWATCH;
	default:
		return GDB_STOP_AWATCH;
	}
}

/*
 * Classify a #DB. Returns true when it is the stub's and fills st (stop
 * set when the vCPUs must stop), false when it belongs to the guest.
 */
static bool classify_db(struct gdbstub *gs, struct vcpu *vcpu, uint64_t dr6,
			struct gdb_stop *st, bool *stop)
{
	bool stepping =
		(gs->state == GS_STEPPING || gs->state == GS_STEP_OVER) &&
		gs->step_cpu == vcpu->id;
	struct sw_watch *w;
	int i, exec = -1;

	/* Data breakpoints first: a step that wrote the data reports that. */
	for (i = 0; i < HW_SLOTS; i++) {
		const struct hw_slot *s = &gs->hw[i];

		if (!(dr6 & (1u << i)) || !s->used)
			continue;
		if (s->type == 1) {
			exec = i;
			continue;
		}
		st->kind = slot_kind(s->type);
		st->addr = s->addr;
		*stop = true;
		return true;
	}
	if ((dr6 & DR6_BS) &&
	    (stepping || (gs->state == GS_RUNNING && gs->nr_sww))) {
		w = gs->nr_sww ? sw_watch_changed(gs) : NULL;
		if (w) {
			st->kind = GDB_STOP_WATCH;
			st->addr = w->addr;
			*stop = true;
		} else {
			/* Not stepping for gdb: watch emulation goes on. */
			*stop = stepping;
		}
		return true;
	}
	if (exec >= 0) {
		st->kind = GDB_STOP_HWBREAK;
		*stop = true;
		return true;
	}
	return false;
}

bool gdbstub_vcpu_debug_exit(struct gdbstub *gs, struct vcpu *vcpu,
			     bool from_int3)
{
	struct gdb_stop st = { .sig = GDB_SIGTRAP, .thread = vcpu->id + 1 };
	struct kvm_debug_exit_arch *a = &vcpu->run->debug.arch;
	bool stop = false;
	struct kvm_regs regs;

	if (!gs)
		return false;
	pthread_mutex_lock(&gs->lock);
	if (gs->state == GS_IDLE) {
		pthread_mutex_unlock(&gs->lock);
		return false;
	}
	if (from_int3) {
		/* RIP is on the int3: KVM did not execute it. */
		if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
		    !find_planted(gs, regs.rip)) {
			pthread_mutex_unlock(&gs->lock);
			return false;
		}
		st.kind = GDB_STOP_SWBREAK;
		stop = true;
	} else if (a->exception == X86_BP_VECTOR) {
		if (!find_planted(gs, a->pc)) {
			pthread_mutex_unlock(&gs->lock);
			reinject(vcpu, X86_BP_VECTOR, 0);
			return true;
		}
		st.kind = GDB_STOP_SWBREAK;
		stop = true;
	} else if (a->exception == X86_DB_VECTOR) {
		if (!classify_db(gs, vcpu, a->dr6, &st, &stop)) {
			pthread_mutex_unlock(&gs->lock);
			reinject(vcpu, X86_DB_VECTOR, a->dr6);
			return true;
		}
	} else {
		pthread_mutex_unlock(&gs->lock);
		return false;
	}
	if (stop) {
		/*
		 * The first stop wins. A later breakpoint hit is not lost:
		 * breakpoints are faults, RIP has not moved, and this vCPU
		 * meets it again when it resumes.
		 */
		if (!gs->stop_pending && gs->state != GS_STOPPED) {
			gs->stop_pending = true;
			gs->pending = st;
			gs->pending_cpu = vcpu->id;
		}
		gs_request_all_stop(gs, vcpu);
	}
	pthread_mutex_unlock(&gs->lock);
	return true;
}

/* Z and z: insert and remove breakpoints and watchpoints. */
void gs_cmd_breakpoint(struct gdbstub *gs, const struct gdb_req *req)
{
	const char *pkt = req->pkt;
	struct gdb_zpacket z;
	int r;

	if (!gdb_parse_z(pkt, &z)) {
		gs_send_error(gs, EINVAL);
		return;
	}
	if (z.type == 0)
		r = z.insert ? sw_bp_insert(gs, z.addr) :
			       sw_bp_remove(gs, z.addr);
	else if (z.type >= 2 && gs->emulate_watch)
		r = z.insert ? sw_watch_insert(gs, z.type, z.addr, z.kind) :
			       sw_watch_remove(gs, z.addr, z.kind);
	else
		r = z.insert ? hw_insert(gs, z.type, z.addr, z.kind) :
			       hw_remove(gs, z.type, z.addr, z.kind);
	if (r)
		gs_send_error(gs, -r);
	else
		gs_send_packet(gs, "OK");
}
