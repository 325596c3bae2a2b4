// SPDX-License-Identifier: GPL-2.0
/*
 * kvm:kvm_exit / kvm:kvm_entry of this VM's vCPU threads, through
 * perf_event_open (see ktrace.h for why not a tracefs instance).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vmm/ktrace.h"

#define RING_PAGES 256 /* data pages per thread: 1 MiB with 4 KiB pages */

/*
 * Counted alongside on request (perf counters: no record per event), for
 * the in-kernel work some hosts' KVM (kvm_pvm) reports even where it fires
 * no kvm_exit. Every perf event on a vCPU thread costs on every exit, even
 * one that never fires (measured on kvm_pvm: about 1.7% of the PIO loop's
 * rate each), so none is counted unless asked: "default" is this set,
 * "all" adds the two that fire several times per exit.
 */
static const char *const default_events[] = {
	"kvm_cpuid",
	"kvm_msr",
	"kvm_pio",
	"kvm_mmio",
	"kvm_page_fault",
	"kvm_inj_exception",
	"kvm_inj_virq",
	"kvm_vcpu_wakeup",
	"kvm_hypercall",
	"kvm_userspace_exit",
	NULL,
};
static const char *const more_events[] = { "kvm_emulate_insn", "kvm_fpu",
					   NULL };

struct kt_thread {
	struct ktrace_thread t;
	int fds[2 + KTRACE_MAX_EXTRA];
	int nr_fds;
	void *ring;
	size_t ring_size; /* data part */
	uint8_t *scratch; /* a record that wraps */
};

struct ktrace {
	struct ktrace_exit_format fmt;
	int entry_id;
	int extra_ids[KTRACE_MAX_EXTRA];
	char extra[KTRACE_MAX_EXTRA][40];
	int nr_extra;
	int nr;
	struct kt_thread *th;
	pthread_mutex_t lock;
	pthread_t reader;
	bool reader_started;
	int stop_efd;
	struct timespec start;
	size_t page;
};

static const char *tracefs_dir;

const char *ktrace_tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing",
					    "/sys/kernel/debug/tracing" };
	char p[128];
	size_t i;

	if (tracefs_dir)
		return tracefs_dir;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/events", dirs[i]);
		if (!access(p, F_OK))
			return tracefs_dir = dirs[i];
	}
	return NULL;
}

/* --- format files -------------------------------------------------- */

int ktrace_format_id(const char *text)
{
	const char *p = strstr(text, "\nID: ");

	if (!p && !strncmp(text, "ID: ", 4))
		p = text - 1;
	return p ? atoi(p + 5) : -1;
}

int ktrace_format_field(const char *text, const char *name, int *size)
{
	const char *p = text;
	size_t n = strlen(name);

	while ((p = strstr(p, "field:"))) {
		const char *semi = strchr(p, ';');
		const char *off;

		if (!semi)
			return -1;
		/* The name is the last word before the ';' (maybe "x[4]"). */
		if ((size_t)(semi - p) > n && !strncmp(semi - n, name, n) &&
		    (semi[-(long)n - 1] == ' ' || semi[-(long)n - 1] == '\t' ||
		     semi[-(long)n - 1] == '*')) {
			off = strstr(semi, "offset:");
			if (!off)
				return -1;
			if (size) {
				const char *sz = strstr(semi, "size:");

				*size = sz ? atoi(sz + 5) : 0;
			}
			return atoi(off + 7);
		}
		p = semi;
	}
	return -1;
}

