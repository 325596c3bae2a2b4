// SPDX-License-Identifier: GPL-2.0
/*
 * dump-guest-memory: the guest as an ELF64 core file that crash and drgn
 * open, in the layout QEMU's dump-guest-memory writes (paging=false):
 *
 *   PT_NOTE   one NT_PRSTATUS per vCPU (elf_prstatus: the registers in
 *             user_regs_struct order, pr_pid the PID of the guest task the
 *             vCPU runs as kdump writes it, else vCPU index + 1), one "QEMU"
 *             note per vCPU with control registers and segments (QEMU's
 *             QEMUCPUState, version 1, which crash reads for CR3), and the
 *             kernel's own VMCOREINFO text as a "VMCOREINFO" note when the
 *             guest has one (drgn and crash use it to find the kernel's
 *             KASLR offset, phys_base and symbols)
 *   PT_LOAD   one per RAM region, p_paddr = guest physical; for a Linux
 *             guest p_vaddr is its direct-map address (PAGE_OFFSET +
 *             physical) and one more PT_LOAD maps the kernel image at its
 *             virtual address over the same file bytes, as kdump's vmcore
 *             does: drgn reads swapper_pg_dir through it. Otherwise
 *             p_vaddr is 0, as QEMU's paging=false dumps.
 *
 * The file is written under a temporary name in the same directory and
 * renamed when complete: a reader sees no dump or a whole one. Pages that
 * were never touched (all zero) are left as holes, so a mostly idle 4 GiB
 * guest does not cost 4 GiB of disk.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/procfs.h>
#include <unistd.h>

#include "inspect/dump.h"
#include "util/pagemap.h"
#include "vmm/memory.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define NOTE_ALIGN(n) (((n) + 3) & ~(size_t)3)
#define DUMP_PAGE 4096

/* QEMU's target/i386/arch_dump.c QEMUCPUState, version 1. */
struct qemu_cpu_segment {
	uint32_t selector, limit, flags, pad;
	uint64_t base;
};

struct qemu_cpu_state {
	uint32_t version, size;
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
	struct qemu_cpu_segment cs, ds, es, fs, gs, ss, ldt, tr, gdt, idt;
	uint64_t cr[5];
	uint64_t kernel_gs_base;
};

struct notes {
	uint8_t *buf;
	size_t len, cap;
};

/* Bytes of a note with this name and descriptor size. */
static size_t note_size(const char *name, size_t desc_len)
{
	return sizeof(Elf64_Nhdr) + NOTE_ALIGN(strlen(name) + 1) +
	       NOTE_ALIGN(desc_len);
}

static int note_add(struct notes *n, const char *name, uint32_t type,
		    const void *desc, size_t desc_len)
{
	size_t namesz = strlen(name) + 1;
	size_t need = note_size(name, desc_len);
	Elf64_Nhdr h = { .n_namesz = (Elf64_Word)namesz,
			 .n_descsz = (Elf64_Word)desc_len,
			 .n_type = type };
	uint8_t *p;

	if (n->len + need > n->cap) {
		size_t cap = (n->cap ? n->cap * 2 : 4096) + need;

		p = realloc(n->buf, cap);
		if (!p)
			return -ENOMEM;
		n->buf = p;
		n->cap = cap;
	}
	p = n->buf + n->len;
	memset(p, 0, need);
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), name, namesz);
	memcpy(p + sizeof(h) + NOTE_ALIGN(namesz), desc, desc_len);
	n->len += need;
	return 0;
}

static void seg(struct qemu_cpu_segment *q, const struct kvm_segment *s)
{
	q->selector = s->selector;
	q->limit = s->limit;
	/* The descriptor's flag bits as a CPU caches them (bits 8-23). */
	q->flags = (uint32_t)s->type << 8 | (uint32_t)s->s << 12 |
		   (uint32_t)s->dpl << 13 | (uint32_t)s->present << 15 |
		   (uint32_t)s->avl << 20 | (uint32_t)s->l << 21 |
		   (uint32_t)s->db << 22 | (uint32_t)s->g << 23;
	q->base = s->base;
}

