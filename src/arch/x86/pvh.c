// SPDX-License-Identifier: GPL-2.0
/*
 * PVH boot of an ELF vmlinux: the PT_LOAD segments go to their physical
 * addresses and the CPU enters, in 32-bit protected mode with paging off,
 * at the address in the XEN_ELFNOTE_PHYS32_ENTRY note with EBX pointing to
 * a struct hvm_start_info (Xen's public arch-x86/hvm/start_info.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "arch/x86/elf.h"
#include "arch/x86/layout.h"

#define HVM_START_MAGIC 0x336ec578U
#define HVM_START_VERSION 1

/* struct hvm_start_info */
#define SI_MAGIC 0
#define SI_VERSION 4
#define SI_FLAGS 8
#define SI_NR_MODULES 12
#define SI_MODLIST_PADDR 16
#define SI_CMDLINE_PADDR 24
#define SI_RSDP_PADDR 32
#define SI_MEMMAP_PADDR 40
#define SI_MEMMAP_ENTRIES 48
#define SI_SIZE 56

#define MEMMAP_ENTRY_SIZE 24 /* struct hvm_memmap_table_entry */
#define MODLIST_ENTRY_SIZE 32 /* struct hvm_modlist_entry */

/*
 * Our layout of the boot information, one block that boot_alloc places
 * where the image is not: start info, memory map, module list, command
 * line.
 */
#define PVH_MEMMAP_OFF 0x40
#define PVH_MODLIST_OFF (PVH_MEMMAP_OFF + E820_MAX_ENTRIES * MEMMAP_ENTRY_SIZE)
#define PVH_INFO_SIZE (PVH_MODLIST_OFF + MODLIST_ENTRY_SIZE)
#define PVH_CMDLINE_OFF PVH_INFO_SIZE

struct pvh_plan {
	struct boot_alloc alloc;
	struct elf_file elf;
	uint64_t entry;
	size_t cmdline_len;
	uint64_t initrd_addr;
	uint64_t initrd_size;
	uint64_t info; /* the block: start info at its start */
};

static int pvh_entry_point(const struct elf_file *elf, uint64_t *entry,
			   struct errmsg *err)
{
	struct elf_note note;

	if (!elf_find_note(elf, "Xen", ELF_NOTE_XEN_PHYS32_ENTRY, &note))
		return errmsg_set(
			err, ENOEXEC,
			"ELF file has no PVH entry note (Xen note 18, XEN_ELFNOTE_PHYS32_ENTRY): build Linux with CONFIG_PVH=y, or boot its bzImage");
	/* Linux emits the address as a pointer-sized word; older as 32 bits. */
	if (note.descsz == 4) {
		*entry = get_le32(note.desc);
	} else if (note.descsz == 8) {
		*entry = get_le64(note.desc);
		if (*entry >> 32)
			return errmsg_set(
				err, ENOEXEC,
				"PVH entry point 0x%llx is not a 32-bit physical address: the kernel is built wrong",
				(unsigned long long)*entry);
	} else {
		return errmsg_set(
			err, ENOEXEC,
			"PVH entry note has a %u-byte address, expected 4 or 8: the kernel is built wrong",
			note.descsz);
	}
	return 0;
}

static int pvh_check(const struct guest_memory *mem,
		     const struct boot_request *req, struct pvh_plan *plan,
		     struct errmsg *err)
{
	struct elf_file *elf = &plan->elf;
	int ret;

	ret = elf_parse(elf, req->kernel.data, req->kernel.size, err);
	if (ret)
		return ret;
	if (elf->machine != ELF_EM_X86_64 && elf->machine != ELF_EM_386)
		return errmsg_set(
			err, ENOEXEC,
			"ELF machine %u is not x86 (62 for x86-64, 3 for i386): build the kernel for x86",
			elf->machine);
	ret = pvh_entry_point(elf, &plan->entry, err);
	if (ret)
		return ret;

	boot_alloc_init(&plan->alloc, mem);
	ret = boot_check_elf_loads(&plan->alloc, elf, err);
	if (ret)
		return ret;
	if (!boot_elf_loads_paddr(elf, plan->entry))
		return errmsg_set(
			err, ENOEXEC,
			"PVH entry point 0x%llx is not inside any loaded segment: the kernel is built wrong",
			(unsigned long long)plan->entry);

