/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Linux kernel's VMCOREINFO: a page of "KEY=value\n" lines that
 * kernel/crash_core.c writes at boot (subsys_initcall) into vmcoreinfo_data
 * and copies into vmcoreinfo_note, an ELF note named "VMCOREINFO" (type 0),
 * for crash-dump tools: OSRELEASE, BUILD-ID, PAGESIZE, SYMBOL(name)=hex,
 * NUMBER(name)=decimal, OFFSET(s.f), SIZE(s), LENGTH(x), and on x86-64
 * NUMBER(phys_base), NUMBER(pgtable_l5_enabled) and KERNELOFFSET=hex.
 *
 * The text comes from guest RAM, and a hostile guest may plant fake or
 * garbage copies anywhere: the parser accepts only well-formed text (a
 * bounded length, printable lines, unique keys, the three identity keys
 * well formed) and the finder reports every candidate it saw, so the
 * caller can pick the one that is also consistent with the rest of RAM.
 */
#ifndef KVMSCOPE_OS_VMCOREINFO_H
#define KVMSCOPE_OS_VMCOREINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"
#include "vmm/memory.h"

#define VMCOREINFO_MAX_BYTES 4096 /* VMCOREINFO_BYTES: one page */
#define VMCOREINFO_MAX_KEYS 400 /* 4096 bytes hold at most ~340 lines */
#define VMCOREINFO_MAX_KEY 64
#define VMCOREINFO_MAX_LINE 0x50 /* vmcoreinfo_append_str's buffer */
#define VMCOREINFO_NOTE_NAME "VMCOREINFO"
/* The note's header and padded name before the text: 12 + 12 bytes. */
#define VMCOREINFO_NOTE_HEADER 24

struct vmcoreinfo_entry {
	const char *key; /* into vmcoreinfo.text */
	const char *value;
};

struct vmcoreinfo {
	/* The text with each '=' and '\n' that ends a key or value NUL'ed. */
	char text[VMCOREINFO_MAX_BYTES + 1];
	size_t len; /* bytes of text as found */
	int nr;
	struct vmcoreinfo_entry entries[VMCOREINFO_MAX_KEYS]; /* in order */
	/* The identity keys, checked. */
	const char *osrelease;
	const char *build_id; /* 40 lower-case hex digits */
	uint64_t page_size;
};

/*
 * Parse len bytes of VMCOREINFO text (not NUL-terminated; a NUL ends the
 * text early only if everything after it is NUL too). Returns 0, or
 * -EINVAL with err naming the first problem ("line 3: no '=' in
 * \"...\"", "no OSRELEASE", ...).
 */
int vmcoreinfo_parse(const char *text, size_t len, struct vmcoreinfo *vi,
		     struct errmsg *err);

/* The value of key, or NULL. */
const char *vmcoreinfo_get(const struct vmcoreinfo *vi, const char *key);

/*
 * SYMBOL(name)=hex, KERNELOFFSET-style hex values and NUMBER(name)=decimal,
 * strictly parsed. -ENOENT when the key is absent, -EINVAL (err set) when
 * its value is malformed.
 */
int vmcoreinfo_hex(const struct vmcoreinfo *vi, const char *key, uint64_t *out,
		   struct errmsg *err);
int vmcoreinfo_symbol(const struct vmcoreinfo *vi, const char *name,
		      uint64_t *out, struct errmsg *err);
int vmcoreinfo_number(const struct vmcoreinfo *vi, const char *name,
		      int64_t *out, struct errmsg *err);

/* One place in RAM where valid VMCOREINFO text starts. */
struct vmcoreinfo_candidate {
	uint64_t gpa; /* of the text */
	bool in_note; /* behind a valid "VMCOREINFO" note header */
	int score; /* the caller's scorer's verdict (0 without one) */
	struct vmcoreinfo *vi; /* malloc'ed */
};

#define VMCOREINFO_MAX_CANDIDATES 16

/*
 * How much a valid candidate looks like the running kernel's; the scan
 * keeps the VMCOREINFO_MAX_CANDIDATES best (earlier ones on ties), so
 * decoys planted low in RAM cannot crowd out the real note.
 */
typedef int (*vmcoreinfo_score_fn)(void *opaque,
				   const struct vmcoreinfo_candidate *c);

struct vmcoreinfo_scan {
	int nr; /* candidates[] filled, in address order of arrival */
	struct vmcoreinfo_candidate candidates[VMCOREINFO_MAX_CANDIDATES];
	int valid; /* valid candidates seen, kept or not */
	int rejected; /* candidates whose text did not parse */
	uint64_t first_rejected_gpa;
	char first_rejected_why[160]; /* the parser's reason */
	uint64_t hits; /* "OSRELEASE=" occurrences in RAM */
	uint64_t ignored; /* neither page-aligned nor behind a note header */
	uint64_t bytes_scanned;
};

/*
 * Scan guest RAM for "OSRELEASE=" (the first line of VMCOREINFO), at the
 * scanner's memory-bandwidth speed, skipping never-populated pages. A hit
 * is a candidate when a note header precedes it (namesz 11, type 0, name
 * "VMCOREINFO", descsz 1..4096: its text is descsz bytes) or when it
 * starts a page (vmcoreinfo_data: text up to the first NUL in the page);
 * each candidate is parsed and, if valid, scored by score (may be NULL).
 * Returns the number of valid candidates seen.
 */
int vmcoreinfo_scan(const struct guest_memory *mem, struct vmcoreinfo_scan *s,
		    vmcoreinfo_score_fn score, void *opaque);
void vmcoreinfo_scan_free(struct vmcoreinfo_scan *s);

/*
 * The candidate at gpa (note header checked as above, else text up to the
 * first NUL of its page): 0 with vi filled, -EINVAL with err set, -EFAULT
 * when gpa is not RAM.
 */
int vmcoreinfo_read_at(const struct guest_memory *mem, uint64_t gpa,
		       struct vmcoreinfo *vi, bool *in_note,
		       struct errmsg *err);

#endif
