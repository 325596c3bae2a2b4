/* SPDX-License-Identifier: GPL-2.0 */
/* A kernel structure's members with their values, from BTF (kstruct.c). */
#ifndef KVMSCOPE_OS_KSTRUCT_H
#define KVMSCOPE_OS_KSTRUCT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "os/ktypes.h"

#define KSTRUCT_MAX_DEPTH 2 /* nested structures expanded */
#define KSTRUCT_MAX_BYTES (64U << 10)

/*
 * [{"name", "type", "offset", "value"}] for composite type id over
 * bytes[0..len): value is a number, a "0x..." pointer, a string (char
 * arrays, enumerators), an array, or a nested member list; depth starts
 * at 0 and nests up to KSTRUCT_MAX_DEPTH.
 */
json_t *kstruct_fields(const struct ktypes *kt, int id, const uint8_t *bytes,
		       size_t len, int depth);

#endif
