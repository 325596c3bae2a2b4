// SPDX-License-Identifier: GPL-2.0
/*
 * A virtio device's I/O thread and the transport's interrupt side.
 *
 * Each device has one thread running an epoll loop over its queues' kick
 * eventfds (signalled by KVM through ioeventfd, or by the notify
 * register's write handler), the fds the device watches, and a control
 * eventfd. Requests from vCPU threads (DRIVER_OK, reset) and the main
 * thread (VM stop/resume) set the wanted state under io_lock and wait
 * until the thread has applied it, so when virtio_io_sync returns the
 * device is either started or quiet: a paused VM's memory is not touched
 * behind an inspector's back, and a reset never races a request.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio_pci_state.h"
#include "util/eventfd.h"

/* epoll data: which source fired. */
#define SRC_CTL 0xffffffffu
#define SRC_WATCH 0x10000u /* + index into watches[] */

/* Set from any thread (a vCPU mapping queues at DRIVER_OK, or ours). */
static bool is_broken(struct virtio_device *vdev)
{
	return __atomic_load_n(&vdev->broken, __ATOMIC_SEQ_CST);
}

void virtio_raise_config(struct virtio_device *vdev)
{
	uint16_t v = __atomic_load_n(&vdev->config_vector, __ATOMIC_RELAXED);

	if (pci_msix_enabled(vdev->pci)) {
		int fd;

		if (v == VIRTIO_MSI_NO_VECTOR)
			return;
		fd = pci_msix_vector_fd(vdev->pci, v);
		if (fd >= 0)
			eventfd_kick(fd);
		return;
	}
	__atomic_fetch_or(&vdev->isr, 2, __ATOMIC_SEQ_CST);
	pci_set_intx(vdev->pci, 1);
}

void virtio_notify(struct virtio_device *vdev, unsigned int q)
{
	uint16_t v;
	int fd;

	if (q >= vdev->ops->nr_queues ||
	    !virtqueue_should_notify(&vdev->vqs[q]))
		return;
	if (pci_msix_enabled(vdev->pci)) {
		v = __atomic_load_n(&vdev->qcfg[q].msix_vector,
				    __ATOMIC_RELAXED);
		/* 4.1.5.1.2: no vector, no interrupt. */
		if (v == VIRTIO_MSI_NO_VECTOR)
			return;
		fd = pci_msix_vector_fd(vdev->pci, v);
		if (fd >= 0)
			eventfd_kick(fd);
		return;
	}
	__atomic_fetch_or(&vdev->isr, 1, __ATOMIC_SEQ_CST);
	pci_set_intx(vdev->pci, 1);
}

void virtio_config_changed(struct virtio_device *vdev)
{
	__atomic_fetch_add(&vdev->config_generation, 1, __ATOMIC_SEQ_CST);
	virtio_raise_config(vdev);
}

