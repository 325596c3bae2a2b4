// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "arch/x86/elf.h"

#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1

#define EHDR32_SIZE 52
#define EHDR64_SIZE 64
#define PHDR32_SIZE 32
#define PHDR64_SIZE 56

/* e_phnum value meaning "the real count is in section header 0". */
#define PN_XNUM 0xffff

#define NOTE_HDR_SIZE 12

/* Callers guarantee the bytes are inside the file. */
static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* True when [off, off + len) lies inside a file of size bytes. */
static bool range_in_file(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

bool elf_has_magic(const uint8_t *data, size_t size)
{
	return size >= 4 && memcmp(data, "\177ELF", 4) == 0;
}

int elf_parse(struct elf_file *elf, const uint8_t *data, size_t size,
	      struct errmsg *err)
{
	size_t ehdr_size, phdr_size;
	uint16_t phnum;

	memset(elf, 0, sizeof(*elf));
	if (!elf_has_magic(data, size) || size < 16)
		return errmsg_set(err, ENOEXEC,
				  "not an ELF file (no \\177ELF magic)");
	if (data[EI_CLASS] != ELFCLASS32 && data[EI_CLASS] != ELFCLASS64)
		return errmsg_set(
			err, ENOEXEC,
			"ELF class %u is invalid (expected 1 for ELF32 or 2 for ELF64): the file is corrupt",
			data[EI_CLASS]);
	if (data[EI_DATA] != ELFDATA2LSB)
		return errmsg_set(
			err, ENOEXEC,
			"ELF data encoding %u is not little-endian: x86 kernels are little-endian, rebuild for x86",
			data[EI_DATA]);

	elf->is64 = data[EI_CLASS] == ELFCLASS64;
	ehdr_size = elf->is64 ? EHDR64_SIZE : EHDR32_SIZE;
	phdr_size = elf->is64 ? PHDR64_SIZE : PHDR32_SIZE;
	if (size < ehdr_size)
		return errmsg_set(
			err, ENOEXEC,
			"ELF header is truncated: the file has %zu bytes, the header needs %zu",
			size, ehdr_size);

	elf->data = data;
	elf->size = size;
	elf->type = rd16(data + 16);
	elf->machine = rd16(data + 18);
	if (elf->is64) {
		elf->entry = rd64(data + 24);
		elf->phoff = rd64(data + 32);
		elf->phentsize = rd16(data + 54);
		phnum = rd16(data + 56);
	} else {
		elf->entry = rd32(data + 24);
		elf->phoff = rd32(data + 28);
		elf->phentsize = rd16(data + 42);
		phnum = rd16(data + 44);
	}

	if (phnum == PN_XNUM)
		return errmsg_set(
			err, ENOEXEC,
			"ELF file uses extended program header numbering (e_phnum 0xffff), which kvmscope does not support");
	if (phnum > 0) {
		if (elf->phentsize < phdr_size)
			return errmsg_set(
				err, ENOEXEC,
				"ELF program header size %u is smaller than the %zu bytes of an ELF%d program header: the file is corrupt",
				elf->phentsize, phdr_size, elf->is64 ? 64 : 32);
		/* At most 0xfffe * 0xffff: no overflow in 64 bits. */
		if (!range_in_file(elf->phoff, (uint64_t)phnum * elf->phentsize,
				   size))
			return errmsg_set(
				err, ENOEXEC,
				"ELF program headers at offset 0x%llx (%u x %u bytes) extend past the end of the file (%zu bytes): the file is truncated",
				(unsigned long long)elf->phoff, phnum,
				elf->phentsize, size);
	}
	elf->phnum = phnum;
	return 0;
}

int elf_get_phdr(const struct elf_file *elf, uint32_t idx, struct elf_phdr *ph)
{
	const uint8_t *p;

	if (idx >= elf->phnum)
		return -EINVAL;
	/* elf_parse checked that the whole table is inside the file. */
	p = elf->data + elf->phoff + (uint64_t)idx * elf->phentsize;
	if (elf->is64) {
		ph->type = rd32(p);
		ph->flags = rd32(p + 4);
		ph->offset = rd64(p + 8);
		ph->vaddr = rd64(p + 16);
		ph->paddr = rd64(p + 24);
		ph->filesz = rd64(p + 32);
		ph->memsz = rd64(p + 40);
		ph->align = rd64(p + 48);
	} else {
		ph->type = rd32(p);
		ph->offset = rd32(p + 4);
		ph->vaddr = rd32(p + 8);
		ph->paddr = rd32(p + 12);
		ph->filesz = rd32(p + 16);
		ph->memsz = rd32(p + 20);
		ph->flags = rd32(p + 24);
		ph->align = rd32(p + 28);
	}
	return 0;
}

bool elf_phdr_in_file(const struct elf_file *elf, const struct elf_phdr *ph)
{
	return range_in_file(ph->offset, ph->filesz, elf->size);
}

void elf_note_iter_init(struct elf_note_iter *it, const struct elf_file *elf)
{
	memset(it, 0, sizeof(*it));
	it->elf = elf;
}

/* Move to the next PT_NOTE segment that lies inside the file. */
static bool next_note_segment(struct elf_note_iter *it)
{
	struct elf_phdr ph;

	while (it->next_ph < it->elf->phnum) {
		if (elf_get_phdr(it->elf, it->next_ph++, &ph))
			return false;
		if (ph.type != ELF_PT_NOTE || !elf_phdr_in_file(it->elf, &ph))
			continue;
		it->pos = ph.offset;
		it->end = ph.offset + ph.filesz;
		/*
		 * Notes are 4-byte aligned in practice even in ELF64; 8 only
		 * shows up in segments that say so (GNU property notes).
		 */
		it->align = ph.align == 8 ? 8 : 4;
		return true;
	}
	return false;
}

static uint64_t note_pad(uint64_t len, uint64_t align)
{
	/* len is at most 2^32 - 1: cannot overflow. */
	return (len + align - 1) & ~(align - 1);
}

bool elf_note_next(struct elf_note_iter *it, struct elf_note *note)
{
	const uint8_t *p;
	uint64_t left, name_len, desc_len;

	if (it->seen >= ELF_MAX_NOTES)
		return false;
	for (;;) {
		/* Every note consumes at least its header: the walk ends. */
		left = it->end - it->pos;
		if (it->pos >= it->end || left < NOTE_HDR_SIZE) {
			if (!next_note_segment(it))
				return false;
			continue;
		}
		p = it->elf->data + it->pos;
		note->namesz = rd32(p);
		note->descsz = rd32(p + 4);
		note->type = rd32(p + 8);
		left -= NOTE_HDR_SIZE;
		name_len = note_pad(note->namesz, it->align);
		if (name_len > left) {
			it->pos = it->end;
			continue;
		}
		left -= name_len;
		/* The last descriptor may omit its padding. */
		desc_len = note_pad(note->descsz, it->align);
		if (note->descsz > left) {
			it->pos = it->end;
			continue;
		}
		note->name = (const char *)p + NOTE_HDR_SIZE;
		note->desc = p + NOTE_HDR_SIZE + name_len;
		if (desc_len > left)
			desc_len = left;
		it->pos += NOTE_HDR_SIZE + name_len + desc_len;
		it->seen++;
		return true;
	}
}

bool elf_find_note(const struct elf_file *elf, const char *name, uint32_t type,
		   struct elf_note *note)
{
	struct elf_note_iter it;
	size_t len = strlen(name);

	elf_note_iter_init(&it, elf);
	while (elf_note_next(&it, note)) {
		if (note->type != type)
			continue;
		/* Producers normally include the NUL; tolerate ones that don't. */
		if (note->namesz == len + 1 && note->name[len] != '\0')
			continue;
		if (note->namesz != len && note->namesz != len + 1)
			continue;
		if (memcmp(note->name, name, len) == 0)
			return true;
	}
	return false;
}
