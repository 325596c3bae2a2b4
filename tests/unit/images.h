/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synthetic kernel images for the loader tests: just enough of a bzImage,
 * an ELF file (with optional PVH note and multiboot header) or an a.out
 * kludge multiboot file for the loaders to accept, plus the byte offsets
 * of their fields so tests can corrupt them one at a time.
 *
 * File bytes follow a known pattern (timg_pattern) so tests can check that
 * what reached guest memory is exactly what was in the file.
 */
#ifndef KVMSCOPE_TESTS_IMAGES_H
#define KVMSCOPE_TESTS_IMAGES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct timg {
	uint8_t *data;
	size_t size;
};

static inline void timg_free(struct timg *img)
{
	free(img->data);
	img->data = NULL;
	img->size = 0;
}

static inline void t_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void t_put32(uint8_t *p, uint32_t v)
{
	t_put16(p, (uint16_t)v);
	t_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void t_put64(uint8_t *p, uint64_t v)
{
	t_put32(p, (uint32_t)v);
	t_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t t_get16(const void *v)
{
	const uint8_t *p = v;

	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t t_get32(const void *v)
{
	const uint8_t *p = v;

	return (uint32_t)t_get16(p) | (uint32_t)t_get16(p + 2) << 16;
}

static inline uint64_t t_get64(const void *v)
{
	const uint8_t *p = v;

	return (uint64_t)t_get32(p) | (uint64_t)t_get32(p + 4) << 32;
}

/* The byte at offset i of a loadable piece number seg. */
static inline uint8_t timg_pattern(int seg, size_t i)
{
	return (uint8_t)(i * 13 + (size_t)seg * 71 + 1);
}

static inline void timg_fill(uint8_t *p, size_t len, int seg)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = timg_pattern(seg, i);
}

/* ---------------------------------------------------------------- bzImage */

#define TBZ_SETUP_SECTS 0x1f1
#define TBZ_BOOT_FLAG 0x1fe
#define TBZ_JUMP 0x200
#define TBZ_MAGIC 0x202
#define TBZ_VERSION 0x206
#define TBZ_LOADFLAGS 0x211
#define TBZ_INITRD_ADDR_MAX 0x22c
#define TBZ_XLOADFLAGS 0x236
#define TBZ_CMDLINE_SIZE 0x238
#define TBZ_INIT_SIZE 0x260
#define TBZ_HDR_END 0x268 /* end of the 2.15 setup header */

struct tbz_opts {
	uint16_t version;
	uint16_t xloadflags;
	uint8_t loadflags;
	uint8_t setup_sects; /* as written; 0 means 4 */
	size_t payload_size;
	uint32_t init_size;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
};

static inline struct tbz_opts tbz_defaults(void)
{
	struct tbz_opts o = {
		.version = 0x020f,
		.xloadflags = 0x0003, /* KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
		.loadflags = 0x01, /* LOADED_HIGH */
		.setup_sects = 4,
		.payload_size = 8192,
		.init_size = 0x400000,
		.cmdline_size = 2047,
		.initrd_addr_max = 0x7fffffff,
	};
	return o;
}

/* The protected-mode payload is timg_pattern(0, ...). */
static inline struct timg tbz_build(const struct tbz_opts *o)
{
	size_t sects = o->setup_sects ? o->setup_sects : 4;
	size_t setup = (sects + 1) * 512;
	struct timg img;

	img.size = setup + o->payload_size;
	img.data = calloc(1, img.size);
	img.data[TBZ_SETUP_SECTS] = o->setup_sects;
	t_put16(img.data + 0x1fa, 0xffff); /* vid_mode: normal */
	t_put16(img.data + TBZ_BOOT_FLAG, 0xaa55);
	img.data[TBZ_JUMP] = 0xeb;
	img.data[TBZ_JUMP + 1] = TBZ_HDR_END - 0x202;
	memcpy(img.data + TBZ_MAGIC, "HdrS", 4);
	t_put16(img.data + TBZ_VERSION, o->version);
	img.data[TBZ_LOADFLAGS] = o->loadflags;
	t_put32(img.data + TBZ_INITRD_ADDR_MAX, o->initrd_addr_max);
	t_put16(img.data + TBZ_XLOADFLAGS, o->xloadflags);
	t_put32(img.data + TBZ_CMDLINE_SIZE, o->cmdline_size);
	t_put32(img.data + TBZ_INIT_SIZE, o->init_size);
	timg_fill(img.data + setup, o->payload_size, 0);
	return img;
}

/* -------------------------------------------------------------------- ELF */

#define TELF_MAX_SEGS 8
#define TMB_HEADER_SIZE 48

struct tseg {
	uint32_t type; /* 1 = PT_LOAD */
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t memsz;
};

struct telf_opts {
	int is64;
	uint16_t machine;
	uint64_t entry;
	int nseg;
	struct tseg seg[TELF_MAX_SEGS];
	/* PVH note, in a PT_NOTE after another (GNU) note */
	int pvh_note;
	uint32_t pvh_descsz; /* 4 or 8 */
	uint64_t pvh_entry;
	/* multiboot header right after the program headers */
	int mb_header;
	uint32_t mb_flags;
};

struct telf_layout {
	size_t phoff;
	size_t phentsize;
	size_t note_phdr; /* index of the PT_NOTE program header */
	size_t note_off; /* Xen note (its 12-byte header) */
	size_t mb_off;
	size_t seg_off[TELF_MAX_SEGS];
};

static inline size_t telf_align4(size_t v)
{
	return (v + 3) & ~(size_t)3;
}

/* PT_LOAD segment i's file bytes are timg_pattern(i, ...). */
static inline struct timg telf_build(const struct telf_opts *o,
				     struct telf_layout *lay)
{
	size_t ehsize = o->is64 ? 64 : 52, phent = o->is64 ? 56 : 32;
	int nph = o->nseg + (o->pvh_note ? 1 : 0);
	size_t off, note_start = 0, note_size = 0, gnu_note = 0;
	struct telf_layout l;
	struct timg img;
	uint8_t *d;
	int i;

	memset(&l, 0, sizeof(l));
	l.phoff = ehsize;
	l.phentsize = phent;
	off = ehsize + (size_t)nph * phent;
	if (o->mb_header) {
		l.mb_off = telf_align4(off);
		off = l.mb_off + TMB_HEADER_SIZE;
	}
	if (o->pvh_note) {
		note_start = telf_align4(off);
		/* A GNU build-id-like note first, so the walk must skip it. */
		gnu_note = 12 + 4 + 8;
		l.note_off = note_start + gnu_note;
		note_size = gnu_note + 12 + 4 + telf_align4(o->pvh_descsz);
		off = note_start + note_size;
	}
	for (i = 0; i < o->nseg; i++) {
		off = (off + 15) & ~(size_t)15;
		l.seg_off[i] = off;
		off += o->seg[i].filesz;
	}

	img.size = off;
	img.data = calloc(1, img.size);
	d = img.data;
	memcpy(d, "\177ELF", 4);
	d[4] = o->is64 ? 2 : 1;
	d[5] = 1;
	d[6] = 1;
	t_put16(d + 16, 2); /* ET_EXEC */
	t_put16(d + 18, o->machine);
	t_put32(d + 20, 1);
	if (o->is64) {
		t_put64(d + 24, o->entry);
		t_put64(d + 32, l.phoff);
		t_put16(d + 52, (uint16_t)ehsize);
		t_put16(d + 54, (uint16_t)phent);
		t_put16(d + 56, (uint16_t)nph);
	} else {
		t_put32(d + 24, (uint32_t)o->entry);
		t_put32(d + 28, (uint32_t)l.phoff);
		t_put16(d + 40, (uint16_t)ehsize);
		t_put16(d + 42, (uint16_t)phent);
		t_put16(d + 44, (uint16_t)nph);
	}

	for (i = 0; i < nph; i++) {
		uint8_t *p = d + l.phoff + (size_t)i * phent;
		uint64_t type, offset, vaddr, paddr, filesz, memsz, align;

		if (i < o->nseg) {
			type = o->seg[i].type;
			offset = l.seg_off[i];
			vaddr = o->seg[i].vaddr;
			paddr = o->seg[i].paddr;
			filesz = o->seg[i].filesz;
			memsz = o->seg[i].memsz;
			align = 16;
			timg_fill(d + offset, filesz, i);
		} else {
			l.note_phdr = (size_t)i;
			type = 4;
			offset = note_start;
			vaddr = paddr = 0;
			filesz = memsz = note_size;
			align = 4;
		}
		if (o->is64) {
			t_put32(p, (uint32_t)type);
			t_put32(p + 4, 5);
			t_put64(p + 8, offset);
			t_put64(p + 16, vaddr);
			t_put64(p + 24, paddr);
			t_put64(p + 32, filesz);
			t_put64(p + 40, memsz);
			t_put64(p + 48, align);
		} else {
			t_put32(p, (uint32_t)type);
			t_put32(p + 4, (uint32_t)offset);
			t_put32(p + 8, (uint32_t)vaddr);
			t_put32(p + 12, (uint32_t)paddr);
			t_put32(p + 16, (uint32_t)filesz);
			t_put32(p + 20, (uint32_t)memsz);
			t_put32(p + 24, 5);
			t_put32(p + 28, (uint32_t)align);
		}
	}

	if (o->mb_header) {
		uint8_t *h = d + l.mb_off;

		t_put32(h, 0x1badb002);
		t_put32(h + 4, o->mb_flags);
		t_put32(h + 8, (uint32_t) - (0x1badb002U + o->mb_flags));
	}
	if (o->pvh_note) {
		uint8_t *n = d + note_start;

		t_put32(n, 4);
		t_put32(n + 4, 8);
		t_put32(n + 8, 3); /* NT_GNU_BUILD_ID */
		memcpy(n + 12, "GNU", 4);
		memcpy(n + 16, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
		n = d + l.note_off;
		t_put32(n, 4);
		t_put32(n + 4, o->pvh_descsz);
		t_put32(n + 8, 18); /* XEN_ELFNOTE_PHYS32_ENTRY */
		memcpy(n + 12, "Xen", 4);
		if (o->pvh_descsz == 8)
			t_put64(n + 16, o->pvh_entry);
		else if (o->pvh_descsz == 4)
			t_put32(n + 16, (uint32_t)o->pvh_entry);
	}
	if (lay)
		*lay = l;
	return img;
}

/* Program header i's field at byte offset field64 (ELF64) / field32. */
static inline uint8_t *telf_phdr(struct timg *img, const struct telf_layout *l,
				 size_t i)
{
	return img->data + l->phoff + i * l->phentsize;
}

/* A 64-bit PVH vmlinux look-alike: two segments at 16 MiB, bss after. */
static inline struct telf_opts tpvh_defaults(void)
{
	struct telf_opts o = {
		.is64 = 1,
		.machine = 62,
		.entry = 0xffffffff81000000ULL,
		.nseg = 2,
		.seg = {
			{ 1, 0x1000000, 0xffffffff81000000ULL, 0x3000, 0x3000 },
			{ 1, 0x1004000, 0xffffffff81004000ULL, 0x1800, 0x6000 },
		},
		.pvh_note = 1,
		.pvh_descsz = 8,
		.pvh_entry = 0x1000100,
	};
	return o;
}

/* A 32-bit multiboot ELF kernel at 1 MiB, entry given virtually. */
static inline struct telf_opts tmb_elf_defaults(void)
{
	struct telf_opts o = {
		.is64 = 0,
		.machine = 3,
		.entry = 0xc0100010,
		.nseg = 2,
		.seg = {
			{ 1, 0x100000, 0xc0100000, 0x2000, 0x2000 },
			{ 1, 0x103000, 0xc0103000, 0x800, 0x3000 },
		},
		.mb_header = 1,
		.mb_flags = 0x3,
	};
	return o;
}

/* --------------------------------------------------- multiboot a.out kludge */

struct tmb_aout_opts {
	size_t file_size;
	size_t hoff; /* where the header is in the file */
	uint32_t flags;
	uint32_t header_addr;
	uint32_t load_addr;
	uint32_t load_end_addr;
	uint32_t bss_end_addr;
	uint32_t entry_addr;
};

static inline struct tmb_aout_opts tmb_aout_defaults(void)
{
	struct tmb_aout_opts o = {
		.file_size = 0x3000,
		.hoff = 0x40,
		.flags = 0x00010003,
		.load_addr = 0x200000,
		.header_addr = 0x200040,
		.load_end_addr = 0x203000,
		.bss_end_addr = 0x205000,
		.entry_addr = 0x200100,
	};
	return o;
}

/* The whole file is timg_pattern(0, ...) apart from the header. */
static inline struct timg tmb_aout_build(const struct tmb_aout_opts *o)
{
	struct timg img;
	uint8_t *h;

	img.size = o->file_size;
	img.data = calloc(1, img.size);
	timg_fill(img.data, img.size, 0);
	h = img.data + o->hoff;
	t_put32(h, 0x1badb002);
	t_put32(h + 4, o->flags);
	t_put32(h + 8, (uint32_t) - (0x1badb002U + o->flags));
	t_put32(h + 12, o->header_addr);
	t_put32(h + 16, o->load_addr);
	t_put32(h + 20, o->load_end_addr);
	t_put32(h + 24, o->bss_end_addr);
	t_put32(h + 28, o->entry_addr);
	return img;
}

#endif
