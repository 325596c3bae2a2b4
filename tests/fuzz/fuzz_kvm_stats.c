// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's binary statistics file (KVM_GET_STATS_FD), as vmm/kvm_stats parses
 * it: the input is the whole file (header at offset 0, descriptors and
 * values wherever the header says), served from a memfd through the same
 * kvm_stats_open / kvm_stats_read calls query-stats makes. Whatever the
 * header and descriptors claim, every accepted stat must have a
 * NUL-terminated name shorter than name_size and values inside the data
 * block that was read; reading them all must stay in bounds (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/kvm_stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvm_stats_header hdr;
	struct errmsg err = { { 0 } };
	struct kvm_stats *st;
	uint64_t *vals, sum = 0;
	size_t i, k;
	int fd;

	if (size > 1 << 20)
		return 0;
	fd = memfd_create("kvm-stats", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	if (kvm_stats_open(fd, &st, &err) == 0) {
		memcpy(&hdr, data, sizeof(hdr)); /* open read it: size >= 24 */
		if (st->data_size > KVM_STATS_MAX_DATA)
			abort();
		for (i = 0; i < st->nr; i++) {
			const struct kvm_stat *s = &st->stats[i];

			if (!s->name[0] || strlen(s->name) >= hdr.name_size ||
			    !kvm_stat_type_name(s->flags) || !s->size ||
			    s->offset % 8 ||
			    (uint64_t)s->offset + s->size * 8ULL >
				    st->data_size)
				abort();
			if (!kvm_stat_is_histogram(s->flags) && s->size != 1)
				abort();
		}
		vals = malloc(st->data_size ? st->data_size : 8);
		if (!vals)
			abort();
		if (kvm_stats_read(st, vals, &err) == 0)
			for (i = 0; i < st->nr; i++)
				for (k = 0; k < st->stats[i].size; k++)
					sum += vals[st->stats[i].offset / 8 + k];
		free(vals);
		kvm_stats_free(st);
	} else if (!err.text[0]) {
		abort(); /* a refusal always says why */
	}
	close(fd);
	return sum == 1; /* keep the loads */
}
