// SPDX-License-Identifier: GPL-2.0
/*
 * Multiboot v1 loader. The image is an ELF file or, with header flag 16,
 * raw bytes described by the header's address fields (the "a.out kludge").
 * The CPU enters in 32-bit protected mode with EAX = 0x2BADB002 and EBX
 * pointing to the multiboot information structure (MBI).
 *
 * Placement follows QEMU's -kernel (hw/i386/multiboot.c), which the
 * kernels we are meant to run unchanged were written against:
 * - QEMU puts the MBI and memory map at 0x9000-0x95ff, whatever the
 *   image (a kernel linked at 0x8000 with bss past 0x9000 finds an MBI of
 *   zeros there under QEMU 7.2); the command lines, module list and loader
 *   name go in a page right after the image. We keep all of it in one
 *   block that starts at 0x9000 too when that is free, else below the
 *   image, and never right after it, where kernels start their heap
 *   (boot_alloc.h, BOOT_PLACE_INFO).
 * - QEMU loads the modules one after another, each on fresh pages, from
 *   the first page after the image (and its strings page); GRUB legacy
 *   did the same. Kernels tested that way skip the modules the MBI lists
 *   but may use the top of RAM freely (stacks, page tables), so modules
 *   go right after the image here too (BOOT_PLACE_AFTER_IMAGE).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "arch/x86/elf.h"
#include "arch/x86/layout.h"

/* Header flags: bits 0-15 are requirements, 16-31 optional features. */
#define MBH_PAGE_ALIGN (1U << 0)
#define MBH_MEMORY_INFO (1U << 1)
#define MBH_VIDEO_MODE (1U << 2)
#define MBH_AOUT_KLUDGE (1U << 16)
#define MBH_SUPPORTED_REQ (MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE)

/* Header field offsets from the magic. */
#define MBH_FLAGS 4
#define MBH_HEADER_ADDR 12
#define MBH_LOAD_ADDR 16
#define MBH_LOAD_END_ADDR 20
#define MBH_BSS_END_ADDR 24
#define MBH_ENTRY_ADDR 28
#define MBH_AOUT_SIZE 32

/* struct multiboot_info */
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_CMDLINE 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_BOOT_LOADER_NAME 64
#define MBI_SIZE 116

#define MBI_F_MEM (1U << 0)
#define MBI_F_CMDLINE (1U << 2)
#define MBI_F_MODS (1U << 3)
#define MBI_F_MMAP (1U << 6)
#define MBI_F_LOADER_NAME (1U << 9)

#define MB_MMAP_ENTRY_SIZE 24 /* the size field (20) does not count itself */
#define MB_MOD_SIZE 16

/*
 * Our layout of the boot information block: MBI, memory map, module list,
 * loader name, then the module names and the command line.
 */
#define MB_OFF_MMAP 0x80
#define MB_OFF_MODS (MB_OFF_MMAP + E820_MAX_ENTRIES * MB_MMAP_ENTRY_SIZE)
#define MB_OFF_LOADER_NAME (MB_OFF_MODS + BOOT_MAX_INITRD * MB_MOD_SIZE)
#define MB_OFF_STRINGS (MB_OFF_LOADER_NAME + 16)
#define MB_LOADER_NAME "kvmscope"
/* Module names: 16 paths of PATH_MAX (4096, with the NUL) fit. */
#define MB_STRINGS_MAX 0x10000ULL

_Static_assert(MBI_SIZE <= MB_OFF_MMAP, "MBI overlaps the memory map");

struct mb_plan {
	struct boot_alloc alloc;
	long hoff;
	uint32_t flags;
	bool aout;
	/* a.out kludge: one range of file bytes, then bss */
	uint64_t load_addr;
	uint64_t file_off;
	uint64_t load_size;
	/* ELF */
	struct elf_file elf;

