// SPDX-License-Identifier: GPL-2.0
/*
 * Linux bzImage loader, 64-bit entry of the x86 boot protocol
 * (Documentation/arch/x86/boot.rst): the protected-mode kernel goes to
 * 1 MiB, the zero page (struct boot_params) describes the command line,
 * initrd and memory map, and the CPU enters startup_64 at load + 0x200.
 * The zero page and the command line are one block that boot_alloc places
 * in conventional memory, off the identity page tables.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "arch/x86/layout.h"

/* struct boot_params, outside the setup header. */
#define BP_SIZE 0x1000
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_HDR 0x1f1
#define BP_HDR_END 0x290 /* edd_mbr_sig_buffer follows the header's room */
#define BP_E820_TABLE 0x2d0
#define BP_E820_ENTRY_SIZE 20
#define BP_E820_MAX 128

/* struct setup_header fields, as offsets in the file and the zero page. */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_JUMP_OFFSET 0x201 /* jmp rel8 displacement: ends the header */
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_MIN_FILE 0x264 /* every 2.12 field we read lies below this */

#define LOADFLAG_LOADED_HIGH 0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x0001

#define BP_ACPI_RSDP_ADDR 0x070
#define HDR_BOOT_FLAG 0x1fe
#define HDR_MAGIC 0x202
#define HDR_MAGIC_VALUE 0x53726448U /* "HdrS" */
#define BOOT_PROTOCOL_RSDP 0x020e /* 2.14 added acpi_rsdp_addr */
#define BZ_MIN_DETECT 0x250 /* the boot flag and "HdrS" lie below */

#define BZ_MIN_VERSION 0x020c
#define BZ_LOADER_UNDEFINED 0xff
#define BZ_HEAP_END 0xfe00
#define BZ_ENTRY64_OFFSET 0x200
#define BZ_CMDLINE_OFF BP_SIZE /* in the boot information block */

struct bz_plan {
	struct boot_alloc alloc;
	size_t pm_offset; /* protected-mode kernel's file offset */
	size_t pm_size;
	uint64_t kernel_end; /* end of the memory the kernel itself uses */
	size_t cmdline_len;
	uint64_t initrd_addr;
	uint64_t initrd_size;
	uint64_t info; /* zero page, then the command line */
};

static bool bzimage_detect(const uint8_t *data, size_t size)
{
	return size >= BZ_MIN_DETECT &&
	       get_le16(data + HDR_BOOT_FLAG) == 0xaa55 &&
	       get_le32(data + HDR_MAGIC) == HDR_MAGIC_VALUE;
}

static int bz_check(const struct guest_memory *mem,
		    const struct boot_request *req, struct bz_plan *plan,
		    struct errmsg *err)
{
	const uint8_t *d = req->kernel.data;
	size_t size = req->kernel.size;
	uint64_t low_end = guest_memory_low_end(mem);
	uint64_t need, limit, pref;
	uint32_t init_size, cmdline_size;
	uint16_t version, xlf;
	unsigned int sects;
	int ret;

