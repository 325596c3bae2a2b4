// SPDX-License-Identifier: GPL-2.0
/* DWARF to an in-memory BTF, lazily, by structure name; see ktypes_dwarf.h. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <dwarf.h>
#include <elfutils/libdw.h>

#include "os/ktypes_dwarf_priv.h"
#include "util/log.h"

static uint64_t hash_str(const char *s, uint64_t kind)
{
	uint64_t h = 1469598103934665603ULL ^ kind;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static uint64_t hash_u64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	return k ^ (k >> 33);
}

static bool slot_is(const struct slot *s, const char *name, uint64_t key)
{
	if (s->key != key)
		return false;
	return name ? s->name && !strcmp(s->name, name) : !s->name;
}

struct slot *hmap_find(struct hmap *m, const char *name, uint64_t key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = (name ? hash_str(name, key) : hash_u64(key)) & (m->cap - 1);
	while (m->s[i].key) {
		if (slot_is(&m->s[i], name, key))
			return &m->s[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

int hmap_put(struct hmap *m, const char *name, uint64_t key, int64_t val)
{
	struct slot *s;
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		struct hmap big = { calloc(m->cap ? 2 * m->cap : 1024,
					   sizeof(struct slot)),
				    m->cap ? 2 * m->cap : 1024, 0 };

		if (!big.s)
			return -ENOMEM;
		for (i = 0; i < m->cap; i++)
			if (m->s[i].key)
				hmap_put(&big, m->s[i].name, m->s[i].key,
					 m->s[i].val);
		free(m->s);
		*m = big;
	}
	s = hmap_find(m, name, key);
	if (!s) {
		i = (name ? hash_str(name, key) : hash_u64(key)) & (m->cap - 1);
		while (m->s[i].key)
			i = (i + 1) & (m->cap - 1);
		s = &m->s[i];
		s->name = name;
		s->key = key;
		m->n++;
	}
	s->val = val;
	return 0;
}

/* Index one more unit's top-level struct and union definitions. */
static void index_next_unit(struct ktypes_dwarf *d)
{
	Dwarf_CU *next;
	Dwarf_Die cu, c;

	if (dwarf_get_units(d->dw, d->cu, &next, NULL, NULL, &cu, NULL)) {
		d->indexed_all = true;
		return;
	}
	d->cu = next;
	d->units++;
	if (dwarf_child(&cu, &c))
		return;
	do {
		int tag = dwarf_tag(&c);
		const char *name;

		if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type &&
		    tag != DW_TAG_class_type)
			continue;
		name = dwarf_diename(&c);
		if (!name || !*name || ktypes_dwarf_is_decl(&c) ||
		    dwarf_bytesize(&c) < 0)
			continue;
		/* the first definition of a name is the one used */
		if (!hmap_find(&d->names, name,
			       tag == DW_TAG_union_type ? 2 : 1))
			hmap_put(&d->names, name,
				 tag == DW_TAG_union_type ? 2 : 1,
				 (int64_t)dwarf_dieoffset(&c));
	} while (dwarf_siblingof(&c, &c) == 0);
}

int ktypes_dwarf_struct(struct ktypes_dwarf *d, const char *name, bool is_union,
			int *id, struct errmsg *err)
{
	struct slot *s;
	Dwarf_Die die;
	int r;

	while (!(s = hmap_find(&d->names, name, is_union ? 2 : 1)) &&
	       !d->indexed_all)
		index_next_unit(d);
	if (!s)
		return errmsg_set(err, ENOENT, "the DWARF has no %s %s",
				  is_union ? "union" : "struct", name);
	if (!dwarf_offdie(d->dw, (Dwarf_Off)s->val, &die))
		return errmsg_set(err, EINVAL, "the DWARF of %s is unreadable",
				  name);
	err->text[0] = '\0';
	r = ktypes_dwarf_conv(d, &die, 0, err);
	ktypes_dwarf_drain(d);
	if (r < 0) {
		char why[sizeof(err->text)];

		memcpy(why, err->text, sizeof(why));
		return errmsg_set(err, -r,
				  "%s %s cannot be converted from DWARF: %s",
				  is_union ? "union" : "struct", name, why);
	}
	*id = r;
	return 0;
}

