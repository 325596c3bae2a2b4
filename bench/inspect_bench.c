// SPDX-License-Identifier: GPL-2.0
/*
 * Inspection benchmarks over kvmscope's own code (no KVM needed):
 *
 *   inspect_bench search [MiB] [rounds]
 *	search-memory's scanner against glibc memmem over the same bytes in
 *	the same run: a RAM-like buffer (zero pages, text, code-like bytes,
 *	kernel pointers, random data) and patterns that are absent, rare,
 *	common text, a pointer and all zeros. Both count every (overlapping)
 *	match; counts must agree. One line per pattern:
 *	  search NAME bytes=N matches=N scanner_s=T memmem_s=T memmem_bytes=N
 *	(memmem_bytes < bytes when memmem was only run over a prefix because
 *	it would take minutes, as for all-zero patterns over zero pages),
 *	after the floor, one plain read of every byte:
 *	  read bytes=N seconds=T
 *
 *   inspect_bench walk [walks]
 *	pagewalk() on synthetic 4-level tables: random 4 KiB mappings spread
 *	over thousands of page tables, walked at random mapped addresses.
 *	  walk walks=N seconds=T mapped=N
 *	  mappings entries=N ranges=N seconds=T
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "arch/x86/pagewalk.h"
#include "inspect/search.h"
#include "vmm/memory.h"

#define PAGE 4096

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *const words[] = {
	"the",	     "of",
	"and",	     "to",
	"in",	     "is",
	"for",	     "that",
	"with",	     "on",
	"kernel",    "memory",
	"page",	     "schedule_timeout",
	"return",    "struct",
	"device",    "driver",
	"error",     "value",
	"init",	     "static",
	"void",	     "int",
	"unsigned",  "long",
	"spin_lock", "mutex",
	"irq",	     "buffer",
	"file",	     "inode",
	"dentry",    "task",
	"process",   "thread",
	"signal",    "timer",
	"clock",     "event",
	"/usr/lib",  "/proc/self",
	"config",    "CONFIG_X86",
	"0x0000",    "ffff",
	"localhost", "systemd",
	"journal",   "Started",
	"Stopping",  "module",
	"loaded",    "PCI:",
	"ACPI:",     "usb",
	"eth0",	     "net",
	"tcp",	     "udp",
	"socket",    "bind",
	"open",	     "close",
};

static void fill_text(uint8_t *p)
{
	size_t off = 0;

	while (off < PAGE) {
		const char *w =
			words[rnd() % (sizeof(words) / sizeof(words[0]))];
		size_t n = strlen(w);

		if (n > PAGE - off)
			n = PAGE - off;
		memcpy(p + off, w, n);
		off += n;
		if (off < PAGE)
			p[off++] = rnd() % 12 ? ' ' : '\n';
	}
}

/* Bytes with x86-64 code's skew: REX.W, mov, call, 0x0f, small imms. */
static void fill_code(uint8_t *p)
{
	static const uint8_t common[] = { 0x48, 0x89, 0x8b, 0xe8, 0x0f, 0x00,
					  0x00, 0x00, 0x45, 0x31, 0xc0, 0x83,
					  0xc3, 0x74, 0x75, 0xff, 0x24, 0x44,
					  0x8d, 0x85, 0x01, 0x08, 0x10, 0xcc };
	size_t i;

	for (i = 0; i < PAGE; i++)
		p[i] = rnd() % 3 ? common[rnd() % sizeof(common)] :
				   (uint8_t)rnd();
}

/* Page of 8-byte slots: direct-map and text pointers, small ints, 0. */
static void fill_pointers(uint8_t *p)
{
	size_t i;

	for (i = 0; i < PAGE; i += 8) {
		uint64_t v;

		switch (rnd() % 4) {
		case 0:
			v = 0xffff888000000000ULL | (rnd() & 0x3ffffff8ULL);
			break;
		case 1:
			v = 0xffffffff81000000ULL | (rnd() & 0xfffff0ULL);
			break;
		case 2:
			v = rnd() & 0xffff;
			break;
		default:
			v = 0;
		}
		memcpy(p + i, &v, 8);
	}
}

/*
 * A guest that has run a while: half its pages still zero, the rest a
 * mix of page cache text, code, slab-like pointer arrays and random data
 * (compressed or encrypted pages).
 */
