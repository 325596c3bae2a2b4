// SPDX-License-Identifier: GPL-2.0
/*
 * The gdb stub: protocol engine (packets in, replies out) and its KVM glue
 * (vCPU state, guest memory through the page walker, breakpoints, guest
 * debug). See gdbstub.h for the threading model and the user-visible rules.
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
 * is parked, and never holds the lock across vm_pause(), which waits for
 * vCPU threads that may be waiting for the lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/commands.h"
#include "arch/x86/cpu_template.h"
#include "debug/gdb_packet.h"
#include "debug/gdbstub.h"
#include "arch/x86/pagewalk.h"
#include "util/log.h"
#include "vmm/diag.h"
#include "vmm/exit_status.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define SW_BP_MAX 256
#define HW_SLOTS 4
#define SW_WATCH_MAX 8
#define SW_WATCH_LEN_MAX 64
/*
 * Replies the socket has not taken yet: monitor output can be megabytes,
 * but a gdb that stops reading is dropped there.
 */
#define OUT_MAX (64u << 20)
#define MONITOR_CHUNK 1024 /* text bytes per 'O' packet */
#define CLOSE_FLUSH_MS 1000

#define GDB_SIGINT 2
#define GDB_SIGTRAP 5

#define X86_BP_VECTOR 3
#define X86_DB_VECTOR 1
#define DR6_BS (1ULL << 14)
#define DR7_FIXED (1ULL << 10) /* reads as 1 */
#define DR7_GE (1ULL << 9) /* exact data breakpoints on old CPUs */
#define MSR_KERNEL_GS_BASE 0xc0000102

/* Present in newer headers; the value is ABI. */
#ifndef KVM_GUESTDBG_BLOCKIRQ
#define KVM_GUESTDBG_BLOCKIRQ 0x00100000
#endif

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
	struct event_loop *loop; /* NULL until gdbstub_watch */
	char *unix_path;
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

static void disconnect(struct gdbstub *gs, const char *why);

/* ---- guest debug and vCPU control ------------------------------------ */

static bool use_step_watch(const struct gdbstub *gs)
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
static int apply_debug(struct gdbstub *gs, struct vcpu *v, bool step,
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

/*
 * vCPU thread: stop them all. This vCPU parks when it re-enters its loop
 * (pause is requested); the others are kicked out of KVM_RUN; the main
 * thread finishes the stop with vm_pause() when it reads the eventfd.
 */
static void request_all_stop(struct gdbstub *gs, struct vcpu *self)
{
	struct vm *vm = gs->vm;
	uint64_t one = 1;
	int i;

	__atomic_store_n(&vm->pause_req, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpus[i];

		__atomic_store_n(&v->run_while_paused, 0, __ATOMIC_SEQ_CST);
		if (v != self)
			vcpu_kick(v);
	}
	if (write(gs->efd, &one, sizeof(one)) < 0)
		log_debug("gdb: eventfd: %s", strerror(errno));
}

/* ---- guest memory ---------------------------------------------------- */

static int vcpu_paging(struct gdbstub *gs, struct vcpu *v,
		       struct paging_ctx *pc, char *why, size_t whylen)
{
	struct kvm_sregs s;
	unsigned int maxphy;
	bool gbpages;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(why, whylen, "KVM_GET_SREGS on vCPU %d failed: %s",
			 v->id, strerror(errno));
		return -EIO;
	}
	diag_guest_phys_bits(gs->vm->supported_cpuid, &maxphy, &gbpages);
	if (paging_ctx_init(pc, s.cr0, s.cr3, s.cr4, s.efer, maxphy, gbpages)) {
		snprintf(why, whylen,
			 "vCPU %d's control registers are in no paging mode",
			 v->id);
		return -EINVAL;
	}
	return 0;
}

/*
 * Guest-physical address of gva in the selected vCPU's address space (or
 * gva itself in physical mode when phys_ok). why says what failed.
 */
static int translate_user(struct gdbstub *gs, uint64_t gva, bool phys_ok,
			  uint64_t *gpa, bool *user, char *why, size_t whylen)
{
	struct walk_result res;
	struct paging_ctx pc;
	int r;

	*user = false;
	if (phys_ok && gs->phys) {
		*gpa = gva;
		return 0;
	}
	r = vcpu_paging(gs, gs->vm->vcpus[gs->g_cpu], &pc, why, whylen);
	if (r)
		return r;
	if (pagewalk(&gs->vm->mem, &pc, gva, &res)) {
		snprintf(
			why, whylen,
			"0x%" PRIx64
			" does not translate in vCPU %d's page tables (CR3 0x%" PRIx64
			"): %s",
			gva, gs->g_cpu, pc.cr3,
			res.why[0] ? res.why : walk_status_name(res.status));
		return -EFAULT;
	}
	*gpa = res.gpa;
	/* Unpaged: every access is a supervisor one as far as we know. */
	*user = res.status == WALK_OK && res.user;
	return 0;
}

static int translate(struct gdbstub *gs, uint64_t gva, bool phys_ok,
		     uint64_t *gpa, char *why, size_t whylen)
{
	bool user;

	return translate_user(gs, gva, phys_ok, gpa, &user, why, whylen);
}

/* Bytes to the end of gva's 4 KiB page: a translation holds that far. */
static uint64_t page_left(uint64_t gva)
{
	return 0x1000 - (gva & 0xfff);
}

static struct sw_bp *find_bp_gpa(struct gdbstub *gs, uint64_t gpa)
{
	int i;

	for (i = 0; i < gs->nr_bps; i++)
		if (gs->bps[i].gpa == gpa)
			return &gs->bps[i];
	return NULL;
}

/*
 * Read guest memory as gdb should see it: original bytes where the stub
 * planted int3. Returns the number of bytes read before the first
 * untranslatable or non-RAM address (0 with why set when none).
 */
static size_t mem_read(struct gdbstub *gs, uint64_t addr, uint8_t *buf,
		       size_t len, char *why, size_t whylen)
{
	size_t done = 0;

	while (done < len) {
		uint64_t a = addr + done, gpa, n = page_left(a);
		int i;

		if (n > len - done)
			n = len - done;
		if (translate(gs, a, true, &gpa, why, whylen))
			break;
		if (guest_memory_read(&gs->vm->mem, gpa, buf + done, n)) {
			snprintf(why, whylen,
				 "0x%" PRIx64 " is gpa 0x%" PRIx64
				 ", outside guest RAM",
				 a, gpa);
			break;
		}
		for (i = 0; i < gs->nr_bps; i++) {
			const struct sw_bp *b = &gs->bps[i];

			if (!b->lifted && b->gpa >= gpa && b->gpa < gpa + n)
				buf[done + (b->gpa - gpa)] = b->orig;
		}
		done += n;
	}
	return done;
}

/*
 * Write all of [addr, addr + len) or nothing: every page is translated
 * first. Planted breakpoints stay planted; their saved byte takes the
 * new value.
 */
static int mem_write(struct gdbstub *gs, uint64_t addr, const uint8_t *buf,
		     size_t len, char *why, size_t whylen)
{
	static const uint8_t int3 = 0xcc;
	uint64_t gpas[GDB_PACKET_MAX / 0x1000 + 2];
	size_t done = 0;
	int np = 0, i;

	while (done < len) {
		uint64_t a = addr + done, n = page_left(a);

		if (n > len - done)
			n = len - done;
		if ((size_t)np == sizeof(gpas) / sizeof(gpas[0]))
			return -E2BIG;
		if (translate(gs, a, true, &gpas[np], why, whylen))
			return -EFAULT;
		if (!guest_memory_ptr(&gs->vm->mem, gpas[np], n)) {
			snprintf(why, whylen,
				 "0x%" PRIx64 " is gpa 0x%" PRIx64
				 ", outside guest RAM",
				 a, gpas[np]);
			return -EFAULT;
		}
		np++;
		done += n;
	}
	done = 0;
	for (i = 0; i < np; i++) {
		uint64_t n = page_left(addr + done), k;

		if (n > len - done)
			n = len - done;
		guest_memory_write(&gs->vm->mem, gpas[i], buf + done, n);
		for (k = 0; k < n; k++) {
			struct sw_bp *b = find_bp_gpa(gs, gpas[i] + k);

			if (b && !b->lifted) {
				b->orig = buf[done + k];
				guest_memory_write(&gs->vm->mem, b->gpa, &int3,
						   1);
			}
		}
		done += n;
	}
	return 0;
}

/* ---- registers ------------------------------------------------------- */

enum reg_src {
	R_GPR, /* idx: gdb order rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
	R_RIP,
	R_EFLAGS,
	R_SEL, /* idx: cs ss ds es fs gs */
	R_ST, /* idx: ST(i) */
	R_FPC, /* idx: fctrl fstat ftag fiseg fioff foseg fooff fop */
	R_XMM,
	R_MXCSR,
	R_BASE, /* idx: 0 fs, 1 gs */
	R_KGSBASE,
	R_CR, /* idx: 0, 2, 3, 4, 8 */
	R_EFER,
};

enum reg_feature { F_CORE, F_SSE, F_SEGMENTS, F_SYSTEM, NR_FEATURES };

struct reg_desc {
	const char *name;
	unsigned char size; /* bytes */
	unsigned char feature;
	unsigned char src;
	unsigned char idx;
	const char *type;
	const char *group; /* NULL: gdb decides from the type */
};

/*
 * The order is the 'g' packet's and the register numbers': the core
 * feature as gdb's amd64 code requires it, then SSE, segment bases and
 * kvmscope's system registers.
 */
