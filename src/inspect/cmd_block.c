// SPDX-License-Identifier: GPL-2.0
/*
 * query-block: the VM's disks in QEMU's reply shape (device, qdev,
 * removable, locked, inserted {file, ro, drv, cache, image}), with the
 * request counters QEMU puts in query-blockstats ("stats").
 */
#include "devices/virtio_blk.h"
#include "inspect/handlers.h"

#define MAX_DISKS 16

static int api_cmd_query_block(struct api_ctx *ctx, json_t *args, json_t **ret,
			       struct errmsg *err)
{
	static const char *const allowed[] = { NULL };
	struct blk_info disks[MAX_DISKS];
	json_t *list;
	size_t n, i;
	int r;

	(void)ctx;
	r = api_args_only(args, allowed, err);
	if (r)
		return r;
	n = virtio_blk_list(disks, MAX_DISKS);
	list = json_array();
	/* Oldest first: the order of --disk, and of vda, vdb... */
	for (i = n; i-- > 0;) {
		const struct disk *d = disks[i].disk;
		const struct blk_stats *s = &disks[i].stats;
		char name[16];

		snprintf(name, sizeof(name), "virtio%zu", n - 1 - i);
		json_array_append_new(
			list,
			json_pack(
				"{s:s, s:s, s:b, s:b, s:{s:s, s:b, s:s, s:s, s:s, s:{s:b, s:b}, s:{s:s, s:I, s:s}},"
				" s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
				"device", name, "qdev", name, "removable",
				false, "locked", true, "inserted", "file",
				d->path, "ro", d->readonly, "drv", "raw",
				"serial", d->serial, "aio", disks[i].aio,
				"cache", "writeback", !d->direct, "direct",
				d->direct, "image", "filename", d->path,
				"virtual-size", (json_int_t)d->size, "format",
				"raw", "stats", "rd_operations",
				(json_int_t)s->rd_ops, "rd_bytes",
				(json_int_t)s->rd_bytes, "wr_operations",
				(json_int_t)s->wr_ops, "wr_bytes",
				(json_int_t)s->wr_bytes, "flush_operations",
				(json_int_t)s->flush_ops, "unmap_operations",
				(json_int_t)s->discard_ops,
				"write_zeroes_operations",
				(json_int_t)s->zero_ops, "failed_operations",
				(json_int_t)s->failed_ops));
	}
	*ret = list;
	return 0;
}

const struct api_command cmd_block_commands[] = {
	{ "query-block", api_cmd_query_block, API_RUNS_ANYTIME, "",
	  "the disks (--disk): file, read-only, cache mode, size, serial and request counters (QEMU's query-block with query-blockstats' counts)" },
};
const size_t cmd_block_command_count =
	sizeof(cmd_block_commands) / sizeof(cmd_block_commands[0]);