static void fill_ram(uint8_t *buf, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += PAGE) {
		unsigned int kind = (unsigned int)(rnd() % 20);
		size_t i;

		if (kind < 10) {
			memset(buf + off, 0, PAGE);
		} else if (kind < 13) {
			fill_text(buf + off);
		} else if (kind < 16) {
			fill_code(buf + off);
		} else if (kind < 18) {
			fill_pointers(buf + off);
		} else {
			for (i = 0; i < PAGE; i += 8) {
				uint64_t v = rnd();

				memcpy(buf + off + i, &v, 8);
			}
		}
	}
}

static uint64_t memmem_count(const uint8_t *hay, size_t len, const uint8_t *pat,
			     size_t plen)
{
	const uint8_t *p = hay, *end = hay + len;
	uint64_t n = 0;

	while ((size_t)(end - p) >= plen) {
		const uint8_t *m = memmem(p, (size_t)(end - p), pat, plen);

		if (!m)
			break;
		n++;
		p = m + 1;
	}
	return n;
}

/* The floor: read every byte once, as fast as a plain loop can. */
static uint64_t read_all(const uint8_t *buf, size_t size)
{
	uint64_t acc[4] = { 0 };
	size_t i;

	for (i = 0; i + 32 <= size; i += 32) {
		uint64_t w[4];

		memcpy(w, buf + i, sizeof(w));
		acc[0] ^= w[0];
		acc[1] ^= w[1];
		acc[2] ^= w[2];
		acc[3] ^= w[3];
	}
	return acc[0] ^ acc[1] ^ acc[2] ^ acc[3];
}

static void bench_search(size_t mib, int rounds)
{
	size_t size = mib << 20;
	uint8_t *buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t rare32[32], absent16[16], ptr8[8], zeros8[8] = { 0 };
	const uint64_t ptr = 0xffff888012345678ULL;
	struct {
		const char *name;
		const uint8_t *pat;
		size_t plen;
		size_t memmem_limit; /* 0: whole buffer */
	} pats[] = {
		{ "absent-16", absent16, 16, 0 },
		{ "planted-32", rare32, 32, 0 },
		{ "text-word", (const uint8_t *)"schedule_timeout", 16, 0 },
		{ "pointer-8", ptr8, 8, 0 },
		{ "zeros-8", zeros8, 8, 64ULL << 20 },
	};
	size_t i;
	int k;

	if (buf == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	fill_ram(buf, size);
	for (i = 0; i < sizeof(rare32); i++)
		rare32[i] = (uint8_t)(rnd() | 0x80);
	for (i = 0; i < sizeof(absent16); i++)
		absent16[i] = (uint8_t)(rnd() | 0x80);
	memcpy(ptr8, &ptr, 8);
	for (i = 0; i < 1000; i++)
		memcpy(buf + rnd() % (size - 32), rare32, 32);
	for (i = 0; i < 100; i++)
		memcpy(buf + (rnd() % (size - 8) & ~7ULL), ptr8, 8);

	{
		double best = 1e30;
		uint64_t x = 0;

		for (k = 0; k < rounds; k++) {
			double t0 = now();

			x ^= read_all(buf, size);
			if (now() - t0 < best)
				best = now() - t0;
		}
		printf("read bytes=%zu seconds=%.6f xor=%" PRIx64 "\n", size,
		       best, x);
	}
	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		size_t lim = pats[i].memmem_limit;
		size_t mlen = lim && lim < size ? lim : size;
		double best_s = 1e30, best_m = 1e30;
		struct search_pattern sp;
		uint64_t ns = 0, nm = 0, ns_prefix;

		search_prepare(&sp, pats[i].pat, pats[i].plen);
		/* Alternate, so both see the same cache and CPU frequency. */
		for (k = 0; k < rounds; k++) {
			double t0 = now(), t1, t2;

			ns = search_scan(&sp, buf, size, NULL, NULL, NULL);
			t1 = now();
			nm = memmem_count(buf, mlen, pats[i].pat, pats[i].plen);
			t2 = now();
			if (t1 - t0 < best_s)
				best_s = t1 - t0;
			if (t2 - t1 < best_m)
				best_m = t2 - t1;
		}
		ns_prefix = mlen == size ? ns :
					   search_scan(&sp, buf, mlen, NULL,
						       NULL, NULL);
		if (ns_prefix != nm) {
			fprintf(stderr,
				"%s: scanner found %" PRIu64
				" matches, memmem %" PRIu64 "\n",
				pats[i].name, ns_prefix, nm);
			exit(1);
		}
		printf("search %s bytes=%zu matches=%" PRIu64
		       " scanner_s=%.6f memmem_s=%.6f memmem_bytes=%zu\n",
		       pats[i].name, size, ns, best_s, best_m, mlen);
		fflush(stdout);
	}
	munmap(buf, size);
}

