// SPDX-License-Identifier: GPL-2.0
/* The printk ring buffer reader; see printk.h for the layout. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/printk.h"

#define DESC_FLAGS_SHIFT 62
#define DESC_ID_MASK (~(3ULL << DESC_FLAGS_SHIFT))
#define DESC_COMMITTED 1
#define DESC_FINALIZED 2
#define NO_LPOS 0x3
#define ID_SIZE 8 /* the unsigned long in front of each text block */

/* A decimal SIZE()/OFFSET() value: strictly digits, at most max. */
static int get_dec(const struct vmcoreinfo *vi, const char *key, uint32_t max,
		   uint32_t *out, struct errmsg *err)
{
	const char *v = vmcoreinfo_get(vi, key);
	unsigned long long n = 0;
	const char *p;

	if (!v)
		return errmsg_set(
			err, ENOENT,
			"the guest's VMCOREINFO has no %s: its kernel predates the lockless printk ring (Linux 5.10) or omits it",
			key);
	if (!*v || strlen(v) > 10)
		return errmsg_set(err, EINVAL,
				  "VMCOREINFO %s='%.20s' is not a number", key,
				  v);
	for (p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return errmsg_set(
				err, EINVAL,
				"VMCOREINFO %s='%.20s' is not a number", key,
				v);
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	if (n > max)
		return errmsg_set(
			err, EINVAL,
			"VMCOREINFO %s=%llu is out of range (at most %u)", key,
			n, max);
	*out = (uint32_t)n;
	return 0;
}

int printk_layout_from_vmcoreinfo(const struct vmcoreinfo *vi,
				  struct printk_layout *l, struct errmsg *err)
{
	static const struct {
		const char *key;
		size_t field;
	} keys[] = {
#define K(k, f) { k, offsetof(struct printk_layout, f) }
		K("SIZE(printk_ringbuffer)", rb_size),
		K("OFFSET(printk_ringbuffer.desc_ring)", rb_desc_ring),
		K("OFFSET(printk_ringbuffer.text_data_ring)",
		  rb_text_data_ring),
		K("OFFSET(prb_desc_ring.count_bits)", dr_count_bits),
		K("OFFSET(prb_desc_ring.descs)", dr_descs),
		K("OFFSET(prb_desc_ring.infos)", dr_infos),
		K("OFFSET(prb_desc_ring.head_id)", dr_head_id),
		K("OFFSET(prb_desc_ring.tail_id)", dr_tail_id),
		K("SIZE(prb_desc)", desc_size),
		K("OFFSET(prb_desc.state_var)", desc_state_var),
		K("OFFSET(prb_desc.text_blk_lpos)", desc_text_blk_lpos),
		K("OFFSET(prb_data_blk_lpos.begin)", lpos_begin),
		K("OFFSET(prb_data_blk_lpos.next)", lpos_next),
		K("SIZE(printk_info)", info_size),
		K("OFFSET(printk_info.seq)", info_seq),
		K("OFFSET(printk_info.ts_nsec)", info_ts_nsec),
		K("OFFSET(printk_info.text_len)", info_text_len),
		K("OFFSET(printk_info.caller_id)", info_caller_id),
		K("OFFSET(prb_data_ring.size_bits)", data_size_bits),
		K("OFFSET(prb_data_ring.data)", data_data),
#undef K
	};
	size_t i;
	int r;

	memset(l, 0, sizeof(*l));
	r = vmcoreinfo_symbol(vi, "prb", &l->prb, err);
	if (r == -ENOENT)
		return errmsg_set(
			err, ENOENT,
			"the guest's VMCOREINFO has no SYMBOL(prb): its kernel predates the lockless printk ring (Linux 5.10)");
	if (r)
		return r;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		r = get_dec(vi, keys[i].key, PRINTK_MAX_STRUCT,
			    (uint32_t *)((char *)l + keys[i].field), err);
		if (r)
			return r;
	}
	/* Every field must lie inside its structure. */
	if (l->rb_desc_ring + l->dr_tail_id + 8 > l->rb_size ||
	    l->rb_text_data_ring + l->data_data + 8 > l->rb_size ||
	    l->desc_state_var + 8 > l->desc_size ||
	    l->desc_text_blk_lpos + l->lpos_next + 8 > l->desc_size ||
	    l->desc_text_blk_lpos + l->lpos_begin + 8 > l->desc_size ||
	    l->info_seq + 8 > l->info_size ||
	    l->info_ts_nsec + 8 > l->info_size ||
	    l->info_text_len + 2 > l->info_size ||
	    l->info_caller_id + 4 > l->info_size || l->desc_size < 8 ||
	    l->info_size < 8)
		return errmsg_set(
			err, EINVAL,
			"the guest's VMCOREINFO printk layout is inconsistent (a field lies outside its structure)");
	return 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The ring's header, read in one piece and checked. */
struct ring {
	unsigned int count_bits, size_bits;
	uint64_t descs, infos, data, head_id, tail_id;
};

static int read_header(const struct printk_layout *l, kallsyms_read_fn read,
		       void *opaque, struct ring *ring, struct errmsg *err)
{
	uint8_t rb[PRINTK_MAX_STRUCT + 8];
	const uint8_t *dr, *tr;
	uint64_t rb_va;

	if (read(opaque, l->prb, &rb_va, sizeof(rb_va)))
		return errmsg_set(err, EFAULT,
				  "cannot read the pointer prb at 0x%llx",
				  (unsigned long long)l->prb);
	if (read(opaque, rb_va, rb, l->rb_size))
		return errmsg_set(err, EFAULT,
				  "prb points at 0x%llx, which cannot be read",
				  (unsigned long long)rb_va);
	dr = rb + l->rb_desc_ring;
	tr = rb + l->rb_text_data_ring;
	ring->count_bits = le32(dr + l->dr_count_bits);
	ring->descs = le64(dr + l->dr_descs);
	ring->infos = le64(dr + l->dr_infos);
	ring->head_id = le64(dr + l->dr_head_id) & DESC_ID_MASK;
	ring->tail_id = le64(dr + l->dr_tail_id) & DESC_ID_MASK;
	ring->size_bits = le32(tr + l->data_size_bits);
	ring->data = le64(tr + l->data_data);
	if (ring->count_bits > PRINTK_MAX_COUNT_BITS ||
	    ring->size_bits > PRINTK_MAX_SIZE_BITS || ring->size_bits < 3)
		return errmsg_set(
			err, EINVAL,
			"the printk ring at 0x%llx is not valid: %u descriptor bits, %u text bits",
			(unsigned long long)rb_va, ring->count_bits,
			ring->size_bits);
	/* Ids count up from the tail; the ring holds at most count of them. */
	if (ring->head_id - ring->tail_id >= (1ULL << ring->count_bits) ||
	    ring->head_id < ring->tail_id)
		return errmsg_set(
			err, EINVAL,
			"the printk ring at 0x%llx is not valid: tail id %llu, head id %llu",
			(unsigned long long)rb_va,
			(unsigned long long)ring->tail_id,
			(unsigned long long)ring->head_id);
	return 0;
}

/*
 * The text of a record's block, as get_data() in printk_ringbuffer.c
 * finds it: NULL when the positions do not describe a block of this ring.
 */
static const uint8_t *block_text(const struct ring *ring, const uint8_t *data,
				 uint64_t begin, uint64_t next, uint64_t *len)
{
	uint64_t size = 1ULL << ring->size_bits, mask = size - 1, off;

	if ((begin & 1) && (next & 1)) {
		*len = 0;
		return begin == NO_LPOS && next == NO_LPOS ? data : NULL;
	}
	if ((begin >> ring->size_bits) == (next >> ring->size_bits) &&
	    begin < next) {
		off = begin & mask;
		*len = next - begin;
	} else if (((begin + size) >> ring->size_bits) ==
		   (next >> ring->size_bits)) {
		off = 0;
		*len = next & mask;
	} else {
		return NULL;
	}
	if ((off & (ID_SIZE - 1)) || *len < ID_SIZE || off + *len > size)
		return NULL;
	*len -= ID_SIZE;
	return data + off + ID_SIZE;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct printk_record *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int printk_read(const struct printk_layout *l, kallsyms_read_fn read,
		void *opaque, struct printk_log *log, struct errmsg *err)
{
	uint8_t *descs = NULL, *infos = NULL, *data = NULL;
	uint64_t count, id, used = 0;
	struct ring ring = { 0 };
	size_t cap;
	int r;

	memset(log, 0, sizeof(*log));
	r = read_header(l, read, opaque, &ring, err);
	if (r)
		return r;
	count = 1ULL << ring.count_bits;
	log->ring_bytes = 1ULL << ring.size_bits;
	descs = malloc(count * l->desc_size);
	infos = malloc(count * l->info_size);
	data = malloc(log->ring_bytes);
	/* Each record's text fits its block, so the ring bounds them all. */
	cap = log->ring_bytes + count;
	log->text = malloc(cap);
	log->recs = calloc(count, sizeof(*log->recs));
	if (!descs || !infos || !data || !log->text || !log->recs) {
		r = errmsg_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if (read(opaque, ring.descs, descs, count * l->desc_size) ||
	    read(opaque, ring.infos, infos, count * l->info_size) ||
	    read(opaque, ring.data, data, log->ring_bytes)) {
		r = errmsg_set(
			err, EFAULT,
			"the printk ring's descriptors (0x%llx), infos (0x%llx) or text (0x%llx) cannot be read",
			(unsigned long long)ring.descs,
			(unsigned long long)ring.infos,
			(unsigned long long)ring.data);
		goto out;
	}
	for (id = ring.tail_id;; id++) {
		uint64_t idx = id & (count - 1), sv, begin, next, len;
		const uint8_t *d = descs + idx * l->desc_size;
		const uint8_t *in = infos + idx * l->info_size;
		const uint8_t *lpos = d + l->desc_text_blk_lpos;
		struct printk_record *rec;
		const uint8_t *text;
		uint16_t text_len;
		unsigned int state;

		sv = le64(d + l->desc_state_var);
		state = (unsigned int)(sv >> DESC_FLAGS_SHIFT);
		begin = le64(lpos + l->lpos_begin);
		next = le64(lpos + l->lpos_next);
		text = (sv & DESC_ID_MASK) != id || (state != DESC_COMMITTED &&
						     state != DESC_FINALIZED) ?
			       NULL :
			       block_text(&ring, data, begin, next, &len);
		if (!text) {
			log->skipped++;
		} else {
			memcpy(&text_len, in + l->info_text_len, 2);
			if (len > text_len)
				len = text_len;
			if (used + len + 1 > cap) {
				log->skipped++;
			} else {
				rec = &log->recs[log->nr++];
				rec->seq = le64(in + l->info_seq);
				rec->ts_nsec = le64(in + l->info_ts_nsec);
				rec->caller_id = le32(in + l->info_caller_id);
				rec->text = (uint32_t)used;
				rec->len = (uint32_t)len;
				memcpy(log->text + used, text, len);
				used += len;
				log->text[used++] = '\0';
			}
		}
		if (id == ring.head_id)
			break;
	}
	log->text_len = used;
	qsort(log->recs, log->nr, sizeof(*log->recs), cmp_seq);
	r = 0;
out:
	free(descs);
	free(infos);
	free(data);
	if (r)
		printk_log_free(log);
	return r;
}

void printk_log_free(struct printk_log *log)
{
	free(log->recs);
	free(log->text);
	memset(log, 0, sizeof(*log));
}

size_t printk_format(const struct printk_log *log,
		     const struct printk_record *r, char *buf, size_t size)
{
	const unsigned char *t = (const unsigned char *)log->text + r->text;
	char prefix[40];
	size_t n = 0, i;
	int plen;

	if (!size)
		return 0;
	plen = snprintf(
		prefix, sizeof(prefix), "[%5llu.%06llu] ",
		(unsigned long long)(r->ts_nsec / 1000000000ULL),
		(unsigned long long)(r->ts_nsec % 1000000000ULL / 1000));
#define PUT(c)                          \
	do {                            \
		if (n + 1 < size)       \
			buf[n++] = (c); \
	} while (0)
	for (i = 0; i < (size_t)plen; i++)
		PUT(prefix[i]);
	for (i = 0; i < r->len; i++) {
		unsigned char c = t[i];

		if (c == '\n') {
			size_t j;

			PUT('\n');
			for (j = 0; j < (size_t)plen; j++)
				PUT(prefix[j]);
		} else if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			char esc[5];
			int k;

			snprintf(esc, sizeof(esc), "\\x%02x", c);
			for (k = 0; k < 4; k++)
				PUT(esc[k]);
		} else {
			PUT((char)c);
		}
	}
#undef PUT
	buf[n] = '\0';
	return n;
}
