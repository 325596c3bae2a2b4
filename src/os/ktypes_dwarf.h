/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel types from the DWARF of a --symbols file that has no .BTF (a
 * kernel built without CONFIG_DEBUG_INFO_BTF, a distribution's -dbg
 * vmlinux). The DWARF is converted into a libbpf BTF in memory, so every
 * ktypes_* function works on it unchanged, and lazily: a vmlinux has ~1100
 * compile units and 50+ MiB of .debug_info, so only the structure asked
 * for by name and the types it references are converted, on first use.
 *
 * Names are found through an index of each compile unit's top-level
 * struct and union definitions, built as far as a lookup needs (the
 * kernel's core structures are in its first units). A DIE offset -> BTF
 * id cache makes a type converted once; pointers are resolved through a
 * work list rather than recursion, so the depth of the conversion is the
 * nesting of embedded types, bounded by KTYPES_DWARF_MAX_DEPTH, and
 * cycles through pointers cost nothing. The file is user input: a type
 * that cannot be represented is skipped with a reason (logged, counted),
 * an embedded cycle or a malformed DIE fails that structure's lookup with
 * a one-line error, and a truncated or garbage file fails to open.
 */
#ifndef KVMSCOPE_OS_KTYPES_DWARF_H
#define KVMSCOPE_OS_KTYPES_DWARF_H

#include <stdbool.h>
#include <stddef.h>

#include "util/errmsg.h"

#define KTYPES_DWARF_MAX_DEPTH 64 /* embedded types within each other */
#define KTYPES_DWARF_MAX_TYPES (1U << 20) /* BTF ids one file may create */

struct btf;
struct ktypes_dwarf;

/*
 * Open path's DWARF: 0 with *d (and an empty BTF, *btf), -ENODATA when
 * the file has no .debug_info, or -errno with err naming the file.
 */
int ktypes_dwarf_open(const char *path, struct ktypes_dwarf **d,
		      struct btf **btf, struct errmsg *err);
void ktypes_dwarf_close(struct ktypes_dwarf *d);

/*
 * The BTF id of struct (or union) name, converting it and everything it
 * references on first use. 0, -ENOENT when no compile unit defines it,
 * or -EINVAL with err saying which DIE could not be converted.
 */
int ktypes_dwarf_struct(struct ktypes_dwarf *d, const char *name, bool is_union,
			int *id, struct errmsg *err);

struct ktypes_dwarf_stats {
	unsigned int units; /* compile units indexed so far */
	unsigned int names; /* distinct struct/union names indexed */
	unsigned int converted; /* DIEs converted to BTF types */
	unsigned int skipped; /* DIEs not representable (bytes or void) */
	bool complete; /* every unit indexed */
};
void ktypes_dwarf_stats(const struct ktypes_dwarf *d,
			struct ktypes_dwarf_stats *st);

/*
 * Index every unit and convert every struct and union it names (a
 * measurement of whole conversion, and the fuzz target's path through
 * all the DWARF). Returns how many failed, or -errno.
 */
int ktypes_dwarf_convert_all(struct ktypes_dwarf *d);

#endif
