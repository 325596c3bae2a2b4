// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues from the device side, with a driver written here that
 * lays out rings and chains in a real guest_memory: chains, indirect
 * tables, event index both ways, 16-bit index wrap-around, segments split
 * at a region boundary, and every malformed chain a hostile driver can
 * build (each must break the queue with a reason, touching nothing
 * outside RAM).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/virtqueue.h"
#include "vmm/memory.h"

#define RAM (1ULL << 20)
#define QSIZE 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define BUF 0x10000
#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4

struct fixture {
	struct guest_memory mem;
	struct virtqueue vq;
	struct virtqueue_elem *elem;
	uint16_t avail_idx;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(guest_memory_alloc(&f->mem, RAM), 0);
	f->elem = malloc(sizeof(*f->elem));
	assert_non_null(f->elem);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	guest_memory_free(&f->mem);
	free(f->elem);
	free(f);
	return 0;
}

static void put16(struct fixture *f, uint64_t gpa, uint16_t v)
{
	assert_int_equal(guest_memory_write(&f->mem, gpa, &v, 2), 0);
}

static uint16_t get16(struct fixture *f, uint64_t gpa)
{
	uint16_t v;

	assert_int_equal(guest_memory_read(&f->mem, gpa, &v, 2), 0);
	return v;
}

static uint32_t get32(struct fixture *f, uint64_t gpa)
{
	uint32_t v;

	assert_int_equal(guest_memory_read(&f->mem, gpa, &v, 4), 0);
	return v;
}

static void desc_at(struct fixture *f, uint64_t table, unsigned int i,
		    uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t raw[16];

	memcpy(raw, &addr, 8);
	memcpy(raw + 8, &len, 4);
	memcpy(raw + 12, &flags, 2);
	memcpy(raw + 14, &next, 2);
	assert_int_equal(
		guest_memory_write(&f->mem, table + 16ULL * i, raw, 16), 0);
}

static void desc(struct fixture *f, unsigned int i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	desc_at(f, DESC, i, addr, len, flags, next);
}

/* The driver makes head available. */
static void offer(struct fixture *f, uint16_t head)
{
	put16(f, AVAIL + 4 + 2 * (f->avail_idx % QSIZE), head);
	f->avail_idx++;
	put16(f, AVAIL + 2, f->avail_idx);
}

static void start(struct fixture *f, bool event_idx, bool indirect)
{
	assert_int_equal(virtqueue_setup(&f->vq, &f->mem, QSIZE, DESC, AVAIL,
					 USED, event_idx, indirect),
			 0);
}

static void expect_broken(struct fixture *f, const char *why_part)
{
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), -EINVAL);
	assert_true(f->vq.broken);
	assert_non_null(strstr(f->vq.why, why_part));
	/* Stays broken. */
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), -EINVAL);
}

static void chain_out_then_in(void **state)
{
	struct fixture *f = *state;
	uint8_t *base = f->mem.base;

	start(f, false, false);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 0);
	desc(f, 3, BUF, 16, F_NEXT, 5);
	desc(f, 5, BUF + 0x100, 512, F_NEXT | F_WRITE, 1);
	desc(f, 1, BUF + 0x400, 1, F_WRITE, 0);
	offer(f, 3);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 1);
	assert_int_equal(f->elem->head, 3);
	assert_int_equal(f->elem->nr_out, 1);
	assert_int_equal(f->elem->nr_in, 2);
	assert_int_equal(f->elem->out_len, 16);
	assert_int_equal(f->elem->in_len, 513);
	assert_ptr_equal(f->elem->iov[0].iov_base, base + BUF);
	assert_int_equal(f->elem->iov[0].iov_len, 16);
	assert_ptr_equal(f->elem->iov[1].iov_base, base + BUF + 0x100);
	assert_int_equal(f->elem->iov[1].iov_len, 512);
	assert_ptr_equal(f->elem->iov[2].iov_base, base + BUF + 0x400);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 0);

	virtqueue_push(&f->vq, 3, 77);
	assert_int_equal(get16(f, USED + 2), 1);
	assert_int_equal(get32(f, USED + 4), 3);
	assert_int_equal(get32(f, USED + 8), 77);
	/* No event index, no NO_INTERRUPT: notify. */
	assert_true(virtqueue_should_notify(&f->vq));
	put16(f, AVAIL, 1); /* VRING_AVAIL_F_NO_INTERRUPT */
	assert_false(virtqueue_should_notify(&f->vq));
	assert_false(f->vq.broken);
}

