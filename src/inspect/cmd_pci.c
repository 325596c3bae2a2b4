// SPDX-License-Identifier: GPL-2.0
/*
 * query-pci: QEMU's reply shape (a list of buses, each with its devices:
 * bus, slot, function, class_info, id, irq, regions, qdev_id), plus what
 * QEMU does not say: each BAR's decoding state and MSI-X.
 */
#include <errno.h>
#include <string.h>

#include "devices/pci.h"
#include "inspect/handlers.h"
#include "vmm/vm.h"

static const char *class_desc(uint32_t class_code)
{
	switch (class_code >> 8) {
	case 0x0600:
		return "Host bridge";
	case 0x0100:
		return "SCSI controller";
	case 0x0180:
		return "Mass storage controller";
	case 0x0200:
		return "Ethernet controller";
	case 0x00ff:
		return "Unclassified device";
	default:
		return "Device";
	}
}

static json_t *regions_json(const struct pci_function_info *f)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar_info *b = &f->bars[i];

		if (b->type == PCI_BAR_NONE)
			continue;
		json_array_append_new(
			a,
			json_pack("{s:i, s:s, s:o, s:I, s:b, s:b, s:b}", "bar",
				  i, "type", b->type == PCI_BAR_IO ? "io" : "memory",
				  "address",
				  b->address == PCI_BAR_UNMAPPED ?
					  json_null() :
					  api_hex(b->address),
				  "size", (json_int_t)b->size, "prefetch",
				  b->prefetchable, "mem_type_64",
				  b->type == PCI_BAR_MEM64, "decoded",
				  b->address != PCI_BAR_UNMAPPED));
	}
	return a;
}

static int api_cmd_query_pci(struct api_ctx *ctx, json_t *args, json_t **ret,
			     struct errmsg *err)
{
	static const char *const allowed[] = { NULL };
	struct pci_function_info fs[PCI_MAX_SLOTS];
	json_t *devs;
	size_t n, i;
	int r;

	r = api_args_only(args, allowed, err);
	if (r)
		return r;
	if (!ctx->vm->pci)
		return errmsg_set(err, ENODEV, "this VM has no PCI bus");
	n = pci_host_list(ctx->vm->pci, fs, PCI_MAX_SLOTS);
	devs = json_array();
	for (i = 0; i < n; i++) {
		const struct pci_function_info *f = &fs[i];

		json_array_append_new(
			devs,
			json_pack("{s:i, s:i, s:i, s:{s:i, s:s}, s:{s:i, s:i, s:i, s:i},"
				  " s:o, s:s, s:o, s:i, s:{s:i, s:b}}",
				  "bus", 0, "slot", (int)f->slot, "function", 0,
				  "class_info", "class", (int)(f->class_code >> 8),
				  "desc", class_desc(f->class_code), "id", "vendor",
				  f->vendor_id, "device", f->device_id, "subsystem",
				  f->subsystem_id, "subsystem-vendor",
				  f->subsystem_vendor_id, "irq",
				  f->irq_line >= 0 ? json_integer(f->irq_line) :
						     json_null(),
				  "qdev_id", f->name ? f->name : "", "regions",
				  regions_json(f), "command", f->command, "msix",
				  "vectors", (int)f->msix_vectors, "enabled",
				  f->msix_enabled));
	}
	*ret = json_pack("[{s:i, s:o}]", "bus", 0, "devices", devs);
	return *ret ? 0 : errmsg_set(err, ENOMEM, "out of memory");
}

const struct api_command cmd_pci_commands[] = {
	{ "query-pci", api_cmd_query_pci, API_RUNS_ANYTIME, "",
	  "the PCI bus: each function's IDs, class, IRQ, BARs (decoded or not) and MSI-X, as QEMU's query-pci" },
};
const size_t cmd_pci_command_count =
	sizeof(cmd_pci_commands) / sizeof(cmd_pci_commands[0]);
