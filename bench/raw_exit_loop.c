// SPDX-License-Identifier: GPL-2.0
/*
 * The raw KVM floor for exit latency: the smallest possible VMM (one
 * memslot, one vCPU, no irqchip, no devices) running the same loop the test
 * guest runs in its pio/mmio scenarios, in the same CPU mode (64-bit long
 * mode, CPL 0):
 *
 *   pio:  1: out %al, $0x80; dec %ecx; jnz 1b; hlt
 *   mmio: 1: mov %eax, (%rbx); dec %ecx; jnz 1b; hlt   (rbx = 0xd0000000)
 *
 * usage: raw_exit_loop pio|mmio N    prints "ns_per_exit <x>"
 *        raw_exit_loop first          prints "ns_to_first_exit <x>" (from
 *                                     open("/dev/kvm") to the first exit)
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (4ULL << 20)
#define CODE 0x1000
#define PML4 0x2000
#define PDPT 0x3000
#define PD 0x4000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void seg(struct kvm_segment *s, uint16_t sel, int code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = code ? 0xb : 0x3;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

int main(int argc, char **argv)
{
	static const uint8_t pio_loop[] = {
		0xe6, 0x80, /* out %al, $0x80 */
		0xff, 0xc9, /* dec %ecx */
		0x75, 0xfa, /* jnz -6 */
		0xf4, /* hlt */
	};
	static const uint8_t mmio_loop[] = {
		0x89, 0x03, /* mov %eax, (%rbx) */
		0xff, 0xc9, /* dec %ecx */
		0x75, 0xfa, /* jnz -6 */
		0xf4, /* hlt */
	};
	static const uint8_t first[] = { 0xf4 }; /* hlt */
	const char *mode = argc > 1 ? argv[1] : "pio";
	long n = argc > 2 ? atol(argv[2]) : 100000;
	uint64_t t0 = now_ns(), t1, exits = 0, *pt;
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, i;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	if (!strcmp(mode, "pio"))
		memcpy(mem + CODE, pio_loop, sizeof(pio_loop));
	else if (!strcmp(mode, "mmio"))
		memcpy(mem + CODE, mmio_loop, sizeof(mmio_loop));
	else
		memcpy(mem + CODE, first, sizeof(first));
	/* Identity map 4 GiB with 2 MiB pages (covers 0xd0000000). */
	pt = (uint64_t *)(mem + PML4);
	pt[0] = PDPT | 3;
	pt = (uint64_t *)(mem + PDPT);
	for (i = 0; i < 4; i++)
		pt[i] = (PD + i * 4096) | 3;
	pt = (uint64_t *)(mem + PD);
	for (i = 0; i < 4 * 512; i++)
		pt[i] = ((uint64_t)i << 21) | 0x83;

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0),
		   PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	seg(&sregs.cs, 0x10, 1);
	seg(&sregs.ds, 0x18, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr3 = PML4;
	sregs.cr4 = 1 << 5; /* PAE */
	sregs.cr0 = 0x80000011; /* PG | ET | PE */
	sregs.efer = 0x500; /* LMA | LME */
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rflags = 2;
	regs.rcx = n;
	regs.rbx = 0xd0000000;
	regs.rsp = 0x200000;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");

	t1 = now_ns();
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			die("KVM_RUN");
		exits++;
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason != KVM_EXIT_IO &&
		    run->exit_reason != KVM_EXIT_MMIO) {
			fprintf(stderr, "unexpected exit %u\n",
				run->exit_reason);
			return 1;
		}
	}
	if (!strcmp(mode, "first"))
		printf("ns_to_first_exit %llu\n",
		       (unsigned long long)(now_ns() - t0));
	else
		printf("ns_per_exit %.1f exits %llu\n",
		       (double)(now_ns() - t1) / (double)(exits - 1),
		       (unsigned long long)exits);
	return 0;
}