static int vcpu_notes(struct notes *n, struct vcpu *v,
		      const struct dump_linux *lx, struct errmsg *err)
{
	struct elf_prstatus pr;
	struct qemu_cpu_state q;
	struct user_regs_struct *u = (struct user_regs_struct *)&pr.pr_reg;
	struct kvm_regs r;
	struct kvm_sregs s;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} kgs = { .h.nmsrs = 1, .e.index = 0xc0000102 };

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return errmsg_set(err, errno, "vCPU %d: cannot read registers",
				  v->id);
	if (ioctl(v->fd, KVM_GET_MSRS, &kgs) != 1)
		kgs.e.data = 0;
	memset(&pr, 0, sizeof(pr));
	pr.pr_pid = v->id + 1;
	if (lx && lx->have_pids && v->id >= 0 && v->id < lx->nr_pids)
		pr.pr_pid = lx->pid[v->id];
	u->r15 = r.r15, u->r14 = r.r14, u->r13 = r.r13, u->r12 = r.r12;
	u->rbp = r.rbp, u->rbx = r.rbx, u->r11 = r.r11, u->r10 = r.r10;
	u->r9 = r.r9, u->r8 = r.r8, u->rax = r.rax, u->rcx = r.rcx;
	u->rdx = r.rdx, u->rsi = r.rsi, u->rdi = r.rdi;
	u->orig_rax = r.rax, u->rip = r.rip, u->eflags = r.rflags;
	u->rsp = r.rsp, u->cs = s.cs.selector, u->ss = s.ss.selector;
	u->fs_base = s.fs.base, u->gs_base = s.gs.base;
	u->ds = s.ds.selector, u->es = s.es.selector;
	u->fs = s.fs.selector, u->gs = s.gs.selector;

	memset(&q, 0, sizeof(q));
	q.version = 1;
	q.size = sizeof(q);
	q.rax = r.rax, q.rbx = r.rbx, q.rcx = r.rcx, q.rdx = r.rdx;
	q.rsi = r.rsi, q.rdi = r.rdi, q.rsp = r.rsp, q.rbp = r.rbp;
	q.r8 = r.r8, q.r9 = r.r9, q.r10 = r.r10, q.r11 = r.r11;
	q.r12 = r.r12, q.r13 = r.r13, q.r14 = r.r14, q.r15 = r.r15;
	q.rip = r.rip, q.rflags = r.rflags;
	seg(&q.cs, &s.cs), seg(&q.ds, &s.ds), seg(&q.es, &s.es);
	seg(&q.fs, &s.fs), seg(&q.gs, &s.gs), seg(&q.ss, &s.ss);
	seg(&q.ldt, &s.ldt), seg(&q.tr, &s.tr);
	q.gdt.base = s.gdt.base, q.gdt.limit = s.gdt.limit;
	q.idt.base = s.idt.base, q.idt.limit = s.idt.limit;
	q.cr[0] = s.cr0, q.cr[2] = s.cr2, q.cr[3] = s.cr3, q.cr[4] = s.cr4;
	q.kernel_gs_base = kgs.e.data;
	if (note_add(n, "CORE", NT_PRSTATUS, &pr, sizeof(pr)) ||
	    note_add(n, "QEMU", 0, &q, sizeof(q)))
		return errmsg_set(err, ENOMEM, "out of memory");
	return 0;
}

