/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel loaders. The format is detected from the file's contents; each
 * loader validates every header field against the file size and guest RAM,
 * places the image, command line, initrds and boot information in guest
 * memory (see layout.h) and describes the CPU state the kernel expects.
 */
#ifndef KVMSCOPE_ARCH_X86_BOOT_H
#define KVMSCOPE_ARCH_X86_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"
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
	/* Record the RSDP's address for the kernel; NULL: no such field. */
	int (*set_rsdp)(struct guest_memory *mem, uint64_t rsdp_gpa);
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
 * boot information the loader wrote for fmt (boot_params.acpi_rsdp_addr
 * when the kernel's boot protocol is 2.14 or later, hvm_start_info's
 * rsdp_paddr for PVH; nothing for multiboot, whose kernels scan for it).
 * Returns 0, -EFAULT when that boot information is outside guest RAM, or
 * -EINVAL when it is not there (no "HdrS" / start-info magic).
 */
int boot_set_rsdp(struct guest_memory *mem, enum boot_format fmt,
		  uint64_t rsdp_gpa);

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

/* Header fields are little-endian; p must have the bytes available. */
static inline uint16_t boot_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t boot_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t boot_get_le64(const uint8_t *p)
{
	return (uint64_t)boot_get_le32(p) | (uint64_t)boot_get_le32(p + 4)
						    << 32;
}

static inline void boot_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void boot_put_le32(uint8_t *p, uint32_t v)
{
	boot_put_le16(p, (uint16_t)v);
	boot_put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void boot_put_le64(uint8_t *p, uint64_t v)
{
	boot_put_le32(p, (uint32_t)v);
	boot_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* The kernel file's name for messages ("kernel" when it has none). */
const char *boot_kernel_name(const struct boot_request *req);

/* -EINVAL unless nr_initrd is in range and sizes come with data. */
int boot_check_request(const struct boot_request *req, struct errmsg *err);

/*
 * File offset of the first multiboot v1 header (4-byte aligned, in the first
 * BOOT_MULTIBOOT_SEARCH bytes, magic + flags + checksum == 0), or -1.
 */
long boot_find_multiboot(const uint8_t *data, size_t size);

/*
 * Check that the kernel may use [addr, addr + size) (size 0 counts as 1):
 * guest RAM below 3 GiB, nothing below floor, and not the EBDA/VGA/BIOS
 * area. what names the range in the message, e.g. "ELF segment 2".
 */
int boot_check_dest(const struct guest_memory *mem, const char *what,
		    uint64_t addr, uint64_t size, uint64_t floor,
		    struct errmsg *err);

struct elf_file;

/*
 * The one check of an ELF kernel's PT_LOAD segments (multiboot and PVH):
 * file bytes within memory bytes and inside the file, each destination
 * allowed by boot_check_dest(floor), their sum within low RAM (overlaps),
 * at least one. *end is the highest segment end.
 */
int boot_check_elf_loads(const struct guest_memory *mem,
			 const struct elf_file *elf, uint64_t floor,
			 uint64_t *end, struct errmsg *err);
/* True when some PT_LOAD segment covers physical address paddr. */
bool boot_elf_loads_paddr(const struct elf_file *elf, uint64_t paddr);
/* Copy the checked PT_LOAD segments and zero their BSS parts. */
int boot_copy_elf_loads(struct guest_memory *mem, const struct elf_file *elf,
			struct errmsg *err);

/*
 * Where the initrds, concatenated, go: page-aligned at the highest address
 * below min(addr_limit, end of low RAM) and not below floor (the end of the
 * kernel). addr_limit 0 means no limit. *size is 0 (and *addr 0) when there
 * is no initrd data.
 */
int boot_initrd_place(const struct guest_memory *mem,
		      const struct boot_request *req, uint64_t floor,
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
