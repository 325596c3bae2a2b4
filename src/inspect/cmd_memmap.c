// SPDX-License-Identifier: GPL-2.0
/*
 * Memory-map commands: query-memslots, gpa2hva and gpa2hpa. They only read
 * the region table and our own page tables (/proc/self/pagemap), never
 * guest memory, so they run while the vCPUs do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "inspect/handlers.h"
#include "vmm/diag.h"
#include "vmm/vm.h"

static const char *const gpa_only[] = { "gpa", NULL };

/* The region holding gpa, or NULL with err naming the RAM ranges. */
static const struct guest_region *gpa_region(const struct guest_memory *mem,
					     uint64_t gpa, struct errmsg *err)
{
	const struct guest_region *r = guest_memory_region(mem, gpa);
	char ram[160];

	if (r)
		return r;
	guest_memory_ranges(mem, ram, sizeof(ram));
	errmsg_set(err, EFAULT, "gpa 0x%llx is not guest RAM (RAM: %s)",
		   (unsigned long long)gpa, ram);
	return NULL;
}

/* [{"slot", "gpa_start", "gpa_end" (exclusive), "size", "flags", "hva"}] */
int api_cmd_query_memslots(struct api_ctx *ctx, json_t *args, json_t **ret,
			   struct errmsg *err)
{
	static const char *const none[] = { NULL };
	const struct guest_memory *mem = &ctx->vm->mem;
	const struct guest_region *g;
	json_t *list;
	int i, r;

	r = api_args_only(args, none, err);
	if (r)
		return r;
	list = json_array();
	for (i = 0; (g = guest_memory_region_at(mem, i)); i++) {
		/* kvmscope sets no KVM_MEM_* flags (no dirty logging, no
		 * read-only slots); the array is there for when it does. */
		json_array_append_new(
			list,
			json_pack("{s:i, s:o, s:o, s:o, s:[], s:o}", "slot",
				  (int)g->slot, "gpa_start", api_hex(g->gpa),
				  "gpa_end", api_hex(g->gpa + g->size), "size",
				  api_hex(g->size), "flags", "hva",
				  api_hex((uintptr_t)g->hva)));
	}
	*ret = list;
	return 0;
}

/* {"gpa", "hva", "slot"} */
int api_cmd_gpa2hva(struct api_ctx *ctx, json_t *args, json_t **ret,
		    struct errmsg *err)
{
	const struct guest_region *reg;
	uint64_t gpa;
	void *hva;
	int r;

	r = api_args_only(args, gpa_only, err);
	if (!r)
		r = api_arg_u64(args, "gpa", true, &gpa, NULL, err);
	if (r)
		return r;
	reg = gpa_region(&ctx->vm->mem, gpa, err);
	if (!reg)
		return -EFAULT;
	hva = guest_memory_ptr(&ctx->vm->mem, gpa, 1);
	if (!hva)
		return errmsg_set(err, EFAULT, "gpa 0x%llx is not guest RAM",
				  (unsigned long long)gpa);
	*ret = json_pack("{s:o, s:o, s:i}", "gpa", api_hex(gpa), "hva",
			 api_hex((uintptr_t)hva), "slot", (int)reg->slot);
	return 0;
}

/* /proc/pid/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PM_PFN_MASK ((1ULL << 55) - 1)

/*
 * {"gpa", "hva", "hpa" (null unless known), "resident", "note"}. The host
 * may move the page at any time (swap, compaction, THP collapse): the
 * answer is a snapshot, which the note says when it is not about
 * something more pressing.
 */
int api_cmd_gpa2hpa(struct api_ctx *ctx, json_t *args, json_t **ret,
		    struct errmsg *err)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t gpa, hva, entry, pfn;
	json_t *hpa = NULL;
	bool resident;
	const char *note;
	void *p;
	ssize_t n;
	int r, fd;

	r = api_args_only(args, gpa_only, err);
	if (!r)
		r = api_arg_u64(args, "gpa", true, &gpa, NULL, err);
	if (r)
		return r;
	if (!gpa_region(&ctx->vm->mem, gpa, err))
		return -EFAULT;
	p = guest_memory_ptr(&ctx->vm->mem, gpa, 1);
	if (!p)
		return errmsg_set(err, EFAULT, "gpa 0x%llx is not guest RAM",
				  (unsigned long long)gpa);
	hva = (uintptr_t)p;
	if (page <= 0)
		page = 4096;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errno,
				  "cannot open /proc/self/pagemap: %s",
				  strerror(errno));
	n = pread(fd, &entry, sizeof(entry),
		  (off_t)(hva / (uint64_t)page * sizeof(entry)));
	r = errno;
	close(fd);
	if (n != (ssize_t)sizeof(entry))
		return errmsg_set(
			err, n < 0 ? r : EIO,
			"cannot read /proc/self/pagemap at hva 0x%llx: %s",
			(unsigned long long)hva,
			n < 0 ? strerror(r) : "short read");

	pfn = entry & PM_PFN_MASK;
	resident = entry & PM_PRESENT;
	if (resident && pfn) {
		hpa = api_hex(pfn * (uint64_t)page + hva % (uint64_t)page);
		note = "resident now; the host may move the page (swap, compaction, THP)";
	} else if (resident) {
		/* Since Linux 4.2 the PFN reads as 0 without the capability. */
		note = "PFN hidden: needs CAP_SYS_ADMIN";
	} else if (entry & PM_SWAPPED) {
		note = "swapped out to host swap: no host physical page";
	} else {
		note = "not resident: the guest has not touched this page since it was allocated or reclaimed";
	}
	*ret = json_pack("{s:o, s:o, s:o, s:b, s:s}", "gpa", api_hex(gpa),
			 "hva", api_hex(hva), "hpa", hpa ? hpa : json_null(),
			 "resident", resident, "note", note);
	return 0;
}

/* The commands this file serves: one row per command, next to its handler. */
const struct api_command cmd_memmap_commands[] = {
	{ "query-memslots", api_cmd_query_memslots, API_RUNS_ANYTIME, "",
	  "KVM memory slots: guest-physical ranges and host addresses" },
	{ "gpa2hva", api_cmd_gpa2hva, API_RUNS_ANYTIME, "gpa=ADDR",
	  "host virtual address of a guest-physical address" },
	{ "gpa2hpa", api_cmd_gpa2hpa, API_RUNS_ANYTIME, "gpa=ADDR",
	  "host physical address of a guest-physical address (pagemap)" },
};
const size_t cmd_memmap_command_count =
	sizeof(cmd_memmap_commands) / sizeof(cmd_memmap_commands[0]);
