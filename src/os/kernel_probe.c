// SPDX-License-Identifier: GPL-2.0
/*
 * Finding the guest's Linux kernel in RAM (guest_kernel.h): the VMCOREINFO
 * candidate that is consistent with the rest of memory, else the
 * "Linux version" banner plus what the kernel's page tables show, and
 * kernel virtual address translation. Pure functions of guest memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/search.h"
#include "os/guest_kernel.h"
#include "util/parse.h"

#define UTS_LEN 65 /* __NEW_UTS_LEN + 1: sysname, nodename, release... */
#define BANNER_MAX_HITS 256

#define CR0_PE (1ULL << 0)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

/* Kernel text/data: x - __START_KERNEL_map + phys_base, else -EFAULT. */
static int text_to_gpa(uint64_t va, uint64_t phys_base, uint64_t *gpa)
{
	if (va < KERNEL_START_MAP ||
	    va - KERNEL_START_MAP >= KERNEL_TEXT_REGION)
		return -EFAULT;
	*gpa = va - KERNEL_START_MAP + phys_base;
	return 0;
}

/*
 * Does this VMCOREINFO describe the kernel in this RAM? Its init_uts_ns
 * (a kernel-image symbol, so phys_base arithmetic finds it) must hold its
 * own OSRELEASE: a note planted by a guest user, or left over from an
 * earlier kernel, rarely is.
 */
static bool uts_consistent(const struct guest_memory *mem,
			   const struct vmcoreinfo *vi)
{
	struct errmsg err;
	uint64_t uts, name = 0, gpa;
	int64_t phys_base = 0;
	const char *off = vmcoreinfo_get(vi, "OFFSET(uts_namespace.name)");
	char rel[UTS_LEN];
	long o;

	if (vmcoreinfo_symbol(vi, "init_uts_ns", &uts, &err) ||
	    vmcoreinfo_number(vi, "phys_base", &phys_base, &err) || !off ||
	    parse_int(off, 0, 65536, &o))
		return false;
	name = (uint64_t)o;
	if (text_to_gpa(uts + name + 2 * UTS_LEN, (uint64_t)phys_base, &gpa) ||
	    guest_memory_read(mem, gpa, rel, sizeof(rel)))
		return false;
	rel[UTS_LEN - 1] = '\0';
	return !strcmp(rel, vi->osrelease);
}

/* A note header scores 1, consistency with init_uts_ns 2. */
static int score_candidate(void *opaque, const struct vmcoreinfo_candidate *c)
{
	const struct guest_memory *mem = opaque;

	return (c->in_note ? 1 : 0) + (uts_consistent(mem, c->vi) ? 2 : 0);
}

static void pick_vmcoreinfo(const struct guest_memory *mem,
			    struct vmcoreinfo_scan *scan,
			    struct guest_kernel *gk)
{
	int i, best = -1;

	gk->vmcoreinfo_valid = scan->valid;
	gk->vmcoreinfo_rejected = scan->rejected;
	if (scan->rejected)
		snprintf(gk->vmcoreinfo_why, sizeof(gk->vmcoreinfo_why),
			 "at gpa 0x%" PRIx64 ": %s", scan->first_rejected_gpa,
			 scan->first_rejected_why);
	/* The best score; of equals, the lowest address (the first kept). */
	for (i = 0; i < scan->nr; i++)
		if (best < 0 ||
		    scan->candidates[i].score > scan->candidates[best].score ||
		    (scan->candidates[i].score ==
			     scan->candidates[best].score &&
		     scan->candidates[i].gpa < scan->candidates[best].gpa))
			best = i;
	if (best < 0)
		return;
	gk->vi = scan->candidates[best].vi;
	scan->candidates[best].vi = NULL;
	gk->vmcoreinfo_gpa = scan->candidates[best].gpa;
	gk->vmcoreinfo_in_note = scan->candidates[best].in_note;
	gk->vmcoreinfo_consistent = scan->candidates[best].score >= 2;
}

