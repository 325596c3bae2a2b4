// SPDX-License-Identifier: GPL-2.0
/* How `kvmscope ctl SOCK query-pci` prints the bus, lspci-like. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/ctl_format.h"

int ctl_fmt_query_pci(FILE *out, json_t *ret)
{
	json_t *devs = json_object_get(json_array_get(ret, 0), "devices"), *d;
	size_t i, j;

	json_array_foreach(devs, i, d)
	{
		json_t *id = json_object_get(d, "id");
		json_t *ci = json_object_get(d, "class_info");
		json_t *irq = json_object_get(d, "irq");
		json_t *msix = json_object_get(d, "msix");
		json_t *regions = json_object_get(d, "regions"), *r;

		fprintf(out, "00:%02x.0 %s [%04llx]: %04llx:%04llx %s",
			(unsigned int)jint(d, "slot"), jstr(ci, "desc"),
			(unsigned long long)jint(ci, "class"),
			(unsigned long long)jint(id, "vendor"),
			(unsigned long long)jint(id, "device"),
			jstr(d, "qdev_id"));
		if (json_is_integer(irq))
			fprintf(out, ", IRQ %" JSON_INTEGER_FORMAT,
				json_integer_value(irq));
		if (jint(msix, "vectors"))
			fprintf(out,
				", MSI-X %" JSON_INTEGER_FORMAT " vectors %s",
				jint(msix, "vectors"),
				jtrue(msix, "enabled") ? "enabled" :
							 "disabled");
		fputc('\n', out);
		json_array_foreach(regions, j, r)
		{
			json_t *a = json_object_get(r, "address");

			fprintf(out,
				"  BAR%" JSON_INTEGER_FORMAT
				" %s%s%s %s size 0x%llx\n",
				jint(r, "bar"), jstr(r, "type"),
				jtrue(r, "mem_type_64") ? " 64-bit" : "",
				jtrue(r, "prefetch") ? " prefetchable" : "",
				json_is_string(a) ? json_string_value(a) :
						    "(not decoded)",
				(unsigned long long)jint(r, "size"));
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
		json_t *s = json_object_get(d, "stats");

		fprintf(out,
			"%s: %s (raw, %" JSON_INTEGER_FORMAT
			" bytes%s, cache=%s, aio=%s%s%s)\n",
			jstr(d, "device"), jstr(in, "file"),
			jint(json_object_get(in, "image"), "virtual-size"),
			jtrue(in, "ro") ? ", read-only" : "",
			jtrue(json_object_get(in, "cache"), "direct") ?
				"none" :
				"writeback",
			jstr(in, "aio"),
			jstr(in, "serial")[0] ? ", serial " : "",
			jstr(in, "serial"));
		fprintf(out,
			"  reads %" JSON_INTEGER_FORMAT
			" (%" JSON_INTEGER_FORMAT
			" bytes), writes %" JSON_INTEGER_FORMAT
			" (%" JSON_INTEGER_FORMAT
			" bytes), flushes %" JSON_INTEGER_FORMAT
			", discards %" JSON_INTEGER_FORMAT
			", write-zeroes %" JSON_INTEGER_FORMAT
			", failed %" JSON_INTEGER_FORMAT "\n",
			jint(s, "rd_operations"), jint(s, "rd_bytes"),
			jint(s, "wr_operations"), jint(s, "wr_bytes"),
			jint(s, "flush_operations"),
			jint(s, "unmap_operations"),
			jint(s, "write_zeroes_operations"),
			jint(s, "failed_operations"));
	}
	return 0;
}
