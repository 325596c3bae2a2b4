// SPDX-License-Identifier: GPL-2.0
/*
 * The exit statistics' own cost per exit (vmm/stats.h), without KVM: the
 * three calls the vCPU loop and a PIO handler make per exit
 * (stats_after_run, stats_note_io, stats_before_run), in a loop over a
 * realistic mix of ports, with the clock kvmscope would pick here.
 *
 *   stats_bench [N] [clock]   prints "ns_per_exit <x> clock <name>";
 *                             "clock" forces CLOCK_MONOTONIC (the
 *                             fallback without an invariant TSC)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <time.h>
#include <unistd.h>

#include "vmm/stats.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The TSC rate as kvmscope gets it: KVM_GET_TSC_KHZ on a vCPU. */
static long tsc_khz(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, cpu;
	long khz = 0;

	if (kvm < 0)
		return 0;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	cpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
	if (cpu >= 0)
		khz = ioctl(cpu, KVM_GET_TSC_KHZ, 0);
	if (cpu >= 0)
		close(cpu);
	if (vm >= 0)
		close(vm);
	close(kvm);
	return khz;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000, i;
	struct vcpu_stats *s = calloc(1, sizeof(*s));
	uint64_t t0, t1;

	if (!s)
		return 1;
	stats_setup(argc > 2 ? 0 : tsc_khz());
	stats_before_run(s);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		stats_after_run(s, KVM_EXIT_IO);
		/* mostly one port, as in the pio loop, some others */
		stats_note_io(s, STATS_IO_PIO_OUT, (i & 15) ? 0x80 : 0x3f8);
		stats_before_run(s);
	}
	t1 = now_ns();
	if (s->exits != (uint64_t)n)
		return 1;
	printf("ns_per_exit %.1f clock %s\n", (double)(t1 - t0) / n,
	       stats_clock.tsc ? "rdtsc" : "clock_gettime");
	free(s);
	return 0;
}
