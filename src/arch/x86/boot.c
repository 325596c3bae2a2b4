// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/elf.h"
#include "arch/x86/layout.h"

#define BZ_BOOT_FLAG 0x1fe

#define MULTIBOOT2_MAGIC 0xe85250d6U
#define MULTIBOOT2_SEARCH 32768

/* What every "cannot boot this" message ends with. */
#define EXPECTED_FORMATS \
	"kvmscope boots a bzImage, an ELF vmlinux with a PVH note (CONFIG_PVH=y) or a multiboot v1 kernel"

/*
 * Detection order: a bzImage carries its own magic at fixed offsets; a
 * multiboot header wins over a PVH note, as kernels with both (Xen's
 * hypervisor image) are meant to be started by their multiboot entry.
 */
static const struct boot_loader *const loaders[] = {
	&bzimage_loader,
	&multiboot_loader,
	&pvh_loader,
};

#define NR_LOADERS (sizeof(loaders) / sizeof(loaders[0]))

const struct boot_loader *boot_loader_for(enum boot_format fmt)
{
	size_t i;

	for (i = 0; i < NR_LOADERS; i++)
		if (loaders[i]->format == fmt)
			return loaders[i];
	return NULL;
}

long boot_find_multiboot(const uint8_t *data, size_t size)
{
	size_t limit = size < BOOT_MULTIBOOT_SEARCH ? size :
						      BOOT_MULTIBOOT_SEARCH;
	size_t off;

	/* The three header words must all lie in the searched area. */
	for (off = 0; off + 12 <= limit; off += 4) {
		uint32_t magic = get_le32(data + off);

		if (magic != BOOT_MULTIBOOT_MAGIC)
			continue;
		if (magic + get_le32(data + off + 4) +
			    get_le32(data + off + 8) ==
		    0)
			return (long)off;
	}
	return -1;
}

enum boot_format boot_detect(const uint8_t *data, size_t size)
{
	size_t i;

	if (!data)
		return BOOT_FORMAT_UNKNOWN;
	for (i = 0; i < NR_LOADERS; i++)
		if (loaders[i]->detect(data, size))
			return loaders[i]->format;
	return BOOT_FORMAT_UNKNOWN;
}

const char *boot_format_name(enum boot_format fmt)
{
	const struct boot_loader *l = boot_loader_for(fmt);

	return l ? l->name : "unknown";
}

int boot_format_is_linux(enum boot_format fmt)
{
	const struct boot_loader *l = boot_loader_for(fmt);

	return l && l->is_linux;
}

int boot_set_rsdp(struct guest_memory *mem, enum boot_format fmt,
		  const struct boot_entry *entry, uint64_t rsdp_gpa)
{
	const struct boot_loader *l = boot_loader_for(fmt);

	/* Formats without a field (multiboot v1): kernels scan for it. */
	return l && l->set_rsdp ? l->set_rsdp(mem, entry->boot_info, rsdp_gpa) :
				  0;
}

const char *boot_kernel_name(const struct boot_request *req)
{
	return req->kernel.name && req->kernel.name[0] ? req->kernel.name :
							 "kernel";
}

int boot_check_request(const struct boot_request *req, struct errmsg *err)
{
	int i;

	if (req->nr_initrd < 0 || req->nr_initrd > BOOT_MAX_INITRD)
		return errmsg_set(
			err, EINVAL,
			"%d initrd files given: kvmscope takes at most %d",
			req->nr_initrd, BOOT_MAX_INITRD);
	if (!req->kernel.data && req->kernel.size)
		return errmsg_set(err, EINVAL, "kernel file has no data");
	for (i = 0; i < req->nr_initrd; i++)
		if (!req->initrd[i].data && req->initrd[i].size)
			return errmsg_set(err, EINVAL, "initrd %d has no data",
					  i);
	return 0;
}

int boot_check_elf_loads(struct boot_alloc *a, const struct elf_file *elf,
			 struct errmsg *err)
{
	uint64_t total = 0;
	struct elf_phdr ph;
	uint32_t i, loads = 0;
	char what[48];
	int ret;

