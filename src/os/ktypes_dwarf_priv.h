/* SPDX-License-Identifier: GPL-2.0 */
/* Between ktypes_dwarf.c (index, lookup) and ktypes_dwarf_conv.c (DIE to BTF). */
#ifndef KVMSCOPE_OS_KTYPES_DWARF_PRIV_H
#define KVMSCOPE_OS_KTYPES_DWARF_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <elfutils/libdw.h>

#include "os/ktypes_dwarf.h"

#define IN_PROGRESS (-2)
#define FAILED (-3)
#define NOT_YET (-4) /* was too deep to convert: try again */

/* Open addressing; a name entry has name set, a DIE entry key only. */
struct slot {
	const char *name; /* points into the DWARF, stable while open */
	uint64_t key; /* DIE offset + 1, or the name's kind */
	int64_t val;
};

struct hmap {
	struct slot *s;
	size_t cap, n;
};

struct pending {
	int ptr_id;
	Dwarf_Off target;
};

struct ktypes_dwarf {
	int fd;
	Elf *elf;
	Dwarf *dw;
	struct btf *btf;
	struct hmap dies; /* DIE offset -> BTF id, IN_PROGRESS, FAILED, NOT_YET */
	struct hmap names; /* struct/union name -> DIE offset */
	Dwarf_CU *cu; /* the last unit indexed */
	bool indexed_all;
	unsigned int units, converted, skipped;
	int index_id, byte_id; /* array index and opaque byte types */
	struct pending *pend;
	size_t npend, pcap;
};

struct slot *hmap_find(struct hmap *m, const char *name, uint64_t key);
int hmap_put(struct hmap *m, const char *name, uint64_t key, int64_t val);

bool ktypes_dwarf_is_decl(Dwarf_Die *die);

/* The DIE as a BTF id (>= 0, 0 is void), once per DIE, or -errno. */
int ktypes_dwarf_conv(struct ktypes_dwarf *d, Dwarf_Die *die, int depth,
		      struct errmsg *err);

/* Convert what pointers wait for, patching each pointer's target. */
void ktypes_dwarf_drain(struct ktypes_dwarf *d);

#endif
