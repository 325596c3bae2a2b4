// SPDX-License-Identifier: GPL-2.0
/*
 * kallsyms tables are guest memory. Input: eight little-endian u32 table
 * offsets into the rest of the input (names, num_syms, token_table,
 * token_index, offsets, relative_base, addresses, markers; 0xffffffff:
 * absent), then the bytes a guest kernel would hold at virtual address
 * BASE. Reads outside the input fail like an unmapped page.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "os/kallsyms.h"

#define BASE 0xffffffff81000000ULL
#define HEADER 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct blob {
	const uint8_t *p;
	size_t n;
};

static int read_blob(void *opaque, uint64_t va, void *buf, size_t len)
{
	const struct blob *b = opaque;

	if (va < BASE || va - BASE > b->n || len > b->n - (va - BASE))
		return -14;
	memcpy(buf, b->p + (va - BASE), len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kallsyms_locations loc;
	uint64_t *fields[8] = { &loc.names,	  &loc.num_syms,
				&loc.token_table, &loc.token_index,
				&loc.offsets,	  &loc.relative_base,
				&loc.addresses,	  &loc.markers };
	struct blob b = { data + HEADER, size - HEADER };
	struct errmsg err;
	struct kallsyms ks;
	char buf[64];
	size_t i;

	if (size < HEADER)
		return 0;
	for (i = 0; i < 8; i++) {
		uint32_t off;

		memcpy(&off, data + i * 4, 4);
		*fields[i] = off == UINT32_MAX ? 0 : BASE + off;
	}
	if (kallsyms_load(&loc, read_blob, &b, &ks, &err))
		return 0;
	for (i = 0; i < ks.nr && i < 64; i++) {
		const struct ksym *s = &ks.syms[i];
		size_t count;

		kallsyms_describe(&ks, s->addr + i, buf, sizeof(buf));
		if (kallsyms_by_name(&ks, kallsyms_name(&ks, s), &count) ==
		    NULL)
			__builtin_trap(); /* every name must be found */
	}
	kallsyms_describe(&ks, 0, buf, sizeof(buf));
	kallsyms_describe(&ks, UINT64_MAX, buf, sizeof(buf));
	kallsyms_free(&ks);
	return 0;
}
