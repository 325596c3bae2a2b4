/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 guest page-table walker over guest-physical memory, for the
 * "translate" and "query-mappings" control commands and the gdb stub.
 *
 * The page tables belong to the guest and are treated as hostile input:
 * every entry is fetched with guest_memory_read (a table outside RAM is an
 * error, never a host access), a single walk is bounded by the number of
 * paging levels, and the enumerator is bounded by a budget of entries, so
 * loops (a table that points at itself) and aliasing (every PML4E pointing
 * at one PDPT) cannot hang it. The walker only reads: it never sets the
 * Accessed or Dirty bits the way the CPU would.
 *
 * Reserved-bit rules follow the Intel SDM vol. 3 chapter 4: address bits at
 * and above MAXPHYADDR, PS in PML5Es and PML4Es, PS in PDPTEs without 1 GiB
 * page support, the low address bits of large pages (PAT, bit 12, is
 * excluded), bit 63 when EFER.NXE=0, the PAE PDPTE's own reserved bits and
 * bit 21 (plus address bits 39:MAXPHYADDR) of 32-bit 4 MiB PDEs.
 *
 * Effective permissions are what a user-mode access sees, combined over all
 * levels: writable only if R/W=1 everywhere, user only if U/S=1 everywhere,
 * executable unless XD=1 anywhere (only with EFER.NXE; 32-bit paging has no
 * XD). Supervisor accesses differ: with CR0.WP=0 they may write read-only
 * pages, CR4.SMEP forbids executing user pages and CR4.SMAP forbids data
 * accesses to user pages unless EFLAGS.AC=1. The walker cannot know the
 * access type or EFLAGS, so it spells these out in walk_result.notes.
 *
 * Not modelled: the PDPTE registers that PAE paging caches at CR3 load (the
 * walker reads the PDPT from memory, which the guest may have changed
 * since), linear-address masking (LAM), segmentation and the TLB.
 */
#ifndef KVMSCOPE_INSPECT_PAGEWALK_H
#define KVMSCOPE_INSPECT_PAGEWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/memory.h"

enum paging_mode {
	PAGING_NONE, /* CR0.PG=0: linear == physical, 32 bits */
	PAGING_32BIT, /* 2 levels of 4-byte entries */
	PAGING_PAE, /* 4 PDPTEs, then 2 levels of 8-byte entries */
	PAGING_4LEVEL, /* IA-32e, 48-bit linear addresses */
	PAGING_5LEVEL, /* IA-32e with CR4.LA57, 57-bit linear addresses */
};

struct paging_ctx {
	enum paging_mode mode;
	uint64_t cr3;
	bool nxe; /* EFER.NXE: bit 63 is XD, else reserved (not in 32-bit) */
	bool pse; /* CR4.PSE: 4 MiB pages in 32-bit paging */
	bool wp; /* CR0.WP: supervisor writes honour R/W */
	bool smep, smap; /* CR4.SMEP/SMAP: supervisor vs. user pages */
	bool pke, pks; /* CR4.PKE/PKS: protection keys (IA-32e only) */
	bool pcide; /* CR4.PCIDE: CR3 bits 11:0 are a PCID */
	unsigned int maxphyaddr; /* CPUID 0x80000008 EAX[7:0], 32..52 */
	bool gbpages; /* 1 GiB pages (CPUID 0x80000001 EDX bit 26) */
};

/* Used by paging_ctx_init when the caller passes maxphyaddr 0. */
#define PAGING_DEFAULT_MAXPHYADDR 36

/*
 * Fill ctx from the control registers as KVM reports them (EFER.LMA or, as
 * CR0.PG=1 implies LMA, EFER.LME selects IA-32e paging). maxphyaddr 0
 * means unknown (36). Returns -EINVAL for a maxphyaddr outside 32..52 or
 * for a combination no CPU can be in (IA-32e without CR4.PAE).
 */
int paging_ctx_init(struct paging_ctx *ctx, uint64_t cr0, uint64_t cr3,
		    uint64_t cr4, uint64_t efer, unsigned int maxphyaddr,
		    bool gbpages);

/* "none", "32-bit", "PAE", "4-level", "5-level" ("?" if unknown). */
const char *paging_mode_name(enum paging_mode mode);

/* Number of levels a walk goes through: 0, 2, 3, 4 or 5. */
int paging_levels(enum paging_mode mode);

/* One paging-structure entry the walk read. */
struct walk_step {
	int level; /* 5..1, 1 = PTE; PAE starts at 3, 32-bit at 2 */
	const char *name; /* "PML5E", "PML4E", "PDPTE", "PDE", "PTE" */
	uint64_t table_gpa; /* base of the table holding the entry */
	unsigned int index; /* entry index in that table */
	uint64_t entry_gpa; /* table_gpa + index * entry size */
	uint64_t entry; /* raw entry (4-byte entries zero-extended) */
	bool leaf; /* maps a page: level 1, or PS=1 where PS means a page */
	uint64_t addr; /* next table or leaf's page frame; 0 if unusable */
	/*
	 * Raw bits. dirty, global and pat only for leaves; ps only where the
	 * bit is PS (not PAT); xd only where bit 63 exists (not 32-bit, not
	 * PAE PDPTEs); pkey (bits 62:59) for IA-32e leaves, else -1.
	 */
	bool present, rw, us, pwt, pcd, accessed, dirty, ps, global, pat, xd;
	int pkey;
};

