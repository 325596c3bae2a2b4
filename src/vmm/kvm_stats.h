/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM's binary statistics (KVM_GET_STATS_FD on the VM fd and each vCPU fd,
 * Documentation/virt/kvm/api.rst): the header and descriptors are read once
 * and checked (names NUL-terminated inside name_size, every value inside
 * the data block, sizes bounded), values are read by pread on every call.
 */
#ifndef KVMSCOPE_VMM_KVM_STATS_H
#define KVMSCOPE_VMM_KVM_STATS_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"

/* Bounds for what a KVM of today reports (name_size 48, < 100 stats). */
#define KVM_STATS_MAX_DESC 4096
#define KVM_STATS_MAX_NAME 1024
#define KVM_STATS_MAX_DATA (1u << 20) /* bytes of values */

struct kvm_stat {
	char *name;
	uint32_t flags;
	int16_t exponent;
	uint16_t size; /* number of u64 values (histograms: buckets) */
	uint32_t offset; /* in bytes, into the data block */
	uint32_t bucket_size;
};

struct kvm_stats {
	int fd;
	uint32_t data_offset;
	uint32_t data_size; /* bytes covering every value */
	size_t nr;
	struct kvm_stat *stats;
};

/*
 * Parse a header and the descriptor block it points to (desc_len bytes
 * read at header->desc_offset). Descriptors of a type, unit or base this
 * code does not know are skipped (as QEMU does); malformed ones fail the
 * whole parse with -EINVAL and err set. *out is malloc'ed (kvm_stats_free).
 */
int kvm_stats_parse(const struct kvm_stats_header *hdr, const void *desc,
		    size_t desc_len, struct kvm_stats **out,
		    struct errmsg *err);
/* Read the header and descriptors from a stats fd, then parse them. */
int kvm_stats_open(int fd, struct kvm_stats **out, struct errmsg *err);
void kvm_stats_free(struct kvm_stats *st);
/*
 * Every value: data_size bytes into buf (data_size / 8 u64s), by pread.
 * A stat's values start at buf[stat->offset / 8].
 */
int kvm_stats_read(const struct kvm_stats *st, uint64_t *buf,
		   struct errmsg *err);

/*
 * QEMU's schema names for a descriptor's flags (accel/kvm/kvm-all.c,
 * add_kvmschema_entry): type "cumulative", "instant", "peak",
 * "linear-histogram", "log2-histogram"; unit "bytes", "seconds",
 * "cycles", "boolean" or NULL for none; base 10 or 2.
 */
const char *kvm_stat_type_name(uint32_t flags);
const char *kvm_stat_unit_name(uint32_t flags);
int kvm_stat_base(uint32_t flags);
/* A histogram (a list of values in replies), not a scalar. */
int kvm_stat_is_histogram(uint32_t flags);

#endif