/* Parse "{ VALUE, "NAME" }, ..." up to the table's closing ')'. */
static void parse_symtab(const char *p, struct ktrace_symtab *tab)
{
	tab->nr = 0;
	while (*p && *p != ')') {
		const char *q, *e;
		char *end;
		int64_t v;
		size_t len;

		if (*p != '{') {
			p++;
			continue;
		}
		v = strtoll(p + 1, &end, 0);
		while (*end == ' ')
			end++;
		if (*end == '+')
			v += strtoll(end + 1, &end, 0);
		q = strchr(end, '"');
		if (!q)
			return;
		e = strchr(q + 1, '"');
		if (!e)
			return;
		if (tab->nr < KTRACE_MAX_SYMS) {
			len = e - q - 1;
			if (len >= sizeof(tab->sym[0].name))
				len = sizeof(tab->sym[0].name) - 1;
			tab->sym[tab->nr].value = v;
			memcpy(tab->sym[tab->nr].name, q + 1, len);
			tab->sym[tab->nr].name[len] = 0;
			tab->nr++;
		}
		p = strchr(e, '}');
		if (!p)
			return;
		p++;
	}
}

int ktrace_parse_exit_format(const char *text, struct ktrace_exit_format *f,
			     struct errmsg *err)
{
	const char *fmt, *vmx, *other;

	memset(f, 0, sizeof(*f));
	f->id = ktrace_format_id(text);
	f->reason_off =
		ktrace_format_field(text, "exit_reason", &f->reason_size);
	f->isa_off = ktrace_format_field(text, "isa", NULL);
	if (f->id < 0 || f->reason_off < 0 || f->reason_size != 4)
		return errmsg_set(
			err, EINVAL,
			"kvm:kvm_exit's format has no ID or no 4-byte exit_reason field");
	fmt = strstr(text, "print fmt:");
	if (!fmt)
		return 0;
	vmx = strstr(fmt, "isa == 1) ? __print_symbolic(");
	if (vmx) {
		f->has_vmx_table = true;
		vmx = strstr(vmx, "__print_symbolic(");
		parse_symtab(vmx + 17, &f->vmx);
		other = strstr(vmx + 17, "__print_symbolic(");
	} else {
		other = strstr(fmt, "__print_symbolic(");
	}
	if (other)
		parse_symtab(other + 17, &f->other);
	return 0;
}

static const char *sym_lookup(const struct ktrace_symtab *t, int64_t v)
{
	int i;

	for (i = 0; i < t->nr; i++)
		if (t->sym[i].value == v)
			return t->sym[i].name;
	return NULL;
}

const char *ktrace_reason_name(const struct ktrace_exit_format *f, uint32_t isa,
			       uint32_t reason, char *buf, size_t size)
{
	const char *s;

	if (f->has_vmx_table && isa == 1)
		s = sym_lookup(&f->vmx, reason & 0xffff);
	else
		s = sym_lookup(&f->other,
			       (int32_t)reason == -1 ? -1 : (int64_t)reason);
	if (s)
		snprintf(buf, size, "%s", s);
	else if (f->isa_off >= 0)
		snprintf(buf, size, "isa%u-%u", isa, reason);
	else
		snprintf(buf, size, "%u", reason);
	return buf;
}

int ktrace_bucket(uint64_t ns)
{
	int b = ns ? 63 - __builtin_clzll(ns) : 0;

	return b < KTRACE_BUCKETS ? b : KTRACE_BUCKETS - 1;
}

/* --- accounting ---------------------------------------------------- */

static struct ktrace_reason *reason_slot(struct ktrace_thread *t, uint32_t isa,
					 uint32_t code)
{
	int i;

	for (i = 0; i < t->nr_reasons; i++)
		if (t->reasons[i].isa == isa && t->reasons[i].code == code)
			return &t->reasons[i];
	if (t->nr_reasons == KTRACE_MAX_REASONS)
		return NULL;
	t->reasons[t->nr_reasons].isa = isa;
	t->reasons[t->nr_reasons].code = code;
	return &t->reasons[t->nr_reasons++];
}

static uint32_t rd32(const uint8_t *raw, size_t size, int off)
{
	uint32_t v = 0;

	if (off >= 0 && (size_t)off + 4 <= size)
		memcpy(&v, raw + off, 4);
	return v;
}

