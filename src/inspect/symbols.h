/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest kernel symbols for diagnostics: "RIP ffffffff81ae25af
 * <alternatives_selftest+0x1f>". Loaded from a System.map or from an ELF
 * file's .symtab, 32- or 64-bit (a vmlinux with symbols, e.g. Debian's
 * -dbg package, or a multiboot test kernel); with DWARF line tables the
 * source line too.
 */
#ifndef KVMSCOPE_INSPECT_SYMBOLS_H
#define KVMSCOPE_INSPECT_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"

struct symbol {
	uint64_t addr;
	uint64_t size; /* 0 when unknown (System.map): up to the next one */
	char *name;
};

struct symbols {
	struct symbol *syms; /* sorted by address */
	size_t nr;
	/* ELF files: the image libelf reads from, and its DWARF if any */
	void *image;
	size_t image_size;
	bool image_mapped;
	struct Elf *elf;
	struct Dwarf *dwarf;
};

/* Load path (System.map text or ELF). Fails when it holds no symbol. */
int symbols_load(struct symbols *s, const char *path, struct errmsg *err);
/* Same, from memory (tests, fuzzing). */
int symbols_parse(struct symbols *s, const uint8_t *data, size_t size,
		  struct errmsg *err);
void symbols_free(struct symbols *s);

/*
 * "name+0xoff" for addr into buf; returns 0, or -ENOENT when no symbol
 * covers addr (below the first, or past a sized symbol's end by more than
 * 1 MiB for unsized ones).
 */
int symbols_describe(const struct symbols *s, uint64_t addr, char *buf,
		     size_t size);

/*
 * "file:line" of addr from the DWARF line table into buf (the file
 * relative to its compilation directory); -ENOENT without line info.
 */
int symbols_source_line(const struct symbols *s, uint64_t addr, char *buf,
			size_t size);

#endif