	if (!bzimage_detect(d, size))
		return errmsg_set(
			err, ENOEXEC,
			"%.200s is not a bzImage (no 0xAA55 boot flag and \"HdrS\" setup header): pass arch/x86/boot/bzImage",
			boot_kernel_name(req));
	version = get_le16(d + HDR_VERSION);
	if (version < BZ_MIN_VERSION)
		return errmsg_set(
			err, ENOEXEC,
			"bzImage boot protocol %u.%02u is too old: kvmscope needs 2.12+ (Linux 3.8 or later) for the 64-bit entry",
			version >> 8, version & 0xff);
	/* From 2.12 on, the file holds at least one full setup sector. */
	if (size < HDR_MIN_FILE)
		return errmsg_set(
			err, ENOEXEC,
			"bzImage is truncated: %zu bytes, less than its %u-byte setup header",
			size, HDR_MIN_FILE);
	xlf = get_le16(d + HDR_XLOADFLAGS);
	if (!(xlf & XLF_KERNEL_64))
		return errmsg_set(
			err, ENOEXEC,
			"bzImage has no 64-bit entry point (xloadflags 0x%x lacks XLF_KERNEL_64): it is a 32-bit kernel, build Linux with CONFIG_X86_64=y",
			xlf);
	if (!(d[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return errmsg_set(
			err, ENOEXEC,
			"kernel is a zImage (loadflags 0x%x lacks LOADED_HIGH), which loads below 1 MiB: build a bzImage",
			d[HDR_LOADFLAGS]);

	sects = d[HDR_SETUP_SECTS] ? d[HDR_SETUP_SECTS] : 4;
	plan->pm_offset = ((size_t)sects + 1) * 512;
	if (plan->pm_offset >= size)
		return errmsg_set(
			err, ENOEXEC,
			"bzImage setup code (%u sectors) ends at byte %zu and the file has %zu bytes, so no kernel follows it: the file is truncated",
			sects, plan->pm_offset, size);
	plan->pm_size = size - plan->pm_offset;

	/* init_size covers the decompressor's whole working area. */
	init_size = get_le32(d + HDR_INIT_SIZE);
	need = plan->pm_size > init_size ? plan->pm_size : init_size;
	plan->kernel_end = LAYOUT_KERNEL_LOAD + need;
	/*
	 * A relocatable 64-bit kernel loaded below its preferred address
	 * (LOAD_PHYSICAL_ADDR, usually 16 MiB) decompresses itself there,
	 * and needs init_size bytes from that address instead.
	 */
	pref = get_le64(d + HDR_PREF_ADDRESS);
	if (pref > LAYOUT_KERNEL_LOAD && pref < GUEST_HIGH_RAM_START &&
	    pref + init_size > plan->kernel_end)
		plan->kernel_end = pref + init_size;
	if (plan->kernel_end > low_end)
		return errmsg_set(
			err, ENOMEM,
			"kernel needs RAM up to 0x%llx (%zu bytes of image, init_size 0x%x, preferred address 0x%llx) but guest RAM below 4 GiB ends at 0x%llx: increase --mem to at least %llu MiB",
			(unsigned long long)plan->kernel_end, plan->pm_size,
			init_size, (unsigned long long)pref,
			(unsigned long long)low_end,
			boot_mib_up(plan->kernel_end));

	plan->cmdline_len = strlen(req->cmdline ? req->cmdline : "");
	cmdline_size = get_le32(d + HDR_CMDLINE_SIZE);
	if (plan->cmdline_len > cmdline_size)
		return errmsg_set(
			err, E2BIG,
			"command line is %zu bytes but this kernel accepts at most %u (cmdline_size): shorten it",
			plan->cmdline_len, cmdline_size);
	if (plan->cmdline_len > LAYOUT_CMDLINE_MAX - 1)
		return errmsg_set(
			err, E2BIG,
			"command line is %zu bytes; kvmscope passes at most %llu: shorten it",
			plan->cmdline_len,
			(unsigned long long)LAYOUT_CMDLINE_MAX - 1);

	boot_alloc_init(&plan->alloc, mem);
	ret = boot_alloc_image(&plan->alloc, "bzImage kernel",
			       LAYOUT_KERNEL_LOAD,
			       plan->kernel_end - LAYOUT_KERNEL_LOAD, err);
	if (ret)
		return ret;
	/* regs.c writes them at entry; nothing else may be there. */
	boot_alloc_fixed(&plan->alloc, LAYOUT_PML4,
			 LAYOUT_PAGE_TABLES_END - LAYOUT_PML4,
			 "the identity page tables");
	/* initrd_addr_max is the highest byte the initrd may occupy. */
	limit = (uint64_t)get_le32(d + HDR_INITRD_ADDR_MAX) + 1;
	ret = boot_initrd_place(&plan->alloc, req, limit, &plan->initrd_addr,
				&plan->initrd_size, err);
	if (ret)
		return ret;
	return boot_alloc_place(&plan->alloc, "zero page and command line",
				BZ_CMDLINE_OFF + plan->cmdline_len + 1,
				BOOT_PAGE_SIZE, BOOT_PLACE_INFO, &plan->info,
				err);
}

static void bz_zero_page(const struct guest_memory *mem,
			 const struct boot_request *req,
			 const struct bz_plan *plan, uint8_t *bp)
{
	const uint8_t *d = req->kernel.data;
	struct e820_entry map[E820_MAX_ENTRIES];
	size_t hdr_len;
	int n, i;

	memset(bp, 0, BP_SIZE);
	/*
	 * The header is as long as the kernel says (its jump skips it);
	 * pm_offset >= 1024 bytes are in the file, more than the header's
	 * room in boot_params, so capping to that room keeps us inside both.
	 */
	hdr_len = 0x202 + d[HDR_JUMP_OFFSET] - BP_HDR;
	if (hdr_len > BP_HDR_END - BP_HDR)
		hdr_len = BP_HDR_END - BP_HDR;
	memcpy(bp + BP_HDR, d + BP_HDR, hdr_len);

	bp[HDR_TYPE_OF_LOADER] = BZ_LOADER_UNDEFINED;
	bp[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	put_le16(bp + HDR_HEAP_END_PTR, BZ_HEAP_END);
	put_le32(bp + HDR_CMD_LINE_PTR,
		      (uint32_t)(plan->info + BZ_CMDLINE_OFF));
	put_le32(bp + BP_EXT_CMD_LINE_PTR,
		      (uint32_t)((plan->info + BZ_CMDLINE_OFF) >> 32));
	put_le32(bp + HDR_RAMDISK_IMAGE, (uint32_t)plan->initrd_addr);
	put_le32(bp + HDR_RAMDISK_SIZE, (uint32_t)plan->initrd_size);
	put_le32(bp + BP_EXT_RAMDISK_IMAGE,
		      (uint32_t)(plan->initrd_addr >> 32));
	put_le32(bp + BP_EXT_RAMDISK_SIZE,
		      (uint32_t)(plan->initrd_size >> 32));

	n = e820_build(mem, map);
	if (n > BP_E820_MAX)
		n = BP_E820_MAX;
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	for (i = 0; i < n; i++) {
		uint8_t *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;

		put_le64(e, map[i].addr);
		put_le64(e + 8, map[i].size);
		put_le32(e + 16, map[i].type);
	}
}

int bzimage_load(struct guest_memory *mem, const struct boot_request *req,
		 struct boot_entry *entry, struct errmsg *err)
{
	const char *cmdline;
	struct bz_plan plan;
	uint8_t bp[BP_SIZE];
	int ret;

	ret = boot_check_request(req, err);
	if (ret)
		return ret;
	memset(&plan, 0, sizeof(plan));
	/* Everything is checked before the first byte of RAM changes. */
	ret = bz_check(mem, req, &plan, err);
	if (ret)
		return ret;

	cmdline = req->cmdline ? req->cmdline : "";
	bz_zero_page(mem, req, &plan, bp);
	if (guest_memory_write(mem, LAYOUT_KERNEL_LOAD,
			       req->kernel.data + plan.pm_offset,
			       plan.pm_size) ||
	    guest_memory_write(mem, plan.info, bp, sizeof(bp)) ||
	    guest_memory_write(mem, plan.info + BZ_CMDLINE_OFF, cmdline,
			       plan.cmdline_len + 1))
		return errmsg_set(
			err, EFAULT,
			"guest RAM (%llu MiB) is too small for the bzImage: increase --mem",
			boot_mib_up(mem->ram_size));
	ret = boot_initrd_copy(mem, req, plan.initrd_addr, err);
	if (ret)
		return ret;

	memset(entry, 0, sizeof(*entry));
	entry->mode = BOOT_CPU_LONG64;
	entry->rip = LAYOUT_KERNEL_LOAD + BZ_ENTRY64_OFFSET;
	entry->rsi = plan.info;
	entry->boot_info = plan.info;
	return 0;
}

/*
 * boot_params.acpi_rsdp_addr, when the kernel's boot protocol (2.14+) has
 * it; older kernels scan the BIOS area and own those bytes otherwise.
 */
static int bzimage_set_rsdp(struct guest_memory *mem, uint64_t boot_info,
			    uint64_t rsdp_gpa)
{
	uint8_t *p = guest_memory_ptr(mem, boot_info, BP_SIZE);

	if (!p)
		return -EFAULT;
	/* The loader copied the kernel's setup header here. */
	if (get_le32(p + HDR_MAGIC) != HDR_MAGIC_VALUE)
		return -EINVAL;
	if (get_le16(p + HDR_VERSION) < BOOT_PROTOCOL_RSDP)
		return 0;
	put_le64(p + BP_ACPI_RSDP_ADDR, rsdp_gpa);
	return 0;
}

const struct boot_loader bzimage_loader = {
	.format = BOOT_FORMAT_BZIMAGE,
	.name = "bzImage",
	.is_linux = true,
	.detect = bzimage_detect,
	.load = bzimage_load,
	.set_rsdp = bzimage_set_rsdp,
};
