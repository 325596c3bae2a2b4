// SPDX-License-Identifier: GPL-2.0
/* How `kvmscope ctl SOCK query-pci` prints the bus, lspci-like. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/ctl_format.h"

int ctl_fmt_query_pci(FILE *out, json_t *ret)
{
	json_t *bus = json_array_get(ret, 0), *devs, *d;
	size_t i, j;

	devs = json_object_get(bus, "devices");
	json_array_foreach(devs, i, d)
	{
		json_t *id = json_object_get(d, "id");
		json_t *ci = json_object_get(d, "class_info");
		json_t *irq = json_object_get(d, "irq");
		json_t *msix = json_object_get(d, "msix");
		json_t *regions = json_object_get(d, "regions"), *r;

		fprintf(out, "00:%02x.0 %s [%04llx]: %04llx:%04llx %s",
			(unsigned int)json_integer_value(
				json_object_get(d, "slot")),
			json_string_value(json_object_get(ci, "desc")),
			(unsigned long long)json_integer_value(
				json_object_get(ci, "class")),
			(unsigned long long)json_integer_value(
				json_object_get(id, "vendor")),
			(unsigned long long)json_integer_value(
				json_object_get(id, "device")),
			json_string_value(json_object_get(d, "qdev_id")));
		if (json_is_integer(irq))
			fprintf(out, ", IRQ %" JSON_INTEGER_FORMAT,
				json_integer_value(irq));
		if (json_integer_value(json_object_get(msix, "vectors")))
			fprintf(out,
				", MSI-X %" JSON_INTEGER_FORMAT " vectors %s",
				json_integer_value(
					json_object_get(msix, "vectors")),
				json_is_true(json_object_get(msix, "enabled")) ?
					"enabled" :
					"disabled");
		fputc('\n', out);
		json_array_foreach(regions, j, r)
		{
			json_t *a = json_object_get(r, "address");

			fprintf(out,
				"  BAR%" JSON_INTEGER_FORMAT
				" %s%s%s %s size 0x%llx\n",
				json_integer_value(json_object_get(r, "bar")),
				json_string_value(json_object_get(r, "type")),
				json_is_true(
					json_object_get(r, "mem_type_64")) ?
					" 64-bit" :
					"",
				json_is_true(json_object_get(r, "prefetch")) ?
					" prefetchable" :
					"",
				json_is_string(a) ? json_string_value(a) :
						    "(not decoded)",
				(unsigned long long)json_integer_value(
					json_object_get(r, "size")));
		}
	}
	return 0;
}

/* query-block: a line per disk and its counters. */
int ctl_fmt_query_block(FILE *out, json_t *ret)
{
	json_t *d;
	size_t i;

	if (!json_array_size(ret))
		fprintf(out, "no disks\n");
	json_array_foreach(ret, i, d)
	{
		json_t *in = json_object_get(d, "inserted");
		json_t *c = json_object_get(in, "cache");
		json_t *img = json_object_get(in, "image");
		json_t *s = json_object_get(d, "stats");

		fprintf(out,
			"%s: %s (raw, %" JSON_INTEGER_FORMAT
			" bytes%s, cache=%s, aio=%s%s%s)\n",
			json_string_value(json_object_get(d, "device")),
			json_string_value(json_object_get(in, "file")),
			json_integer_value(
				json_object_get(img, "virtual-size")),
			json_is_true(json_object_get(in, "ro")) ?
				", read-only" :
				"",
			json_is_true(json_object_get(c, "direct")) ?
				"none" :
				"writeback",
			json_string_value(json_object_get(in, "aio")),
			json_string_value(json_object_get(in, "serial"))[0] ?
				", serial " :
				"",
			json_string_value(json_object_get(in, "serial")));
		fprintf(out,
			"  reads %" JSON_INTEGER_FORMAT
			" (%" JSON_INTEGER_FORMAT
			" bytes), writes %" JSON_INTEGER_FORMAT
			" (%" JSON_INTEGER_FORMAT
			" bytes), flushes %" JSON_INTEGER_FORMAT
			", discards %" JSON_INTEGER_FORMAT
			", write-zeroes %" JSON_INTEGER_FORMAT
			", failed %" JSON_INTEGER_FORMAT "\n",
			json_integer_value(json_object_get(s, "rd_operations")),
			json_integer_value(json_object_get(s, "rd_bytes")),
			json_integer_value(json_object_get(s, "wr_operations")),
			json_integer_value(json_object_get(s, "wr_bytes")),
			json_integer_value(
				json_object_get(s, "flush_operations")),
			json_integer_value(
				json_object_get(s, "unmap_operations")),
			json_integer_value(
				json_object_get(s, "write_zeroes_operations")),
			json_integer_value(
				json_object_get(s, "failed_operations")));
	}
	return 0;
}