static const struct reg_desc regs_table[] = {
	{ "rax", 8, F_CORE, R_GPR, 0, "int64", NULL },
	{ "rbx", 8, F_CORE, R_GPR, 1, "int64", NULL },
	{ "rcx", 8, F_CORE, R_GPR, 2, "int64", NULL },
	{ "rdx", 8, F_CORE, R_GPR, 3, "int64", NULL },
	{ "rsi", 8, F_CORE, R_GPR, 4, "int64", NULL },
	{ "rdi", 8, F_CORE, R_GPR, 5, "int64", NULL },
	{ "rbp", 8, F_CORE, R_GPR, 6, "data_ptr", NULL },
	{ "rsp", 8, F_CORE, R_GPR, 7, "data_ptr", NULL },
	{ "r8", 8, F_CORE, R_GPR, 8, "int64", NULL },
	{ "r9", 8, F_CORE, R_GPR, 9, "int64", NULL },
	{ "r10", 8, F_CORE, R_GPR, 10, "int64", NULL },
	{ "r11", 8, F_CORE, R_GPR, 11, "int64", NULL },
	{ "r12", 8, F_CORE, R_GPR, 12, "int64", NULL },
	{ "r13", 8, F_CORE, R_GPR, 13, "int64", NULL },
	{ "r14", 8, F_CORE, R_GPR, 14, "int64", NULL },
	{ "r15", 8, F_CORE, R_GPR, 15, "int64", NULL },
	{ "rip", 8, F_CORE, R_RIP, 0, "code_ptr", NULL },
	{ "eflags", 4, F_CORE, R_EFLAGS, 0, "ks_eflags", NULL },
	{ "cs", 4, F_CORE, R_SEL, 0, "int32", NULL },
	{ "ss", 4, F_CORE, R_SEL, 1, "int32", NULL },
	{ "ds", 4, F_CORE, R_SEL, 2, "int32", NULL },
	{ "es", 4, F_CORE, R_SEL, 3, "int32", NULL },
	{ "fs", 4, F_CORE, R_SEL, 4, "int32", NULL },
	{ "gs", 4, F_CORE, R_SEL, 5, "int32", NULL },
	{ "st0", 10, F_CORE, R_ST, 0, "i387_ext", NULL },
	{ "st1", 10, F_CORE, R_ST, 1, "i387_ext", NULL },
	{ "st2", 10, F_CORE, R_ST, 2, "i387_ext", NULL },
	{ "st3", 10, F_CORE, R_ST, 3, "i387_ext", NULL },
	{ "st4", 10, F_CORE, R_ST, 4, "i387_ext", NULL },
	{ "st5", 10, F_CORE, R_ST, 5, "i387_ext", NULL },
	{ "st6", 10, F_CORE, R_ST, 6, "i387_ext", NULL },
	{ "st7", 10, F_CORE, R_ST, 7, "i387_ext", NULL },
	{ "fctrl", 4, F_CORE, R_FPC, 0, "int", "float" },
	{ "fstat", 4, F_CORE, R_FPC, 1, "int", "float" },
	{ "ftag", 4, F_CORE, R_FPC, 2, "int", "float" },
	{ "fiseg", 4, F_CORE, R_FPC, 3, "int", "float" },
	{ "fioff", 4, F_CORE, R_FPC, 4, "int", "float" },
	{ "foseg", 4, F_CORE, R_FPC, 5, "int", "float" },
	{ "fooff", 4, F_CORE, R_FPC, 6, "int", "float" },
	{ "fop", 4, F_CORE, R_FPC, 7, "int", "float" },
	{ "xmm0", 16, F_SSE, R_XMM, 0, "vec128", NULL },
	{ "xmm1", 16, F_SSE, R_XMM, 1, "vec128", NULL },
	{ "xmm2", 16, F_SSE, R_XMM, 2, "vec128", NULL },
	{ "xmm3", 16, F_SSE, R_XMM, 3, "vec128", NULL },
	{ "xmm4", 16, F_SSE, R_XMM, 4, "vec128", NULL },
	{ "xmm5", 16, F_SSE, R_XMM, 5, "vec128", NULL },
	{ "xmm6", 16, F_SSE, R_XMM, 6, "vec128", NULL },
	{ "xmm7", 16, F_SSE, R_XMM, 7, "vec128", NULL },
	{ "xmm8", 16, F_SSE, R_XMM, 8, "vec128", NULL },
	{ "xmm9", 16, F_SSE, R_XMM, 9, "vec128", NULL },
	{ "xmm10", 16, F_SSE, R_XMM, 10, "vec128", NULL },
	{ "xmm11", 16, F_SSE, R_XMM, 11, "vec128", NULL },
	{ "xmm12", 16, F_SSE, R_XMM, 12, "vec128", NULL },
	{ "xmm13", 16, F_SSE, R_XMM, 13, "vec128", NULL },
	{ "xmm14", 16, F_SSE, R_XMM, 14, "vec128", NULL },
	{ "xmm15", 16, F_SSE, R_XMM, 15, "vec128", NULL },
	{ "mxcsr", 4, F_SSE, R_MXCSR, 0, "ks_mxcsr", "vector" },
	{ "fs_base", 8, F_SEGMENTS, R_BASE, 0, "int64", NULL },
	{ "gs_base", 8, F_SEGMENTS, R_BASE, 1, "int64", NULL },
	{ "k_gs_base", 8, F_SYSTEM, R_KGSBASE, 0, "int64", "general" },
	{ "cr0", 8, F_SYSTEM, R_CR, 0, "ks_cr0", "general" },
	{ "cr2", 8, F_SYSTEM, R_CR, 2, "int64", "general" },
	{ "cr3", 8, F_SYSTEM, R_CR, 3, "int64", "general" },
	{ "cr4", 8, F_SYSTEM, R_CR, 4, "ks_cr4", "general" },
	{ "cr8", 8, F_SYSTEM, R_CR, 8, "int64", "general" },
	{ "efer", 8, F_SYSTEM, R_EFER, 0, "ks_efer", "general" },
};

#define NR_REGS ((int)(sizeof(regs_table) / sizeof(regs_table[0])))

struct cpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	uint64_t kgsbase;
	bool have_kgsbase;
};

enum { DIRTY_REGS = 1, DIRTY_SREGS = 2, DIRTY_FPU = 4, DIRTY_MSR = 8 };

static int state_read(struct vcpu *v, struct cpu_state *s)
{
	if (ioctl(v->fd, KVM_GET_REGS, &s->regs) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &s->sregs) < 0 ||
	    ioctl(v->fd, KVM_GET_FPU, &s->fpu) < 0)
		return -errno;
	s->kgsbase = 0;
	s->have_kgsbase =
		vcpu_msr(v, KVM_GET_MSRS, MSR_KERNEL_GS_BASE, &s->kgsbase);
	if (!s->have_kgsbase)
		s->kgsbase = 0;
	return 0;
}

static int state_write(struct vcpu *v, struct cpu_state *s, unsigned int dirty)
{
	if ((dirty & DIRTY_REGS) && ioctl(v->fd, KVM_SET_REGS, &s->regs) < 0)
		return -errno;
	if ((dirty & DIRTY_SREGS) && ioctl(v->fd, KVM_SET_SREGS, &s->sregs) < 0)
		return -errno;
	if ((dirty & DIRTY_FPU) && ioctl(v->fd, KVM_SET_FPU, &s->fpu) < 0)
		return -errno;
	if ((dirty & DIRTY_MSR) &&
	    !vcpu_msr(v, KVM_SET_MSRS, MSR_KERNEL_GS_BASE, &s->kgsbase))
		return -EIO;
	return 0;
}

static __u64 *gpr_ptr(struct kvm_regs *r, int i)
{
	__u64 *const p[16] = {
		&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
		&r->rbp, &r->rsp, &r->r8,  &r->r9,  &r->r10, &r->r11,
		&r->r12, &r->r13, &r->r14, &r->r15,
	};

	return p[i & 15];
}

static struct kvm_segment *seg_ptr(struct kvm_sregs *s, int i)
{
	struct kvm_segment *const p[6] = {
		&s->cs, &s->ss, &s->ds, &s->es, &s->fs, &s->gs,
	};

	return p[i % 6];
}

static __u64 *cr_ptr(struct kvm_sregs *s, int i)
{
	switch (i) {
	case 0:
		return &s->cr0;
	case 2:
		return &s->cr2;
	case 3:
		return &s->cr3;
	case 4:
		return &s->cr4;
	default:
		return &s->cr8;
	}
}

/*
 * FXSAVE keeps one "not empty" bit per physical register; gdb wants the
 * full x87 tag word, which classifies the value (valid, zero, special).
 */
static uint16_t x87_full_tag(const struct kvm_fpu *f)
{
	unsigned int top = (f->fsw >> 11) & 7, phys;
	uint16_t tag = 0;

	for (phys = 0; phys < 8; phys++) {
		const uint8_t *r = f->fpr[(phys - top) & 7];
		unsigned int exp = (r[9] & 0x7f) << 8 | r[8], t;
		uint64_t mant;

		memcpy(&mant, r, 8);
		if (!(f->ftwx & (1u << phys)))
			t = 3;
		else if (exp == 0x7fff)
			t = 2;
		else if (exp == 0 && mant == 0)
			t = 1;
		else if (exp == 0 || !(mant >> 63))
			t = 2;
		else
			t = 0;
		tag |= t << (2 * phys);
	}
	return tag;
}

static uint8_t x87_abridged_tag(uint16_t full)
{
	uint8_t ab = 0;
	int i;

	for (i = 0; i < 8; i++)
		if (((full >> (2 * i)) & 3) != 3)
			ab |= 1u << i;
	return ab;
}

static void reg_get(struct cpu_state *s, int n, uint8_t *out)
{
	const struct reg_desc *d = &regs_table[n];
	uint64_t v = 0;
	uint32_t w;

	switch (d->src) {
	case R_GPR:
		v = *gpr_ptr(&s->regs, d->idx);
		break;
	case R_RIP:
		v = s->regs.rip;
		break;
	case R_EFLAGS:
		v = (uint32_t)s->regs.rflags;
		break;
	case R_SEL:
		v = seg_ptr(&s->sregs, d->idx)->selector;
		break;
	case R_ST:
		memcpy(out, s->fpu.fpr[d->idx], 10);
		return;
	case R_FPC:
		switch (d->idx) {
		case 0:
			v = s->fpu.fcw;
			break;
		case 1:
			v = s->fpu.fsw;
			break;
		case 2:
			v = x87_full_tag(&s->fpu);
			break;
		case 3: /* 64-bit FXSAVE: FIP bits 47:32 where FCS was */
			v = (s->fpu.last_ip >> 32) & 0xffff;
			break;
		case 4:
			v = (uint32_t)s->fpu.last_ip;
			break;
		case 5:
			v = (s->fpu.last_dp >> 32) & 0xffff;
			break;
		case 6:
			v = (uint32_t)s->fpu.last_dp;
			break;
		default:
			v = s->fpu.last_opcode & 0x7ff;
			break;
		}
		break;
	case R_XMM:
		memcpy(out, s->fpu.xmm[d->idx], 16);
		return;
	case R_MXCSR:
		v = s->fpu.mxcsr;
		break;
	case R_BASE:
		v = d->idx ? s->sregs.gs.base : s->sregs.fs.base;
		break;
	case R_KGSBASE:
		v = s->kgsbase;
		break;
	case R_CR:
		v = *cr_ptr(&s->sregs, d->idx);
		break;
	case R_EFER:
		v = s->sregs.efer;
		break;
	}
	if (d->size == 4) {
		w = (uint32_t)v;
		memcpy(out, &w, 4);
	} else {
		memcpy(out, &v, 8);
	}
}