void ktrace_account(const struct ktrace_exit_format *f, int entry_id,
		    const int *extra_ids, int nr_extra, struct ktrace_thread *t,
		    const uint8_t *raw, size_t size, uint64_t ns)
{
	uint16_t type;
	int i;

	if (size < 2)
		return;
	memcpy(&type, raw, 2);
	if (type == f->id) {
		uint32_t code = rd32(raw, size, f->reason_off);
		uint32_t isa = f->isa_off >= 0 ? rd32(raw, size, f->isa_off) :
						 0;
		struct ktrace_reason *r;

		if (isa == 1)
			code &= 0xffff; /* VMX: the flags are not the reason */
		t->exits++;
		r = reason_slot(t, isa, code);
		if (r)
			r->count++;
		t->pending = true;
		t->pend_isa = isa;
		t->pend_code = code;
		t->pend_ns = ns;
		return;
	}
	if (type == entry_id) {
		t->entries++;
		if (t->pending && ns >= t->pend_ns) {
			struct ktrace_reason *r =
				reason_slot(t, t->pend_isa, t->pend_code);
			uint64_t d = ns - t->pend_ns;

			if (r) {
				r->timed++;
				r->sum_ns += d;
				if (d > r->max_ns)
					r->max_ns = d;
				r->hist[ktrace_bucket(d)]++;
			}
		}
		t->pending = false;
		return;
	}
	for (i = 0; i < nr_extra; i++)
		if (type == extra_ids[i]) {
			t->extra[i]++;
			return;
		}
}

/* --- perf ---------------------------------------------------------- */

static char *read_text(const char *path)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb)
				break;
			buf = nb;
			cap += 65536;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (buf)
		buf[len] = 0;
	return buf;
}

static int event_id(const char *name)
{
	char path[256], *text;
	int id;

	snprintf(path, sizeof(path), "%s/events/kvm/%s/id", ktrace_tracefs(),
		 name);
	text = read_text(path);
	if (!text)
		return -1;
	id = atoi(text);
	free(text);
	return id;
}

enum perf_mode {
	PERF_LEADER, /* sampled, owns the thread's ring buffer */
	PERF_FOLLOWER, /* sampled into the leader's buffer */
	PERF_COUNTER, /* counted only: no record per event, read() */
};

/*
 * group_fd >= 0 makes the event a member of that counter's group, created
 * enabled: it counts exactly when its leader does, so every counter of a
 * thread starts and stops at the same instant (enabling them one by one
 * lets exits in between reach one counter and not the next).
 */
static int perf_open(int id, int tid, enum perf_mode mode, int group_fd)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_TRACEPOINT;
	a.config = id;
	a.disabled = group_fd < 0;
	if (mode != PERF_COUNTER) {
		a.sample_period = 1;
		a.sample_type = PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
	}
	if (mode == PERF_LEADER) {
		a.watermark = 1;
		a.wakeup_watermark = RING_PAGES * 4096 / 4;
	}
	return syscall(SYS_perf_event_open, &a, tid, -1, group_fd,
		       PERF_FLAG_FD_CLOEXEC);
}