void virtio_device_broken(struct virtio_device *vdev, const char *why)
{
	uint8_t old = __atomic_fetch_or(&vdev->status,
					VIRTIO_STATUS_DEVICE_NEEDS_RESET,
					__ATOMIC_SEQ_CST);

	__atomic_store_n(&vdev->broken, true, __ATOMIC_SEQ_CST);
	if (old & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	device_log_guest("%s: device needs reset: %s", vdev->ops->name, why);
	/* 2.1.2: a config change notification tells the driver. */
	virtio_raise_config(vdev);
}

struct virtqueue *virtio_queue(struct virtio_device *vdev, unsigned int q)
{
	return q < vdev->ops->nr_queues ? &vdev->vqs[q] : NULL;
}

/* A queue the device found broken makes the device broken. */
static void check_queues(struct virtio_device *vdev)
{
	unsigned int q;

	if (is_broken(vdev))
		return;
	for (q = 0; q < vdev->ops->nr_queues; q++) {
		if (vdev->vqs[q].broken) {
			virtio_device_broken(vdev, vdev->vqs[q].why);
			return;
		}
	}
}

static void watches_arm(struct virtio_device *vdev, bool on)
{
	unsigned int i, n;

	pthread_mutex_lock(&vdev->io_lock);
	n = vdev->nr_watches;
	pthread_mutex_unlock(&vdev->io_lock);
	for (i = 0; i < n; i++) {
		struct virtio_watch *w = &vdev->watches[i];
		struct epoll_event ev = { .events = w->events,
					  .data.u32 = SRC_WATCH + i };

		if (on == w->in_epoll)
			continue;
		if (epoll_ctl(vdev->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
			      w->fd, &ev) == 0)
			w->in_epoll = on;
		else
			log_warn("%s: epoll on fd %d: %s", vdev->ops->name,
				 w->fd, strerror(errno));
	}
}

static void device_start(struct virtio_device *vdev)
{
	unsigned int q;
	int r;

	r = vdev->ops->start(vdev->dev, vdev->features);
	if (r < 0) {
		virtio_device_broken(vdev, "the device failed to start");
		return;
	}
	vdev->started = true;
	vdev->dirty = true;
	watches_arm(vdev, true);
	/* Kicks that came while it was stopped are not lost: poll. */
	for (q = 0; q < vdev->ops->nr_queues; q++) {
		if (vdev->vqs[q].enabled && !is_broken(vdev))
			vdev->ops->queue_notify(vdev->dev, q);
	}
	check_queues(vdev);
}

/*
 * A reset of a device stopped for a pause still tells it to forget its
 * state; one that never started since the last reset has none.
 */
static void device_stop(struct virtio_device *vdev, bool reset)
{
	if (vdev->started) {
		watches_arm(vdev, false);
		vdev->ops->stop(vdev->dev, reset);
		vdev->started = false;
	} else if (reset && vdev->dirty) {
		vdev->ops->stop(vdev->dev, true);
	}
	if (reset) {
		vdev->dirty = false;
		__atomic_store_n(&vdev->broken, false, __ATOMIC_SEQ_CST);
	}
}

/* The control eventfd: apply what vCPUs or the main thread asked for. */
static bool handle_requests(struct virtio_device *vdev)
{
	uint64_t seq;
	bool want, reset, quit;

	eventfd_drain(vdev->ctl_fd);
	pthread_mutex_lock(&vdev->io_lock);
	seq = vdev->req_seq;
	reset = vdev->reset_req;
	vdev->reset_req = false;
	want = vdev->driver_ok && vdev->vm_running && !vdev->quit;
	quit = vdev->quit;
	pthread_mutex_unlock(&vdev->io_lock);

	if (reset)
		device_stop(vdev, true);
	if (!want && vdev->started)
		device_stop(vdev, false);
	if (want && !vdev->started && !is_broken(vdev))
		device_start(vdev);

	pthread_mutex_lock(&vdev->io_lock);
	vdev->done_seq = seq;
	pthread_cond_broadcast(&vdev->io_cond);
	pthread_mutex_unlock(&vdev->io_lock);
	return !quit;
}

static void handle_kick(struct virtio_device *vdev, unsigned int q)
{
	eventfd_drain(vdev->kick_fd[q]);
	if (!vdev->started) {
		device_log_guest(
			"%s: kick of queue %u while the device is not running (before DRIVER_OK, after reset or broken): ignored",
			vdev->ops->name, q);
		return;
	}
	if (is_broken(vdev)) {
		device_log_guest(
			"%s: kick of queue %u after the device broke: ignored until reset",
			vdev->ops->name, q);
		return;
	}
	if (!vdev->vqs[q].enabled) {
		device_log_guest("%s: kick of disabled queue %u: ignored",
				 vdev->ops->name, q);
		return;
	}
	vdev->ops->queue_notify(vdev->dev, q);
	check_queues(vdev);
}

static void *io_thread_main(void *opaque)
{
	struct virtio_device *vdev = opaque;
	struct epoll_event evs[16];
	bool run = true;
	int i, n;

	while (run) {
		n = epoll_wait(vdev->epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("%s: I/O thread: epoll_wait: %s",
				  vdev->ops->name, strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			uint32_t src = evs[i].data.u32;

			if (src == SRC_CTL) {
				run = handle_requests(vdev);
				if (!run)
					break;
			} else if (src >= SRC_WATCH) {
				struct virtio_watch *w =
					&vdev->watches[src - SRC_WATCH];

				/* Removed meanwhile (a stop in this round). */
				if (!w->in_epoll || !vdev->started)
					continue;
				w->cb(vdev->dev, w->fd, evs[i].events);
				check_queues(vdev);
			} else if (src < vdev->ops->nr_queues) {
				handle_kick(vdev, src);
			}
		}
	}
	return NULL;
}

int virtio_watch_fd(struct virtio_device *vdev, int fd, uint32_t events,
		    void (*cb)(void *dev, int fd, uint32_t events))
{
	struct virtio_watch *w;
	bool on_thread = vdev->thread_started &&
			 pthread_equal(pthread_self(), vdev->thread);

	unsigned int i;

	pthread_mutex_lock(&vdev->io_lock);
	/* A device watching again at each start updates its entry. */
	for (i = 0; i < vdev->nr_watches; i++) {
		if (vdev->watches[i].fd == fd)
			break;
	}
	if (i == vdev->nr_watches) {
		if (i >= VIRTIO_MAX_WATCHES) {
			pthread_mutex_unlock(&vdev->io_lock);
			return -ENOSPC;
		}
		vdev->watches[i].in_epoll = false;
		vdev->nr_watches++;
	}
	w = &vdev->watches[i];
	w->fd = fd;
	w->events = events;
	w->cb = cb;
	if (w->in_epoll) {
		struct epoll_event ev = { .events = events,
					  .data.u32 = SRC_WATCH + i };

		epoll_ctl(vdev->epfd, EPOLL_CTL_MOD, fd, &ev);
	}
	pthread_mutex_unlock(&vdev->io_lock);
	/* Armed now when the device runs (we are its thread), else at start. */
	if (on_thread && vdev->started)
		watches_arm(vdev, true);
	return 0;
}

int virtio_io_thread_start(struct virtio_device *vdev, struct errmsg *err)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int q;
	int r;

	vdev->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (vdev->epfd < 0)
		return errmsg_set(err, errno, "%s: epoll_create1: %s",
				  vdev->ops->name, strerror(errno));
	vdev->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vdev->ctl_fd < 0)
		return errmsg_set(err, errno, "%s: eventfd: %s",
				  vdev->ops->name, strerror(errno));
	ev.data.u32 = SRC_CTL;
	if (epoll_ctl(vdev->epfd, EPOLL_CTL_ADD, vdev->ctl_fd, &ev))
		return errmsg_set(err, errno, "%s: epoll_ctl: %s",
				  vdev->ops->name, strerror(errno));
	for (q = 0; q < vdev->ops->nr_queues; q++) {
		ev.data.u32 = q;
		if (epoll_ctl(vdev->epfd, EPOLL_CTL_ADD, vdev->kick_fd[q], &ev))
			return errmsg_set(err, errno, "%s: epoll_ctl: %s",
					  vdev->ops->name, strerror(errno));
	}
	r = pthread_create(&vdev->thread, NULL, io_thread_main, vdev);
	if (r)
		return errmsg_set(err, r, "%s: cannot start its I/O thread: %s",
				  vdev->ops->name, strerror(r));
	vdev->thread_started = true;
	return 0;
}

void virtio_io_sync(struct virtio_device *vdev)
{
	uint64_t seq;

	if (!vdev->thread_started)
		return;
	pthread_mutex_lock(&vdev->io_lock);
	seq = ++vdev->req_seq;
	eventfd_kick(vdev->ctl_fd);
	while (vdev->done_seq < seq)
		pthread_cond_wait(&vdev->io_cond, &vdev->io_lock);
	pthread_mutex_unlock(&vdev->io_lock);
}

void virtio_io_thread_stop(struct virtio_device *vdev)
{
	if (!vdev->thread_started)
		return;
	pthread_mutex_lock(&vdev->io_lock);
	vdev->quit = true;
	pthread_mutex_unlock(&vdev->io_lock);
	virtio_io_sync(vdev);
	pthread_join(vdev->thread, NULL);
	vdev->thread_started = false;
}

/* Main thread: the VM stopped (every vCPU parked) or resumes. */
void virtio_run_listener(void *opaque, bool running)
{
	struct virtio_device *vdev = opaque;

	pthread_mutex_lock(&vdev->io_lock);
	vdev->vm_running = running;
	pthread_mutex_unlock(&vdev->io_lock);
	virtio_io_sync(vdev);
}
