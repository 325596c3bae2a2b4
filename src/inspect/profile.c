// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "inspect/profile.h"
#include "util/atomic_file.h"
#include "vmm/diag.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/* Raw samples of one vCPU: words [mode << 8 | depth, pc...]. */
#define PROFILE_MAX_WORDS (8u << 20) /* 64 MiB per vCPU */

struct pbuf {
	pthread_mutex_t lock;
	bool active;
	uint64_t *words;
	size_t len, cap;
	uint64_t samples, dropped;
};

/*
 * One profiler per process (one VM per process). It is never freed: the
 * sample hook's opaque must outlive the VM, and a vCPU thread may still
 * be inside the hook when sampling stops (the per-vCPU lock settles it).
 */
static struct profiler {
	struct vm *vm;
	struct pbuf *bufs;
	int nr_bufs;
	bool *selected;
	bool running;
	int tfd;
	unsigned int hz;
	uint64_t requested;
	struct timespec t0;
} prof = { .tfd = -1 };

static profile_stack_fn stack_walker;
static void *stack_walker_opaque;

void profile_set_stack_walker(profile_stack_fn fn, void *opaque)
{
	stack_walker_opaque = opaque;
	stack_walker = fn;
}

int profile_sample_frames(struct vcpu *vcpu, const struct kvm_regs *regs,
			  const struct kvm_sregs *sregs, uint64_t *pcs, int max)
{
	int n;

	if (max < 1)
		return 0;
	if (stack_walker) {
		n = stack_walker(stack_walker_opaque, vcpu, regs, sregs, pcs,
				 max);
		if (n > 0)
			return n < max ? n : max;
	}
	pcs[0] = regs->rip;
	return 1;
}

static int sample_cpl(const struct kvm_sregs *s, const struct kvm_regs *r)
{
	if (!(s->cr0 & 1))
		return 0; /* real mode */
	if (r && (r->rflags & (1u << 17)))
		return 3; /* virtual-8086 */
	return s->cs.selector & 3;
}

const char *profile_mode_name(const struct kvm_sregs *sregs)
{
	return sample_cpl(sregs, NULL) == 3 ? "user" : "kernel";
}

void profile_frame_name_from(uint64_t pc, const char *sym, char *buf,
			     size_t size)
{
	size_t n = 0, i;

	if (!size)
		return;
	if (sym && *sym) {
		const char *at = strstr(sym, " at ");
		const char *plus;

		n = at ? (size_t)(at - sym) : strlen(sym);
		plus = memmem(sym, n, "+0x", 3);
		if (plus)
			n = plus - sym;
	}
	if (!n) {
		snprintf(buf, size, "0x%" PRIx64, pc & ~(uint64_t)0xf);
		return;
	}
	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++) {
		char c = sym[i];

		buf[i] = (c == ';' || c == ' ' || c == '\t' || c == '\n' ||
			  c == '\r') ?
				 '_' :
				 c;
	}
	buf[n] = '\0';
}

void profile_frame_name(uint64_t pc, char *buf, size_t size)
{
	char sym[256];
	size_t n;

	diag_symbolize(pc, sym, sizeof(sym));
	/* " <name+0xoff>" or "" */
	n = strlen(sym);
	if (n >= 3 && sym[n - 1] == '>') {
		sym[n - 1] = '\0';
		profile_frame_name_from(pc, sym + 2, buf, size);
	} else {
		profile_frame_name_from(pc, NULL, buf, size);
	}
}

/* The sample hook: on the vCPU's thread, out of KVM_RUN. */
static void on_sample(void *opaque, struct vcpu *vcpu,
		      const struct kvm_regs *regs,
		      const struct kvm_sregs *sregs)
{
	struct profiler *p = opaque;
	uint64_t pcs[PROFILE_MAX_FRAMES];
	struct pbuf *b;
	int n, i;

	if (vcpu->id < 0 || vcpu->id >= p->nr_bufs)
		return;
	b = &p->bufs[vcpu->id];
	n = profile_sample_frames(vcpu, regs, sregs, pcs, PROFILE_MAX_FRAMES);
	pthread_mutex_lock(&b->lock);
	if (!b->active)
		goto out;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		uint64_t *w;

		while (cap < b->len + n + 1)
			cap *= 2;
		w = cap <= PROFILE_MAX_WORDS ?
			    realloc(b->words, cap * sizeof(*w)) :
			    NULL;
		if (!w) {
			b->dropped++;
			goto out;
		}
		b->words = w;
		b->cap = cap;
	}
	b->words[b->len++] = (uint64_t)sample_cpl(sregs, regs) << 8 | n;
	for (i = 0; i < n; i++)
		b->words[b->len++] = pcs[i];
	b->samples++;