static int make_pc(struct paging_ctx *pc, uint64_t cr3, bool la57,
		   unsigned int maxphyaddr)
{
	return paging_ctx_init(pc, CR0_PE | CR0_WP | CR0_PG, cr3,
			       CR4_PAE | (la57 ? CR4_LA57 : 0),
			       EFER_LME | EFER_LMA | EFER_NXE, maxphyaddr,
			       true);
}

/* Everything VMCOREINFO says; fields it lacks stay unset. */
static void from_vmcoreinfo(const struct guest_memory *mem,
			    unsigned int maxphyaddr, struct guest_kernel *gk)
{
	const struct vmcoreinfo *vi = gk->vi;
	struct kallsyms_locations *kl = &gk->kallsyms_loc;
	struct errmsg err;
	uint64_t off, swapper, gpa;
	int64_t v;

	snprintf(gk->os_release, sizeof(gk->os_release), "%s", vi->osrelease);
	gk->os_release_method = "vmcoreinfo";
	snprintf(gk->build_id, sizeof(gk->build_id), "%s", vi->build_id);
	gk->build_id_method = "vmcoreinfo";
	gk->page_size = vi->page_size;
	gk->page_size_method = "vmcoreinfo";
	if (!vmcoreinfo_hex(vi, "KERNELOFFSET", &off, &err) &&
	    off < KERNEL_TEXT_REGION) {
		gk->have_kaslr = true;
		gk->kaslr_offset = (int64_t)off;
		gk->kaslr_method = "vmcoreinfo";
	}
	if (!vmcoreinfo_number(vi, "phys_base", &v, &err)) {
		gk->have_phys_base = true;
		gk->phys_base = (uint64_t)v;
		gk->phys_base_method = "vmcoreinfo";
	}
	if (!vmcoreinfo_number(vi, "pgtable_l5_enabled", &v, &err) &&
	    (v == 0 || v == 1)) {
		gk->paging_levels = v ? 5 : 4;
		gk->paging_method = "vmcoreinfo";
	}
	if (gk->have_phys_base && gk->paging_levels &&
	    !vmcoreinfo_symbol(vi, "swapper_pg_dir", &swapper, &err) &&
	    !text_to_gpa(swapper, gk->phys_base, &gpa) && !(gpa & 4095) &&
	    guest_memory_ptr(mem, gpa, 4096) &&
	    !make_pc(&gk->pc, gpa, gk->paging_levels == 5, maxphyaddr)) {
		gk->have_pc = true;
		gk->pc_method = "swapper_pg_dir";
	}
	gk->have_kallsyms_loc =
		!vmcoreinfo_symbol(vi, "kallsyms_names", &kl->names, &err) &&
		!vmcoreinfo_symbol(vi, "kallsyms_num_syms", &kl->num_syms,
				   &err) &&
		!vmcoreinfo_symbol(vi, "kallsyms_token_table", &kl->token_table,
				   &err) &&
		!vmcoreinfo_symbol(vi, "kallsyms_token_index", &kl->token_index,
				   &err) &&
		((!vmcoreinfo_symbol(vi, "kallsyms_offsets", &kl->offsets,
				     &err) &&
		  !vmcoreinfo_symbol(vi, "kallsyms_relative_base",
				     &kl->relative_base, &err)) ||
		 !vmcoreinfo_symbol(vi, "kallsyms_addresses", &kl->addresses,
				    &err));
	if (vmcoreinfo_symbol(vi, "kallsyms_markers", &kl->markers, &err))
		kl->markers = 0;
}

/* The text of a parenthesised group starting at s[0] == '('. */
static size_t paren_group(const char *s, size_t n)
{
	size_t i;
	int depth = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0)
			return i + 1;
	}
	return 0;
}

/*
 * linux_banner: "Linux version " UTS_RELEASE " (" LINUX_COMPILE_BY "@"
 * LINUX_COMPILE_HOST ") (" LINUX_COMPILER ") " UTS_VERSION "\n". A copy
 * in the printk buffer reads the same; a format string ("%s") does not
 * start its release with a digit.
 */
