/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest kernel's types from its own BTF in RAM: with
 * CONFIG_DEBUG_INFO_BTF the image keeps the deduplicated type information
 * between __start_BTF and __stop_BTF (.BTF), which libbpf parses into
 * structures, members and sizes. This is what lets guest-ps, read-struct
 * and the backtraces follow kernel structures with no vmlinux on the host.
 *
 * The blob is guest-controlled: its size is capped, it is copied out of
 * guest RAM before libbpf sees it (btf__new checks the header, string
 * and type sections), every member offset found is checked against its
 * structure's size, and member paths are walked to a bounded depth.
 */
#ifndef KVMSCOPE_OS_KTYPES_H
#define KVMSCOPE_OS_KTYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"

#define KTYPES_MAX_BTF (64U << 20) /* a distro kernel's .BTF is ~5 MiB */
#define KTYPES_MAX_DEPTH 8 /* nested anonymous members and path parts */

struct btf;
struct ktypes_dwarf;

struct ktypes {
	struct btf *btf;
	struct ktypes_dwarf *dwarf; /* converts into btf on demand */
	uint64_t va; /* __start_BTF; 0 for a file's */
	size_t size;
	/* "guest RAM at 0x...", "--symbols FILE", "--symbols FILE (DWARF)" */
	char source[160];
};

/*
 * The types of an ELF file (a vmlinux given with --symbols): its .BTF
 * section, or without one its DWARF (ktypes_dwarf.h, converted lazily).
 * 0, -ENOENT when it has neither, or -errno with err naming the file.
 */
int ktypes_from_elf(const char *path, struct ktypes *kt, struct errmsg *err);

/*
 * Parse a copy of the .BTF section: 0, or -EINVAL with err saying why
 * libbpf refused it ("the guest's BTF at 0x... is not valid: ...").
 */
int ktypes_parse(const void *blob, size_t size, uint64_t va, struct ktypes *kt,
		 struct errmsg *err);
void ktypes_free(struct ktypes *kt);

/* A structure (or union) by name: its BTF id and size. -ENOENT if none. */
int ktypes_struct(const struct ktypes *kt, const char *name, int *id,
		  uint32_t *size, struct errmsg *err);

/* Where a member is, from the start of its outermost structure. */
struct kmember {
	uint32_t offset; /* bytes */
	uint32_t size; /* bytes (a bitfield's containing bytes) */
	int type_id; /* the member's type, typedefs and qualifiers kept */
	bool bitfield;
	uint8_t bit_offset, bit_size; /* bitfield: within offset */
};

/*
 * Member path ("tasks", "thread_info.cpu", "signal" ...) of struct name,
 * looking through anonymous structs and unions as C does. 0, -ENOENT with
 * err "struct task_struct has no member 'x'".
 */
int ktypes_member(const struct ktypes *kt, const char *name, const char *path,
		  struct kmember *m, struct errmsg *err);

/*
 * The first member of the list that struct name has: tries each path in
 * turn (kernels rename fields: "__state" then "state"). NULL-terminated.
 */
int ktypes_member_any(const struct ktypes *kt, const char *name,
		      const char *const paths[], struct kmember *m,
		      const char **found, struct errmsg *err);

/*
 * The C spelling of type id ("struct list_head", "unsigned int",
 * "char[16]", "struct mm_struct *") into buf. Returns buf.
 */
const char *ktypes_type_name(const struct ktypes *kt, int id, char *buf,
			     size_t size);

#endif
