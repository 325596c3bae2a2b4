// SPDX-License-Identifier: GPL-2.0
/*
 * The per-VM cache of the guest kernel and its symbols, and the
 * symbolizer that names guest RIPs in diagnostics (guest_kernel.h).
 *
 * Threads. The getters run on the main thread. The symbolizer may run on
 * any thread, vCPU threads included (emulator-fallback logs): there it
 * only reads a table published with an atomic store, never takes a lock
 * (the main thread may hold one while the VM is paused) and never scans
 * RAM itself; a miss starts one background loader thread (at most one
 * attempt per second), so later diagnostics get names. On the main
 * thread a miss loads synchronously (rate-limited the same way).
 *
 * Lifetimes. A published symbol table (with the kernel info it was read
 * through) is immutable and freed at detach, after the loader has
 * finished, or by an invalidation once no symbolizer call reads it (each
 * call counts itself in st.readers around its lookup); the main thread's
 * own probe result (before VMCOREINFO exists) is refreshed in place, by
 * the main thread only, and freed at detach.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "os/guest_kernel.h"
#include "util/log.h"
#include "vmm/diag.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define RETRY_NS 1000000000LL /* between failed loads */
#define REPROBE_NS 100000000LL /* a probe without VMCOREINFO is this fresh */

struct os_symbols {
	struct guest_kernel *gk;
	struct kallsyms ks;
};

static struct {
	struct vm *vm;
	bool attached, symbolizer;
	pthread_t main_thread;
	pthread_mutex_t load_lock; /* one load at a time (main or loader) */
	struct guest_kernel *gk; /* main thread's probe; main thread only */
	int64_t gk_time; /* when it was probed */
	struct os_symbols *syms; /* atomic: published once per boot */
	int readers; /* atomic: symbolizer calls reading syms right now */
	int64_t next_try; /* atomic: monotonic ns of the next load attempt */
	int loaders; /* atomic: background loaders running */
	int preload_fd; /* timerfd of the preload ticks, -1: none */
	unsigned int preload_ticks;
	int closing; /* atomic */
} st = { .load_lock = PTHREAD_MUTEX_INITIALIZER, .preload_fd = -1 };

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static struct os_symbols *published(void)
{
	return __atomic_load_n(&st.syms, __ATOMIC_ACQUIRE);
}

static void free_symbols(struct os_symbols *s)
{
	if (!s)
		return;
	kallsyms_free(&s->ks);
	guest_kernel_free(s->gk);
	free(s->gk);
	free(s);
}

static void free_gk(struct guest_kernel *gk)
{
	if (gk) {
		guest_kernel_free(gk);
		free(gk);
	}
}

static unsigned int guest_maxphyaddr(struct vm *vm)
{
	unsigned int maxphy;
	bool gbpages;

	diag_guest_phys_bits(vm->supported_cpuid, &maxphy, &gbpages);
	return maxphy;
}

/*
 * Decode kallsyms through gk (taken over on success) and publish. Called
 * with load_lock held. 0, or -errno with err set.
 */
static int publish(struct guest_kernel *gk, struct errmsg *err)
{
	struct os_symbols *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return errmsg_set(err, ENOMEM, "out of memory");
	r = guest_kernel_load_kallsyms(&st.vm->mem, gk, &s->ks, err);
	if (r) {
		free(s);
		return r;
	}
	s->gk = gk;
	__atomic_store_n(&st.syms, s, __ATOMIC_RELEASE);
	log_info(
		"guest kernel %s: %zu kallsyms symbols from VMCOREINFO at gpa 0x%" PRIx64,
		gk->os_release, s->ks.nr, gk->vmcoreinfo_gpa);
	return 0;
}

static void *loader_main(void *arg)
{
	struct guest_kernel *gk = calloc(1, sizeof(*gk));
	struct errmsg err = { { 0 } };
	int r = -ENOMEM;

	if (gk && !__atomic_load_n(&st.closing, __ATOMIC_ACQUIRE)) {
		r = guest_kernel_probe(&st.vm->mem, NULL,
				       guest_maxphyaddr(st.vm), gk, &err);
		pthread_mutex_lock(&st.load_lock);
		if (!r && !published())
			r = publish(gk, &err);
		else if (!r)
			r = -EEXIST;
		pthread_mutex_unlock(&st.load_lock);
	}
	if (r) {
		free_gk(gk);
		__atomic_store_n(&st.next_try, now_ns() + RETRY_NS,
				 __ATOMIC_RELAXED);
	}
	__atomic_sub_fetch(&st.loaders, 1, __ATOMIC_RELEASE);
	return arg;
}

