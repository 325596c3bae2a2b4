// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_STATS_FD's file: header at offset 0, num_desc descriptors of
 * sizeof(struct kvm_stats_desc) + name_size bytes each at desc_offset, the
 * u64 values at data_offset (a descriptor's offset is relative to it).
 * Everything KVM says about sizes and offsets is checked before use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/kvm_stats.h"

const char *kvm_stat_type_name(uint32_t flags)
{
	switch (flags & KVM_STATS_TYPE_MASK) {
	case KVM_STATS_TYPE_CUMULATIVE:
		return "cumulative";
	case KVM_STATS_TYPE_INSTANT:
		return "instant";
	case KVM_STATS_TYPE_PEAK:
		return "peak";
	case KVM_STATS_TYPE_LINEAR_HIST:
		return "linear-histogram";
	case KVM_STATS_TYPE_LOG_HIST:
		return "log2-histogram";
	default:
		return NULL;
	}
}

int kvm_stat_is_histogram(uint32_t flags)
{
	return (flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_LINEAR_HIST ||
	       (flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_LOG_HIST;
}

/* "" for KVM_STATS_UNIT_NONE, NULL for a unit this code does not know. */
static const char *unit_or_unknown(uint32_t flags)
{
	switch (flags & KVM_STATS_UNIT_MASK) {
	case KVM_STATS_UNIT_NONE:
		return "";
	case KVM_STATS_UNIT_BYTES:
		return "bytes";
	case KVM_STATS_UNIT_SECONDS:
		return "seconds";
	case KVM_STATS_UNIT_CYCLES:
		return "cycles";
	case KVM_STATS_UNIT_BOOLEAN:
		return "boolean";
	default:
		return NULL;
	}
}

const char *kvm_stat_unit_name(uint32_t flags)
{
	const char *u = unit_or_unknown(flags);

	return u && *u ? u : NULL;
}

int kvm_stat_base(uint32_t flags)
{
	switch (flags & KVM_STATS_BASE_MASK) {
	case KVM_STATS_BASE_POW10:
		return 10;
	case KVM_STATS_BASE_POW2:
		return 2;
	default:
		return 0;
	}
}

void kvm_stats_free(struct kvm_stats *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->nr; i++)
		free(st->stats[i].name);
	free(st->stats);
	free(st);
}

int kvm_stats_parse(const struct kvm_stats_header *hdr, const void *desc,
		    size_t desc_len, struct kvm_stats **out, struct errmsg *err)
{
	const size_t fixed = sizeof(struct kvm_stats_desc);
	struct kvm_stats *st;
	size_t stride, i, len;
	uint64_t end;

	*out = NULL;
	if (hdr->num_desc > KVM_STATS_MAX_DESC)
		return errmsg_set(err, EINVAL,
				  "KVM stats: %u descriptors (at most %d)",
				  hdr->num_desc, KVM_STATS_MAX_DESC);
	if (hdr->name_size < 2 || hdr->name_size > KVM_STATS_MAX_NAME)
		return errmsg_set(err, EINVAL,
				  "KVM stats: name size %u (2..%d expected)",
				  hdr->name_size, KVM_STATS_MAX_NAME);
	stride = fixed + hdr->name_size;
	if (desc_len < (size_t)hdr->num_desc * stride)
		return errmsg_set(
			err, EINVAL,
			"KVM stats: %zu bytes of descriptors for %u of %zu bytes",
			desc_len, hdr->num_desc, stride);
	st = calloc(1, sizeof(*st));
	if (!st || (hdr->num_desc &&
		    !(st->stats = calloc(hdr->num_desc, sizeof(*st->stats))))) {
		free(st);
		return errmsg_set(err, ENOMEM, "KVM stats: out of memory");
	}
	st->fd = -1;
	st->data_offset = hdr->data_offset;
	for (i = 0; i < hdr->num_desc; i++) {
		const unsigned char *p =
			(const unsigned char *)desc + i * stride;
		struct kvm_stats_desc d;
		struct kvm_stat *s;

		memcpy(&d, p, fixed); /* the block need not be aligned */
		len = strnlen((const char *)p + fixed, hdr->name_size);
		if (len == 0 || len == hdr->name_size) {
			errmsg_set(err, EINVAL,
				   "KVM stats: descriptor %zu's name is %s", i,
				   len ? "not NUL-terminated" : "empty");
			goto bad;
		}
		if (d.size == 0 || d.offset % 8) {
			errmsg_set(
				err, EINVAL,
				"KVM stats: descriptor %zu has %u values at offset %u",
				i, d.size, d.offset);
			goto bad;
		}
		end = (uint64_t)d.offset + (uint64_t)d.size * 8;
		if (end > KVM_STATS_MAX_DATA) {
			errmsg_set(
				err, EINVAL,
				"KVM stats: descriptor %zu's values end at byte %llu (at most %u)",
				i, (unsigned long long)end, KVM_STATS_MAX_DATA);
			goto bad;
		}
		/* Unknown kinds are left out, as QEMU does. */
		if (!kvm_stat_type_name(d.flags) || !unit_or_unknown(d.flags) ||
		    !kvm_stat_base(d.flags))
			continue;
		/* Scalars are one value; histograms one value per bucket. */
		if (!kvm_stat_is_histogram(d.flags) && d.size != 1) {
			errmsg_set(
				err, EINVAL,
				"KVM stats: scalar descriptor %zu has %u values",
				i, d.size);
			goto bad;
		}
		s = &st->stats[st->nr];
		s->name = strndup((const char *)p + fixed, len);
		if (!s->name) {
			errmsg_set(err, ENOMEM, "KVM stats: out of memory");
			goto bad;
		}
		st->nr++;
		s->flags = d.flags;
		s->exponent = d.exponent;
		s->size = d.size;
		s->offset = d.offset;
		s->bucket_size = d.bucket_size;
		if (end > st->data_size)
			st->data_size = (uint32_t)end;
	}
	*out = st;
	return 0;
bad:
	kvm_stats_free(st);
	return -EINVAL;
}

static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += n;
	}
	return 0;
}