static bool parse_banner(const char *line, size_t n, struct guest_kernel *gk)
{
	const char *rel = line + strlen("Linux version ");
	const char *sp = memchr(rel, ' ', n - (size_t)(rel - line));
	const char *p;
	size_t g1, g2, rl;

	if (!sp || rel[0] < '0' || rel[0] > '9')
		return false;
	rl = (size_t)(sp - rel);
	if (rl >= sizeof(gk->os_release) || sp[1] != '(')
		return false;
	p = sp + 1;
	g1 = paren_group(p, n - (size_t)(p - line));
	if (!g1 || p[g1] != ' ' || p[g1 + 1] != '(')
		return false;
	p += g1 + 1;
	g2 = paren_group(p, n - (size_t)(p - line));
	if (!g2 || g2 - 2 >= sizeof(gk->compiler))
		return false;
	memcpy(gk->os_release, rel, rl);
	gk->os_release[rl] = '\0';
	memcpy(gk->compiler, p + 1, g2 - 2);
	gk->compiler[g2 - 2] = '\0';
	memcpy(gk->banner, line, n);
	gk->banner[n] = '\0';
	return true;
}

struct banner_scan {
	const struct guest_memory *mem;
	struct guest_kernel *gk;
	uint64_t base;
	unsigned int hits;
	bool found;
	bool have_fallback;
	uint64_t fallback_gpa;
};

/*
 * A banner whose version has its build number ("#1 SMP ..."). A 6.1+
 * vmlinux also holds init/version.o's copy, linked before the real one
 * (init/version-timestamp.o) but never printed, with "# SMP": it is used
 * only when no complete banner is in RAM.
 */
static bool banner_complete(const char *line)
{
	const char *h = strstr(line, ") #");

	return h && h[3] >= '0' && h[3] <= '9';
}

/* The banner at gpa into gk (false: none there); buf gets the line. */
static bool read_banner(const struct guest_memory *mem, uint64_t gpa,
			struct guest_kernel *gk, char *buf, size_t size)
{
	size_t n = (size_t)guest_memory_span(mem, gpa);

	if (n > size - 1)
		n = size - 1;
	if (guest_memory_read(mem, gpa, buf, n))
		return false;
	for (n = 0; n < size - 1; n++)
		if ((unsigned char)buf[n] < 0x20 ||
		    (unsigned char)buf[n] > 0x7e)
			break;
	if (n == size - 1 || buf[n] != '\n')
		return false;
	buf[n] = '\0';
	if (!parse_banner(buf, n, gk))
		return false;
	gk->banner_gpa = gpa;
	return true;
}

static enum search_next on_banner(void *opaque, size_t off)
{
	struct banner_scan *b = opaque;
	char buf[sizeof(b->gk->banner)];

	if (++b->hits > BANNER_MAX_HITS)
		return SEARCH_STOP;
	if (!read_banner(b->mem, b->base + off, b->gk, buf, sizeof(buf)))
		return SEARCH_CONTINUE;
	if (!banner_complete(buf)) {
		if (!b->have_fallback) {
			b->have_fallback = true;
			b->fallback_gpa = b->base + off;
		}
		return SEARCH_CONTINUE;
	}
	b->found = true;
	return SEARCH_STOP;
}

static bool find_banner(const struct guest_memory *mem, struct guest_kernel *gk)
{
	static const char pat[] = "Linux version ";
	struct banner_scan b = { .mem = mem, .gk = gk };
	char buf[sizeof(gk->banner)];
	const struct guest_region *g;
	struct search_pattern sp;
	int i;

	search_prepare(&sp, (const uint8_t *)pat, sizeof(pat) - 1);
	for (i = 0; !b.found && b.hits <= BANNER_MAX_HITS &&
		    (g = guest_memory_region_at(mem, i));
	     i++) {
		const uint8_t *hay = guest_memory_ptr(mem, g->gpa, g->size);

		if (!hay)
			continue;
		b.base = g->gpa;
		search_scan_populated(&sp, hay, (size_t)g->size, on_banner, &b);
	}
	if (!b.found && b.have_fallback)
		b.found =
			read_banner(mem, b.fallback_gpa, gk, buf, sizeof(buf));
	return b.found;
}