	uint64_t image_end; /* a.out kludge: end of the bss */
	uint64_t entry;
	size_t name_len;
	size_t cmdline_len; /* of the user's part */
	size_t strings; /* bytes of module names, with their NULs */
	uint64_t mod_addr[BOOT_MAX_INITRD];
	uint64_t info; /* the boot information block: MBI at its start */
};

static int mb_check_aout(const struct boot_request *req, struct mb_plan *plan,
			 struct errmsg *err)
{
	const uint8_t *h = req->kernel.data + plan->hoff;
	size_t size = req->kernel.size;
	uint32_t header_addr, load_addr, load_end, bss_end, entry;
	uint64_t delta, mem_end;
	int ret;

	if ((uint64_t)plan->hoff + MBH_AOUT_SIZE > size)
		return errmsg_set(
			err, ENOEXEC,
			"multiboot header at offset 0x%lx is truncated: flag 16 needs the address fields, %d bytes, but the file ends at %zu",
			plan->hoff, MBH_AOUT_SIZE, size);
	header_addr = get_le32(h + MBH_HEADER_ADDR);
	load_addr = get_le32(h + MBH_LOAD_ADDR);
	load_end = get_le32(h + MBH_LOAD_END_ADDR);
	bss_end = get_le32(h + MBH_BSS_END_ADDR);
	entry = get_le32(h + MBH_ENTRY_ADDR);

	if (header_addr < load_addr)
		return errmsg_set(
			err, ENOEXEC,
			"multiboot header_addr 0x%x is below load_addr 0x%x: the header's address fields are wrong",
			header_addr, load_addr);
	/* The header's place in the file fixes where loading starts. */
	delta = header_addr - load_addr;
	if (delta > (uint64_t)plan->hoff)
		return errmsg_set(
			err, ENOEXEC,
			"multiboot load_addr 0x%x lies %llu bytes before the start of the file (header at offset 0x%lx, header_addr 0x%x): the header's address fields are wrong",
			load_addr, (unsigned long long)(delta - plan->hoff),
			plan->hoff, header_addr);
	plan->file_off = plan->hoff - delta;
	if (load_end == 0) {
		plan->load_size = size - plan->file_off;
	} else {
		if (load_end < load_addr)
			return errmsg_set(
				err, ENOEXEC,
				"multiboot load_end_addr 0x%x is below load_addr 0x%x: the header's address fields are wrong",
				load_end, load_addr);
		plan->load_size = load_end - load_addr;
		if (plan->load_size > size - plan->file_off)
			return errmsg_set(
				err, ENOEXEC,
				"multiboot load_end_addr 0x%x is %llu bytes past the end of the file (%zu bytes): the file is truncated or its header is wrong",
				load_end,
				(unsigned long long)(plan->load_size -
						     (size - plan->file_off)),
				size);
	}
	mem_end = load_addr + plan->load_size;
	if (bss_end) {
		if (bss_end < mem_end)
			return errmsg_set(
				err, ENOEXEC,
				"multiboot bss_end_addr 0x%x is below the end of the loaded image 0x%llx: the header's address fields are wrong",
				bss_end, (unsigned long long)mem_end);
		mem_end = bss_end;
	}
	if (mem_end == load_addr)
		return errmsg_set(
			err, ENOEXEC,
			"multiboot image loads nothing (load_addr 0x%x, nothing from the file, no bss): the header's address fields are wrong",
			load_addr);
	ret = boot_alloc_image(&plan->alloc, "multiboot image", load_addr,
			       mem_end - load_addr, err);
	if (ret)
		return ret;
	if (entry < load_addr || entry >= mem_end)
		return errmsg_set(
			err, ENOEXEC,
			"multiboot entry_addr 0x%x is outside the loaded image 0x%x-0x%llx: the header's address fields are wrong",
			entry, load_addr, (unsigned long long)mem_end - 1);
	plan->load_addr = load_addr;
	plan->image_end = mem_end;
	plan->entry = entry;
	return 0;
}