enum walk_status {
	WALK_OK,
	WALK_NOT_CANONICAL, /* IA-32e: bits 63:47 (63:56) not all equal */
	WALK_NOT_PRESENT,
	WALK_RESERVED_BIT,
	WALK_TABLE_OUTSIDE_RAM, /* CR3 or an entry points outside RAM */
	WALK_NO_PAGING, /* CR0.PG=0: gpa == gva, still a translation */
	WALK_BAD_ADDRESS, /* above 4 GiB without IA-32e paging */
	WALK_INVALID_CTX, /* unknown mode or maxphyaddr */
};

struct walk_result {
	enum walk_status status;
	int nr_steps; /* steps[] whose entry was read */
	struct walk_step steps[5];
	/*
	 * Level of the entry the walk stopped at: the non-present or
	 * reserved entry, or for WALK_TABLE_OUTSIDE_RAM the entry that could
	 * not be read. 0 on success and when no entry was involved.
	 */
	int fault_level;
	uint64_t rsvd_bits; /* WALK_RESERVED_BIT: all reserved bits set */
	char why[192]; /* one line; empty when there is a translation */
	uint64_t gpa; /* WALK_OK and WALK_NO_PAGING */
	uint64_t page_size; /* 4 KiB, 2 MiB, 4 MiB or 1 GiB; 0 unpaged */
	bool writable, user, executable; /* effective, see top of file */
	int pkey; /* protection key if CR4.PKE/PKS applies, else -1 */
	char notes[192]; /* supervisor-access caveats, "" if none */
};

/* Long-form text for a status ("not present", "reserved bit set", ...). */
const char *walk_status_name(enum walk_status status);

/*
 * Translate gva. res is always filled in. Returns 0 when res->gpa holds a
 * translation (WALK_OK, WALK_NO_PAGING), -EFAULT when the walk stopped (a
 * guest fault; res->status and res->why say why) and -EINVAL for a bad
 * ctx (WALK_INVALID_CTX).
 */
int pagewalk(const struct guest_memory *mem, const struct paging_ctx *ctx,
	     uint64_t gva, struct walk_result *res);

/*
 * Decode an entry's flags as text, e.g. "P RW US A D PS G XD", for an entry
 * at the given level in the given mode; "not present" if P=0. Like
 * snprintf: returns the length of the whole text, writes at most size bytes
 * including the terminating NUL.
 */
size_t pagewalk_flags_str(uint64_t entry, int level, enum paging_mode mode,
			  char *buf, size_t size);

/* A mapped virtual range; pages coalesced, see pagewalk_mappings. */
struct mapping {
	uint64_t va, pa, size;
	bool writable, user, executable; /* effective, as in walk_result */
	uint64_t page_size; /* size of every page in the range, or 0 if mixed */
};

/* Return non-zero to stop the enumeration; that value is returned. */
typedef int (*mapping_cb)(void *opaque, const struct mapping *m);

struct mappings_stats {
	uint64_t entries_visited; /* entries read, present or not */
	uint64_t leaves; /* pages (of any size) found */
	uint64_t mappings; /* ranges passed to the callback */
	uint64_t tables_outside_ram; /* tables skipped: not in guest RAM */
	uint64_t reserved_entries; /* present entries skipped: reserved bit */
	bool truncated; /* budget exhausted before the end */
};

/* Budget used when pagewalk_mappings is given 0. */
#define PAGEWALK_DEFAULT_BUDGET (1ULL << 20)

/*
 * Call cb for every mapped range of the address space in VA order
 * (upper-half addresses sign-extended, so they come last). Adjacent pages
 * with adjacent physical addresses and equal effective permissions are
 * coalesced into one range. Entries that a walk would fault on (reserved
 * bits, tables outside RAM) are skipped and counted in stats.
 *
 * At most max_entries_visited entries are read (0: the default budget);
 * when the budget runs out, stats->truncated is set and the ranges found
 * so far have been reported. Iterative, at most 5 levels deep. Without
 * paging, the whole 4 GiB linear space is reported as one identity range.
 *
 * Returns 0, the callback's non-zero value if it stopped the enumeration,
 * or -EINVAL for a bad ctx. stats may be NULL.
 */
int pagewalk_mappings(const struct guest_memory *mem,
		      const struct paging_ctx *ctx,
		      uint64_t max_entries_visited, mapping_cb cb, void *opaque,
		      struct mappings_stats *stats);

#endif
