// SPDX-License-Identifier: GPL-2.0
/*
 * --symbols files are user input: System.map text, ELF symbol tables (32-
 * and 64-bit, through libelf) and DWARF line tables (through libdw).
 */
#include <stddef.h>
#include <stdint.h>

#include "inspect/symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct symbols s;
	struct errmsg err;
	char buf[64];
	size_t i;

	if (symbols_parse(&s, data, size, &err))
		return 0;
	for (i = 0; i < s.nr && i < 64; i++) {
		symbols_describe(&s, s.syms[i].addr + i, buf, sizeof(buf));
		symbols_source_line(&s, s.syms[i].addr + i, buf, sizeof(buf));
	}
	symbols_describe(&s, 0, buf, sizeof(buf));
	symbols_describe(&s, UINT64_MAX, buf, sizeof(buf));
	symbols_free(&s);
	return 0;
}