static int mb_check_elf(const struct boot_request *req, struct mb_plan *plan,
			struct errmsg *err)
{
	struct elf_file *elf = &plan->elf;
	struct elf_phdr ph;
	uint32_t i;
	int ret;

	if (!elf_has_magic(req->kernel.data, req->kernel.size))
		return errmsg_set(
			err, ENOEXEC,
			"multiboot header at offset 0x%lx has no address fields (flag 16) and the file is not ELF: add the address fields or link the kernel as ELF",
			plan->hoff);
	ret = elf_parse(elf, req->kernel.data, req->kernel.size, err);
	if (ret)
		return ret;
	if (elf->machine != ELF_EM_386 && elf->machine != ELF_EM_X86_64)
		return errmsg_set(
			err, ENOEXEC,
			"ELF machine %u is not x86 (3 for i386, 62 for x86-64): build the kernel for x86",
			elf->machine);

	ret = boot_check_elf_loads(&plan->alloc, elf, err);
	if (ret)
		return ret;
	/* A virtual entry address becomes physical like its segment. */
	plan->entry = elf->entry;
	for (i = 0; i < elf->phnum; i++) {
		elf_get_phdr(elf, i, &ph);
		if (ph.type == ELF_PT_LOAD && ph.memsz &&
		    elf->entry >= ph.vaddr &&
		    elf->entry - ph.vaddr < ph.memsz) {
			plan->entry = ph.paddr + (elf->entry - ph.vaddr);
			break;
		}
	}
	/* Whatever the entry is, it must be code we loaded. */
	if (!boot_elf_loads_paddr(elf, plan->entry))
		return errmsg_set(
			err, ENOEXEC,
			"ELF entry point 0x%llx is not inside any loaded segment: the kernel is linked wrong",
			(unsigned long long)elf->entry);
	return 0;
}

/* Each module on its own pages, in order, from the end of the image. */
static int mb_place_modules(const struct boot_request *req,
			    struct mb_plan *plan, struct errmsg *err)
{
	char what[280];
	int i, ret;

	for (i = 0; i < req->nr_initrd; i++) {
		snprintf(what, sizeof(what), "multiboot module %d '%.200s'", i,
			 req->initrd[i].name ? req->initrd[i].name : "");
		ret = boot_alloc_place(&plan->alloc, what, req->initrd[i].size,
				       BOOT_PAGE_SIZE, BOOT_PLACE_AFTER_IMAGE,
				       &plan->mod_addr[i], err);
		if (ret)
			return ret;
	}
	return 0;
}

static size_t mb_strings_size(const struct boot_request *req)
{
	size_t total = 0;
	int i;

	for (i = 0; i < req->nr_initrd; i++) {
		const char *name = req->initrd[i].name ? req->initrd[i].name :
							 "";

		total += strlen(name) + 1;
	}
	return total;
}

static int mb_check(const struct guest_memory *mem,
		    const struct boot_request *req, struct mb_plan *plan,
		    struct errmsg *err)
{
	const uint8_t *d = req->kernel.data;
	uint32_t unsupported;
	size_t cmd_total;
	int ret;

	plan->hoff = boot_find_multiboot(d, req->kernel.size);
	if (plan->hoff < 0)
		return errmsg_set(
			err, ENOEXEC,
			"%.200s has no multiboot v1 header (magic 0x1BADB002 with a valid checksum in the first 8 KiB): it is not a multiboot kernel",
			boot_kernel_name(req));
	plan->flags = get_le32(d + plan->hoff + MBH_FLAGS);
	unsupported = plan->flags & 0xffff & ~MBH_SUPPORTED_REQ;
	if (unsupported)
		return errmsg_set(
			err, ENOEXEC,
			"multiboot header requires feature bit %d (flags 0x%08x), which kvmscope does not support: only bits 0 (aligned modules), 1 (memory map), 2 (video mode, no framebuffer) and 16 (load addresses) are",
			__builtin_ctz(unsupported), plan->flags);

