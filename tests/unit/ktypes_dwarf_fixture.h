/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Structures with known layouts for test_ktypes_dwarf.c: the fixture
 * (ktypes_dwarf_fixture.c) is compiled with gcc -g into a shared object at
 * build time, in DWARF 5, 4 and strict 2 (whose member locations are
 * expressions and whose bitfields count from the storage's top), and the
 * test compares what ktypes reads from that DWARF with offsetof and
 * sizeof of these same definitions compiled into the test.
 */
#ifndef KVMSCOPE_TESTS_KTYPES_DWARF_FIXTURE_H
#define KVMSCOPE_TESTS_KTYPES_DWARF_FIXTURE_H

enum color { RED = 1, GREEN = 2, BLUE = -3 };
enum wide { WIDE_SMALL = 7, WIDE_BIG = 0x123456789ULL };

typedef unsigned long long u64_t;
typedef struct node node_t;

struct node {
	struct node *next, *prev;
	int key;
};

struct bits {
	unsigned int a : 3;
	unsigned int b : 5;
	int c : 7;
	unsigned long d : 40;
	char e;
	unsigned int f : 1;
	unsigned long g : 20;
};

struct fwd_only;

union number {
	int i;
	char c[6];
	long l;
};

struct outer {
	int id;
	union {
		struct {
			short lo, hi;
		};
		int word;
	};
	struct {
		char tag[3];
		u64_t stamp;
	} inner;
	node_t *head;
	struct node list;
	int matrix[3][5];
	char name[16];
	enum color color;
	enum wide wide;
	void (*callback)(struct outer *o, int n, ...);
	const volatile int *cvp;
	struct outer *self;
	struct bits flags;
	struct fwd_only *opaque;
	union number num;
	_Bool ok;
	double ratio;
	long tail[];
};

/* The test rewrites cyc_a.b's type to cyc_a itself: a cycle. */
struct cyc_b {
	int x;
};

struct cyc_a {
	int before;
	struct cyc_b b;
};

/* Each embeds the one before: 71 levels, past the converter's 64. */
struct nest0 {
	int leaf;
};
struct nest1 {
	struct nest0 in;
	int pad;
};
struct nest2 {
	struct nest1 in;
	int pad;
};
struct nest3 {
	struct nest2 in;
	int pad;
};
struct nest4 {
	struct nest3 in;
	int pad;
};
struct nest5 {
	struct nest4 in;
	int pad;
};
struct nest6 {
	struct nest5 in;
	int pad;
};
struct nest7 {
	struct nest6 in;
	int pad;
};
struct nest8 {
	struct nest7 in;
	int pad;
};
struct nest9 {
	struct nest8 in;
	int pad;
};
struct nest10 {
	struct nest9 in;
	int pad;
};
struct nest11 {
	struct nest10 in;
	int pad;
};
struct nest12 {
	struct nest11 in;
	int pad;
};
struct nest13 {
	struct nest12 in;
	int pad;
};
struct nest14 {
	struct nest13 in;
	int pad;
};
struct nest15 {
	struct nest14 in;
	int pad;
};
struct nest16 {
	struct nest15 in;
	int pad;
};
struct nest17 {
	struct nest16 in;
	int pad;
};
struct nest18 {
	struct nest17 in;
	int pad;
};
struct nest19 {
	struct nest18 in;
	int pad;
};
struct nest20 {
	struct nest19 in;
	int pad;
};
struct nest21 {
	struct nest20 in;
	int pad;
};
struct nest22 {
	struct nest21 in;
	int pad;
};
struct nest23 {
	struct nest22 in;
	int pad;
};
struct nest24 {
	struct nest23 in;
	int pad;
};
struct nest25 {
	struct nest24 in;
	int pad;
};
struct nest26 {
	struct nest25 in;
	int pad;
};
struct nest27 {
	struct nest26 in;
	int pad;
};
struct nest28 {
	struct nest27 in;
	int pad;
};
struct nest29 {
	struct nest28 in;
	int pad;
};
struct nest30 {
	struct nest29 in;
	int pad;
};
struct nest31 {
	struct nest30 in;
	int pad;
};
struct nest32 {
	struct nest31 in;
	int pad;
};
struct nest33 {
	struct nest32 in;
	int pad;
};
struct nest34 {
	struct nest33 in;
	int pad;
};
struct nest35 {
	struct nest34 in;
	int pad;
};
struct nest36 {
	struct nest35 in;
	int pad;
};
struct nest37 {
	struct nest36 in;
	int pad;
};
struct nest38 {
	struct nest37 in;
	int pad;
};
struct nest39 {
	struct nest38 in;
	int pad;
};
struct nest40 {
	struct nest39 in;
	int pad;
};
struct nest41 {
	struct nest40 in;
	int pad;
};
struct nest42 {
	struct nest41 in;
	int pad;
};
struct nest43 {
	struct nest42 in;
	int pad;
};
struct nest44 {
	struct nest43 in;
	int pad;
};
struct nest45 {
	struct nest44 in;
	int pad;
};
struct nest46 {
	struct nest45 in;
	int pad;
};
struct nest47 {
	struct nest46 in;
	int pad;
};
struct nest48 {
	struct nest47 in;
	int pad;
};
struct nest49 {
	struct nest48 in;
	int pad;
};
struct nest50 {
	struct nest49 in;
	int pad;
};
struct nest51 {
	struct nest50 in;
	int pad;
};
struct nest52 {
	struct nest51 in;
	int pad;
};
struct nest53 {
	struct nest52 in;
	int pad;
};
struct nest54 {
	struct nest53 in;
	int pad;
};
struct nest55 {
	struct nest54 in;
	int pad;
};
struct nest56 {
	struct nest55 in;
	int pad;
};
struct nest57 {
	struct nest56 in;
	int pad;
};
struct nest58 {
	struct nest57 in;
	int pad;
};
struct nest59 {
	struct nest58 in;
	int pad;
};
struct nest60 {
	struct nest59 in;
	int pad;
};
struct nest61 {
	struct nest60 in;
	int pad;
};
struct nest62 {
	struct nest61 in;
	int pad;
};
struct nest63 {
	struct nest62 in;
	int pad;
};
struct nest64 {
	struct nest63 in;
	int pad;
};
struct nest65 {
	struct nest64 in;
	int pad;
};
struct nest66 {
	struct nest65 in;
	int pad;
};
struct nest67 {
	struct nest66 in;
	int pad;
};
struct nest68 {
	struct nest67 in;
	int pad;
};
struct nest69 {
	struct nest68 in;
	int pad;
};
struct nest70 {
	struct nest69 in;
	int pad;
};

#endif