/* From any thread: one background load, unless one ran recently. */
static void kick_loader(void)
{
	int64_t t = now_ns(),
		next = __atomic_load_n(&st.next_try, __ATOMIC_RELAXED);
	pthread_attr_t attr;
	pthread_t th;
	int zero = 0;

	if (t < next || __atomic_load_n(&st.closing, __ATOMIC_ACQUIRE))
		return;
	if (!__atomic_compare_exchange_n(&st.loaders, &zero, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&st.next_try, t + RETRY_NS, __ATOMIC_RELAXED);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, loader_main, NULL))
		__atomic_sub_fetch(&st.loaders, 1, __ATOMIC_RELEASE);
	pthread_attr_destroy(&attr);
}

/*
 * The kernel writes VMCOREINFO during boot, and the first fallback logs
 * of a vCPU thread come soon after: the main loop asks for a background
 * load every second for a minute, then every 10 s, then every minute,
 * until the table exists, so those logs get names without a vCPU thread
 * ever waiting. A scan of 256 MiB costs ~10 ms of the loader's thread.
 */
static void preload_stop(void)
{
	if (st.preload_fd < 0)
		return;
	vm_unwatch_fd(st.vm, st.preload_fd);
	close(st.preload_fd);
	st.preload_fd = -1;
}

static void preload_set(time_t seconds)
{
	struct itimerspec t = { .it_interval = { .tv_sec = seconds },
				.it_value = { .tv_sec = seconds } };

	timerfd_settime(st.preload_fd, 0, &t, NULL);
}

static void preload_tick(void *opaque, int fd, uint32_t events)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	if (published()) {
		preload_stop();
		return;
	}
	st.preload_ticks++;
	if (st.preload_ticks == 60)
		preload_set(10);
	else if (st.preload_ticks == 90)
		preload_set(60);
	kick_loader();
}

static void preload_start(struct vm *vm)
{
	st.preload_ticks = 0;
	st.preload_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (st.preload_fd < 0)
		return;
	preload_set(1);
	if (vm_watch_fd(vm, st.preload_fd, EPOLLIN, preload_tick, NULL)) {
		close(st.preload_fd);
		st.preload_fd = -1;
	}
}

static bool on_main_thread(void)
{
	return st.attached && pthread_equal(pthread_self(), st.main_thread);
}

/*
 * Name addr from the published table: 0, -ENOENT (not covered) or
 * -EAGAIN (no table). The reader count lets invalidation free a table
 * once nobody reads it, without a lock: readers only count themselves.
 */
static int describe_published(uint64_t addr, char *buf, size_t size)
{
	struct os_symbols *s;
	int r = -EAGAIN;

	__atomic_add_fetch(&st.readers, 1, __ATOMIC_SEQ_CST);
	s = __atomic_load_n(&st.syms, __ATOMIC_SEQ_CST);
	if (s)
		r = kallsyms_describe(&s->ks, addr, buf, size);
	__atomic_sub_fetch(&st.readers, 1, __ATOMIC_SEQ_CST);
	return r;
}

static int symbolize(void *opaque, uint64_t addr, char *buf, size_t size)
{
	const struct kallsyms *ks;
	struct errmsg err;
	int r = describe_published(addr, buf, size);

	if (r != -EAGAIN)
		return r;
	if (!on_main_thread()) {
		kick_loader();
		return -ENOENT;
	}
	if (now_ns() < __atomic_load_n(&st.next_try, __ATOMIC_RELAXED) ||
	    guest_kernel_symbols(st.vm, &ks, &err))
		return -ENOENT;
	return kallsyms_describe(ks, addr, buf, size);
}

int guest_kernel_attach(struct vm *vm, bool with_symbolizer)
{
	if (st.attached)
		guest_kernel_detach(st.vm);
	st.vm = vm;
	st.attached = true;
	st.main_thread = pthread_self();
	st.next_try = 0;
	st.closing = 0;
	st.symbolizer = with_symbolizer;
	st.preload_fd = -1;
	if (with_symbolizer) {
		diag_set_symbolizer(symbolize, vm);
		preload_start(vm);
	}
	return 0;
}

void guest_kernel_detach(struct vm *vm)
{
	if (!st.attached || st.vm != vm)
		return;
	if (st.symbolizer)
		diag_set_symbolizer(NULL, NULL);
	preload_stop();
	__atomic_store_n(&st.closing, 1, __ATOMIC_RELEASE);
	/* A loader reads guest RAM: it must be done before RAM goes. */
	while (__atomic_load_n(&st.loaders, __ATOMIC_ACQUIRE))
		usleep(1000);
	free_symbols(published());
	st.syms = NULL;
	free_gk(st.gk);
	st.gk = NULL;
	st.attached = false;
	st.vm = NULL;
}