	plan->cmdline_len = strlen(req->cmdline ? req->cmdline : "");
	if (plan->cmdline_len > LAYOUT_CMDLINE_MAX - 1)
		return errmsg_set(
			err, E2BIG,
			"command line is %zu bytes; kvmscope passes at most %llu: shorten it",
			plan->cmdline_len,
			(unsigned long long)LAYOUT_CMDLINE_MAX - 1);
	ret = boot_initrd_place(&plan->alloc, req, 0, &plan->initrd_addr,
				&plan->initrd_size, err);
	if (ret)
		return ret;
	return boot_alloc_place(&plan->alloc, "PVH start info and command line",
				PVH_CMDLINE_OFF + plan->cmdline_len + 1,
				BOOT_PAGE_SIZE, BOOT_PLACE_INFO, &plan->info,
				err);
}

static void pvh_start_info(const struct guest_memory *mem,
			   const struct pvh_plan *plan, uint8_t *si)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	int n, i;

	memset(si, 0, PVH_INFO_SIZE);
	put_le32(si + SI_MAGIC, HVM_START_MAGIC);
	put_le32(si + SI_VERSION, HVM_START_VERSION);
	put_le64(si + SI_CMDLINE_PADDR, plan->info + PVH_CMDLINE_OFF);
	/* No RSDP pointer: the guest finds it by scanning the BIOS area. */
	put_le64(si + SI_RSDP_PADDR, 0);

	n = e820_build(mem, map);
	put_le64(si + SI_MEMMAP_PADDR, plan->info + PVH_MEMMAP_OFF);
	put_le32(si + SI_MEMMAP_ENTRIES, (uint32_t)n);
	for (i = 0; i < n; i++) {
		uint8_t *e = si + PVH_MEMMAP_OFF + i * MEMMAP_ENTRY_SIZE;

		put_le64(e, map[i].addr);
		put_le64(e + 8, map[i].size);
		put_le32(e + 16, map[i].type);
	}

	if (plan->initrd_size) {
		uint8_t *m = si + PVH_MODLIST_OFF;

		put_le32(si + SI_NR_MODULES, 1);
		put_le64(si + SI_MODLIST_PADDR,
			      plan->info + PVH_MODLIST_OFF);
		put_le64(m, plan->initrd_addr);
		put_le64(m + 8, plan->initrd_size);
	}
}

int pvh_load(struct guest_memory *mem, const struct boot_request *req,
	     struct boot_entry *entry, struct errmsg *err)
{
	uint8_t si[PVH_INFO_SIZE];
	struct pvh_plan plan;
	const char *cmdline;
	int ret;

	ret = boot_check_request(req, err);
	if (ret)
		return ret;
	memset(&plan, 0, sizeof(plan));
	/* Everything is checked before the first byte of RAM changes. */
	ret = pvh_check(mem, req, &plan, err);
	if (ret)
		return ret;

	ret = boot_copy_elf_loads(mem, &plan.elf, err);
	if (ret)
		return ret;
	ret = boot_initrd_copy(mem, req, plan.initrd_addr, err);
	if (ret)
		return ret;

	cmdline = req->cmdline ? req->cmdline : "";
	pvh_start_info(mem, &plan, si);
	if (guest_memory_write(mem, plan.info + PVH_CMDLINE_OFF, cmdline,
			       plan.cmdline_len + 1) ||
	    guest_memory_write(mem, plan.info, si, sizeof(si)))
		return errmsg_set(
			err, EFAULT,
			"guest RAM (%llu MiB) is too small for the PVH boot data: increase --mem",
			boot_mib_up(mem->ram_size));

	memset(entry, 0, sizeof(*entry));
	entry->mode = BOOT_CPU_PROTECTED32;
	entry->rip = plan.entry;
	entry->rbx = plan.info;
	entry->boot_info = plan.info;
	return 0;
}

static bool pvh_detect(const uint8_t *data, size_t size)
{
	struct elf_file elf;
	struct elf_note note;

	if (elf_parse(&elf, data, size, NULL))
		return false;
	return elf_find_note(&elf, "Xen", ELF_NOTE_XEN_PHYS32_ENTRY, &note) &&
	       note.descsz >= 4;
}

/* hvm_start_info.rsdp_paddr (version 0 already has it). */
static int pvh_set_rsdp(struct guest_memory *mem, uint64_t boot_info,
			uint64_t rsdp_gpa)
{
	uint8_t *p = guest_memory_ptr(mem, boot_info, SI_RSDP_PADDR + 8);

	if (!p)
		return -EFAULT;
	if (get_le32(p + SI_MAGIC) != HVM_START_MAGIC)
		return -EINVAL;
	put_le64(p + SI_RSDP_PADDR, rsdp_gpa);
	return 0;
}

const struct boot_loader pvh_loader = {
	.format = BOOT_FORMAT_PVH,
	.name = "PVH ELF",
	.is_linux = true,
	.detect = pvh_detect,
	.load = pvh_load,
	.set_rsdp = pvh_set_rsdp,
};