	plan->aout = plan->flags & MBH_AOUT_KLUDGE;
	boot_alloc_init(&plan->alloc, mem);
	ret = plan->aout ? mb_check_aout(req, plan, err) :
			   mb_check_elf(req, plan, err);
	if (ret)
		return ret;

	/* argv[0] is the kernel's file name, as other loaders do it. */
	plan->name_len = strlen(boot_kernel_name(req));
	plan->cmdline_len = strlen(req->cmdline ? req->cmdline : "");
	cmd_total = plan->name_len +
		    (plan->cmdline_len ? 1 + plan->cmdline_len : 0);
	if (cmd_total > LAYOUT_CMDLINE_MAX - 1)
		return errmsg_set(
			err, E2BIG,
			"command line (kernel name and arguments) is %zu bytes; kvmscope passes at most %llu: shorten it",
			cmd_total, (unsigned long long)LAYOUT_CMDLINE_MAX - 1);

	plan->strings = mb_strings_size(req);
	if (plan->strings > MB_STRINGS_MAX)
		return errmsg_set(
			err, E2BIG,
			"multiboot module names take %zu bytes, more than the %llu bytes kvmscope passes: use shorter paths",
			plan->strings, (unsigned long long)MB_STRINGS_MAX);
	/* The modules first: their place is fixed by convention. */
	ret = mb_place_modules(req, plan, err);
	if (ret)
		return ret;
	return boot_alloc_place(&plan->alloc, "multiboot information",
				MB_OFF_STRINGS + plan->strings + cmd_total + 1,
				BOOT_PAGE_SIZE, BOOT_PLACE_INFO, &plan->info,
				err);
}

static int mb_load_image(struct guest_memory *mem,
			 const struct boot_request *req,
			 const struct mb_plan *plan)
{
	const struct elf_file *elf = &plan->elf;

	if (plan->aout) {
		uint64_t bss =
			plan->image_end - plan->load_addr - plan->load_size;

		if (guest_memory_write(mem, plan->load_addr,
				       req->kernel.data + plan->file_off,
				       plan->load_size) ||
		    guest_memory_fill(mem, plan->load_addr + plan->load_size, 0,
				      bss))
			return -EFAULT;
		return 0;
	}
	return boot_copy_elf_loads(mem, elf, NULL) ? -EFAULT : 0;
}