static void indirect_table(void **state)
{
	struct fixture *f = *state;
	uint64_t table = 0x8000;

	start(f, false, true);
	desc_at(f, table, 0, BUF, 10, F_NEXT, 2);
	desc_at(f, table, 2, BUF + 0x20, 20, F_NEXT, 1);
	desc_at(f, table, 1, BUF + 0x40, 30, F_WRITE, 0);
	desc(f, 0, table, 3 * 16, F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 1);
	assert_int_equal(f->elem->head, 0);
	assert_int_equal(f->elem->nr_out, 2);
	assert_int_equal(f->elem->nr_in, 1);
	assert_int_equal(f->elem->out_len, 30);
	assert_int_equal(f->elem->in_len, 30);
	assert_ptr_equal(f->elem->iov[2].iov_base, f->mem.base + BUF + 0x40);
}

static void indirect_without_feature_breaks(void **state)
{
	struct fixture *f = *state;

	start(f, false, false);
	desc_at(f, 0x8000, 0, BUF, 10, 0, 0);
	desc(f, 0, 0x8000, 16, F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f, "without RING_INDIRECT_DESC");
}

static void nested_indirect_breaks(void **state)
{
	struct fixture *f = *state;

	start(f, false, true);
	desc_at(f, 0x8000, 0, 0x9000, 16, F_INDIRECT, 0);
	desc_at(f, 0x9000, 0, BUF, 16, 0, 0);
	desc(f, 0, 0x8000, 16, F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f, "inside an indirect table");
}

static void bad_indirect_lengths_break(void **state)
{
	struct fixture *f = *state;
	static const uint32_t lens[] = { 0, 8, 17, 24 };
	unsigned int i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		f->avail_idx = 0;
		start(f, false, true);
		desc(f, 0, 0x8000, lens[i], F_INDIRECT, 0);
		offer(f, 0);
		expect_broken(f, "not a non-zero multiple of 16");
	}
}

static void indirect_table_outside_ram_breaks(void **state)
{
	struct fixture *f = *state;

	start(f, false, true);
	desc(f, 0, RAM - 16, 32, F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f, "outside RAM");
}

static void indirect_with_next_breaks(void **state)
{
	struct fixture *f = *state;

	start(f, false, true);
	desc_at(f, 0x8000, 0, BUF, 16, 0, 0);
	desc(f, 0, 0x8000, 16, F_INDIRECT | F_NEXT, 1);
	offer(f, 0);
	expect_broken(f, "NEXT set");
}

static void loop_breaks(void **state)
{
	struct fixture *f = *state;

	start(f, false, false);
	desc(f, 0, BUF, 16, F_NEXT, 1);
	desc(f, 1, BUF, 16, F_NEXT, 0);
	offer(f, 0);
	expect_broken(f, "longer than 8");
}

static void indirect_loop_breaks(void **state)
{
	struct fixture *f = *state;

	start(f, false, true);
	desc_at(f, 0x8000, 0, BUF, 16, F_NEXT, 1);
	desc_at(f, 0x8000, 1, BUF, 16, F_NEXT, 0);
	desc(f, 0, 0x8000, 32, F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f, "longer than 2");
}

/* A chain of every descriptor once is fine; next past the table is not. */
static void chain_length_limits(void **state)
{
	struct fixture *f = *state;
	unsigned int i;

	start(f, false, false);
	for (i = 0; i < QSIZE; i++)
		desc(f, i, BUF + 0x10 * i, 16, i + 1 < QSIZE ? F_NEXT : 0,
		     i + 1);
	offer(f, 0);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 1);
	assert_int_equal(f->elem->nr_out, QSIZE);
	desc(f, QSIZE - 1, BUF, 16, F_NEXT, QSIZE);
	offer(f, 0);
	expect_broken(f, "descriptor index 8 >= 8");
}

static void buffer_outside_ram_breaks(void **state)
{
	struct fixture *f = *state;

	start(f, false, false);
	desc(f, 0, RAM - 8, 16, 0, 0);
	offer(f, 0);
	expect_broken(f, "outside RAM");
	f->avail_idx = 0;
	start(f, false, false);
	desc(f, 0, 0xfffffffffffff000ULL, 0xffffffff, F_WRITE, 0);
	offer(f, 0);
	expect_broken(f, "outside RAM");
}

static void readable_after_writable_breaks(void **state)
{
	struct fixture *f = *state;

	start(f, false, false);
	desc(f, 0, BUF, 16, F_WRITE | F_NEXT, 1);
	desc(f, 1, BUF, 16, 0, 0);
	offer(f, 0);
	expect_broken(f, "readable descriptor after a writable");
}

static void head_out_of_range_breaks(void **state)
{
	struct fixture *f = *state;

	start(f, false, false);
	offer(f, QSIZE);
	expect_broken(f, "descriptor index 8 >= 8");
}

