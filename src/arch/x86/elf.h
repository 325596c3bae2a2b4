/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small reader for the parts of ELF32/ELF64 files the kernel loaders use:
 * the file header, program headers and the notes in PT_NOTE segments.
 *
 * The file is untrusted: every accessor checks offsets and sizes against the
 * file size, so any byte string can be handed to it. Only little-endian
 * files are accepted (all x86 kernels are).
 */
#ifndef KVMSCOPE_ARCH_X86_ELF_H
#define KVMSCOPE_ARCH_X86_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"

#define ELF_PT_LOAD 1
#define ELF_PT_NOTE 4

#define ELF_EM_386 3
#define ELF_EM_X86_64 62

/* Xen's note (name "Xen") giving the 32-bit physical PVH entry point. */
#define ELF_NOTE_XEN_PHYS32_ENTRY 18

struct elf_file {
	const uint8_t *data;
	size_t size;
	bool is64;
	uint16_t type;
	uint16_t machine;
	uint64_t entry;
	uint64_t phoff;
	uint32_t phentsize;
	uint32_t phnum;
};

/* A program header, widened to 64 bits for both classes. */
struct elf_phdr {
	uint32_t type;
	uint32_t flags;
	uint64_t offset;
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t align;
};

/* One note; name and desc point into the file and lie inside it. */
struct elf_note {
	uint32_t type;
	const char *name; /* namesz bytes, normally NUL-terminated */
	uint32_t namesz;
	const uint8_t *desc;
	uint32_t descsz;
};

struct elf_note_iter {
	const struct elf_file *elf;
	uint32_t next_ph; /* next program header to look at */
	uint64_t pos; /* file offset of the next note in the current PT_NOTE */
	uint64_t end; /* file offset where the current PT_NOTE ends */
	uint64_t align;
	uint32_t seen; /* notes returned so far */
};

/*
 * The walk gives up after this many notes: PT_NOTE segments may overlap,
 * so without a bound a small file could make it take quadratic time. Real
 * kernels carry a few dozen notes.
 */
#define ELF_MAX_NOTES 4096

/* True when data starts with the ELF magic (nothing else is checked). */
bool elf_has_magic(const uint8_t *data, size_t size);

/*
 * Check the file header and that the program header table lies inside the
 * file. Returns 0, or -ENOEXEC with a message in err (err may be NULL).
 */
int elf_parse(struct elf_file *elf, const uint8_t *data, size_t size,
	      struct errmsg *err);

/* Program header idx (< elf->phnum); -EINVAL when idx is out of range. */
int elf_get_phdr(const struct elf_file *elf, uint32_t idx, struct elf_phdr *ph);

/* True when [ph->offset, ph->offset + ph->filesz) lies inside the file. */
bool elf_phdr_in_file(const struct elf_file *elf, const struct elf_phdr *ph);

/*
 * Walk every note of every PT_NOTE segment. A malformed note ends the walk
 * of its segment (what follows it cannot be located); later segments are
 * still visited.
 */
void elf_note_iter_init(struct elf_note_iter *it, const struct elf_file *elf);
bool elf_note_next(struct elf_note_iter *it, struct elf_note *note);

/* First note with this name (compared without the NUL) and type. */
bool elf_find_note(const struct elf_file *elf, const char *name, uint32_t type,
		   struct elf_note *note);

#endif