out:
	pthread_mutex_unlock(&b->lock);
}

static void on_tick(void *opaque, int fd, uint32_t events)
{
	struct profiler *p = opaque;
	uint64_t expirations;
	int i;

	if (read(fd, &expirations, sizeof(expirations)) < 0)
		return;
	/* A stopped VM runs no guest code: nothing to sample. */
	if (vm_is_paused(p->vm) || vm_is_dead(p->vm))
		return;
	for (i = 0; i < p->nr_bufs; i++) {
		struct vcpu *v = p->vm->vcpus[i];

		if (!p->selected[i] ||
		    __atomic_load_n(&v->exited, __ATOMIC_SEQ_CST))
			continue;
		vcpu_request_sample(v);
		p->requested++;
	}
}

bool profile_running(void)
{
	return prof.running;
}

int profile_start(struct vm *vm, unsigned int hz, const bool *cpus,
		  struct errmsg *err)
{
	struct itimerspec period = { { 0, 0 }, { 0, 0 } };
	long ns = 1000000000L / hz;
	int i;

	if (prof.running)
		return errmsg_set(
			err, EBUSY,
			"a profile is already running: profile-stop path=FILE first");
	if (prof.vm != vm || prof.nr_bufs != vm->nr_vcpus) {
		/* Buffers of an earlier VM are leaked, never freed (see prof). */
		prof.bufs = calloc(vm->nr_vcpus, sizeof(*prof.bufs));
		prof.selected = calloc(vm->nr_vcpus, sizeof(*prof.selected));
		if (!prof.bufs || !prof.selected)
			return errmsg_set(err, ENOMEM, "out of memory");
		for (i = 0; i < vm->nr_vcpus; i++)
			pthread_mutex_init(&prof.bufs[i].lock, NULL);
		prof.nr_bufs = vm->nr_vcpus;
		prof.vm = vm;
	}
	prof.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (prof.tfd < 0)
		return errmsg_set(err, errno, "timerfd_create failed: %s",
				  strerror(errno));
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct pbuf *b = &prof.bufs[i];

		prof.selected[i] = cpus[i];
		pthread_mutex_lock(&b->lock);
		b->len = 0;
		b->samples = b->dropped = 0;
		b->active = cpus[i];
		pthread_mutex_unlock(&b->lock);
	}
	prof.hz = hz;
	prof.requested = 0;
	vm_set_sample_hook(vm, on_sample, &prof);
	period.it_interval.tv_sec = ns / 1000000000L;
	period.it_interval.tv_nsec = ns % 1000000000L;
	period.it_value = period.it_interval;
	if (vm_watch_fd(vm, prof.tfd, EPOLLIN, on_tick, &prof) ||
	    timerfd_settime(prof.tfd, 0, &period, NULL)) {
		int e = errno ? errno : EIO;

		vm_unwatch_fd(vm, prof.tfd);
		close(prof.tfd);
		prof.tfd = -1;
		return errmsg_set(err, e, "cannot start the sampling timer: %s",
				  strerror(e));
	}
	clock_gettime(CLOCK_MONOTONIC, &prof.t0);
	prof.running = true;
	return 0;
}