static int mb_write_info(struct guest_memory *mem,
			 const struct boot_request *req,
			 const struct mb_plan *plan)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	uint8_t info[MB_OFF_STRINGS];
	uint64_t low_end = guest_memory_low_end(mem);
	uint64_t str = plan->info + MB_OFF_STRINGS;
	uint64_t cmd = str + plan->strings;
	const char *name = boot_kernel_name(req);
	uint32_t mem_lower, mem_upper;
	int n, i;

	memset(info, 0, sizeof(info));
	put_le32(info + MBI_FLAGS, MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MODS |
						MBI_F_MMAP | MBI_F_LOADER_NAME);
	mem_lower = low_end < LAYOUT_EBDA ? (uint32_t)(low_end >> 10) :
					    (uint32_t)(LAYOUT_EBDA >> 10);
	mem_upper = low_end > LAYOUT_HIGH_MEM ?
			    (uint32_t)((low_end - LAYOUT_HIGH_MEM) >> 10) :
			    0;
	put_le32(info + MBI_MEM_LOWER, mem_lower);
	put_le32(info + MBI_MEM_UPPER, mem_upper);
	put_le32(info + MBI_CMDLINE, (uint32_t)cmd);

	put_le32(info + MBI_MODS_COUNT, (uint32_t)req->nr_initrd);
	put_le32(info + MBI_MODS_ADDR,
		      (uint32_t)(plan->info + MB_OFF_MODS));
	for (i = 0; i < req->nr_initrd; i++) {
		const char *s = req->initrd[i].name ? req->initrd[i].name : "";
		uint8_t *m = info + MB_OFF_MODS + i * MB_MOD_SIZE;
		size_t len = strlen(s) + 1;

		put_le32(m, (uint32_t)plan->mod_addr[i]);
		put_le32(m + 4, (uint32_t)(plan->mod_addr[i] +
						req->initrd[i].size));
		put_le32(m + 8, (uint32_t)str);
		/* mb_check made sure all strings fit the area. */
		if (guest_memory_write(mem, str, s, len) ||
		    guest_memory_write(mem, plan->mod_addr[i],
				       req->initrd[i].data,
				       req->initrd[i].size))
			return -EFAULT;
		str += len;
	}

	n = e820_build(mem, map);
	put_le32(info + MBI_MMAP_LENGTH,
		      (uint32_t)(n * MB_MMAP_ENTRY_SIZE));
	put_le32(info + MBI_MMAP_ADDR,
		      (uint32_t)(plan->info + MB_OFF_MMAP));
	for (i = 0; i < n; i++) {
		uint8_t *e = info + MB_OFF_MMAP + i * MB_MMAP_ENTRY_SIZE;

		put_le32(e, MB_MMAP_ENTRY_SIZE - 4);
		put_le64(e + 4, map[i].addr);
		put_le64(e + 12, map[i].size);
		put_le32(e + 20, map[i].type);
	}

	put_le32(info + MBI_BOOT_LOADER_NAME,
		      (uint32_t)(plan->info + MB_OFF_LOADER_NAME));
	memcpy(info + MB_OFF_LOADER_NAME, MB_LOADER_NAME,
	       sizeof(MB_LOADER_NAME));

	if (guest_memory_write(mem, plan->info, info, sizeof(info)) ||
	    guest_memory_write(mem, cmd, name, plan->name_len))
		return -EFAULT;
	cmd += plan->name_len;
	if (plan->cmdline_len) {
		if (guest_memory_write(mem, cmd, " ", 1) ||
		    guest_memory_write(mem, cmd + 1, req->cmdline,
				       plan->cmdline_len))
			return -EFAULT;
		cmd += 1 + plan->cmdline_len;
	}
	return guest_memory_fill(mem, cmd, 0, 1);
}

int multiboot_load(struct guest_memory *mem, const struct boot_request *req,
		   struct boot_entry *entry, struct errmsg *err)
{
	struct mb_plan plan;
	int ret;

	ret = boot_check_request(req, err);
	if (ret)
		return ret;
	memset(&plan, 0, sizeof(plan));
	/* Everything is checked before the first byte of RAM changes. */
	ret = mb_check(mem, req, &plan, err);
	if (ret)
		return ret;
	if (mb_load_image(mem, req, &plan) || mb_write_info(mem, req, &plan))
		return errmsg_set(
			err, EFAULT,
			"guest RAM (%llu MiB) is too small for the multiboot kernel and its boot data: increase --mem",
			boot_mib_up(mem->ram_size));

	memset(entry, 0, sizeof(*entry));
	entry->mode = BOOT_CPU_PROTECTED32;
	entry->rip = plan.entry;
	entry->rax = BOOT_MULTIBOOT_EAX;
	entry->rbx = plan.info;
	entry->boot_info = plan.info;
	entry->bios_env = true;
	return 0;
}

static bool multiboot_detect(const uint8_t *data, size_t size)
{
	return boot_find_multiboot(data, size) >= 0;
}

/* Multiboot v1 has no RSDP field: its kernels scan the BIOS area. */
const struct boot_loader multiboot_loader = {
	.format = BOOT_FORMAT_MULTIBOOT,
	.name = "multiboot",
	.is_linux = false,
	.detect = multiboot_detect,
	.load = multiboot_load,
};
