/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel loaders. The format is detected from the file's contents; each
 * loader validates every header field against the file size and guest RAM,
 * places the image, then the command line, initrds and boot information in
 * the memory the image leaves free (boot_alloc.h, layout.h) and describes
 * the CPU state the kernel expects.
 */
#ifndef KVMSCOPE_ARCH_X86_BOOT_H
#define KVMSCOPE_ARCH_X86_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/boot_alloc.h"
#include "util/errmsg.h"
#include "util/le.h"
#include "vmm/memory.h"

#define BOOT_MAX_INITRD 16

enum boot_format {
	BOOT_FORMAT_UNKNOWN = 0,
	BOOT_FORMAT_BZIMAGE, /* Linux x86 boot protocol, 64-bit entry */
	BOOT_FORMAT_PVH, /* ELF with XEN_ELFNOTE_PHYS32_ENTRY */
	BOOT_FORMAT_MULTIBOOT, /* multiboot v1 */
};

struct boot_file {
	const char *name; /* path as the user gave it */
	const uint8_t *data;
	size_t size;
};

struct boot_request {
	struct boot_file kernel;
	struct boot_file initrd[BOOT_MAX_INITRD];
	int nr_initrd;
	const char *cmdline; /* never NULL; may be "" */
};

enum boot_cpu_mode {
	/* Flat 32-bit protected mode, paging off (multiboot, PVH). */
	BOOT_CPU_PROTECTED32,
	/* 64-bit long mode on identity page tables (bzImage). */
	BOOT_CPU_LONG64,
};

/* The boot CPU's entry state; everything not listed is zero. */
struct boot_entry {
	enum boot_cpu_mode mode;
	uint64_t rip;
	uint64_t rsp;
	uint64_t rax;
	uint64_t rbx;
	uint64_t rsi;
	/* Where the boot information went: zero page, start info, MBI. */
	uint64_t boot_info;
	/* What a PC BIOS leaves: IVT, BDA, PICs, PIT (bios_env.c). */
	bool bios_env;
};

/*
 * One boot format, one row, defined next to its loader: adding a format is
 * a row in that file, its entry in boot.c's table and its test.
 */
struct boot_loader {
	enum boot_format format;
	const char *name; /* "bzImage", for messages */
	bool is_linux; /* Linux command-line defaults apply */
	/* Is data this format? Checks only what identifies it. */
	bool (*detect)(const uint8_t *data, size_t size);
	int (*load)(struct guest_memory *mem, const struct boot_request *req,
		    struct boot_entry *entry, struct errmsg *err);
	/*
	 * Record the RSDP's address in the boot information at boot_info
	 * (boot_entry.boot_info); NULL: the format has no such field.
	 */
	int (*set_rsdp)(struct guest_memory *mem, uint64_t boot_info,
			uint64_t rsdp_gpa);
};

extern const struct boot_loader bzimage_loader;
extern const struct boot_loader multiboot_loader;
extern const struct boot_loader pvh_loader;

/* The row for fmt, or NULL for BOOT_FORMAT_UNKNOWN. */
const struct boot_loader *boot_loader_for(enum boot_format fmt);

enum boot_format boot_detect(const uint8_t *data, size_t size);
const char *boot_format_name(enum boot_format fmt);
/* True for formats that boot a Linux kernel (command-line defaults apply). */
int boot_format_is_linux(enum boot_format fmt);

/*
 * Load req into mem and fill entry. On error returns -errno with a one-line
 * explanation in err (what is wrong, with the value, what to do).
 */
int boot_load(struct guest_memory *mem, const struct boot_request *req,
	      struct boot_entry *entry, struct errmsg *err);

/*
 * After boot_load and acpi_build: record the ACPI RSDP's address in the
 * boot information the loader wrote for fmt at entry->boot_info
 * (boot_params.acpi_rsdp_addr
 * when the kernel's boot protocol is 2.14 or later, hvm_start_info's
 * rsdp_paddr for PVH; nothing for multiboot, whose kernels scan for it).
 * Returns 0, -EFAULT when that boot information is outside guest RAM, or
 * -EINVAL when it is not there (no "HdrS" / start-info magic).
 */
int boot_set_rsdp(struct guest_memory *mem, enum boot_format fmt,
		  const struct boot_entry *entry, uint64_t rsdp_gpa);

int bzimage_load(struct guest_memory *mem, const struct boot_request *req,
		 struct boot_entry *entry, struct errmsg *err);
int pvh_load(struct guest_memory *mem, const struct boot_request *req,
	     struct boot_entry *entry, struct errmsg *err);
int multiboot_load(struct guest_memory *mem, const struct boot_request *req,
		   struct boot_entry *entry, struct errmsg *err);

/*
 * Helpers shared by the loaders (boot.c). Not meant for other callers.
 */

#define BOOT_PAGE_SIZE 0x1000ULL
#define BOOT_MULTIBOOT_MAGIC 0x1badb002U /* in the kernel's header */
#define BOOT_MULTIBOOT_EAX 0x2badb002U /* in EAX at entry */
#define BOOT_MULTIBOOT_SEARCH 8192 /* the header lies in these bytes */

/* The kernel file's name for messages ("kernel" when it has none). */
const char *boot_kernel_name(const struct boot_request *req);

/* -EINVAL unless nr_initrd is in range and sizes come with data. */
int boot_check_request(const struct boot_request *req, struct errmsg *err);

/*
 * File offset of the first multiboot v1 header (4-byte aligned, in the first
 * BOOT_MULTIBOOT_SEARCH bytes, magic + flags + checksum == 0), or -1.
 */
long boot_find_multiboot(const uint8_t *data, size_t size);

struct elf_file;

/*
 * The one check of an ELF kernel's PT_LOAD segments (multiboot and PVH):
 * file bytes within memory bytes and inside the file, each destination
 * allowed and marked by boot_alloc_image, their sum within low RAM
 * (overlaps), at least one.
 */
int boot_check_elf_loads(struct boot_alloc *a, const struct elf_file *elf,
			 struct errmsg *err);
/* True when some PT_LOAD segment covers physical address paddr. */
bool boot_elf_loads_paddr(const struct elf_file *elf, uint64_t paddr);
/* Copy the checked PT_LOAD segments and zero their BSS parts. */
int boot_copy_elf_loads(struct guest_memory *mem, const struct elf_file *elf,
			struct errmsg *err);

/*
 * Where the initrds, concatenated, go (Linux's and QEMU's convention):
 * page-aligned at the highest free address below min(addr_limit, end of
 * low RAM) and not below the end of the image. addr_limit 0 means no
 * limit. Marks them in a. *size is 0 (and *addr 0) when there is no
 * initrd data.
 */
int boot_initrd_place(struct boot_alloc *a, const struct boot_request *req,
		      uint64_t addr_limit, uint64_t *addr, uint64_t *size,
		      struct errmsg *err);
/* Copy the initrds back to back from addr (placed by boot_initrd_place). */
int boot_initrd_copy(struct guest_memory *mem, const struct boot_request *req,
		     uint64_t addr, struct errmsg *err);

/* Bytes to MiB, rounded up: for "--mem" advice. */
static inline unsigned long long boot_mib_up(uint64_t bytes)
{
	return (unsigned long long)((bytes >> 20) + ((bytes & 0xfffff) != 0));
}

#endif