static void avail_idx_too_far_breaks(void **state)
{
	struct fixture *f = *state;

	start(f, false, false);
	put16(f, AVAIL + 2, QSIZE + 1);
	expect_broken(f, "9 entries ahead");
}

/* An indirect table of 1025 one-byte segments needs too many iovecs. */
static void too_many_segments_break(void **state)
{
	struct fixture *f = *state;
	uint64_t table = 0x20000;
	unsigned int i, n = VIRTQUEUE_MAX_SEGS + 1;

	start(f, false, true);
	for (i = 0; i < n; i++)
		desc_at(f, table, i, BUF + i, 1, i + 1 < n ? F_NEXT : 0, i + 1);
	desc(f, 0, table, 16 * n, F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f, "more than 1024 segments");
}

/* A buffer across two adjacent regions becomes two segments. */
static void segment_split_at_region_boundary(void **state)
{
	struct fixture *f = *state;
	struct guest_memory two = f->mem;

	two.nr_regions = 2;
	two.regions[0].size = 0x40000;
	two.regions[1].gpa = 0x40000;
	two.regions[1].size = RAM - 0x40000;
	two.regions[1].hva = f->mem.base + 0x40000;
	two.regions[1].slot = 1;
	assert_int_equal(virtqueue_setup(&f->vq, &two, QSIZE, DESC, AVAIL, USED,
					 false, false),
			 0);
	desc(f, 0, 0x40000 - 0x10, 0x30, F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 1);
	assert_int_equal(f->elem->nr_in, 2);
	assert_int_equal(f->elem->in_len, 0x30);
	assert_ptr_equal(f->elem->iov[0].iov_base,
			 f->mem.base + 0x40000 - 0x10);
	assert_int_equal(f->elem->iov[0].iov_len, 0x10);
	assert_ptr_equal(f->elem->iov[1].iov_base, f->mem.base + 0x40000);
	assert_int_equal(f->elem->iov[1].iov_len, 0x20);
}

static void setup_rejects_bad_rings(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtqueue_setup(&f->vq, &f->mem, 6, DESC, AVAIL, USED,
					 false, false),
			 -EINVAL);
	assert_true(f->vq.broken);
	assert_non_null(strstr(f->vq.why, "power of two"));
	assert_int_equal(virtqueue_setup(&f->vq, &f->mem, 0, DESC, AVAIL, USED,
					 false, false),
			 -EINVAL);
	assert_int_equal(virtqueue_setup(&f->vq, &f->mem, QSIZE, DESC + 8,
					 AVAIL, USED, false, false),
			 -EINVAL);
	assert_non_null(strstr(f->vq.why, "misaligned"));
	assert_int_equal(virtqueue_setup(&f->vq, &f->mem, QSIZE, DESC, AVAIL,
					 USED + 2, false, false),
			 -EINVAL);
	/* The used ring (70 bytes) 2 bytes past RAM: avail_event. */
	assert_int_equal(virtqueue_setup(&f->vq, &f->mem, QSIZE, DESC, AVAIL,
					 RAM - 68, false, false),
			 -EINVAL);
	assert_non_null(strstr(f->vq.why, "outside RAM"));
	assert_int_equal(virtqueue_setup(&f->vq, &f->mem, QSIZE, DESC, AVAIL,
					 RAM - 72, false, false),
			 0);
	/* Our used-ring writes must not land on the driver's rings. */
	assert_int_equal(virtqueue_setup(&f->vq, &f->mem, QSIZE, DESC, AVAIL,
					 AVAIL + 20, false, false),
			 -EINVAL);
	assert_non_null(strstr(f->vq.why, "overlaps"));
	assert_int_equal(virtqueue_setup(&f->vq, &f->mem, QSIZE, DESC, AVAIL,
					 DESC + 16 * QSIZE - 4, false, false),
			 -EINVAL);
	assert_int_equal(virtqueue_setup(&f->vq, &f->mem, QSIZE, DESC, AVAIL,
					 AVAIL + 24, false, false),
			 0);
	/* A queue that was never set up pops nothing. */
	virtqueue_reset(&f->vq);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 0);
	assert_false(virtqueue_should_notify(&f->vq));
}