void ktrace_read_ring(void *meta_page, uint8_t *data, size_t ring_size,
		      uint8_t *scratch, const struct ktrace_exit_format *f,
		      int entry_id, struct ktrace_thread *t)
{
	struct perf_event_mmap_page *meta = meta_page;
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail;
	size_t mask = ring_size - 1;

	while (tail < head) {
		struct perf_event_header h;
		const uint8_t *rec;
		size_t off = tail & mask;

		if (off + sizeof(h) <= ring_size) {
			memcpy(&h, data + off, sizeof(h));
		} else {
			size_t first = ring_size - off;

			memcpy(&h, data + off, first);
			memcpy((uint8_t *)&h + first, data, sizeof(h) - first);
		}
		if (h.size < sizeof(h) || tail + h.size > head)
			break;
		if (off + h.size <= ring_size) {
			rec = data + off;
		} else {
			size_t first = ring_size - off;

			memcpy(scratch, data + off, first);
			memcpy(scratch + first, data, h.size - first);
			rec = scratch;
		}
		if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof(h) + 12) {
			uint64_t ns;
			uint32_t size;

			memcpy(&ns, rec + sizeof(h), 8);
			memcpy(&size, rec + sizeof(h) + 8, 4);
			if (sizeof(h) + 12 + size <= h.size)
				ktrace_account(f, entry_id, NULL, 0, t,
					       rec + sizeof(h) + 12, size, ns);
		} else if (h.type == PERF_RECORD_LOST &&
			   h.size >= sizeof(h) + 16) {
			uint64_t lost;

			memcpy(&lost, rec + sizeof(h) + 8, 8);
			t->lost += lost;
			t->pending = false;
		}
		tail += h.size;
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

static void drain(struct ktrace *kt, struct kt_thread *th)
{
	ktrace_read_ring(th->ring, (uint8_t *)th->ring + kt->page,
			 th->ring_size, th->scratch, &kt->fmt, kt->entry_id,
			 &th->t);
}

static void drain_all(struct ktrace *kt)
{
	int i;

	pthread_mutex_lock(&kt->lock);
	for (i = 0; i < kt->nr; i++)
		drain(kt, &kt->th[i]);
	pthread_mutex_unlock(&kt->lock);
}

static void *reader_main(void *opaque)
{
	struct ktrace *kt = opaque;
	struct pollfd *p = calloc(kt->nr + 1, sizeof(*p));
	int i;

	if (!p)
		return NULL;
	p[0].fd = kt->stop_efd;
	p[0].events = POLLIN;
	for (i = 0; i < kt->nr; i++) {
		p[i + 1].fd = kt->th[i].fds[0];
		p[i + 1].events = POLLIN;
	}
	for (;;) {
		/* The watermark wakes us on a busy vCPU; quiet ones every
		 * 100 ms, so a query sees fresh numbers. */
		int r = poll(p, kt->nr + 1, 100);

		drain_all(kt);
		if (r > 0 && (p[0].revents & POLLIN))
			break;
	}
	free(p);
	return NULL;
}

static int open_thread(struct ktrace *kt, struct kt_thread *th, int tid,
		       struct errmsg *err)
{
	int e, i;

	th->t.tid = tid;
	th->fds[0] = perf_open(kt->fmt.id, tid, PERF_LEADER, -1);
	if (th->fds[0] < 0) {
		e = errno;
		if (e == EACCES || e == EPERM) {
			char *par = read_text(
				"/proc/sys/kernel/perf_event_paranoid");

			errmsg_set(
				err, e,
				"perf_event_open on kvm:kvm_exit of thread %d refused (%s): reading kvm tracepoints needs root (or CAP_PERFMON; kernel.perf_event_paranoid is %d): run kvmscope as root",
				tid, strerror(e), par ? atoi(par) : -1);
			free(par);
			return -e;
		}
		return errmsg_set(
			err, e,
			"perf_event_open on kvm:kvm_exit of thread %d: %s", tid,
			strerror(e));
	}
	th->nr_fds = 1;
	th->fds[th->nr_fds] = perf_open(kt->entry_id, tid, PERF_FOLLOWER, -1);
	if (th->fds[th->nr_fds] < 0)
		return errmsg_set(err, errno,
				  "perf_event_open on kvm:kvm_entry: %s",
				  strerror(errno));
	th->nr_fds++;
	for (i = 0; i < kt->nr_extra; i++) {
		int group = i ? th->fds[2] : -1;
		int fd = perf_open(kt->extra_ids[i], tid, PERF_COUNTER, group);

		if (fd < 0 && group >= 0) /* no group: counted on its own */
			fd = perf_open(kt->extra_ids[i], tid, PERF_COUNTER, -1);

		th->fds[th->nr_fds++] = fd;
	}
	th->ring_size = RING_PAGES * kt->page;
	th->ring = mmap(NULL, th->ring_size + kt->page, PROT_READ | PROT_WRITE,
			MAP_SHARED, th->fds[0], 0);
	if (th->ring == MAP_FAILED) {
		th->ring = NULL;
		return errmsg_set(err, errno, "mmap of the perf buffer: %s",
				  strerror(errno));
	}
	th->scratch = malloc(65536);
	if (!th->scratch)
		return errmsg_set(err, ENOMEM, "out of memory");
	if (ioctl(th->fds[1], PERF_EVENT_IOC_SET_OUTPUT, th->fds[0]) < 0)
		return errmsg_set(err, errno, "PERF_EVENT_IOC_SET_OUTPUT: %s",
				  strerror(errno));
	return 0;
}

static void add_event(struct ktrace *kt, const char *name, int id)
{
	int i;

	for (i = 0; i < kt->nr_extra; i++)
		if (!strcmp(kt->extra[i], name))
			return;
	if (kt->nr_extra == KTRACE_MAX_EXTRA)
		return;
	kt->extra_ids[kt->nr_extra] = id;
	snprintf(kt->extra[kt->nr_extra++], sizeof(kt->extra[0]), "%s", name);
}

/* The events list: NULL or "none", "default", "all", or names, commas. */
static int pick_events(struct ktrace *kt, const char *events,
		       struct errmsg *err)
{
	char buf[512], *save = NULL, *w;
	int i, id;

	if (!events || !strcmp(events, "none"))
		return 0;
	if (!strcmp(events, "default") || !strcmp(events, "all")) {
		for (i = 0; default_events[i]; i++)
			if ((id = event_id(default_events[i])) >= 0)
				add_event(kt, default_events[i], id);
		for (i = 0; !strcmp(events, "all") && more_events[i]; i++)
			if ((id = event_id(more_events[i])) >= 0)
				add_event(kt, more_events[i], id);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", events);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strncmp(w, "kvm_", 4) || strlen(w) >= 40 ||
		    !strcmp(w, "kvm_exit") || !strcmp(w, "kvm_entry") ||
		    (id = event_id(w)) < 0)
			return errmsg_set(
				err, EINVAL,
				"events: '%s' is not a kvm tracepoint to count (see %s/events/kvm; kvm_exit and kvm_entry are always traced)",
				w, ktrace_tracefs());
		if (kt->nr_extra == KTRACE_MAX_EXTRA)
			return errmsg_set(err, EINVAL,
					  "events: more than %d tracepoints",
					  KTRACE_MAX_EXTRA);
		add_event(kt, w, id);
	}
	return 0;
}