int kvm_stats_open(int fd, struct kvm_stats **out, struct errmsg *err)
{
	struct kvm_stats_header hdr;
	size_t len;
	void *desc;
	int r;

	*out = NULL;
	if (fd < 0)
		return errmsg_set(
			err, ENOTSUP,
			"KVM has no binary statistics (KVM_GET_STATS_FD failed)");
	r = pread_all(fd, &hdr, sizeof(hdr), 0);
	if (r)
		return errmsg_set(err, -r, "KVM stats: reading the header: %s",
				  strerror(-r));
	if (hdr.num_desc > KVM_STATS_MAX_DESC ||
	    hdr.name_size > KVM_STATS_MAX_NAME)
		return kvm_stats_parse(&hdr, NULL, 0, out, err);
	len = (size_t)hdr.num_desc *
	      (sizeof(struct kvm_stats_desc) + hdr.name_size);
	desc = malloc(len ? len : 1);
	if (!desc)
		return errmsg_set(err, ENOMEM, "KVM stats: out of memory");
	r = pread_all(fd, desc, len, hdr.desc_offset);
	if (r) {
		free(desc);
		return errmsg_set(
			err, -r,
			"KVM stats: reading %zu bytes of descriptors: %s", len,
			strerror(-r));
	}
	r = kvm_stats_parse(&hdr, desc, len, out, err);
	free(desc);
	if (!r)
		(*out)->fd = fd;
	return r;
}

int kvm_stats_read(const struct kvm_stats *st, uint64_t *buf,
		   struct errmsg *err)
{
	int r = pread_all(st->fd, buf, st->data_size, st->data_offset);

	if (r)
		return errmsg_set(err, -r,
				  "KVM stats: reading %u bytes of values: %s",
				  st->data_size, strerror(-r));
	return 0;
}