static bool has_debug_info(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstr;

	if (elf_getshdrstrndx(elf, &shstr))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return false;
		name = elf_strptr(elf, shstr, sh.sh_name);
		if (name &&
		    (!strcmp(name, ".debug_info") ||
		     !strcmp(name, ".zdebug_info")) &&
		    sh.sh_type != SHT_NOBITS)
			return true;
	}
	return false;
}

int ktypes_dwarf_open(const char *path, struct ktypes_dwarf **out,
		      struct btf **btf, struct errmsg *err)
{
	struct ktypes_dwarf *d;
	GElf_Ehdr eh;
	int e;

	d = calloc(1, sizeof(*d));
	if (!d)
		return errmsg_set(err, ENOMEM, "out of memory");
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0) {
		e = errno;
		free(d);
		return errmsg_set(err, e, "cannot open %s: %s", path,
				  strerror(e));
	}
	elf_version(EV_CURRENT);
	d->elf = elf_begin(d->fd, ELF_C_READ_MMAP, NULL);
	if (!d->elf || elf_kind(d->elf) != ELF_K_ELF ||
	    !gelf_getehdr(d->elf, &eh)) {
		ktypes_dwarf_close(d);
		return errmsg_set(err, EINVAL, "%s is not an ELF file", path);
	}
	if (!has_debug_info(d->elf)) {
		ktypes_dwarf_close(d);
		return errmsg_set(err, ENODATA, "%s has no DWARF (.debug_info)",
				  path);
	}
	if (eh.e_type == ET_REL) {
		ktypes_dwarf_close(d);
		return errmsg_set(
			err, EINVAL,
			"%s is a relocatable object: give the linked vmlinux",
			path);
	}
	d->dw = dwarf_begin_elf(d->elf, DWARF_C_READ, NULL);
	if (!d->dw) {
		e = dwarf_errno();
		ktypes_dwarf_close(d);
		return errmsg_set(err, EINVAL, "cannot read DWARF from %s: %s",
				  path, dwarf_errmsg(e));
	}
	d->btf = btf__new_empty();
	if (!d->btf) {
		ktypes_dwarf_close(d);
		return errmsg_set(err, ENOMEM, "out of memory");
	}
	btf__set_pointer_size(d->btf,
			      eh.e_ident[EI_CLASS] == ELFCLASS32 ? 4 : 8);
	btf__set_endianness(d->btf, eh.e_ident[EI_DATA] == ELFDATA2MSB ?
					    BTF_BIG_ENDIAN :
					    BTF_LITTLE_ENDIAN);
	*out = d;
	*btf = d->btf;
	return 0;
}

void ktypes_dwarf_close(struct ktypes_dwarf *d)
{
	if (!d)
		return;
	/* the BTF belongs to the ktypes that holds it (ktypes_free) */
	if (d->dw)
		dwarf_end(d->dw);
	if (d->elf)
		elf_end(d->elf);
	if (d->fd >= 0)
		close(d->fd);
	free(d->dies.s);
	free(d->names.s);
	free(d->pend);
	free(d);
}

void ktypes_dwarf_stats(const struct ktypes_dwarf *d,
			struct ktypes_dwarf_stats *st)
{
	st->units = d->units;
	st->names = (unsigned int)d->names.n;
	st->converted = d->converted;
	st->skipped = d->skipped;
	st->complete = d->indexed_all;
}

int ktypes_dwarf_convert_all(struct ktypes_dwarf *d)
{
	struct errmsg err;
	size_t i;
	int failed = 0, id;

	while (!d->indexed_all)
		index_next_unit(d);
	for (i = 0; i < d->names.cap; i++) {
		struct slot *s = &d->names.s[i];

		if (!s->key)
			continue;
		if (ktypes_dwarf_struct(d, s->name, s->key == 2, &id, &err))
			failed++;
		/* converting never grows the name map: s stays valid */
	}
	return failed;
}