int ktrace_start(const int *tids, int n, const char *events,
		 struct ktrace **out, struct errmsg *err)
{
	struct ktrace *kt;
	char path[256], *text;
	int r, k;

	if (!ktrace_tracefs())
		return errmsg_set(
			err, ENOENT,
			"tracefs is not mounted (no /sys/kernel/tracing/events): mount it with 'mount -t tracefs nodev /sys/kernel/tracing' (as root)");
	snprintf(path, sizeof(path), "%s/events/kvm/kvm_exit/format",
		 ktrace_tracefs());
	text = read_text(path);
	if (!text) {
		if (errno == EACCES || errno == EPERM)
			return errmsg_set(
				err, errno,
				"cannot read %s (%s): reading kvm tracepoints needs root: run kvmscope as root",
				path, strerror(errno));
		return errmsg_set(
			err, errno,
			"cannot read %s (%s): this kernel has no kvm:kvm_exit tracepoint (is kvm loaded, CONFIG_TRACEPOINTS set?)",
			path, strerror(errno));
	}
	kt = calloc(1, sizeof(*kt));
	if (!kt) {
		free(text);
		return errmsg_set(err, ENOMEM, "out of memory");
	}
	r = ktrace_parse_exit_format(text, &kt->fmt, err);
	free(text);
	if (r) {
		free(kt);
		return r;
	}
	kt->entry_id = event_id("kvm_entry");
	if (kt->entry_id < 0) {
		free(kt);
		return errmsg_set(err, ENOENT,
				  "no kvm:kvm_entry tracepoint in %s",
				  ktrace_tracefs());
	}
	r = pick_events(kt, events, err);
	if (r) {
		free(kt);
		return r;
	}
	kt->page = sysconf(_SC_PAGESIZE);
	pthread_mutex_init(&kt->lock, NULL);
	kt->stop_efd = -1;
	kt->th = calloc(n, sizeof(*kt->th));
	if (!kt->th) {
		ktrace_stop(kt);
		return errmsg_set(err, ENOMEM, "out of memory");
	}
	for (k = 0; k < n; k++) {
		memset(kt->th[k].fds, -1, sizeof(kt->th[k].fds));
		kt->nr = k + 1;
		if (tids[k] <= 0) {
			ktrace_stop(kt);
			return errmsg_set(err, EAGAIN,
					  "vCPU %d has no thread yet", k);
		}
		r = open_thread(kt, &kt->th[k], tids[k], err);
		if (r) {
			ktrace_stop(kt);
			return r;
		}
	}
	kt->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (kt->stop_efd < 0 ||
	    pthread_create(&kt->reader, NULL, reader_main, kt)) {
		ktrace_stop(kt);
		return errmsg_set(err, EAGAIN,
				  "cannot start the reader thread");
	}
	kt->reader_started = true;
	clock_gettime(CLOCK_MONOTONIC, &kt->start);
	for (k = 0; k < n; k++)
		ioctl(kt->th[k].fds[0], PERF_EVENT_IOC_ENABLE, 0);
	for (k = 0; k < n; k++) {
		int j;

		for (j = 1; j < kt->th[k].nr_fds; j++)
			if (kt->th[k].fds[j] >= 0)
				ioctl(kt->th[k].fds[j], PERF_EVENT_IOC_ENABLE,
				      0);
	}
	*out = kt;
	return 0;
}

