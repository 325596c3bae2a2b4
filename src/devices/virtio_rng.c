// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (virtio 1.2, 5.4): one request queue; each buffer the driver
 * offers is filled with bytes from getrandom(2). No device config, no
 * feature bits. getrandom runs with GRND_NONBLOCK, so an entropy pool
 * that is not ready yet gives the driver a short (possibly empty) buffer
 * instead of blocking the I/O thread; the driver asks again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "devices/virtio.h"
#include "devices/virtio_rng.h"

#define RNG_QUEUE_SIZE 256
/*
 * Chains taken per kick. Only a hostile driver (buffers over its own
 * avail ring, rewritten by the random bytes) reaches it; it then stalls
 * only its own queue.
 */
#define RNG_MAX_PER_KICK 65536

struct virtio_rng {
	struct virtio_device *vdev;
	struct virtqueue_elem elem; /* one request at a time, no allocation */
	uint64_t bytes; /* delivered, for tests and logs */
};

/* Fill the device-writable segments; returns the bytes written. */
static uint32_t fill(struct virtqueue_elem *elem)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = elem->nr_out; i < elem->nr_out + elem->nr_in; i++) {
		uint8_t *p = elem->iov[i].iov_base;
		size_t left = elem->iov[i].iov_len;

		while (left) {
			ssize_t n = getrandom(p, left, GRND_NONBLOCK);

			if (n <= 0) {
				if (n < 0 && errno == EINTR)
					continue;
				/* EAGAIN: the pool is not ready; short. */
				return (uint32_t)total;
			}
			p += n;
			left -= (size_t)n;
			total += (uint64_t)n;
			/* A used length is 32-bit; the driver's buffers fit. */
			if (total >= UINT32_MAX)
				return UINT32_MAX;
		}
	}
	return (uint32_t)total;
}

static void rng_queue_notify(void *opaque, unsigned int q)
{
	struct virtio_rng *rng = opaque;
	struct virtqueue *vq = virtio_queue(rng->vdev, q);
	unsigned int n;
	uint32_t written;

	if (!vq)
		return;
	for (n = 0; n < RNG_MAX_PER_KICK; n++) {
		if (virtqueue_pop(vq, &rng->elem) <= 0)
			break; /* empty, or broken: the transport reports it */
		written = fill(&rng->elem);
		rng->bytes += written;
		virtqueue_push(vq, rng->elem.head, written);
		virtio_notify(rng->vdev, q);
	}
}

static int rng_start(void *opaque, uint64_t features)
{
	return 0;
}

static void rng_stop(void *opaque, bool reset)
{
	/* Requests complete inside queue_notify: nothing is in flight. */
}

static void rng_destroy(void *opaque)
{
	free(opaque);
}

static const struct virtio_device_ops virtio_rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.nr_queues = 1,
	.queue_max_size = RNG_QUEUE_SIZE,
	.features = 0,
	.config_size = 0,
	.start = rng_start,
	.queue_notify = rng_queue_notify,
	.stop = rng_stop,
	.destroy = rng_destroy,
};

int virtio_rng_add(const struct device_env *env, struct pci_host *host,
		   const char *spec, struct errmsg *err)
{
	struct virtio_rng *rng;
	int r;

	if (spec && spec[0])
		return errmsg_set(
			err, EINVAL,
			"virtio-rng takes no options (got '%s'): use --rng",
			spec);
	rng = calloc(1, sizeof(*rng));
	if (!rng)
		return errmsg_set(err, ENOMEM, "--rng: out of memory");
	r = virtio_pci_add(host, env, &virtio_rng_ops, rng, &rng->vdev, err);
	if (r)
		free(rng);
	return r;
}

const struct device_option virtio_rng_option = {
	.kind = "virtio-rng",
	.add = virtio_rng_add,
};