/*
 * The kernel maps its image at __START_KERNEL_map + phys offset, and
 * cleanup_highmap() unmaps the 2 MiB pages below _text: the lowest mapped
 * 2 MiB of the 1 GiB text region is _text (2 MiB aligned), which an
 * unrelocated kernel (CONFIG_PHYSICAL_START 16 MiB) has at
 * 0xffffffff81000000.
 */
static void kaslr_from_page_tables(const struct guest_memory *mem,
				   const struct paging_ctx *pc,
				   struct guest_kernel *gk)
{
	struct walk_result res;
	uint64_t va;

	for (va = KERNEL_START_MAP; va - KERNEL_START_MAP < KERNEL_TEXT_REGION;
	     va += 2ULL << 20) {
		if (pagewalk(mem, pc, va, &res))
			continue;
		if (va < KERNEL_DEFAULT_TEXT)
			return; /* early boot: the identity-sized map remains */
		if (!gk->have_kaslr) {
			gk->have_kaslr = true;
			gk->kaslr_offset = (int64_t)(va - KERNEL_DEFAULT_TEXT);
			gk->kaslr_method = "page-tables";
		}
		if (!gk->have_phys_base) {
			gk->have_phys_base = true;
			gk->phys_base = res.gpa - (va - KERNEL_START_MAP);
			gk->phys_base_method = "page-tables";
		}
		return;
	}
}

int guest_kernel_probe(const struct guest_memory *mem,
		       const struct paging_ctx *cpu_pc, unsigned int maxphyaddr,
		       struct guest_kernel *gk, struct errmsg *err)
{
	return guest_kernel_probe_flags(mem, cpu_pc, maxphyaddr, 0, gk, err);
}

int guest_kernel_probe_flags(const struct guest_memory *mem,
			     const struct paging_ctx *cpu_pc,
			     unsigned int maxphyaddr, unsigned int flags,
			     struct guest_kernel *gk, struct errmsg *err)
{
	struct vmcoreinfo_scan *scan = malloc(sizeof(*scan));
	bool ia32e = cpu_pc && (cpu_pc->mode == PAGING_4LEVEL ||
				cpu_pc->mode == PAGING_5LEVEL);

	memset(gk, 0, sizeof(*gk));
	if (!scan)
		return errmsg_set(err, ENOMEM, "out of memory");
	vmcoreinfo_scan(mem, scan, score_candidate, (void *)mem);
	gk->bytes_scanned = scan->bytes_scanned;
	pick_vmcoreinfo(mem, scan, gk);
	vmcoreinfo_scan_free(scan);
	free(scan);
	if (gk->vi)
		from_vmcoreinfo(mem, maxphyaddr, gk);
	else if (flags & GK_PROBE_VMCOREINFO_ONLY)
		return errmsg_set(err, ENOENT,
				  "no valid VMCOREINFO in guest RAM");
	else if (find_banner(mem, gk))
		gk->os_release_method = "banner";
	if (!gk->vi && !gk->banner[0])
		return errmsg_set(
			err, ENOENT,
			"no Linux kernel found in guest RAM: no valid VMCOREINFO (%d candidate%s rejected%s%s) and no \"Linux version\" banner",
			gk->vmcoreinfo_rejected,
			gk->vmcoreinfo_rejected == 1 ? "" : "s",
			gk->vmcoreinfo_why[0] ? ", first " : "",
			gk->vmcoreinfo_why);
	if (!gk->have_pc && ia32e) {
		gk->pc = *cpu_pc;
		gk->have_pc = true;
		gk->pc_method = "vcpu0-cr3";
	}
	if (!gk->paging_levels && ia32e) {
		gk->paging_levels = cpu_pc->mode == PAGING_5LEVEL ? 5 : 4;
		gk->paging_method = "cr4";
	}
	if ((!gk->have_kaslr || !gk->have_phys_base) && gk->have_pc)
		kaslr_from_page_tables(mem, &gk->pc, gk);
	if (!gk->os_release_method)
		gk->os_release_method = "unavailable";
	if (!gk->build_id_method)
		gk->build_id_method = "unavailable";
	if (!gk->page_size_method) {
		/* x86 has one base page size. */
		gk->page_size = 4096;
		gk->page_size_method = "architecture";
	}
	if (!gk->kaslr_method)
		gk->kaslr_method = "unavailable";
	if (!gk->phys_base_method)
		gk->phys_base_method = "unavailable";
	if (!gk->paging_method)
		gk->paging_method = "unavailable";
	return 0;
}