void ktrace_stop(struct ktrace *kt)
{
	int k, j;

	if (!kt)
		return;
	if (kt->reader_started) {
		uint64_t one = 1;

		if (write(kt->stop_efd, &one, sizeof(one)) < 0)
			pthread_cancel(kt->reader);
		pthread_join(kt->reader, NULL);
	}
	for (k = 0; k < kt->nr; k++) {
		struct kt_thread *th = &kt->th[k];

		if (th->ring)
			munmap(th->ring, th->ring_size + kt->page);
		for (j = 0; j < th->nr_fds; j++)
			if (th->fds[j] >= 0)
				close(th->fds[j]);
		if (th->nr_fds == 0 && th->fds[0] >= 0)
			close(th->fds[0]);
		free(th->scratch);
	}
	if (kt->stop_efd >= 0)
		close(kt->stop_efd);
	free(kt->th);
	pthread_mutex_destroy(&kt->lock);
	free(kt);
}

int ktrace_threads(struct ktrace *kt)
{
	return kt->nr;
}

bool ktrace_snapshot(struct ktrace *kt, int i, struct ktrace_thread *out)
{
	int j;

	if (i < 0 || i >= kt->nr)
		return false;
	pthread_mutex_lock(&kt->lock);
	drain(kt, &kt->th[i]);
	*out = kt->th[i].t;
	pthread_mutex_unlock(&kt->lock);
	for (j = 0; j < kt->nr_extra; j++) {
		int fd = kt->th[i].fds[2 + j];
		uint64_t n;

		if (fd >= 0 && read(fd, &n, sizeof(n)) == sizeof(n))
			out->extra[j] = n;
	}
	return true;
}

const struct ktrace_exit_format *ktrace_format(struct ktrace *kt)
{
	return &kt->fmt;
}

double ktrace_elapsed(struct ktrace *kt)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - kt->start.tv_sec) +
	       (now.tv_nsec - kt->start.tv_nsec) / 1e9;
}

int ktrace_extra_count(struct ktrace *kt)
{
	return kt->nr_extra;
}

const char *ktrace_extra_name(struct ktrace *kt, int i)
{
	return i >= 0 && i < kt->nr_extra ? kt->extra[i] : "";
}
