// SPDX-License-Identifier: GPL-2.0
/*
 * Ending the process without waiting for KVM's teardown.
 *
 * Destroying a VM with an in-kernel irqchip waits for several SRCU grace
 * periods in the host kernel (unregistering the PIC, IOAPIC and PIT I/O
 * devices): 15-35 ms on the hosts measured, whether the VM fd is closed
 * or the process exits with it open, while a VM without irqchip goes in
 * 0.1 ms. That is most of kvmscope's start-to-exit time for a short
 * guest. So the last references (the VM, vCPU and /dev/kvm fds) are
 * handed to a child that holds them until this process is gone and then
 * exits: the exit status reaches whoever waits for kvmscope at once, and
 * the host finishes the teardown on the child's time. The child holds
 * nothing else (every other fd closed, guest RAM is MADV_DONTFORK), so no
 * pipe or socket of ours stays open behind our back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Child: close every fd but keep[0..n). */
static void close_all_but(int *keep, int n)
{
	int i, from = 0;

	qsort(keep, n, sizeof(*keep), cmp_int);
	for (i = 0; i < n; i++) {
		if (keep[i] > from)
			close_range(from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	close_range(from, ~0u, 0);
}

static void hand_off_teardown(struct vm *vm)
{
	int n = 0, i, p[2];
	int *keep = calloc(vm->nr_vcpus + 3, sizeof(*keep));
	pid_t pid;
	char c;

	if (!keep || vm->fd < 0 || pipe2(p, O_CLOEXEC) < 0) {
		free(keep);
		return;
	}
	keep[n++] = p[0];
	keep[n++] = vm->fd;
	if (vm->kvm.fd >= 0)
		keep[n++] = vm->kvm.fd;
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i])
			keep[n++] = vm->vcpus[i]->fd;
	pid = fork();
	if (pid == 0) {
		close_all_but(keep, n);
		/* EOF once the parent (the only writer) has exited. */
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	free(keep);
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		log_debug("teardown hand-off: fork: %s", strerror(errno));
	}
	/* p[1] stays open until we exit: that is the child's signal. */
}

void vm_destroy_at_exit(struct vm *vm)
{
	hand_off_teardown(vm);
	vm_destroy(vm);
}