void guest_kernel_free(struct guest_kernel *gk)
{
	free(gk->vi);
	memset(gk, 0, sizeof(*gk));
}

int guest_kernel_kva_to_gpa(const struct guest_memory *mem,
			    const struct guest_kernel *gk, uint64_t va,
			    uint64_t *gpa, struct errmsg *err)
{
	struct walk_result res;

	if (gk->have_pc) {
		if (pagewalk(mem, &gk->pc, va, &res))
			return errmsg_set(
				err, EFAULT,
				"kernel address 0x%" PRIx64
				" is not mapped (%s, page tables from %s)",
				va, res.why, gk->pc_method);
		*gpa = res.gpa;
		return 0;
	}
	if (gk->have_phys_base && !text_to_gpa(va, gk->phys_base, gpa))
		return 0;
	return errmsg_set(err, EFAULT,
			  "kernel address 0x%" PRIx64
			  " cannot be translated: no kernel page tables known",
			  va);
}

int guest_kernel_read_kva(const struct guest_memory *mem,
			  const struct guest_kernel *gk, uint64_t va, void *buf,
			  size_t len, struct errmsg *err)
{
	uint8_t *out = buf;

	while (len) {
		size_t n = 4096 - (size_t)(va & 4095);
		uint64_t gpa;
		int r;

		if (n > len)
			n = len;
		r = guest_kernel_kva_to_gpa(mem, gk, va, &gpa, err);
		if (r)
			return r;
		if (guest_memory_read(mem, gpa, out, n))
			return errmsg_set(err, EFAULT,
					  "kernel address 0x%" PRIx64
					  " maps to gpa 0x%" PRIx64
					  ", which is not guest RAM",
					  va, gpa);
		out += n;
		va += n;
		len -= n;
	}
	return 0;
}

struct kva_reader {
	const struct guest_memory *mem;
	const struct guest_kernel *gk;
};

static int read_kva_cb(void *opaque, uint64_t va, void *buf, size_t len)
{
	struct kva_reader *r = opaque;

	return guest_kernel_read_kva(r->mem, r->gk, va, buf, len, NULL);
}

int guest_kernel_load_kallsyms(const struct guest_memory *mem,
			       const struct guest_kernel *gk,
			       struct kallsyms *ks, struct errmsg *err)
{
	struct kva_reader r = { .mem = mem, .gk = gk };

	if (!gk->vi)
		return errmsg_set(
			err, ENOENT,
			"no kallsyms: the guest kernel has no VMCOREINFO (build it with CONFIG_PROC_KCORE or CONFIG_KEXEC for CRASH_CORE)");
	if (!gk->have_kallsyms_loc)
		return errmsg_set(err, ENOENT,
				  "no kallsyms: VMCOREINFO at gpa 0x%" PRIx64
				  " lists no kallsyms tables (CONFIG_KALLSYMS)",
				  gk->vmcoreinfo_gpa);
	return kallsyms_load(&gk->kallsyms_loc, read_kva_cb, &r, ks, err);
}