/* Change register n in s; returns the DIRTY_ bits it touched. */
static unsigned int reg_set(struct cpu_state *s, int n, const uint8_t *in)
{
	const struct reg_desc *d = &regs_table[n];
	uint64_t v = 0;
	uint32_t w;

	if (d->size == 4) {
		memcpy(&w, in, 4);
		v = w;
	} else if (d->size == 8) {
		memcpy(&v, in, 8);
	}
	switch (d->src) {
	case R_GPR:
		*gpr_ptr(&s->regs, d->idx) = v;
		return DIRTY_REGS;
	case R_RIP:
		s->regs.rip = v;
		return DIRTY_REGS;
	case R_EFLAGS:
		s->regs.rflags = (s->regs.rflags & ~0xffffffffULL) | v;
		return DIRTY_REGS;
	case R_SEL:
		/* The selector only: the hidden part is the CPU's cache. */
		seg_ptr(&s->sregs, d->idx)->selector = v;
		return DIRTY_SREGS;
	case R_ST:
		memcpy(s->fpu.fpr[d->idx], in, 10);
		return DIRTY_FPU;
	case R_FPC:
		switch (d->idx) {
		case 0:
			s->fpu.fcw = v;
			break;
		case 1:
			s->fpu.fsw = v;
			break;
		case 2:
			s->fpu.ftwx = x87_abridged_tag(v);
			break;
		case 3:
			s->fpu.last_ip = (s->fpu.last_ip & ~(0xffffULL << 32)) |
					 (v & 0xffff) << 32;
			break;
		case 4:
			s->fpu.last_ip = (s->fpu.last_ip & ~0xffffffffULL) | v;
			break;
		case 5:
			s->fpu.last_dp = (s->fpu.last_dp & ~(0xffffULL << 32)) |
					 (v & 0xffff) << 32;
			break;
		case 6:
			s->fpu.last_dp = (s->fpu.last_dp & ~0xffffffffULL) | v;
			break;
		default:
			s->fpu.last_opcode = v & 0x7ff;
			break;
		}
		return DIRTY_FPU;
	case R_XMM:
		memcpy(s->fpu.xmm[d->idx], in, 16);
		return DIRTY_FPU;
	case R_MXCSR:
		s->fpu.mxcsr = v;
		return DIRTY_FPU;
	case R_BASE:
		if (d->idx)
			s->sregs.gs.base = v;
		else
			s->sregs.fs.base = v;
		return DIRTY_SREGS;
	case R_KGSBASE:
		s->kgsbase = v;
		return DIRTY_MSR;
	case R_CR:
		*cr_ptr(&s->sregs, d->idx) = v;
		return DIRTY_SREGS;
	case R_EFER:
		s->sregs.efer = v;
		return DIRTY_SREGS;
	}
	return 0;
}

static size_t regs_size(void)
{
	size_t n = 0;
	int i;

	for (i = 0; i < NR_REGS; i++)
		n += regs_table[i].size;
	return n;
}

/* ---- target description ---------------------------------------------- */

static const char *const feature_names[NR_FEATURES] = {
	[F_CORE] = "org.gnu.gdb.i386.core",
	[F_SSE] = "org.gnu.gdb.i386.sse",
	[F_SEGMENTS] = "org.gnu.gdb.i386.segments",
	[F_SYSTEM] = "org.kvmscope.system",
};

struct flag_bit {
	const char *name;
	unsigned char bit;
};

static const struct flag_bit eflags_bits[] = {
	{ "CF", 0 },   { "", 1 },    { "PF", 2 },  { "AF", 4 },	 { "ZF", 6 },
	{ "SF", 7 },   { "TF", 8 },  { "IF", 9 },  { "DF", 10 }, { "OF", 11 },
	{ "NT", 14 },  { "RF", 16 }, { "VM", 17 }, { "AC", 18 }, { "VIF", 19 },
	{ "VIP", 20 }, { "ID", 21 }, { NULL, 0 },
};

static const struct flag_bit mxcsr_bits[] = {
	{ "IE", 0 },  { "DE", 1 },  { "ZE", 2 },  { "OE", 3 },	{ "UE", 4 },
	{ "PE", 5 },  { "DAZ", 6 }, { "IM", 7 },  { "DM", 8 },	{ "ZM", 9 },
	{ "OM", 10 }, { "UM", 11 }, { "PM", 12 }, { "FZ", 15 }, { NULL, 0 },
};

static const struct flag_bit cr0_bits[] = {
	{ "PE", 0 },  { "MP", 1 },  { "EM", 2 },  { "TS", 3 },
	{ "ET", 4 },  { "NE", 5 },  { "WP", 16 }, { "AM", 18 },
	{ "NW", 29 }, { "CD", 30 }, { "PG", 31 }, { NULL, 0 },
};

static const struct flag_bit cr4_bits[] = {
	{ "VME", 0 },	    { "PVI", 1 },	  { "TSD", 2 },
	{ "DE", 3 },	    { "PSE", 4 },	  { "PAE", 5 },
	{ "MCE", 6 },	    { "PGE", 7 },	  { "PCE", 8 },
	{ "OSFXSR", 9 },    { "OSXMMEXCPT", 10 }, { "UMIP", 11 },
	{ "LA57", 12 },	    { "VMXE", 13 },	  { "SMXE", 14 },
	{ "FSGSBASE", 16 }, { "PCIDE", 17 },	  { "OSXSAVE", 18 },
	{ "SMEP", 20 },	    { "SMAP", 21 },	  { "PKE", 22 },
	{ "CET", 23 },	    { "PKS", 24 },	  { NULL, 0 },
};

static const struct flag_bit efer_bits[] = {
	{ "SCE", 0 },	 { "LME", 8 },	 { "LMA", 10 },
	{ "NXE", 11 },	 { "SVME", 12 }, { "LMSLE", 13 },
	{ "FFXSR", 14 }, { "TCE", 15 },	 { NULL, 0 },
};

struct strbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	size_t room, cap;
	va_list ap;
	char *p;
	int n;

	if (sb->oom)
		return;
	for (;;) {
		room = sb->cap - sb->len;
		va_start(ap, fmt);
		n = vsnprintf(sb->p ? sb->p + sb->len : NULL, sb->p ? room : 0,
			      fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->oom = true;
			return;
		}
		if (sb->p && (size_t)n < room) {
			sb->len += n;
			return;
		}
		cap = (sb->cap ? sb->cap * 2 : 4096) + n;
		p = realloc(sb->p, cap);
		if (!p) {
			sb->oom = true;
			return;
		}
		sb->p = p;
		sb->cap = cap;
	}
}

static void xml_flags(struct strbuf *sb, const char *id, int size,
		      const struct flag_bit *bits)
{
	sb_printf(sb, "<flags id=\"%s\" size=\"%d\">\n", id, size);
	for (; bits->name; bits++)
		sb_printf(sb, "<field name=\"%s\" start=\"%u\" end=\"%u\"/>\n",
			  bits->name, bits->bit, bits->bit);
	sb_printf(sb, "</flags>\n");
}

static void xml_feature_types(struct strbuf *sb, int f)
{
	switch (f) {
	case F_CORE:
		xml_flags(sb, "ks_eflags", 4, eflags_bits);
		break;
	case F_SSE:
		sb_printf(
			sb,
			"<vector id=\"ks_v4f\" type=\"ieee_single\" count=\"4\"/>\n"
			"<vector id=\"ks_v2d\" type=\"ieee_double\" count=\"2\"/>\n"
			"<vector id=\"ks_v16i8\" type=\"int8\" count=\"16\"/>\n"
			"<vector id=\"ks_v8i16\" type=\"int16\" count=\"8\"/>\n"
			"<vector id=\"ks_v4i32\" type=\"int32\" count=\"4\"/>\n"
			"<vector id=\"ks_v2i64\" type=\"int64\" count=\"2\"/>\n"
			"<union id=\"vec128\">\n"
			"<field name=\"v4_float\" type=\"ks_v4f\"/>\n"
			"<field name=\"v2_double\" type=\"ks_v2d\"/>\n"
			"<field name=\"v16_int8\" type=\"ks_v16i8\"/>\n"
			"<field name=\"v8_int16\" type=\"ks_v8i16\"/>\n"
			"<field name=\"v4_int32\" type=\"ks_v4i32\"/>\n"
			"<field name=\"v2_int64\" type=\"ks_v2i64\"/>\n"
			"<field name=\"uint128\" type=\"uint128\"/>\n"
			"</union>\n");
		xml_flags(sb, "ks_mxcsr", 4, mxcsr_bits);
		break;
	case F_SYSTEM:
		xml_flags(sb, "ks_cr0", 8, cr0_bits);
		xml_flags(sb, "ks_cr4", 8, cr4_bits);
		xml_flags(sb, "ks_efer", 8, efer_bits);
		break;
	}
}

/* target.xml, generated from regs_table so the two cannot disagree. */
static char *build_target_xml(size_t *len)
{
	struct strbuf sb = { 0 };
	int f, i;

	sb_printf(&sb, "<?xml version=\"1.0\"?>\n"
		       "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		       "<target version=\"1.0\">\n"
		       "<architecture>i386:x86-64</architecture>\n");
	for (f = 0; f < NR_FEATURES; f++) {
		sb_printf(&sb, "<feature name=\"%s\">\n", feature_names[f]);
		xml_feature_types(&sb, f);
		for (i = 0; i < NR_REGS; i++) {
			const struct reg_desc *d = &regs_table[i];

			if (d->feature != f)
				continue;
			sb_printf(
				&sb,
				"<reg name=\"%s\" bitsize=\"%d\" type=\"%s\" regnum=\"%d\"%s%s%s/>\n",
				d->name, d->size * 8, d->type, i,
				d->group ? " group=\"" : "",
				d->group ? d->group : "", d->group ? "\"" : "");
		}
		sb_printf(&sb, "</feature>\n");
	}
	sb_printf(&sb, "</target>\n");
	if (sb.oom) {
		free(sb.p);
		return NULL;
	}
	*len = sb.len;
	return sb.p;
}

/* ---- output ---------------------------------------------------------- */

static void update_epoll_out(struct gdbstub *gs)
{
	bool want = gs->out_len > 0;

	if (gs->conn_fd < 0 || !gs->loop || want == gs->out_armed)
		return;
	if (event_loop_mod(gs->loop, gs->conn_fd,
			   EPOLLIN | (want ? EPOLLOUT : 0)) == 0)
		gs->out_armed = want;
}

static void flush_out(struct gdbstub *gs)
{
	size_t off = 0;

	while (gs->conn_fd >= 0 && off < gs->out_len) {
		ssize_t n = send(gs->conn_fd, gs->out + off, gs->out_len - off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			gs->out_len = 0;
			disconnect(gs, "the connection failed");
			return;
		}
		off += n;
	}
	if (off) {
		memmove(gs->out, gs->out + off, gs->out_len - off);
		gs->out_len -= off;
	}
	update_epoll_out(gs);
}