static int write_all(int fd, const void *p, size_t len, off_t off)
{
	const uint8_t *b = p;

	while (len) {
		ssize_t w = pwrite(fd, b, len, off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += w;
		len -= (size_t)w;
		off += w;
	}
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	static const uint8_t zero[DUMP_PAGE];

	return !memcmp(p, zero, n);
}

struct region_writer {
	int fd;
	const uint8_t *hva;
	off_t off;
	uint64_t *written;
};

#define DUMP_WRITE_MAX (1UL << 20) /* bytes per pwrite of adjacent pages */

/*
 * One populated run of a region: its non-zero pages, adjacent ones in
 * one write (a page per system call costs half the throughput).
 */
static int write_run(void *opaque, size_t start, size_t len)
{
	struct region_writer *w = opaque;
	size_t i, end = start + len, span = 0, span_len = 0;
	int r;

	for (i = start & ~(size_t)(DUMP_PAGE - 1); i < end; i += DUMP_PAGE) {
		size_t n = end - i < DUMP_PAGE ? end - i : DUMP_PAGE;
		bool zero = all_zero(w->hva + i, n);

		if (span_len && (zero || span_len >= DUMP_WRITE_MAX)) {
			r = write_all(w->fd, w->hva + span, span_len,
				      w->off + (off_t)span);
			if (r)
				return r;
			*w->written += span_len;
			span_len = 0;
		}
		if (zero)
			continue;
		if (!span_len)
			span = i;
		span_len += n;
	}
	if (!span_len)
		return 0;
	r = write_all(w->fd, w->hva + span, span_len, w->off + (off_t)span);
	if (!r)
		*w->written += span_len;
	return r;
}

/*
 * A region's bytes, leaving all-zero pages as holes. Pages the host never
 * backed are not even read (util/pagemap): reading them would map the
 * zero page into each one.
 */
static int write_region(int fd, const struct guest_memory *mem,
			const struct guest_region *g, off_t off,
			uint64_t *written)
{
	struct region_writer w = { .fd = fd, .off = off, .written = written };

	w.hva = guest_memory_ptr(mem, g->gpa, g->size);
	if (!w.hva)
		return -EFAULT;
	return pagemap_for_each_populated(w.hva, g->size, write_run, &w);
}

/* The probe, on its own thread while RAM is written. */
struct probe_run {
	const struct dump_probe *probe;
	struct dump_linux lx;
	char vmcoreinfo[DUMP_VMCOREINFO_MAX];
	size_t vmcoreinfo_len;
};

static void *probe_thread(void *opaque)
{
	struct probe_run *pr = opaque;

	pr->vmcoreinfo_len = pr->probe->run(pr->probe->opaque, &pr->lx,
					    pr->vmcoreinfo,
					    sizeof(pr->vmcoreinfo));
	return NULL;
}

/* The headers that depend on what the probe found: program headers. */
static int build_phdrs(struct vm *vm, const struct dump_linux *lx,
		       int nr_regions, off_t notes_off, size_t notes_len,
		       off_t data_off, Elf64_Ehdr *eh, Elf64_Phdr *ph)
{
	const struct guest_region *g;
	int text_seg = -1, i;
	off_t off = data_off;

	memset(eh, 0, sizeof(*eh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = (Elf64_Half)(nr_regions + 1);
	/* The kernel image's segment, if it lies inside one RAM region. */
	for (i = 0; lx->valid && i < nr_regions && text_seg < 0; i++) {
		g = guest_memory_region_at(&vm->mem, i);
		if (lx->text_pa >= g->gpa && lx->text_size &&
		    lx->text_pa - g->gpa <= g->size &&
		    lx->text_size <= g->size - (lx->text_pa - g->gpa)) {
			text_seg = i;
			eh->e_phnum++;
		}
	}
	memset(ph, 0, ((size_t)nr_regions + 2) * sizeof(*ph));
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = (Elf64_Off)notes_off;
	ph[0].p_filesz = notes_len;
	for (i = 0; i < nr_regions; i++) {
		g = guest_memory_region_at(&vm->mem, i);
		ph[i + 1].p_type = PT_LOAD;
		ph[i + 1].p_flags = PF_R | PF_W | PF_X;
		ph[i + 1].p_offset = (Elf64_Off)off;
		ph[i + 1].p_paddr = g->gpa;
		if (lx->valid)
			ph[i + 1].p_vaddr = lx->page_offset + g->gpa;
		ph[i + 1].p_filesz = ph[i + 1].p_memsz = g->size;
		off += (off_t)g->size;
	}
	if (text_seg >= 0) {
		Elf64_Phdr *t = &ph[nr_regions + 1];
		const Elf64_Phdr *ram = &ph[text_seg + 1];

		t->p_type = PT_LOAD;
		t->p_flags = PF_R | PF_W | PF_X;
		t->p_offset = ram->p_offset + (lx->text_pa - ram->p_paddr);
		t->p_vaddr = lx->text_va;
		t->p_paddr = lx->text_pa;
		t->p_filesz = t->p_memsz = lx->text_size;
	}
	return eh->e_phnum;
}

int dump_guest_memory(struct vm *vm, const char *path,
		      const struct dump_probe *probe, struct dump_result *res,
		      struct errmsg *err)
{
	struct probe_run *pr = calloc(1, sizeof(*pr));
	struct notes notes = { 0 };
	Elf64_Ehdr eh;
	Elf64_Phdr *ph = NULL;
	char *tmp = NULL, *dir = NULL;
	int nr_regions = 0, i, fd = -1, r;
	bool threaded = false;
	pthread_t thread;
	size_t notes_max;
	off_t off, notes_off, data_off;

	memset(res, 0, sizeof(*res));
	if (!pr)
		return errmsg_set(err, ENOMEM, "out of memory");
	pr->probe = probe;
	while (guest_memory_region_at(&vm->mem, nr_regions))
		nr_regions++;
	ph = calloc((size_t)nr_regions + 2, sizeof(*ph));
	if (!ph) {
		r = errmsg_set(err, ENOMEM, "out of memory");
		goto out;
	}
	/*
	 * The layout before anything is known about the guest: room for
	 * every program header, the vCPU notes (a fixed size each) and the
	 * largest VMCOREINFO, then RAM from the
	 * next page. The notes and headers are written last, so the probe
	 * runs alongside the RAM and a cold dump pays for one pass, not two.
	 */
	notes_max = (size_t)(vm->vcpus ? vm->nr_vcpus : 0) *
			    (note_size("CORE", sizeof(struct elf_prstatus)) +
			     note_size("QEMU", sizeof(struct qemu_cpu_state))) +
		    note_size("VMCOREINFO", DUMP_VMCOREINFO_MAX);
	notes_off =
		(off_t)(sizeof(eh) + ((size_t)nr_regions + 2) * sizeof(*ph));
	data_off = (notes_off + (off_t)notes_max + DUMP_PAGE - 1) &
		   ~(off_t)(DUMP_PAGE - 1);

	/* A temporary in the same directory, renamed when complete. */
	dir = strdup(path);
	if (!dir ||
	    asprintf(&tmp, "%s/.%s.XXXXXX", dirname(dir),
		     strrchr(path, '/') ? strrchr(path, '/') + 1 : path) < 0) {
		tmp = NULL;
		r = errmsg_set(err, ENOMEM, "out of memory");
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = errmsg_set(err, errno,
			       "cannot create a file next to %s: %s", path,
			       strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (probe)
		threaded = !pthread_create(&thread, NULL, probe_thread, pr);
	if (probe && !threaded)
		probe_thread(pr);
	r = 0;
	for (i = 0, off = data_off; !r && i < nr_regions; i++) {
		const struct guest_region *g =
			guest_memory_region_at(&vm->mem, i);

		r = write_region(fd, &vm->mem, g, off, &res->bytes_written);
		off += (off_t)g->size;
	}
	if (threaded)
		pthread_join(thread, NULL);
	for (i = 0; !r && vm->vcpus && i < vm->nr_vcpus; i++) {
		r = vcpu_notes(&notes, vm->vcpus[i], &pr->lx, err);
		if (r)
			goto out;
	}
	if (!r && pr->vmcoreinfo_len &&
	    note_add(&notes, "VMCOREINFO", 0, pr->vmcoreinfo,
		     pr->vmcoreinfo_len))
		r = -ENOMEM;
	if (!r) {
		build_phdrs(vm, &pr->lx, nr_regions, notes_off, notes.len,
			    data_off, &eh, ph);
		r = write_all(fd, &eh, sizeof(eh), 0);
	}
	if (!r)
		r = write_all(fd, ph, (size_t)eh.e_phnum * sizeof(*ph),
			      (off_t)sizeof(eh));
	if (!r)
		r = write_all(fd, notes.buf, notes.len, notes_off);
	/* The holes up to the end, so the file has its full size. */
	if (!r && ftruncate(fd, off) < 0)
		r = -errno;
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (r) {
		errmsg_set(err, -r, "cannot write %s: %s", path, strerror(-r));
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		fd = -1;
		r = errmsg_set(err, errno, "cannot write %s: %s", path,
			       strerror(errno));
		goto out;
	}
	fd = -1;
	res->file_size = (uint64_t)off;
	res->nr_vcpus = vm->nr_vcpus;
	res->nr_segments = eh.e_phnum - 1;
	res->vmcoreinfo = pr->vmcoreinfo_len > 0;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r && tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	free(ph);
	free(notes.buf);
	free(pr);
	return r;
}
