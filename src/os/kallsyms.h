/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Linux kernel's own symbol table (kallsyms), decoded from guest RAM.
 *
 * Layout (scripts/kallsyms.c and kernel/kallsyms.c of Linux 6.1):
 *  - kallsyms_num_syms: u32.
 *  - kallsyms_names: per symbol a length (one byte; if its bit 7 is set, a
 *    second byte holds bits 7..13: (b0 & 0x7f) | b1 << 7) then that many
 *    token numbers. A token number indexes kallsyms_token_index (u16[256]),
 *    which gives the offset of a NUL-terminated string in
 *    kallsyms_token_table. The expansion's first character is the type
 *    ('T', 't', 'D', ...); the rest is the name.
 *  - Addresses: CONFIG_KALLSYMS_BASE_RELATIVE (x86-64's default) stores
 *    kallsyms_offsets (s32[num_syms]) and kallsyms_relative_base (u64):
 *    address = base + (u32)offset; with CONFIG_KALLSYMS_ABSOLUTE_PERCPU
 *    (x86-64 SMP) a non-negative offset is an absolute value (per-CPU
 *    symbols) and a negative one means base - 1 - offset. Without
 *    BASE_RELATIVE, kallsyms_addresses (u64[num_syms]).
 *  - kallsyms_markers (u32 per 256 symbols, optional here): the names
 *    offset of symbols 0, 256, 512...; checked when given.
 *
 * Everything is guest-controlled: the count is capped, every token index
 * and names offset is checked against what was read, names are bounded,
 * and a table that fails any check is rejected as a whole with
 * "kallsyms tables at 0x... are not valid: <why>".
 */
#ifndef KVMSCOPE_OS_KALLSYMS_H
#define KVMSCOPE_OS_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"

#define KALLSYMS_MAX_SYMS (1U << 21) /* a distro kernel has ~200k */
#define KALLSYMS_NAME_MAX 512 /* KSYM_NAME_LEN, with the type char */
#define KALLSYMS_NAMES_MAX (64U << 20) /* bytes of compressed names */
#define KALLSYMS_TOKENS_MAX 65536 /* u16 offsets: the table's bound */

/* Read len bytes at kernel virtual address va: 0, or -errno. */
typedef int (*kallsyms_read_fn)(void *opaque, uint64_t va, void *buf,
				size_t len);

/* Where the tables are (kernel virtual addresses; 0: absent). */
struct kallsyms_locations {
	uint64_t names, num_syms, token_table, token_index;
	uint64_t offsets, relative_base; /* BASE_RELATIVE */
	uint64_t addresses; /* or this */
	uint64_t markers; /* optional */
};

struct ksym {
	uint64_t addr;
	uint32_t name; /* offset into kallsyms.strtab */
	char type;
};

struct kallsyms {
	struct ksym *syms; /* sorted by address, then table order */
	size_t nr;
	uint32_t *by_name; /* indices into syms, sorted by name */
	char *strtab;
	size_t strtab_len;
	bool absolute_percpu; /* offsets decoded as ABSOLUTE_PERCPU */
	uint64_t relative_base;
	uint64_t names_bytes; /* compressed stream length */
};

/*
 * Decode the tables at loc through read. Returns 0 with ks filled (free
 * with kallsyms_free), -EINVAL/-EFAULT with err "kallsyms tables at
 * 0x<names> are not valid: <why>", -ENOMEM.
 */
int kallsyms_load(const struct kallsyms_locations *loc, kallsyms_read_fn read,
		  void *opaque, struct kallsyms *ks, struct errmsg *err);
void kallsyms_free(struct kallsyms *ks);

static inline const char *kallsyms_name(const struct kallsyms *ks,
					const struct ksym *s)
{
	return ks->strtab + s->name;
}

/*
 * The first symbol called name (by address), or NULL; *count (may be
 * NULL) is how many symbols have that name (static functions repeat).
 */
const struct ksym *kallsyms_by_name(const struct kallsyms *ks, const char *name,
				    size_t *count);

/*
 * The symbol covering addr: the last one at or below it (of aliases at
 * the same address, the first in table order), with *size the distance to
 * the next higher address. NULL past the last symbol's address (the
 * table ends with _end and friends, so nothing after it is named), and
 * below kallsyms_relative_base, where only absolute symbols (per-cpu
 * offsets) lie.
 */
const struct ksym *kallsyms_by_addr(const struct kallsyms *ks, uint64_t addr,
				    uint64_t *size);

/* "name+0xoff" (also +0x0) into buf; -ENOENT as kallsyms_by_addr. */
int kallsyms_describe(const struct kallsyms *ks, uint64_t addr, char *buf,
		      size_t size);

#endif