static bool out_append(struct gdbstub *gs, const char *data, size_t len)
{
	if (gs->conn_fd < 0)
		return false;
	if (gs->out_len + len > OUT_MAX) {
		disconnect(gs, "gdb stopped reading its replies");
		return false;
	}
	if (gs->out_len + len > gs->out_cap) {
		size_t cap = gs->out_len + len + 4096;
		char *p = realloc(gs->out, cap);

		if (!p) {
			disconnect(gs, "out of memory");
			return false;
		}
		gs->out = p;
		gs->out_cap = cap;
	}
	memcpy(gs->out + gs->out_len, data, len);
	gs->out_len += len;
	return true;
}

static void send_packet_len(struct gdbstub *gs, const char *payload, size_t len,
			    bool binary)
{
	size_t cap = GDB_FRAME_SIZE(len), n;
	char *frame = malloc(cap);

	if (!frame) {
		disconnect(gs, "out of memory");
		return;
	}
	n = gdb_frame(payload, len, binary, frame, cap);
	if (!gs->noack) {
		free(gs->last);
		gs->last = frame;
		gs->last_len = n;
		frame = NULL;
		if (!out_append(gs, gs->last, n))
			return;
	} else if (!out_append(gs, frame, n)) {
		free(frame);
		return;
	}
	free(frame);
	flush_out(gs);
}

static void send_packet(struct gdbstub *gs, const char *payload)
{
	send_packet_len(gs, payload, strlen(payload), false);
}

static void send_error(struct gdbstub *gs, int errnum)
{
	char e[8];

	snprintf(e, sizeof(e), "E%02x", errnum & 0xff);
	send_packet(gs, e);
}

/* Console output for gdb ('O' packets): what `monitor` prints. */
static void send_console(struct gdbstub *gs, const char *text, size_t len)
{
	char pkt[1 + 2 * MONITOR_CHUNK + 1];

	while (len) {
		size_t n = len < MONITOR_CHUNK ? len : MONITOR_CHUNK;

		pkt[0] = 'O';
		gdb_hex_encode(text, n, pkt + 1);
		send_packet(gs, pkt);
		text += n;
		len -= n;
	}
}