/* Strings to counts: open addressing over an array of folded entries. */
struct fold_map {
	struct folded *e;
	size_t nr, cap;
	size_t *slots; /* index + 1; 0 is empty */
	size_t nr_slots;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static int map_grow(struct fold_map *m)
{
	size_t n = m->nr_slots ? m->nr_slots * 2 : 256, i;
	size_t *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (i = 0; i < m->nr; i++) {
		size_t h = str_hash(m->e[i].stack) & (n - 1);

		while (s[h])
			h = (h + 1) & (n - 1);
		s[h] = i + 1;
	}
	free(m->slots);
	m->slots = s;
	m->nr_slots = n;
	return 0;
}

static int map_add(struct fold_map *m, const char *key, uint64_t count)
{
	size_t h;

	if ((m->nr + 1) * 2 > m->nr_slots && map_grow(m))
		return -ENOMEM;
	h = str_hash(key) & (m->nr_slots - 1);
	while (m->slots[h]) {
		struct folded *f = &m->e[m->slots[h] - 1];

		if (!strcmp(f->stack, key)) {
			f->count += count;
			return 0;
		}
		h = (h + 1) & (m->nr_slots - 1);
	}
	if (m->nr == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct folded *e = realloc(m->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		m->e = e;
		m->cap = cap;
	}
	m->e[m->nr].stack = strdup(key);
	if (!m->e[m->nr].stack)
		return -ENOMEM;
	m->e[m->nr].count = count;
	m->slots[h] = ++m->nr;
	return 0;
}

static void map_free(struct fold_map *m)
{
	size_t i;

	for (i = 0; i < m->nr; i++)
		free(m->e[i].stack);
	free(m->e);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static int by_count(const void *a, const void *b)
{
	const struct folded *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->stack, y->stack);
}

/* Move the map's entries out, sorted; the leaf frames' totals too. */
static int finish(struct fold_map *m, struct profile_result *r)
{
	struct fold_map leaves = { 0 };
	size_t i;
	int e = 0;

	if (m->nr > 1)
		qsort(m->e, m->nr, sizeof(*m->e), by_count);
	r->samples = 0;
	for (i = 0; i < m->nr && !e; i++) {
		const char *leaf = strrchr(m->e[i].stack, ';');

		r->samples += m->e[i].count;
		e = map_add(&leaves, leaf ? leaf + 1 : m->e[i].stack,
			    m->e[i].count);
	}
	if (e) {
		map_free(&leaves);
		map_free(m);
		return e;
	}
	if (leaves.nr > 1)
		qsort(leaves.e, leaves.nr, sizeof(*leaves.e), by_count);
	r->funcs = calloc(leaves.nr + 1, sizeof(*r->funcs));
	if (!r->funcs) {
		map_free(&leaves);
		map_free(m);
		return -ENOMEM;
	}
	for (i = 0; i < leaves.nr; i++) {
		r->funcs[i].name = leaves.e[i].stack;
		r->funcs[i].samples = leaves.e[i].count;
	}
	r->nr_funcs = leaves.nr;
	free(leaves.e);
	free(leaves.slots);
	r->stacks = m->e;
	r->nr_stacks = m->nr;
	free(m->slots);
	return 0;
}

int profile_fold(const char *const *stacks, size_t n, struct profile_result *r)
{
	struct fold_map m = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		if (map_add(&m, stacks[i], 1)) {
			map_free(&m);
			return -ENOMEM;
		}
	return finish(&m, r);
}

/* Frame names by address: symbolizing (DWARF lines too) is not free. */
struct name_cache {
	uint64_t *pcs;
	char **names;
	size_t nr_slots, nr;
};

static const char *cached_name(struct name_cache *c, uint64_t pc)
{
	char buf[256];
	size_t h, i;

	if ((c->nr + 1) * 2 > c->nr_slots) {
		size_t n = c->nr_slots ? c->nr_slots * 2 : 256;
		uint64_t *pcs = calloc(n, sizeof(*pcs));
		char **names = calloc(n, sizeof(*names));

		if (!pcs || !names) {
			free(pcs);
			free(names);
			return NULL;
		}
		for (i = 0; i < c->nr_slots; i++) {
			if (!c->names[i])
				continue;
			h = (c->pcs[i] * 0x9e3779b97f4a7c15ull) >> 40 & (n - 1);
			while (names[h])
				h = (h + 1) & (n - 1);
			pcs[h] = c->pcs[i];
			names[h] = c->names[i];
		}
		free(c->pcs);
		free(c->names);
		c->pcs = pcs;
		c->names = names;
		c->nr_slots = n;
	}
	h = (pc * 0x9e3779b97f4a7c15ull) >> 40 & (c->nr_slots - 1);
	while (c->names[h]) {
		if (c->pcs[h] == pc)
			return c->names[h];
		h = (h + 1) & (c->nr_slots - 1);
	}
	profile_frame_name(pc, buf, sizeof(buf));
	c->names[h] = strdup(buf);
	if (!c->names[h])
		return NULL;
	c->pcs[h] = pc;
	c->nr++;
	return c->names[h];
}

static void cache_free(struct name_cache *c)
{
	size_t i;

	for (i = 0; i < c->nr_slots; i++)
		free(c->names[i]);
	free(c->pcs);
	free(c->names);
}

/* Fold one vCPU's raw samples into m. */
static int fold_vcpu(struct fold_map *m, struct name_cache *c, int id,
		     const uint64_t *w, size_t len)
{
	char stack[PROFILE_MAX_FRAMES * 64 + 32];
	size_t i = 0;
	int k;

	while (i < len) {
		int depth = w[i] & 0xff, cpl = (w[i] >> 8) & 3;
		size_t off;

		off = snprintf(stack, sizeof(stack), "vcpu%d;%s", id,
			       cpl == 3 ? "user" : "kernel");
		for (k = 0; k < depth && i + 1 + k < len; k++) {
			const char *name = cached_name(c, w[i + 1 + k]);

			if (!name)
				return -ENOMEM;
			if (off < sizeof(stack))
				off += snprintf(stack + off,
						sizeof(stack) - off, ";%s",
						name);
		}
		i += 1 + depth;
		if (map_add(m, stack, 1))
			return -ENOMEM;
	}
	return 0;
}

int profile_stop(struct vm *vm, struct profile_result *r, struct errmsg *err)
{
	struct fold_map m = { 0 };
	struct name_cache c = { 0 };
	struct timespec t1;
	int i, e = 0;

	memset(r, 0, sizeof(*r));
	if (!prof.running)
		return errmsg_set(
			err, EINVAL,
			"no profile is running: profile-start hz=N first");
	vm_unwatch_fd(vm, prof.tfd);
	close(prof.tfd);
	prof.tfd = -1;
	prof.running = false;
	vm_set_sample_hook(vm, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->duration_s = (t1.tv_sec - prof.t0.tv_sec) +
			(t1.tv_nsec - prof.t0.tv_nsec) / 1e9;
	r->hz = prof.hz;
	r->requested = prof.requested;
	r->nr_vcpus = prof.nr_bufs;
	r->selected = calloc(prof.nr_bufs, sizeof(*r->selected));
	r->per_vcpu = calloc(prof.nr_bufs, sizeof(*r->per_vcpu));
	if (!r->selected || !r->per_vcpu)
		e = -ENOMEM;
	for (i = 0; i < prof.nr_bufs; i++) {
		struct pbuf *b = &prof.bufs[i];

		/* After this no vCPU thread touches b's words. */
		pthread_mutex_lock(&b->lock);
		b->active = false;
		pthread_mutex_unlock(&b->lock);
		if (!e) {
			r->selected[i] = prof.selected[i];
			r->per_vcpu[i] = b->samples;
			r->dropped += b->dropped;
			e = fold_vcpu(&m, &c, i, b->words, b->len);
		}
		free(b->words);
		b->words = NULL;
		b->len = b->cap = 0;
	}
	cache_free(&c);
	if (!e)
		e = finish(&m, r);
	else
		map_free(&m);
	if (e) {
		profile_result_free(r);
		return errmsg_set(err, -e, "cannot fold the samples: %s",
				  strerror(-e));
	}
	return 0;
}

void profile_result_free(struct profile_result *r)
{
	size_t i;

	for (i = 0; i < r->nr_stacks; i++)
		free(r->stacks[i].stack);
	for (i = 0; i < r->nr_funcs; i++)
		free(r->funcs[i].name);
	free(r->stacks);
	free(r->funcs);
	free(r->selected);
	free(r->per_vcpu);
	memset(r, 0, sizeof(*r));
}

int profile_write_folded(const struct profile_result *r, const char *path,
			 struct errmsg *err)
{
	struct svgbuf sb;
	size_t i;
	int e;

	svg_init(&sb);
	for (i = 0; i < r->nr_stacks; i++)
		svg_printf(&sb, "%s %" PRIu64 "\n", r->stacks[i].stack,
			   r->stacks[i].count);
	if (sb.oom) {
		svg_free(&sb);
		return errmsg_set(err, ENOMEM, "cannot write %s: out of memory",
				  path);
	}
	e = atomic_file_write(path, sb.buf ? sb.buf : "", sb.len, err);
	svg_free(&sb);
	return e;
}

int profile_write_svg(const struct profile_result *r, const char *path,
		      struct errmsg *err)
{
	char sub[160];
	struct svgbuf sb;
	int e;

	snprintf(sub, sizeof(sub),
		 "%" PRIu64
		 " samples at %u Hz over %.2f s; width = share of samples",
		 r->samples, r->hz, r->duration_s);
	svg_init(&sb);
	flamegraph_svg(&sb, "kvmscope profile", sub, r->stacks, r->nr_stacks);
	if (sb.oom) {
		svg_free(&sb);
		return errmsg_set(err, ENOMEM, "cannot write %s: out of memory",
				  path);
	}
	e = atomic_file_write(path, sb.buf, sb.len, err);
	svg_free(&sb);
	return e;
}

static struct profile_result last;
static bool have_last;

void profile_keep_result(struct profile_result *r)
{
	if (have_last)
		profile_result_free(&last);
	last = *r;
	memset(r, 0, sizeof(*r));
	have_last = true;
}

const struct profile_result *profile_last_result(void)
{
	return have_last ? &last : NULL;
}
