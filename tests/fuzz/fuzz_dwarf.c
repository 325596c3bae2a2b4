// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile --symbols file's DWARF: the input is split into the contents
 * of .debug_abbrev, .debug_str and .debug_info
 * ([u16 abbrev length][abbrev][u16 str length][str][info]), wrapped into
 * an ELF shared object in a memfd and opened as --symbols is
 * (ktypes_from_elf: no .BTF, so the DWARF converter). Every struct and
 * union the input names is converted (ktypes_dwarf_convert_all), a few
 * are looked up by name with member paths, and read-struct renders them
 * over zeroed bytes. A member found must lie inside its structure.
 *
 * Seeds (tests/fuzz/seeds/dwarf/): the sections of the unit test's
 * fixture in DWARF 5, 4 and strict 2, dumped with objcopy --dump-section
 * from build/tests/unit/ktypes_dwarf_fixture*.so.
 */
#include <elf.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "os/kstruct.h"
#include "os/ktypes.h"
#include "os/ktypes_dwarf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char shstrtab[] =
	"\0.debug_abbrev\0.debug_info\0.debug_str\0.shstrtab";

static void shdr(Elf64_Shdr *s, uint32_t name, uint64_t off, uint64_t size)
{
	memset(s, 0, sizeof(*s));
	s->sh_name = name;
	s->sh_type = SHT_PROGBITS;
	s->sh_offset = off;
	s->sh_size = size;
	s->sh_addralign = 1;
}

/* An ELF holding the three sections: its length, or 0. */
static size_t build_elf(const uint8_t *d, size_t n, uint8_t **out)
{
	size_t la, ls, off, total;
	const uint8_t *abbrev, *str, *info;
	size_t li;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	uint8_t *elf;

	if (n < 2)
		return 0;
	la = d[0] | (size_t)d[1] << 8;
	if (n < 2 + la + 2)
		return 0;
	abbrev = d + 2;
	ls = d[2 + la] | (size_t)d[3 + la] << 8;
	if (n < 4 + la + ls)
		return 0;
	str = d + 4 + la;
	info = str + ls;
	li = n - 4 - la - ls;
	off = sizeof(*eh);
	total = (off + la + li + ls + sizeof(shstrtab) + 7) & ~(size_t)7;
	total += 5 * sizeof(*sh);
	elf = calloc(1, total);
	if (!elf)
		return 0;
	eh = (Elf64_Ehdr *)elf;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	eh->e_shentsize = sizeof(*sh);
	eh->e_shnum = 5;
	eh->e_shstrndx = 4;
	eh->e_shoff = total - 5 * sizeof(*sh);
	sh = (Elf64_Shdr *)(elf + eh->e_shoff);
	memset(&sh[0], 0, sizeof(sh[0]));
	memcpy(elf + off, abbrev, la);
	shdr(&sh[1], 1, off, la);
	off += la;
	memcpy(elf + off, info, li);
	shdr(&sh[2], 15, off, li);
	off += li;
	memcpy(elf + off, str, ls);
	shdr(&sh[3], 27, off, ls);
	sh[3].sh_flags = SHF_MERGE | SHF_STRINGS;
	off += ls;
	memcpy(elf + off, shstrtab, sizeof(shstrtab));
	shdr(&sh[4], 38, off, sizeof(shstrtab));
	sh[4].sh_type = SHT_STRTAB;
	*out = elf;
	return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"outer", "node", "bits", "number", "task_struct", "nest70"
	};
	static const char *const paths[] = { "id",	"lo",	"inner.stamp",
					     "flags.d", "self", "tail" };
	static int fd = -1;
	struct errmsg err;
	struct kmember m;
	struct ktypes kt;
	char path[64], buf[128];
	uint8_t *elf, *zero;
	uint32_t ssize;
	size_t len, i, j;
	int id;

	len = build_elf(data, size, &elf);
	if (!len)
		return 0;
	if (fd < 0)
		fd = memfd_create("fuzz-dwarf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) ||
	    pwrite(fd, elf, len, 0) != (ssize_t)len) {
		free(elf);
		return 0;
	}
	free(elf);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (ktypes_from_elf(path, &kt, &err))
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (ktypes_struct(&kt, names[i], &id, &ssize, &err))
			continue;
		ktypes_type_name(&kt, id, buf, sizeof(buf));
		for (j = 0; j < sizeof(paths) / sizeof(paths[0]); j++)
			if (!ktypes_member(&kt, names[i], paths[j], &m, &err) &&
			    (uint64_t)m.offset + m.size > ssize)
				abort();
		if (ssize > KSTRUCT_MAX_BYTES)
			continue;
		zero = calloc(1, ssize ? ssize : 1);
		if (zero)
			json_decref(kstruct_fields(&kt, id, zero, ssize, 0));
		free(zero);
	}
	if (kt.dwarf)
		ktypes_dwarf_convert_all(kt.dwarf);
	ktypes_free(&kt);
	return 0;
}