void guest_kernel_invalidate(struct vm *vm)
{
	struct os_symbols *s;

	if (!st.attached || st.vm != vm)
		return;
	pthread_mutex_lock(&st.load_lock);
	s = published();
	__atomic_store_n(&st.syms, NULL, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&st.load_lock);
	/* A vCPU thread naming a RIP holds it for microseconds. */
	while (__atomic_load_n(&st.readers, __ATOMIC_SEQ_CST))
		sched_yield();
	free_symbols(s);
	/* Emptied, not freed: callers may hold the pointer. */
	if (st.gk)
		guest_kernel_free(st.gk);
	st.gk_time = 0;
	st.next_try = 0;
}

static void ensure_attached(struct vm *vm)
{
	if (!st.attached || st.vm != vm)
		guest_kernel_attach(vm, false);
}

/* vCPU 0's paging, when the VM is stopped so its registers can be read. */
static bool cpu0_paging(struct vm *vm, struct paging_ctx *pc)
{
	struct kvm_sregs sregs;
	struct errmsg err;

	if (vm->nr_vcpus < 1 || !vm->vcpus || !vm->vcpus[0] ||
	    !vm_is_paused(vm))
		return false;
	return !vcpu_paging_ctx(vm->vcpus[0], &sregs, pc, &err);
}

void guest_kernel_use(struct vm *vm)
{
	ensure_attached(vm);
}

static int get(struct vm *vm, unsigned int flags,
	       const struct guest_kernel **out, struct errmsg *err)
{
	struct os_symbols *s;
	struct guest_kernel *gk;
	struct paging_ctx pc;
	bool have_pc;
	int r;

	ensure_attached(vm);
	s = published();
	if (s) {
		*out = s->gk;
		return 0;
	}
	/* Without VMCOREINFO, probe again, but once per command at most. */
	if (st.gk && st.gk_time &&
	    (st.gk->vi || now_ns() - st.gk_time < REPROBE_NS)) {
		*out = st.gk;
		return 0;
	}
	gk = calloc(1, sizeof(*gk));
	if (!gk)
		return errmsg_set(err, ENOMEM, "out of memory");
	have_pc = cpu0_paging(vm, &pc);
	r = guest_kernel_probe_flags(&vm->mem, have_pc ? &pc : NULL,
				     guest_maxphyaddr(vm), flags, gk, err);
	if (r) {
		free(gk);
		return r;
	}
	/*
	 * The fresh result goes into the same object, so a pointer from an
	 * earlier call stays valid (its contents refreshed) until detach.
	 */
	if (st.gk) {
		guest_kernel_free(st.gk);
		*st.gk = *gk;
		free(gk);
	} else {
		st.gk = gk;
	}
	st.gk_time = now_ns();
	*out = st.gk;
	return 0;
}

int guest_kernel_get(struct vm *vm, const struct guest_kernel **out,
		     struct errmsg *err)
{
	return get(vm, 0, out, err);
}

int guest_kernel_get_vmcoreinfo(struct vm *vm, const struct guest_kernel **out,
				struct errmsg *err)
{
	const struct guest_kernel *gk;
	int r;

	ensure_attached(vm);
	/* A recent full probe that found no VMCOREINFO answers for it. */
	if (!published() && st.gk && !st.gk->vi && st.gk_time &&
	    now_ns() - st.gk_time < REPROBE_NS)
		return errmsg_set(err, ENOENT,
				  "no valid VMCOREINFO in guest RAM");
	r = get(vm, GK_PROBE_VMCOREINFO_ONLY, &gk, err);
	if (r)
		return r;
	if (!gk->vi)
		return errmsg_set(err, ENOENT,
				  "no valid VMCOREINFO in guest RAM");
	*out = gk;
	return 0;
}

int guest_kernel_symbols(struct vm *vm, const struct kallsyms **out,
			 struct errmsg *err)
{
	const struct guest_kernel *gk;
	struct os_symbols *s;
	int r;

	ensure_attached(vm);
	s = published();
	if (!s) {
		r = guest_kernel_get(vm, &gk, err);
		if (r)
			goto fail;
		s = published();
	}
	if (!s) {
		pthread_mutex_lock(&st.load_lock);
		s = published();
		if (!s && st.gk == gk) {
			r = publish(st.gk, err);
			if (!r)
				st.gk = NULL; /* the published table owns it */
		} else if (!s) {
			r = errmsg_set(err, EAGAIN, "the guest kernel changed");
		}
		pthread_mutex_unlock(&st.load_lock);
		if (r)
			goto fail;
		s = published();
	}
	*out = &s->ks;
	return 0;
fail:
	__atomic_store_n(&st.next_try, now_ns() + RETRY_NS, __ATOMIC_RELAXED);
	return r;
}