	for (i = 0; i < elf->phnum; i++) {
		elf_get_phdr(elf, i, &ph);
		if (ph.type != ELF_PT_LOAD || ph.memsz == 0)
			continue;
		snprintf(what, sizeof(what), "ELF segment %u", i);
		if (ph.filesz > ph.memsz)
			return errmsg_set(
				err, ENOEXEC,
				"%s has more file bytes (0x%llx) than memory bytes (0x%llx): the ELF file is corrupt",
				what, (unsigned long long)ph.filesz,
				(unsigned long long)ph.memsz);
		if (!elf_phdr_in_file(elf, &ph))
			return errmsg_set(
				err, ENOEXEC,
				"%s data at offset 0x%llx (0x%llx bytes) extends past the end of the file (%zu bytes): the file is truncated",
				what, (unsigned long long)ph.offset,
				(unsigned long long)ph.filesz, elf->size);
		ret = boot_alloc_image(a, what, ph.paddr, ph.memsz, err);
		if (ret)
			return ret;
		/*
		 * Segments that fit RAM one by one can still overlap each
		 * other; their sum bounds the copying work to the RAM size.
		 */
		total += ph.memsz;
		if (total > a->ram_end)
			return errmsg_set(
				err, ERANGE,
				"ELF segments up to %u add up to 0x%llx bytes, more than guest RAM below 4 GiB: they overlap (the file is corrupt) or the guest needs more --mem",
				i, (unsigned long long)total);
		loads++;
	}
	if (!loads)
		return errmsg_set(
			err, ENOEXEC,
			"ELF file has no loadable (PT_LOAD) segments: it is not a kernel image");
	return 0;
}

bool boot_elf_loads_paddr(const struct elf_file *elf, uint64_t paddr)
{
	struct elf_phdr ph;
	uint32_t i;

	for (i = 0; i < elf->phnum; i++) {
		elf_get_phdr(elf, i, &ph);
		if (ph.type == ELF_PT_LOAD && paddr >= ph.paddr &&
		    paddr - ph.paddr < ph.memsz)
			return true;
	}
	return false;
}

int boot_copy_elf_loads(struct guest_memory *mem, const struct elf_file *elf,
			struct errmsg *err)
{
	struct elf_phdr ph;
	uint32_t i;

	for (i = 0; i < elf->phnum; i++) {
		elf_get_phdr(elf, i, &ph);
		if (ph.type != ELF_PT_LOAD || ph.memsz == 0)
			continue;
		if (guest_memory_write(mem, ph.paddr, elf->data + ph.offset,
				       ph.filesz) ||
		    guest_memory_fill(mem, ph.paddr + ph.filesz, 0,
				      ph.memsz - ph.filesz))
			return errmsg_set(
				err, EFAULT,
				"ELF segment %u at 0x%llx is outside guest RAM: increase --mem",
				i, (unsigned long long)ph.paddr);
	}
	return 0;
}

int boot_initrd_place(struct boot_alloc *a, const struct boot_request *req,
		      uint64_t addr_limit, uint64_t *addr, uint64_t *size,
		      struct errmsg *err)
{
	uint64_t top = a->ram_end, total = 0, floor;
	bool limited = false;
	int i;

	*addr = 0;
	*size = 0;
	for (i = 0; i < req->nr_initrd; i++) {
		/* Anything past 4 GiB cannot fit; stop before overflowing. */
		if (req->initrd[i].size > GUEST_HIGH_RAM_START - total)
			return errmsg_set(
				err, EFBIG,
				"initrd files add up to more than 4 GiB: they must fit in guest RAM below 3 GiB, use a smaller initrd");
		total += req->initrd[i].size;
	}
	if (total == 0)
		return 0;

	if (addr_limit && addr_limit < top) {
		top = addr_limit;
		limited = true;
	}
	/* Above the image: the memory below it is the firmware's and ours. */
	floor = a->image_hi > LAYOUT_HIGH_MEM ? a->image_hi : LAYOUT_HIGH_MEM;
	floor = (floor + BOOT_PAGE_SIZE - 1) & ~(BOOT_PAGE_SIZE - 1);
	if (!boot_alloc_last_fit(a, total, BOOT_PAGE_SIZE, floor, top, addr)) {
		*addr = 0;
		if (limited)
			return errmsg_set(
				err, ENOSPC,
				"initrd (%llu bytes in %d file%s) does not fit between the end of the kernel at 0x%llx and the kernel's initrd limit 0x%llx (initrd_addr_max): use a smaller initrd",
				(unsigned long long)total, req->nr_initrd,
				req->nr_initrd == 1 ? "" : "s",
				(unsigned long long)floor,
				(unsigned long long)top);
		return errmsg_set(
			err, ENOSPC,
			"initrd (%llu bytes in %d file%s) does not fit in guest RAM between the end of the kernel at 0x%llx and 0x%llx: increase --mem to at least %llu MiB",
			(unsigned long long)total, req->nr_initrd,
			req->nr_initrd == 1 ? "" : "s",
			(unsigned long long)floor,
			(unsigned long long)a->ram_end,
			boot_mib_up(floor + total + BOOT_PAGE_SIZE));
	}
	if (boot_alloc_mark(a, *addr, total))
		return errmsg_set(err, E2BIG,
				  "too many boot data pieces for the initrd");
	*size = total;
	return 0;
}

