/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writing a whole file so that readers see the old file or the new one,
 * never half of it: the data goes to a temporary name in the same
 * directory, which is renamed over path once it is complete.
 */
#ifndef KVMSCOPE_UTIL_ATOMIC_FILE_H
#define KVMSCOPE_UTIL_ATOMIC_FILE_H

#include <stddef.h>

#include "util/errmsg.h"

/* 0, or -errno with err set to one line naming path ("cannot write ..."). */
int atomic_file_write(const char *path, const void *data, size_t len,
		      struct errmsg *err);

#endif