static int count_range(void *opaque, const struct mapping *m)
{
	(*(uint64_t *)opaque)++;
	return 0;
}

/* Synthetic guest page tables, built through guest_memory_write. */
struct tables {
	struct guest_memory mem;
	uint64_t next; /* bump allocator for 4 KiB tables */
	uint64_t pml4;
};

static uint64_t alloc_table(struct tables *t)
{
	uint64_t gpa = t->next;

	t->next += PAGE;
	guest_memory_fill(&t->mem, gpa, 0, PAGE);
	return gpa;
}

/* The table an entry points to, created (RW, US) when absent. */
static uint64_t child(struct tables *t, uint64_t table, unsigned int idx)
{
	uint64_t e;

	guest_memory_read(&t->mem, table + idx * 8ULL, &e, 8);
	if (!(e & 1)) {
		e = alloc_table(t) | 0x7;
		guest_memory_write(&t->mem, table + idx * 8ULL, &e, 8);
	}
	return e & 0x000ffffffffff000ULL;
}

static void bench_walk(long walks)
{
	enum { NR_VAS = 1 << 16 };
	static uint64_t vas[NR_VAS];
	struct mappings_stats st;
	struct paging_ctx pc;
	struct walk_result res;
	struct tables t = { 0 };
	uint64_t sum = 0, ranges = 0;
	double t0, t1;
	long i;

	if (guest_memory_alloc(&t.mem, 256ULL << 20)) {
		fprintf(stderr, "cannot allocate guest memory\n");
		exit(1);
	}
	t.next = 1 << 20;
	t.pml4 = alloc_table(&t);
	/*
	 * 64 Ki pages over 8 PML4Es x 8 PDPTEs x 64 PDEs: up to 4096 page
	 * tables, so walks miss the CPU caches the way a real guest's do.
	 */
	for (i = 0; i < NR_VAS; i++) {
		unsigned int l4 = rnd() % 8, l3 = rnd() % 8, l2 = rnd() % 64,
			     l1 = rnd() % 512;
		uint64_t pdpt = child(&t, t.pml4, l4);
		uint64_t pd = child(&t, pdpt, l3);
		uint64_t pt = child(&t, pd, l2);
		uint64_t pte = (0x8000000ULL + (rnd() % 0x8000) * PAGE) | 0x7;

		guest_memory_write(&t.mem, pt + l1 * 8ULL, &pte, 8);
		vas[i] = (uint64_t)l4 << 39 | (uint64_t)l3 << 30 |
			 (uint64_t)l2 << 21 | (uint64_t)l1 << 12 |
			 (rnd() & 0xfff);
	}
	/* CR0.PG|PE, CR4.PAE, EFER.LME|LMA: 4-level paging. */
	if (paging_ctx_init(&pc, 0x80000001ULL, t.pml4, 0x20, 0x500, 46,
			    true)) {
		fprintf(stderr, "paging_ctx_init failed\n");
		exit(1);
	}
	t0 = now();
	for (i = 0; i < walks; i++) {
		if (pagewalk(&t.mem, &pc, vas[i % NR_VAS], &res)) {
			fprintf(stderr, "walk of 0x%" PRIx64 " failed: %s\n",
				vas[i % NR_VAS], res.why);
			exit(1);
		}
		sum += res.gpa;
	}
	t1 = now();
	printf("walk walks=%ld seconds=%.6f mapped=%d tables_mib=%.1f checksum=%" PRIx64
	       "\n",
	       walks, t1 - t0, NR_VAS, (double)(t.next - (1 << 20)) / (1 << 20),
	       sum);

	t0 = now();
	pagewalk_mappings(&t.mem, &pc, 1ULL << 24, count_range, &ranges, &st);
	t1 = now();
	printf("mappings entries=%" PRIu64 " ranges=%" PRIu64 " seconds=%.6f\n",
	       st.entries_visited, ranges, t1 - t0);
	guest_memory_free(&t.mem);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "search")) {
		bench_search(argc >= 3 ? strtoul(argv[2], NULL, 0) : 1024,
			     argc >= 4 ? atoi(argv[3]) : 3);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "walk")) {
		bench_walk(argc >= 3 ? strtol(argv[2], NULL, 0) : 2000000);
		return 0;
	}
	fprintf(stderr, "usage: %s search [MiB] [rounds] | walk [walks]\n",
		argv[0]);
	return 2;
}
