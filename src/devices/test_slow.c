// SPDX-License-Identifier: GPL-2.0
/*
 * A test-only device: a port whose handler takes a known time, so tests can
 * check that the exit statistics put it in the right histogram bucket.
 * Registered only when KVMSCOPE_TEST_SLOW_PORT_NS=N is in the environment
 * (a test knob, not a feature): port 0xe0 (QEMU's pc-testdev range), every
 * access sleeps N ns (at most 1 s); reads return all-ones. The test
 * guest's `slowpio` scenario writes to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/legacy.h"
#include "util/parse.h"

#define TEST_SLOW_PORT 0xe0

static void slow_sleep(void *opaque)
{
	long ns = (long)(intptr_t)opaque;
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void slow_read(void *opaque, uint64_t offset, uint8_t *data,
		      uint32_t len)
{
	slow_sleep(opaque);
	memset(data, 0xff, len);
}

static void slow_write(void *opaque, uint64_t offset, const uint8_t *data,
		       uint32_t len)
{
	slow_sleep(opaque);
}

static const struct bus_ops slow_ops = {
	.read = slow_read,
	.write = slow_write,
};

static int test_slow_register(const struct device_env *env)
{
	const char *v = getenv("KVMSCOPE_TEST_SLOW_PORT_NS");
	long ns;

	if (!v)
		return 0;
	if (!env || !env->pio || parse_int(v, 0, 1000000000L, &ns))
		return -EINVAL;
	return bus_register(env->pio, TEST_SLOW_PORT, 1, &slow_ops,
			    (void *)(intptr_t)ns, "test-slow");
}

const struct device_desc test_slow_device = { "test slow port (0xe0)",
					      test_slow_register };