int boot_initrd_copy(struct guest_memory *mem, const struct boot_request *req,
		     uint64_t addr, struct errmsg *err)
{
	int i;

	for (i = 0; i < req->nr_initrd; i++) {
		const struct boot_file *f = &req->initrd[i];

		if (guest_memory_write(mem, addr, f->data, f->size))
			return errmsg_set(
				err, EFAULT,
				"initrd %s at 0x%llx (%zu bytes) is outside guest RAM",
				f->name ? f->name : "",
				(unsigned long long)addr, f->size);
		addr += f->size;
	}
	return 0;
}

static bool looks_like_text(const uint8_t *data, size_t size)
{
	size_t n = size < 512 ? size : 512, i;

	for (i = 0; i < n; i++) {
		uint8_t c = data[i];

		/* Allow UTF-8 bytes; reject controls other than whitespace. */
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' &&
		    c != '\f')
			return false;
		if (c == 0x7f)
			return false;
	}
	return n > 0;
}

static bool has_multiboot2(const uint8_t *data, size_t size)
{
	size_t limit = size < MULTIBOOT2_SEARCH ? size : MULTIBOOT2_SEARCH;
	size_t off;

	for (off = 0; off + 4 <= limit; off += 8)
		if (get_le32(data + off) == MULTIBOOT2_MAGIC)
			return true;
	return false;
}

/* A multiboot magic whose checksum is wrong: worth telling the user. */
static long bad_multiboot_checksum(const uint8_t *data, size_t size,
				   uint32_t *sum)
{
	size_t limit = size < BOOT_MULTIBOOT_SEARCH ? size :
						      BOOT_MULTIBOOT_SEARCH;
	size_t off;

	for (off = 0; off + 12 <= limit; off += 4) {
		if (get_le32(data + off) != BOOT_MULTIBOOT_MAGIC)
			continue;
		*sum = BOOT_MULTIBOOT_MAGIC + get_le32(data + off + 4) +
		       get_le32(data + off + 8);
		return (long)off;
	}
	return -1;
}

/* Say what the file seems to be instead, so the user knows what to fix. */
static int explain_unknown(const struct boot_request *req, struct errmsg *err)
{
	const char *name = boot_kernel_name(req);
	const uint8_t *data = req->kernel.data;
	size_t size = req->kernel.size;
	struct elf_file elf;
	struct errmsg why;
	uint32_t sum = 0;
	long off;

	if (size == 0)
		return errmsg_set(err, ENOEXEC,
				  "%.200s is empty: " EXPECTED_FORMATS, name);
	if (has_multiboot2(data, size))
		return errmsg_set(
			err, ENOEXEC,
			"%.200s is a multiboot2 kernel, which kvmscope does not support: build it with a multiboot v1 header; " EXPECTED_FORMATS,
			name);
	off = bad_multiboot_checksum(data, size, &sum);
	if (off >= 0)
		return errmsg_set(
			err, ENOEXEC,
			"%.200s has a multiboot header at offset 0x%lx whose checksum is wrong (magic + flags + checksum = 0x%x, must be 0): fix the header; " EXPECTED_FORMATS,
			name, off, sum);
	if (elf_has_magic(data, size)) {
		if (elf_parse(&elf, data, size, &why))
			return errmsg_set(
				err, ENOEXEC,
				"%.200s is a malformed ELF file (%s); " EXPECTED_FORMATS,
				name, why.text);
		return errmsg_set(
			err, ENOEXEC,
			"%.200s is an ELF file without a PVH note (Xen note 18, XEN_ELFNOTE_PHYS32_ENTRY) and without a multiboot header: build Linux with CONFIG_PVH=y or use arch/x86/boot/bzImage; " EXPECTED_FORMATS,
			name);
	}
	if (size >= 0x200 && get_le16(data + BZ_BOOT_FLAG) == 0xaa55)
		return errmsg_set(
			err, ENOEXEC,
			"%.200s is a boot sector without a Linux setup header (no \"HdrS\" at 0x202): " EXPECTED_FORMATS,
			name);
	if (size >= 2 && data[0] == 'M' && data[1] == 'Z')
		return errmsg_set(
			err, ENOEXEC,
			"%.200s is a PE/EFI executable without a Linux setup header (not an x86 bzImage?): " EXPECTED_FORMATS,
			name);
	if (looks_like_text(data, size))
		return errmsg_set(
			err, ENOEXEC,
			"%.200s looks like a text file, not a kernel: " EXPECTED_FORMATS,
			name);
	return errmsg_set(
		err, ENOEXEC,
		"%.200s is not a kernel format kvmscope recognises: " EXPECTED_FORMATS,
		name);
}

int boot_load(struct guest_memory *mem, const struct boot_request *req,
	      struct boot_entry *entry, struct errmsg *err)
{
	const struct boot_loader *l;
	int ret;

	ret = boot_check_request(req, err);
	if (ret)
		return ret;
	l = boot_loader_for(boot_detect(req->kernel.data, req->kernel.size));
	if (l)
		return l->load(mem, req, entry, err);
	return explain_unknown(req, err);
}
