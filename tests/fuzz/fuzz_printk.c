// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile printk ring: the input is the guest's "kernel memory" around
 * the ring (tests/unit/printk_ring.h's layout, which Linux 6.1 x86-64's
 * VMCOREINFO describes), so every header field, descriptor, info and text
 * block is fuzzer-chosen. printk_read must never read outside what the
 * read callback gives it, never loop, and every record it returns must
 * lie inside its text buffer and format without overrunning.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/printk_ring.h"
#include "os/printk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmcoreinfo vi;
	static struct printk_layout l;
	static int ready;
	struct errmsg err;
	struct printk_log log;
	uint8_t *img;
	char line[512];
	size_t i;

	if (!ready) {
		if (vmcoreinfo_parse(ring_vmcoreinfo,
				     sizeof(ring_vmcoreinfo) - 1, &vi, &err) ||
		    printk_layout_from_vmcoreinfo(&vi, &l, &err))
			abort();
		ready = 1;
	}
	/* Exactly RING_SIZE bytes: ASan sees any read past the image. */
	img = calloc(1, RING_SIZE);
	if (!img)
		return 0;
	memcpy(img, data, size < RING_SIZE ? size : RING_SIZE);
	if (printk_read(&l, ring_read, img, &log, &err) == 0) {
		if (log.text_len > log.ring_bytes + (1u << 20))
			__builtin_trap();
		for (i = 0; i < log.nr; i++) {
			if (log.recs[i].text + (size_t)log.recs[i].len >=
				    log.text_len ||
			    (i && log.recs[i - 1].seq > log.recs[i].seq))
				__builtin_trap();
			printk_format(&log, &log.recs[i], line, sizeof(line));
		}
		printk_log_free(&log);
	}
	free(img);
	return 0;
}