static void console_printf(struct gdbstub *gs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void console_printf(struct gdbstub *gs, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		send_console(gs, buf,
			     (size_t)n < sizeof(buf) ? (size_t)n :
						       sizeof(buf) - 1);
}

static void set_note(struct gdbstub *gs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_note(struct gdbstub *gs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(gs->note, sizeof(gs->note), fmt, ap);
	va_end(ap);
	log_info("gdb: %s", gs->note);
}

/* ---- breakpoints ----------------------------------------------------- */

static struct sw_bp *find_bp_gva(struct gdbstub *gs, uint64_t gva)
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

	if (find_bp_gva(gs, gva))
		return 0;
	if (gs->nr_bps == SW_BP_MAX) {
		set_note(
			gs,
			"breakpoint at 0x%" PRIx64
			" refused: %d software breakpoints are the most the stub keeps",
			gva, SW_BP_MAX);
		return -ENOSPC;
	}
	/* Breakpoints are virtual even in physical mode: RIP is. */
	if (translate_user(gs, gva, false, &gpa, &user, why, sizeof(why)) ||
	    guest_memory_read(&gs->vm->mem, gpa, &orig, 1)) {
		set_note(
			gs,
			"breakpoint at 0x%" PRIx64
			" refused: %s; the code is not mapped (yet?) in vCPU %d's address space: use hbreak, which needs no mapping",
			gva, why[0] ? why : "not in guest RAM", gs->g_cpu);
		return -EFAULT;
	}
	/* Two virtual aliases of one byte share its original contents. */
	b = find_bp_gpa(gs, gpa);
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
	shared = find_bp_gpa(gs, b.gpa) != NULL;
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

static const char *ztype_name(int type)
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
		set_note(gs,
			 "%s at 0x%" PRIx64 " refused: length %" PRIu64
			 " (the debug registers watch 1 to %d bytes)",
			 ztype_name(type), addr, len, 8 * HW_SLOTS);
		return -EINVAL;
	}
	for (i = 0; i < HW_SLOTS; i++)
		if (gs->hw[i].used && gs->hw[i].type == type &&
		    gs->hw[i].req_addr == addr && gs->hw[i].req_len == len)
			return 0;
	n = split_watch(addr, len, pa, pl, HW_SLOTS);
	if (n < 0 || n > free_slots(gs)) {
		set_note(
			gs,
			"%s at 0x%" PRIx64 " (%" PRIu64
			" bytes) refused: it needs %s aligned debug registers and %d of the 4 are free",
			ztype_name(type), addr, len,
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
		set_note(
			gs,
			"%s at 0x%" PRIx64
			" refused: on this host the stub emulates watchpoints by single-stepping and comparing memory, which sees writes only (data breakpoints do not fire under a KVM without VMX/SVM); use watch, or 'monitor watch-mode hw' to try the debug registers",
			ztype_name(type), addr);
		return -EOPNOTSUPP;
	}
	if (!len || len > SW_WATCH_LEN_MAX || page_left(addr) < len) {
		set_note(
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
		set_note(gs,
			 "watchpoint at 0x%" PRIx64
			 " refused: %d emulated watchpoints at most",
			 addr, SW_WATCH_MAX);
		return -ENOSPC;
	}
	if (translate(gs, addr, false, &gpa, why, sizeof(why)) ||
	    !guest_memory_ptr(&gs->vm->mem, gpa, len)) {
		set_note(gs, "watchpoint at 0x%" PRIx64 " refused: %s", addr,
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
static void sw_watch_snapshot(struct gdbstub *gs)
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
static void replant(struct gdbstub *gs)
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
static void remove_all(struct gdbstub *gs)
{
	int i;

	replant(gs);
	while (gs->nr_bps)
		sw_bp_remove_at(gs, gs->nr_bps - 1);
	pthread_mutex_lock(&gs->lock);
	memset(gs->hw, 0, sizeof(gs->hw));
	memset(gs->sww, 0, sizeof(gs->sww));
	gs->nr_sww = 0;
	pthread_mutex_unlock(&gs->lock);
	for (i = 0; i < gs->vm->nr_vcpus; i++)
		apply_debug(gs, gs->vm->vcpus[i], false, false);
}

/* ---- run control (main thread) ---------------------------------------- */

static void set_state(struct gdbstub *gs, enum run_state st, int step_cpu)
{
	pthread_mutex_lock(&gs->lock);
	gs->state = st;
	gs->step_cpu = step_cpu;
	gs->stop_pending = false;
	pthread_mutex_unlock(&gs->lock);
}

static uint64_t vcpu_rip(struct vcpu *v)
{
	struct kvm_regs r;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0)
		return ~0ULL;
	return r.rip;
}

static void send_stop(struct gdbstub *gs, const struct gdb_stop *st)
{
	char reply[96];

	gdb_format_stop(st, reply, sizeof(reply));
	send_packet(gs, reply);
}

/* Every vCPU is parked: tell gdb why, and remember it. */
static void finish_stop(struct gdbstub *gs, const struct gdb_stop *st, int cpu)
{
	replant(gs);
	set_state(gs, GS_STOPPED, -1);
	if (cpu >= 0 && cpu < gs->vm->nr_vcpus) {
		gs->g_cpu = cpu;
		gs->c_cpu = cpu;
	}
	gs->last_stop = *st;
	gs->last_stop_cpu = cpu;
	gs->last_stop_rip = cpu >= 0 ? vcpu_rip(gs->vm->vcpus[cpu]) : ~0ULL;
	send_stop(gs, st);
}

/*
 * Release one parked vCPU alone with single-step on: gdb's step (user) or
 * the stub's own step off a breakpoint. A breakpoint at RIP is taken out
 * for the step, or the step would only report it again.
 */
static void start_step(struct gdbstub *gs, int cpu, bool user)
{
	struct vcpu *v = gs->vm->vcpus[cpu];
	uint64_t rip = vcpu_rip(v);
	int i;

	pthread_mutex_lock(&gs->lock);
	for (i = 0; i < gs->nr_bps; i++) {
		struct sw_bp *b = &gs->bps[i];

		if (b->gva == rip && !b->lifted) {
			b->lifted = true;
			guest_memory_write(&gs->vm->mem, b->gpa, &b->orig, 1);
		}
	}
	gs->mask_cpu = cpu;
	gs->mask_slots = 0;
	for (i = 0; i < HW_SLOTS; i++)
		if (gs->hw[i].used && gs->hw[i].type == 1 &&
		    gs->hw[i].addr == rip)
			gs->mask_slots |= 1u << i;
	pthread_mutex_unlock(&gs->lock);

	sw_watch_snapshot(gs);
	apply_debug(gs, v, true, true);
	set_state(gs, user ? GS_STEPPING : GS_STEP_OVER, cpu);
	__atomic_store_n(&v->run_while_paused, 1, __ATOMIC_SEQ_CST);
	vm_release_vcpus(gs->vm);
}

/* Release the vCPUs of the plan, with every breakpoint in. */
static void start_continue(struct gdbstub *gs)
{
	struct vm *vm = gs->vm;
	bool step = gs->nr_sww > 0;
	int i;

	sw_watch_snapshot(gs);
	for (i = 0; i < vm->nr_vcpus; i++)
		apply_debug(gs, vm->vcpus[i], step, false);
	set_state(gs, GS_RUNNING, -1);
	if (gs->plan_all) {
		vm_unhold(vm, VM_HOLD_DEBUGGER);
		return;
	}
	for (i = 0; i < vm->nr_vcpus; i++)
		if (gs->plan[i])
			__atomic_store_n(&vm->vcpus[i]->run_while_paused, 1,
					 __ATOMIC_SEQ_CST);
	vm_release_vcpus(vm);
}

/* Was the last stop a breakpoint this vCPU still sits on? */
static bool needs_step_over(struct gdbstub *gs, int cpu)
{
	uint64_t rip;
	int i;

	if (cpu != gs->last_stop_cpu ||
	    (gs->last_stop.kind != GDB_STOP_SWBREAK &&
	     gs->last_stop.kind != GDB_STOP_HWBREAK))
		return false;
	rip = vcpu_rip(gs->vm->vcpus[cpu]);
	if (rip != gs->last_stop_rip)
		return false;
	if (find_bp_gva(gs, rip))
		return true;
	for (i = 0; i < HW_SLOTS; i++)
		if (gs->hw[i].used && gs->hw[i].type == 1 &&
		    gs->hw[i].addr == rip)
			return true;
	return false;
}

/*
 * Resume per the plan: a step (one vCPU, the others stay parked) or a
 * continue of the planned vCPUs, after stepping the vCPU that stopped at a
 * breakpoint off it.
 */
static void resume(struct gdbstub *gs, int step_cpu)
{
	int cpu = gs->last_stop_cpu;

	if (step_cpu >= 0) {
		start_step(gs, step_cpu, true);
		return;
	}
	if (cpu >= 0 && (gs->plan_all || gs->plan[cpu]) &&
	    needs_step_over(gs, cpu)) {
		start_step(gs, cpu, false);
		return;
	}
	start_continue(gs);
}

/* The eventfd: a vCPU stopped for gdb (or a stop raced with a request). */
static void on_vcpu_event(struct gdbstub *gs)
{
	struct gdb_stop st;
	enum run_state state;
	bool pending;
	uint64_t v;
	int cpu;

	if (read(gs->efd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&gs->lock);
	pending = gs->stop_pending;
	st = gs->pending;
	cpu = gs->pending_cpu;
	state = gs->state;
	pthread_mutex_unlock(&gs->lock);

	/*
	 * Nothing pending: a stale signal (the stop it announced was already
	 * reported, or taken by Ctrl-C), or a stop while gdb already holds
	 * the VM stopped (something else resumed it; the vCPUs park again on
	 * their own). Pausing here could stop a VM gdb has resumed since.
	 */
	if (state == GS_IDLE || state == GS_STOPPED || !pending)
		return;
	/* The requester set pause_req; wait until all are parked. */
	vm_hold(gs->vm, VM_HOLD_DEBUGGER);
	if (state == GS_STEP_OVER && cpu == gs->step_cpu &&
	    st.kind == GDB_STOP_SIGNAL) {
		replant(gs);
		start_continue(gs);
		return;
	}
	finish_stop(gs, &st, cpu);
}

/* Ctrl-C from gdb. */
static void interrupt(struct gdbstub *gs)
{
	struct gdb_stop st = { .sig = GDB_SIGINT };
	bool pending;
	int cpu, i;

	if (gs->state == GS_STOPPED || gs->state == GS_IDLE)
		return;
	vm_hold(gs->vm, VM_HOLD_DEBUGGER);
	pthread_mutex_lock(&gs->lock);
	pending = gs->stop_pending;
	if (pending) {
		/* A real event beat the interrupt: report that instead. */
		st = gs->pending;
		cpu = gs->pending_cpu;
	} else if (gs->state == GS_STEPPING || gs->state == GS_STEP_OVER) {
		cpu = gs->step_cpu;
	} else {
		/* Name a vCPU that was running, the selected one if it was. */
		cpu = gs->g_cpu;
		for (i = 0;
		     !gs->plan_all && !gs->plan[cpu] && i < gs->vm->nr_vcpus;
		     i++)
			if (gs->plan[i])
				cpu = i;
	}
	pthread_mutex_unlock(&gs->lock);
	if (!pending)
		st.thread = cpu + 1;
	finish_stop(gs, &st, cpu);
}

/* ---- vCPU thread -------------------------------------------------------- */

static struct sw_bp *find_planted(struct gdbstub *gs, uint64_t gva)
{
	struct sw_bp *b = find_bp_gva(gs, gva);

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
		request_all_stop(gs, vcpu);
	}
	pthread_mutex_unlock(&gs->lock);
	return true;
}

/* ---- packets ------------------------------------------------------------ */

static bool valid_thread(struct gdbstub *gs, long tid)
{
	return tid >= 1 && tid <= gs->vm->nr_vcpus;
}

static void handle_read_regs(struct gdbstub *gs)
{
	size_t size = regs_size(), off = 0;
	struct cpu_state s;
	uint8_t *raw = malloc(size);
	char *hex = malloc(2 * size + 1);
	int i, r;

	if (!raw || !hex) {
		send_error(gs, ENOMEM);
		goto out;
	}
	r = state_read(gs->vm->vcpus[gs->g_cpu], &s);
	if (r) {
		send_error(gs, -r);
		goto out;
	}
	for (i = 0; i < NR_REGS; i++) {
		reg_get(&s, i, raw + off);
		off += regs_table[i].size;
	}
	gdb_hex_encode(raw, size, hex);
	send_packet(gs, hex);
out:
	free(raw);
	free(hex);
}

/* Write the registers whose value differs from the vCPU's. */
static void handle_write_regs(struct gdbstub *gs, const char *hex)
{
	size_t size = regs_size(), off = 0;
	unsigned int dirty = 0;
	struct cpu_state s;
	uint8_t *raw = malloc(size), cur[16];
	long n;
	int i, r;

	if (!raw) {
		send_error(gs, ENOMEM);
		return;
	}
	n = gdb_hex_decode(hex, strlen(hex), raw, size);
	r = state_read(gs->vm->vcpus[gs->g_cpu], &s);
	if (n < 0 || r) {
		free(raw);
		send_error(gs, n < 0 ? EINVAL : -r);
		return;
	}
	/* A shorter G (older gdb, fewer registers) sets what it covers. */
	for (i = 0; i < NR_REGS && off + regs_table[i].size <= (size_t)n; i++) {
		reg_get(&s, i, cur);
		if (memcmp(cur, raw + off, regs_table[i].size))
			dirty |= reg_set(&s, i, raw + off);
		off += regs_table[i].size;
	}
	free(raw);
	r = state_write(gs->vm->vcpus[gs->g_cpu], &s, dirty);
	if (r)
		send_error(gs, -r);
	else
		send_packet(gs, "OK");
}

static void handle_read_reg(struct gdbstub *gs, const char *args)
{
	char hex[2 * 16 + 1];
	struct cpu_state s;
	uint8_t raw[16];
	uint64_t n;
	int r;

	if (!gdb_parse_hex(&args, &n) || *args) {
		send_error(gs, EINVAL);
		return;
	}
	if (n >= (uint64_t)NR_REGS) {
		send_error(gs, EINVAL);
		return;
	}
	r = state_read(gs->vm->vcpus[gs->g_cpu], &s);
	if (r) {
		send_error(gs, -r);
		return;
	}
	reg_get(&s, n, raw);
	gdb_hex_encode(raw, regs_table[n].size, hex);
	send_packet(gs, hex);
}

static void handle_write_reg(struct gdbstub *gs, const char *args)
{
	struct cpu_state s;
	uint8_t raw[16];
	uint64_t n;
	int r;

	if (!gdb_parse_hex(&args, &n) || *args++ != '=' ||
	    n >= (uint64_t)NR_REGS ||
	    gdb_hex_decode(args, strlen(args), raw, sizeof(raw)) !=
		    regs_table[n].size) {
		send_error(gs, EINVAL);
		return;
	}
	r = state_read(gs->vm->vcpus[gs->g_cpu], &s);
	if (!r)
		r = state_write(gs->vm->vcpus[gs->g_cpu], &s,
				reg_set(&s, n, raw));
	if (r)
		send_error(gs, -r);
	else
		send_packet(gs, "OK");
}

static void handle_read_mem(struct gdbstub *gs, const char *args)
{
	uint64_t addr, len;
	const char *rest;
	uint8_t *buf;
	char *hex, why[256] = "";
	size_t n;

	if (!gdb_parse_addr_len(args, &addr, &len, &rest) || *rest) {
		send_error(gs, EINVAL);
		return;
	}
	/* The reply is hex: twice the bytes must fit a packet. */
	if (len > (GDB_PACKET_MAX - 16) / 2)
		len = (GDB_PACKET_MAX - 16) / 2;
	buf = malloc(len + 1);
	hex = malloc(2 * len + 1);
	if (!buf || !hex) {
		send_error(gs, ENOMEM);
		goto out;
	}
	n = mem_read(gs, addr, buf, len, why, sizeof(why));
	if (!n && len) {
		log_debug("gdb: read of 0x%" PRIx64 ": %s", addr, why);
		send_error(gs, EFAULT);
		goto out;
	}
	gdb_hex_encode(buf, n, hex);
	send_packet(gs, hex);
out:
	free(buf);
	free(hex);
}

static void handle_write_mem(struct gdbstub *gs, const char *args, bool binary,
			     size_t pktlen)
{
	uint64_t addr, len;
	const char *rest;
	uint8_t *buf;
	char why[256] = "";
	long n;
	int r;

	if (!gdb_parse_addr_len(args, &addr, &len, &rest) || *rest++ != ':' ||
	    len > GDB_PACKET_MAX) {
		send_error(gs, EINVAL);
		return;
	}
	buf = malloc(len + 1);
	if (!buf) {
		send_error(gs, ENOMEM);
		return;
	}
	/* X data is binary and may hold NULs: use the packet length. */
	if (binary)
		n = gdb_unescape(rest, pktlen - (rest - args) - 1, buf, len);
	else
		n = gdb_hex_decode(rest, strlen(rest), buf, len);
	if (n < 0 || (uint64_t)n != len) {
		free(buf);
		send_error(gs, EINVAL);
		return;
	}
	r = len ? mem_write(gs, addr, buf, len, why, sizeof(why)) : 0;
	free(buf);
	if (r) {
		log_debug("gdb: write of 0x%" PRIx64 ": %s", addr, why);
		send_error(gs, -r);
		return;
	}
	send_packet(gs, "OK");
}

static void handle_z(struct gdbstub *gs, const char *pkt)
{
	struct gdb_zpacket z;
	int r;

	if (!gdb_parse_z(pkt, &z)) {
		send_error(gs, EINVAL);
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
		send_error(gs, -r);
	else
		send_packet(gs, "OK");
}

/* 'c', 'C', 's', 'S': [sig;][addr] sets RIP first. */
static void handle_resume_legacy(struct gdbstub *gs, const char *pkt)
{
	bool step = pkt[0] == 's' || pkt[0] == 'S';
	const char *s = pkt + 1;
	uint64_t sig, addr;
	int cpu, i;

	if (pkt[0] == 'C' || pkt[0] == 'S') {
		/* Signals mean nothing to a VM: accepted and dropped. */
		if (!gdb_parse_hex(&s, &sig) || (*s && *s != ';')) {
			send_error(gs, EINVAL);
			return;
		}
		if (*s == ';')
			s++;
		else
			s = "";
	}
	cpu = gs->c_cpu >= 0 ? gs->c_cpu : gs->g_cpu;
	if (*s) {
		struct kvm_regs r;
		struct vcpu *v = gs->vm->vcpus[cpu];

		if (!gdb_parse_hex(&s, &addr) || *s ||
		    ioctl(v->fd, KVM_GET_REGS, &r) < 0) {
			send_error(gs, EINVAL);
			return;
		}
		r.rip = addr;
		if (ioctl(v->fd, KVM_SET_REGS, &r) < 0) {
			send_error(gs, errno);
			return;
		}
	}
	gs->plan_all = true;
	for (i = 0; i < gs->vm->nr_vcpus; i++)
		gs->plan[i] = 1;
	resume(gs, step ? cpu : -1);
}

static void handle_vcont(struct gdbstub *gs, const char *args)
{
	struct gdb_vcont_action acts[GDB_VCONT_MAX];
	int n = gdb_parse_vcont(args, acts, GDB_VCONT_MAX);
	int nr = gs->vm->nr_vcpus, i, k, step_cpu = -1, any = 0;
	char *done;

	if (n < 0) {
		send_error(gs, EINVAL);
		return;
	}
	done = calloc(nr, 1);
	if (!done) {
		send_error(gs, ENOMEM);
		return;
	}
	memset(gs->plan, 0, nr);
	/* The leftmost action that applies to a thread wins. */
	for (k = 0; k < n; k++) {
		for (i = 0; i < nr; i++) {
			if (done[i] ||
			    (acts[k].tid != -1 && acts[k].tid != i + 1))
				continue;
			done[i] = 1;
			if (acts[k].op == 's' && step_cpu < 0)
				step_cpu = i;
			else if (acts[k].op == 'c' || acts[k].op == 's')
				gs->plan[i] = 1;
		}
		if (acts[k].tid != -1 && !valid_thread(gs, acts[k].tid)) {
			free(done);
			send_error(gs, ESRCH);
			return;
		}
	}
	free(done);
	for (i = 0; i < nr; i++)
		any += gs->plan[i];
	if (step_cpu < 0 && !any) {
		/* Only 't' (or nothing) for every thread: stay stopped. */
		send_packet(gs, "OK");
		return;
	}
	gs->plan_all = any == nr;
	resume(gs, step_cpu);
}

static void handle_thread_info(struct gdbstub *gs, bool first)
{
	struct strbuf sb = { 0 };
	int i;

	if (!first) {
		send_packet(gs, "l");
		return;
	}
	sb_printf(&sb, "m");
	for (i = 0; i < gs->vm->nr_vcpus; i++)
		sb_printf(&sb, "%s%x", i ? "," : "", i + 1);
	if (sb.oom)
		send_error(gs, ENOMEM);
	else
		send_packet(gs, sb.p);
	free(sb.p);
}

static void handle_thread_extra(struct gdbstub *gs, const char *args)
{
	char text[128], hex[2 * sizeof(text) + 1];
	struct kvm_sregs s;
	long tid;

	if (!gdb_parse_thread_id(&args, &tid) || *args ||
	    !valid_thread(gs, tid)) {
		send_error(gs, ESRCH);
		return;
	}
	/* A running vCPU's ioctls wait for KVM_RUN: ask parked ones only. */
	if (gs->state == GS_STOPPED &&
	    ioctl(gs->vm->vcpus[tid - 1]->fd, KVM_GET_SREGS, &s) == 0)
		snprintf(text, sizeof(text), "vCPU %ld, %s, CPL %u", tid - 1,
			 diag_cpu_mode(&s), s.cs.dpl);
	else
		snprintf(text, sizeof(text), "vCPU %ld", tid - 1);
	gdb_hex_encode(text, strlen(text), hex);
	send_packet(gs, hex);
}

static void handle_qxfer(struct gdbstub *gs, const char *pkt)
{
	struct gdb_qxfer x;
	size_t doclen, n;
	char *doc, *out;

	if (!gdb_parse_qxfer_read(pkt, &x)) {
		send_packet(gs, "");
		return;
	}
	if (x.object_len != 8 || strncmp(x.object, "features", 8)) {
		send_packet(gs, "");
		return;
	}
	if (x.annex_len != 10 || strncmp(x.annex, "target.xml", 10)) {
		send_error(gs, 0);
		return;
	}
	doc = build_target_xml(&doclen);
	out = malloc(GDB_PACKET_MAX);
	if (!doc || !out) {
		free(doc);
		free(out);
		send_error(gs, ENOMEM);
		return;
	}
	/* Escapes may double the slice: keep it within half a packet. */
	n = gdb_qxfer_slice(doc, doclen, x.offset, x.length, out,
			    GDB_PACKET_MAX / 2);
	send_packet_len(gs, out, n, true);
	free(doc);
	free(out);
}

/* ---- monitor ---------------------------------------------------------- */

static const char *const stub_commands_help =
	"kvmscope gdb stub monitor commands:\n"
	"  monitor help                  this text and the control commands\n"
	"  monitor info                  stub state: breakpoints, debug registers,\n"
	"                                watch mode, why the last request was refused\n"
	"  monitor phys on|off           m/M/X (x, print, set) take guest-physical\n"
	"                                addresses (breakpoints stay virtual)\n"
	"  monitor watch-mode auto|hw|step  debug registers, or single-stepping\n"
	"                                (write watchpoints only; auto = step on\n"
	"                                hosts without VMX/SVM)\n"
	"  monitor COMMAND [name=value...]  any kvmscope control command, as with\n"
	"                                kvmscope ctl (the VM is already stopped):\n";

static void monitor_help(struct gdbstub *gs)
{
	const struct api_command *cmds;
	int n, i;

	send_console(gs, stub_commands_help, strlen(stub_commands_help));
	cmds = api_commands(&n);
	for (i = 0; i < n; i++)
		console_printf(gs, "    %s%s%s\n", cmds[i].name,
			       cmds[i].args_help[0] ? " " : "",
			       cmds[i].args_help);
}

static void monitor_info(struct gdbstub *gs)
{
	int i;

	console_printf(
		gs,
		"gdb stub on %s; %d vCPU(s) as threads 1-%d; selected vCPU %d\n",
		gs->where, gs->vm->nr_vcpus, gs->vm->nr_vcpus, gs->g_cpu);
	console_printf(
		gs, "host: %s\n",
		host_has_hw_virt() ?
			"VMX/SVM: KVM reports int3, debug registers and single steps at every CPL" :
			"no VMX/SVM (KVM emulates guest kernel code): breakpoints, hbreak and steps work in CPL 0 code; CPL 3 code runs natively, unseen by the stub");
	console_printf(gs, "memory access: %s addresses\n",
		       gs->phys ? "guest-physical" :
				  "virtual (selected vCPU's page tables)");
	console_printf(gs, "watchpoints: %s (watch-mode %s)\n",
		       gs->emulate_watch ?
			       "emulated by single-stepping, writes only" :
			       "debug registers",
		       gs->watch_mode == WATCH_AUTO ? "auto" :
		       gs->watch_mode == WATCH_HW   ? "hw" :
						      "step");
	console_printf(gs, "software breakpoints: %d\n", gs->nr_bps);
	for (i = 0; i < gs->nr_bps; i++)
		console_printf(
			gs,
			"  0x%" PRIx64 " (gpa 0x%" PRIx64
			", original byte %02x%s)\n",
			gs->bps[i].gva, gs->bps[i].gpa, gs->bps[i].orig,
			gs->bps[i].user && !host_has_hw_virt() ?
				"; user-accessible page: not caught if executed at CPL 3 on this host" :
				"");
	for (i = 0; i < HW_SLOTS; i++) {
		const struct hw_slot *s = &gs->hw[i];

		if (s->used)
			console_printf(gs, "  DR%d: %s 0x%" PRIx64 " len %u\n",
				       i, ztype_name(s->type), s->addr, s->len);
	}
	for (i = 0; i < SW_WATCH_MAX; i++)
		if (gs->sww[i].used)
			console_printf(gs,
				       "  emulated write watch 0x%" PRIx64
				       " len %" PRIu64 " (gpa 0x%" PRIx64 ")\n",
				       gs->sww[i].addr, gs->sww[i].len,
				       gs->sww[i].gpa);
	console_printf(gs, "last refusal: %s\n",
		       gs->note[0] ? gs->note : "none");
}

/* name=value typed the way `kvmscope ctl` does, from the args_help. */
static json_t *monitor_value(const struct api_command *cmd, const char *name,
			     const char *value)
{
	const char *p, *help = cmd->args_help;
	size_t len = strlen(name);

	for (p = strstr(help, name); p; p = strstr(p + 1, name)) {
		bool start = p == help || strchr(" [(|", p[-1]);

		if (start && p[len] == '=') {
			p += len + 1;
			if (!strncmp(p, "BOOL", 4))
				break;
			/* N and ADDR parse from strings too (hex, > 2^63). */
			return json_string(value);
		}
	}
	if (!strcmp(value, "true") || !strcmp(value, "on"))
		return json_true();
	if (!strcmp(value, "false") || !strcmp(value, "off"))
		return json_false();
	return json_string(value);
}

static void monitor_api(struct gdbstub *gs, char **words, int n)
{
	const struct api_command *cmd = api_command_find(words[0]);
	struct api_ctx ctx = { .vm = gs->vm };
	struct errmsg err = { { 0 } };
	const char *cls = NULL;
	json_t *args, *ret = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int i, r;

	if (!cmd) {
		console_printf(gs, "unknown command '%s': see monitor help\n",
			       words[0]);
		return;
	}
	if (!strcmp(words[0], "cont") || !strcmp(words[0], "stop")) {
		console_printf(
			gs,
			"'%s' would take the run state from gdb: use gdb's continue and Ctrl-C\n",
			words[0]);
		return;
	}
	args = json_object();
	for (i = 1; args && i < n; i++) {
		char *eq = strchr(words[i], '=');

		if (!eq || eq == words[i]) {
			console_printf(gs, "argument '%s' is not name=value\n",
				       words[i]);
			json_decref(args);
			return;
		}
		*eq = '\0';
		json_object_set_new(args, words[i],
				    monitor_value(cmd, words[i], eq + 1));
	}
	if (!args) {
		console_printf(gs, "out of memory\n");
		return;
	}
	r = api_execute(&ctx, words[0], args, &ret, &cls, &err);
	json_decref(args);
	if (r) {
		console_printf(gs, "error: %s\n", err.text);
		return;
	}
	f = open_memstream(&text, &len);
	if (f) {
		if (gs->fmt)
			gs->fmt(f, words[0], ret);
		else
			json_dumpf(ret, f, JSON_INDENT(2));
		fclose(f);
		send_console(gs, text, len);
		if (len && text[len - 1] != '\n')
			send_console(gs, "\n", 1);
	}
	free(text);
	json_decref(ret);
}

static void handle_monitor(struct gdbstub *gs, const char *hex)
{
	size_t hexlen = strlen(hex);
	char *line = malloc(hexlen / 2 + 1), *words[64];
	long n = line ? gdb_hex_decode(hex, hexlen, (uint8_t *)line,
				       hexlen / 2) :
			-1;
	int nw;

	if (n < 0) {
		free(line);
		send_error(gs, EINVAL);
		return;
	}
	line[n] = '\0';
	nw = gdb_split_words(line, words, 64);
	if (nw < 0) {
		console_printf(gs, "too many words\n");
	} else if (nw == 0 || !strcmp(words[0], "help")) {
		monitor_help(gs);
	} else if (!strcmp(words[0], "info")) {
		monitor_info(gs);
	} else if (!strcmp(words[0], "phys")) {
		if (nw == 2 && !strcmp(words[1], "on"))
			gs->phys = true;
		else if (nw == 2 && !strcmp(words[1], "off"))
			gs->phys = false;
		else if (nw != 1)
			console_printf(gs, "usage: monitor phys on|off\n");
		console_printf(gs, "memory addresses are %s\n",
			       gs->phys ? "guest-physical" : "virtual");
	} else if (!strcmp(words[0], "watch-mode")) {
		enum watch_mode m = gs->watch_mode;

		if (nw == 2 && !strcmp(words[1], "auto"))
			m = WATCH_AUTO;
		else if (nw == 2 && !strcmp(words[1], "hw"))
			m = WATCH_HW;
		else if (nw == 2 && !strcmp(words[1], "step"))
			m = WATCH_STEP;
		else if (nw != 1)
			console_printf(
				gs, "usage: monitor watch-mode auto|hw|step\n");
		if (m != gs->watch_mode) {
			bool busy = gs->nr_sww;
			int i;

			for (i = 0; i < HW_SLOTS; i++)
				busy |= gs->hw[i].used && gs->hw[i].type >= 2;
			if (busy)
				console_printf(
					gs, "delete the watchpoints first\n");
			else
				gs->watch_mode = m;
		}
		gs->emulate_watch = use_step_watch(gs);
		console_printf(
			gs, "watchpoints: %s\n",
			gs->emulate_watch ?
				"emulated by single-stepping (writes only)" :
				"debug registers");
	} else {
		monitor_api(gs, words, nw);
	}
	free(line);
	send_packet(gs, "OK");
}

/* ---- connection ---------------------------------------------------------- */

static void gdbstub_ready(void *opaque, int fd, uint32_t events)
{
	gdbstub_handle(opaque, fd, events);
}

/* Detach-like cleanup: nothing of gdb's stays in the guest; it runs on. */
static void release_guest(struct gdbstub *gs)
{
	if (gs->state == GS_IDLE)
		return;
	vm_hold(gs->vm, VM_HOLD_DEBUGGER);
	remove_all(gs);
	set_state(gs, GS_IDLE, -1);
	vm_unhold(gs->vm, VM_HOLD_DEBUGGER);
}

static void disconnect(struct gdbstub *gs, const char *why)
{
	if (gs->conn_fd < 0)
		return;
	log_info("gdb: %s; the guest runs on", why);
	release_guest(gs);
	if (gs->loop)
		event_loop_del(gs->loop, gs->conn_fd);
	close(gs->conn_fd);
	gs->conn_fd = -1;
	gs->out_len = 0;
	gs->out_armed = false;
	free(gs->last);
	gs->last = NULL;
}

static void handle_query(struct gdbstub *gs, const char *pkt)
{
	char buf[160];

	if (!strncmp(pkt, "qSupported", 10)) {
		snprintf(
			buf, sizeof(buf),
			"PacketSize=%x;qXfer:features:read+;vContSupported+;swbreak+;hwbreak+;QStartNoAckMode+",
			GDB_PACKET_MAX);
		send_packet(gs, buf);
	} else if (!strcmp(pkt, "qAttached") ||
		   !strncmp(pkt, "qAttached:", 10)) {
		send_packet(gs, "1");
	} else if (!strcmp(pkt, "qC")) {
		snprintf(buf, sizeof(buf), "QC%x", gs->g_cpu + 1);
		send_packet(gs, buf);
	} else if (!strcmp(pkt, "qfThreadInfo")) {
		handle_thread_info(gs, true);
	} else if (!strcmp(pkt, "qsThreadInfo")) {
		handle_thread_info(gs, false);
	} else if (!strncmp(pkt, "qThreadExtraInfo,", 17)) {
		handle_thread_extra(gs, pkt + 17);
	} else if (!strcmp(pkt, "qOffsets")) {
		send_packet(gs, "Text=0;Data=0;Bss=0");
	} else if (!strncmp(pkt, "qSymbol:", 8)) {
		send_packet(gs, "OK");
	} else if (!strncmp(pkt, "qRcmd,", 6)) {
		handle_monitor(gs, pkt + 6);
	} else if (!strncmp(pkt, "qXfer:", 6)) {
		handle_qxfer(gs, pkt);
	} else {
		send_packet(gs, "");
	}
}

static void handle_h(struct gdbstub *gs, const char *pkt)
{
	const char *s = pkt + 2;
	long tid;

	if ((pkt[1] != 'g' && pkt[1] != 'c') ||
	    !gdb_parse_thread_id(&s, &tid) || *s ||
	    (tid > 0 && !valid_thread(gs, tid))) {
		send_error(gs, ESRCH);
		return;
	}
	if (pkt[1] == 'g' && tid > 0)
		gs->g_cpu = tid - 1;
	else if (pkt[1] == 'c')
		gs->c_cpu = tid > 0 ? tid - 1 : -1;
	send_packet(gs, "OK");
}

/* 'k' / vKill: like the control socket's quit, the VM ends (status 130). */
static void kill_vm(struct gdbstub *gs, bool reply)
{
	if (reply)
		send_packet(gs, "OK");
	flush_out(gs);
	vm_hold(gs->vm, VM_HOLD_DEBUGGER);
	remove_all(gs);
	set_state(gs, GS_IDLE, -1);
	vm_request_end(gs->vm, KS_STATUS_SIGNAL, "killed by gdb", NULL);
	if (gs->conn_fd < 0)
		return;
	if (gs->loop)
		event_loop_del(gs->loop, gs->conn_fd);
	close(gs->conn_fd);
	gs->conn_fd = -1;
	gs->out_len = 0;
	gs->out_armed = false;
}

/* Packets that need the vCPUs parked. */
static bool needs_stopped(char c)
{
	return strchr("gGpPmMXcCsSvZz", c) != NULL;
}

static void handle_packet(struct gdbstub *gs, char *pkt, size_t len)
{
	const char *s;
	long tid;

	if (gs->state != GS_STOPPED && needs_stopped(pkt[0]) &&
	    strncmp(pkt, "vCont?", 6) && strncmp(pkt, "vMustReplyEmpty", 15)) {
		/* All-stop gdb waits for the stop reply; others wait too. */
		send_error(gs, EBUSY);
		return;
	}
	switch (pkt[0]) {
	case '?':
		send_stop(gs, &gs->last_stop);
		break;
	case 'g':
		handle_read_regs(gs);
		break;
	case 'G':
		handle_write_regs(gs, pkt + 1);
		break;
	case 'p':
		handle_read_reg(gs, pkt + 1);
		break;
	case 'P':
		handle_write_reg(gs, pkt + 1);
		break;
	case 'm':
		handle_read_mem(gs, pkt + 1);
		break;
	case 'M':
		handle_write_mem(gs, pkt + 1, false, len);
		break;
	case 'X':
		handle_write_mem(gs, pkt + 1, true, len);
		break;
	case 'c':
	case 'C':
	case 's':
	case 'S':
		handle_resume_legacy(gs, pkt);
		break;
	case 'H':
		handle_h(gs, pkt);
		break;
	case 'T':
		s = pkt + 1;
		if (gdb_parse_thread_id(&s, &tid) && !*s &&
		    valid_thread(gs, tid))
			send_packet(gs, "OK");
		else
			send_error(gs, ESRCH);
		break;
	case 'Z':
	case 'z':
		handle_z(gs, pkt);
		break;
	case 'q':
		handle_query(gs, pkt);
		break;
	case 'Q':
		if (!strcmp(pkt, "QStartNoAckMode")) {
			send_packet(gs, "OK");
			/* gdb acks this reply; nothing after it. */
			gs->noack = true;
		} else {
			send_packet(gs, "");
		}
		break;
	case 'v':
		if (!strcmp(pkt, "vCont?"))
			send_packet(gs, "vCont;c;C;s;S;t");
		else if (!strncmp(pkt, "vCont;", 6))
			handle_vcont(gs, pkt + 5);
		else if (!strncmp(pkt, "vKill", 5))
			kill_vm(gs, true);
		else
			send_packet(gs, "");
		break;
	case 'D':
		send_packet(gs, "OK");
		flush_out(gs);
		disconnect(gs, "gdb detached");
		break;
	case 'k':
		kill_vm(gs, false);
		break;
	default:
		send_packet(gs, "");
		break;
	}
}

static void on_input(struct gdbstub *gs)
{
	char buf[4096];
	ssize_t n, i;

	n = recv(gs->conn_fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		disconnect(gs, n ? "the connection failed" : "gdb went away");
		return;
	}
	for (i = 0; i < n && gs->conn_fd >= 0; i++) {
		switch (gdb_rx_byte(&gs->rx, buf[i])) {
		case GDB_RX_NONE:
		case GDB_RX_ACK:
			break;
		case GDB_RX_NACK:
			if (!gs->noack && gs->last &&
			    out_append(gs, gs->last, gs->last_len))
				flush_out(gs);
			break;
		case GDB_RX_INTERRUPT:
			interrupt(gs);
			break;
		case GDB_RX_BAD_CHECKSUM:
			log_debug("gdb: packet with a bad checksum");
			if (!gs->noack && out_append(gs, "-", 1))
				flush_out(gs);
			break;
		case GDB_RX_TOO_LONG:
			log_debug("gdb: packet longer than %d bytes",
				  GDB_PACKET_MAX);
			if (!gs->noack && !out_append(gs, "+", 1))
				break;
			send_error(gs, E2BIG);
			break;
		case GDB_RX_PACKET:
			if (!gs->noack && !out_append(gs, "+", 1))
				break;
			handle_packet(gs, gs->rx.buf, gs->rx.len);
			break;
		}
	}
}

/* A connected gdb on fd (non-blocking): the VM stops for it. */
static int attach(struct gdbstub *gs, int fd)
{
	int r;

	if (gs->loop) {
		r = event_loop_add(gs->loop, fd, EPOLLIN, gdbstub_ready, gs);
		if (r)
			return r;
	}
	gs->conn_fd = fd;
	gs->out_armed = false;
	gs->noack = false;
	gs->phys = false;
	gs->note[0] = '\0';
	gdb_rx_init(&gs->rx);
	gs->g_cpu = 0;
	gs->c_cpu = -1;
	gs->emulate_watch = use_step_watch(gs);
	/* gdb expects a stopped target: stop the VM on attach. */
	vm_hold(gs->vm, VM_HOLD_DEBUGGER);
	set_state(gs, GS_STOPPED, -1);
	gs->last_stop = (struct gdb_stop){ .sig = GDB_SIGTRAP, .thread = 1 };
	gs->last_stop_cpu = -1;
	log_info("gdb: connected on %s; the VM is stopped", gs->where);
	return 0;
}

static void on_accept(struct gdbstub *gs)
{
	int one = 1;
	int fd = accept4(gs->listen_fd, NULL, NULL,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (gs->conn_fd >= 0) {
		/* One debugger at a time; the second one hears nothing. */
		log_warn("gdb: refused a second connection on %s", gs->where);
		close(fd);
		return;
	}
	/* Replies are small and gdb waits for each: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (attach(gs, fd))
		close(fd);
}

/* ---- setup ----------------------------------------------------------- */

static int listen_tcp(struct gdbstub *gs, const char *spec, struct errmsg *err)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *ai = NULL;
	char host[128], port[16];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	size_t hlen;
	int fd, r, one = 1;

	if (!colon || !colon[1] || strlen(colon + 1) >= sizeof(port))
		return errmsg_set(
			err, EINVAL,
			"--gdb tcp:%s: give tcp:HOST:PORT, e.g. tcp:127.0.0.1:1234",
			spec);
	hlen = colon - spec;
	/* [v6 address] as in URLs. */
	if (hlen >= 2 && spec[0] == '[' && spec[hlen - 1] == ']') {
		spec++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return errmsg_set(err, EINVAL, "--gdb: host name too long");
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	/* No host: loopback only. The stub reads and writes guest memory. */
	r = getaddrinfo(hlen ? host : "127.0.0.1", port, &hints, &ai);
	if (r)
		return errmsg_set(err, EINVAL, "--gdb tcp:%s:%s: %s", host,
				  port, gai_strerror(r));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		r = errno;
		freeaddrinfo(ai);
		return errmsg_set(err, r, "--gdb: socket: %s", strerror(r));
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		r = errno;
		freeaddrinfo(ai);
		close(fd);
		return errmsg_set(
			err, r, "--gdb tcp:%s:%s: %s%s", host, port,
			strerror(r),
			r == EADDRINUSE ?
				" (another gdb stub or QEMU? pick another port, or 0 for any)" :
				"");
	}
	freeaddrinfo(ai);
	gs->listen_fd = fd;
	{
		char h[64] = "?", p[16] = "?";

		getnameinfo((struct sockaddr *)&sa, salen, h, sizeof(h), p,
			    sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV);
		snprintf(gs->where, sizeof(gs->where), "tcp:%s%s%s:%s",
			 strchr(h, ':') ? "[" : "", h,
			 strchr(h, ':') ? "]" : "", p);
	}
	return 0;
}

/* A unix socket at path that refuses connections is a leftover. */
static int unix_check_existing(const char *path, struct errmsg *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r, e;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ?
			       0 :
			       errmsg_set(err, errno, "--gdb unix:%s: %s", path,
					  strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return errmsg_set(
			err, EEXIST,
			"--gdb unix:%s: the path exists and is not a socket; remove it or choose another path",
			path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errmsg_set(err, errno, "--gdb: socket: %s",
				  strerror(errno));
	memcpy(sa.sun_path, path, strlen(path));
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	if (!r)
		return errmsg_set(
			err, EADDRINUSE,
			"--gdb unix:%s: another process serves this socket; stop it or choose another path",
			path);
	if (e != ECONNREFUSED)
		return errmsg_set(
			err, e,
			"--gdb unix:%s: cannot check the existing socket: %s",
			path, strerror(e));
	if (unlink(path) < 0)
		return errmsg_set(
			err, errno,
			"--gdb unix:%s: cannot remove the stale socket: %s",
			path, strerror(errno));
	return 0;
}

static int listen_unix(struct gdbstub *gs, const char *path, struct errmsg *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return errmsg_set(
			err, EINVAL,
			"--gdb unix:PATH: the path must be 1 to %zu bytes",
			sizeof(sa.sun_path) - 1);
	r = unix_check_existing(path, err);
	if (r)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errmsg_set(err, errno, "--gdb: socket: %s",
				  strerror(errno));
	memcpy(sa.sun_path, path, strlen(path));
	/* Owner only from the start: the socket controls the guest. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 1) < 0) {
		r = errno;
		close(fd);
		return errmsg_set(err, r, "--gdb unix:%s: %s", path,
				  strerror(r));
	}
	gs->unix_path = strdup(path);
	if (!gs->unix_path) {
		unlink(path);
		close(fd);
		return errmsg_set(err, ENOMEM, "out of memory");
	}
	gs->listen_fd = fd;
	snprintf(gs->where, sizeof(gs->where), "unix:%s", path);
	return 0;
}

static bool debug_exit_hook(void *opaque, struct vcpu *vcpu, bool from_int3)
{
	return gdbstub_vcpu_debug_exit(opaque, vcpu, from_int3);
}

static struct gdbstub *stub_alloc(struct vm *vm, struct errmsg *err)
{
	struct gdbstub *gs = calloc(1, sizeof(*gs));
	int r;

	if (gs)
		gs->plan = calloc(vm->nr_vcpus ? vm->nr_vcpus : 1, 1);
	if (!gs || !gs->plan) {
		free(gs);
		errmsg_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	gs->vm = vm;
	gs->listen_fd = gs->conn_fd = -1;
	gs->mask_cpu = -1;
	gs->last_stop_cpu = -1;
	gs->state = GS_IDLE;
	gs->watch_mode = WATCH_AUTO;
	/* Flags KVM knows (BLOCKIRQ is new); without the cap: the basics. */
	r = kvm_check_cap(vm->kvm.fd, KVM_CAP_SET_GUEST_DEBUG2);
	gs->dbg_caps = r > 0 ? (unsigned int)r : 0;
	gs->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (gs->efd < 0) {
		errmsg_set(err, errno, "--gdb: eventfd: %s", strerror(errno));
		free(gs->plan);
		free(gs);
		return NULL;
	}
	pthread_mutex_init(&gs->lock, NULL);
	vm_set_debug_hook(vm, debug_exit_hook, gs);
	return gs;
}

static void stub_free(struct gdbstub *gs)
{
	close(gs->efd);
	pthread_mutex_destroy(&gs->lock);
	free(gs->unix_path);
	free(gs->out);
	free(gs->last);
	free(gs->plan);
	free(gs);
}

int gdbstub_open(struct gdbstub **out, const char *spec, struct vm *vm,
		 struct errmsg *err)
{
	struct gdbstub *gs;
	int r;

	*out = NULL;
	if (!spec || (strncmp(spec, "tcp:", 4) && strncmp(spec, "unix:", 5)))
		return errmsg_set(
			err, EINVAL,
			"--gdb '%s' is not understood: use tcp:HOST:PORT or unix:PATH",
			spec ? spec : "");
	if (kvm_check_cap(vm->kvm.fd, KVM_CAP_SET_GUEST_DEBUG) <= 0)
		return errmsg_set(
			err, ENOTSUP,
			"--gdb: this KVM has no KVM_CAP_SET_GUEST_DEBUG; breakpoints and single steps would not work");
	gs = stub_alloc(vm, err);
	if (!gs)
		return -ENOMEM;
	if (!strncmp(spec, "tcp:", 4))
		r = listen_tcp(gs, spec + 4, err);
	else
		r = listen_unix(gs, spec + 5, err);
	if (r) {
		stub_free(gs);
		return r;
	}
	log_warn("gdb: waiting for gdb on %s (target remote %s)", gs->where,
		 gs->unix_path ? gs->unix_path : gs->where + 4);
	*out = gs;
	return 0;
}

int gdbstub_open_conn(struct gdbstub **out, int fd, struct vm *vm,
		      struct errmsg *err)
{
	struct gdbstub *gs;
	int r;

	*out = NULL;
	gs = stub_alloc(vm, err);
	if (!gs)
		return -ENOMEM;
	snprintf(gs->where, sizeof(gs->where), "fd %d", fd);
	r = attach(gs, fd);
	if (r) {
		stub_free(gs);
		return errmsg_set(err, -r, "gdb: cannot watch fd %d: %s", fd,
				  strerror(-r));
	}
	*out = gs;
	return 0;
}

void gdbstub_set_formatter(struct gdbstub *gs, gdbstub_formatter fmt)
{
	if (gs)
		gs->fmt = fmt;
}

int gdbstub_watch(struct gdbstub *gs, struct event_loop *loop)
{
	int r = 0;

	gs->loop = loop;
	if (gs->listen_fd >= 0)
		r = event_loop_add(loop, gs->listen_fd, EPOLLIN, gdbstub_ready,
				   gs);
	if (!r)
		r = event_loop_add(loop, gs->efd, EPOLLIN, gdbstub_ready, gs);
	if (!r && gs->conn_fd >= 0)
		r = event_loop_add(loop, gs->conn_fd, EPOLLIN, gdbstub_ready,
				   gs);
	return r;
}

void gdbstub_handle(struct gdbstub *gs, int fd, uint32_t events)
{
	if (fd == gs->listen_fd) {
		on_accept(gs);
	} else if (fd == gs->efd) {
		on_vcpu_event(gs);
	} else if (fd == gs->conn_fd) {
		if (events & EPOLLOUT)
			flush_out(gs);
		if (gs->conn_fd >= 0 &&
		    (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			on_input(gs);
	}
}

/* Best effort: the last words to gdb before the socket closes. */
static void flush_blocking(struct gdbstub *gs)
{
	struct pollfd p = { .fd = gs->conn_fd, .events = POLLOUT };

	while (gs->conn_fd >= 0 && gs->out_len &&
	       poll(&p, 1, CLOSE_FLUSH_MS) > 0)
		flush_out(gs);
}

void gdbstub_close(struct gdbstub *gs)
{
	if (!gs)
		return;
	if (gs->conn_fd >= 0) {
		char w[8];

		/* gdb sees the VM's end as the process exiting. */
		snprintf(w, sizeof(w), "W%02x", gs->vm->end_status & 0xff);
		gs->noack = true;
		send_packet(gs, w);
		flush_blocking(gs);
	}
	/* vCPU threads are gone: memory and vCPU fds are ours alone. */
	if (gs->state != GS_IDLE) {
		remove_all(gs);
		gs->state = GS_IDLE;
	}
	if (gs->loop) {
		event_loop_del(gs->loop, gs->efd);
		if (gs->conn_fd >= 0)
			event_loop_del(gs->loop, gs->conn_fd);
		if (gs->listen_fd >= 0)
			event_loop_del(gs->loop, gs->listen_fd);
	}
	vm_set_debug_hook(gs->vm, NULL, NULL);
	if (gs->conn_fd >= 0)
		close(gs->conn_fd);
	if (gs->listen_fd >= 0)
		close(gs->listen_fd);
	if (gs->unix_path)
		unlink(gs->unix_path);
	stub_free(gs);
}