/* Event index, device to driver: used_event decides the interrupt. */
static void event_idx_interrupts(void **state)
{
	struct fixture *f = *state;
	uint64_t used_event = AVAIL + 4 + 2 * QSIZE;

	start(f, true, false);
	desc(f, 0, BUF, 16, F_WRITE, 0);
	/* The first notification is always sent. */
	offer(f, 0);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 1);
	virtqueue_push(&f->vq, 0, 1);
	put16(f, used_event, 5);
	assert_true(virtqueue_should_notify(&f->vq));
	/* used idx 1 -> 2: event 5 not crossed. */
	offer(f, 0);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 1);
	virtqueue_push(&f->vq, 0, 1);
	assert_false(virtqueue_should_notify(&f->vq));
	/* 2 -> 6 crosses 5 (new - event - 1 = 0 < 4). */
	for (int i = 0; i < 4; i++) {
		offer(f, 0);
		assert_int_equal(virtqueue_pop(&f->vq, f->elem), 1);
		virtqueue_push(&f->vq, 0, 1);
	}
	assert_true(virtqueue_should_notify(&f->vq));
	/* NO_INTERRUPT is ignored with event index. */
	put16(f, AVAIL, 1);
	put16(f, used_event, 6);
	offer(f, 0);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 1);
	virtqueue_push(&f->vq, 0, 1);
	assert_true(virtqueue_should_notify(&f->vq));
}

/* Event index, driver to device: avail_event follows what we took. */
static void event_idx_kicks(void **state)
{
	struct fixture *f = *state;
	uint64_t avail_event = USED + 4 + 8 * QSIZE;

	start(f, true, false);
	desc(f, 0, BUF, 16, 0, 0);
	put16(f, avail_event, 0xbeef);
	/* An empty pop asks for a kick at the next buffer. */
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 0);
	assert_int_equal(get16(f, avail_event), 0);
	offer(f, 0);
	offer(f, 0);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 1);
	assert_int_equal(get16(f, avail_event), 1);
	/* Kicks off: avail_event stays; new buffers are reported. */
	assert_true(virtqueue_set_kick_wanted(&f->vq, false));
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 1);
	assert_int_equal(get16(f, avail_event), 1);
	assert_int_equal(virtqueue_pop(&f->vq, f->elem), 0);
	assert_int_equal(get16(f, avail_event), 1);
	assert_false(virtqueue_set_kick_wanted(&f->vq, true));
	assert_int_equal(get16(f, avail_event), 2);
}

/* Without event index, kick suppression is the used ring's flag. */
static void no_notify_flag(void **state)
{
	struct fixture *f = *state;

	start(f, false, false);
	assert_false(virtqueue_set_kick_wanted(&f->vq, false));
	assert_int_equal(get16(f, USED), 1);
	desc(f, 0, BUF, 16, 0, 0);
	offer(f, 0);
	assert_true(virtqueue_set_kick_wanted(&f->vq, true));
	assert_int_equal(get16(f, USED), 0);
}

/* 70000 requests: both 16-bit indices wrap, the rings keep working. */
static void indices_wrap_around(void **state)
{
	struct fixture *f = *state;
	uint64_t used_event = AVAIL + 4 + 2 * QSIZE;
	unsigned int i, notified = 0;

	f->avail_idx = 0xfff0;
	put16(f, AVAIL + 2, f->avail_idx);
	start(f, true, false);
	f->vq.last_avail = 0xfff0;
	f->vq.used_idx = 0xfff0;
	desc(f, 0, BUF, 16, F_WRITE, 0);
	for (i = 0; i < 70000; i++) {
		offer(f, 0);
		/* The driver wants an interrupt every 4th buffer:
		 * used_event is the index of the 4th, the push of
		 * i % 4 == 3 crosses it. */
		put16(f, used_event, (uint16_t)(0xfff0 + (i | 3)));
		assert_int_equal(virtqueue_pop(&f->vq, f->elem), 1);
		assert_int_equal(virtqueue_pop(&f->vq, f->elem), 0);
		virtqueue_push(&f->vq, 0, (uint32_t)i);
		assert_int_equal(get16(f, USED + 2), (uint16_t)(0xfff1 + i));
		assert_int_equal(
			get32(f, USED + 4 + 8 * ((0xfff0 + i) % QSIZE) + 4), i);
		if (virtqueue_should_notify(&f->vq))
			notified++;
	}
	/* The first push always notifies (nothing signalled yet). */
	assert_int_equal(notified, 1 + 70000 / 4);
	assert_false(f->vq.broken);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(chain_out_then_in),
		T(indirect_table),
		T(indirect_without_feature_breaks),
		T(nested_indirect_breaks),
		T(bad_indirect_lengths_break),
		T(indirect_table_outside_ram_breaks),
		T(indirect_with_next_breaks),
		T(loop_breaks),
		T(indirect_loop_breaks),
		T(chain_length_limits),
		T(buffer_outside_ram_breaks),
		T(readable_after_writable_breaks),
		T(head_out_of_range_breaks),
		T(avail_idx_too_far_breaks),
		T(too_many_segments_break),
		T(segment_split_at_region_boundary),
		T(setup_rejects_bad_rings),
		T(event_idx_interrupts),
		T(event_idx_kicks),
		T(no_notify_flag),
		T(indices_wrap_around),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
