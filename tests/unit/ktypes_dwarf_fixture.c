// SPDX-License-Identifier: GPL-2.0
/*
 * Compiled with gcc -g (tests/unit/meson.build) for its DWARF only:
 * variables of each type make gcc emit the types' DIEs.
 */
#include "ktypes_dwarf_fixture.h"

struct outer fixture_outer;
union number fixture_number;
struct cyc_a fixture_cyc;
struct nest60 fixture_nest60;
struct nest70 fixture_nest70;
