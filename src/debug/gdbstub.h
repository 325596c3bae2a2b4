/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gdb stub: `kvmscope run --gdb tcp:HOST:PORT|unix:PATH` lets gdb
 * debug the guest over the GDB remote protocol. vCPUs are threads (thread
 * id = vCPU index + 1) and the stub is all-stop: when any vCPU stops, they
 * all do.
 *
 * Threads. Everything but gdbstub_vcpu_debug_exit runs on the main thread,
 * from its epoll loop. The stub owns a listening socket, the gdb
 * connection and an eventfd: vCPU threads that stop for gdb record why and
 * write the eventfd; the main thread then finishes the all-stop with
 * vm_hold() and sends the stop reply. While the VM is stopped the main
 * thread reads and writes vCPU state itself (the vCPUs are parked outside
 * KVM_RUN). A single step releases one vCPU alone with
 * vcpu->run_while_paused while the others stay parked.
 *
 * Breakpoints. Z0 writes 0xcc into guest RAM at the physical address the
 * breakpoint's virtual address has in the selected vCPU's page tables
 * (memory reads through the stub show the original bytes). A guest
 * executes it two ways: on VMX/SVM, KVM_GUESTDBG_USE_SW_BP makes KVM
 * report the #BP as KVM_EXIT_DEBUG; on hosts whose KVM emulates guest
 * kernel code (kvm_pvm), int3 at CPL 0 comes back as an emulation failure
 * instead, and fallback.c asks the stub before delivering #BP. Z1 and
 * Z2/Z3/Z4 use the four debug registers through KVM_SET_GUEST_DEBUG,
 * except that on hosts without VMX/SVM, where data breakpoints do not
 * fire, write watchpoints are emulated by single-stepping every vCPU and
 * comparing the watched bytes (slow; read/access watchpoints are refused
 * there). `monitor watch-mode` overrides the choice.
 */
#ifndef KVMSCOPE_DEBUG_GDBSTUB_H
#define KVMSCOPE_DEBUG_GDBSTUB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/errmsg.h"
#include "util/event_loop.h"

struct gdbstub;
struct vcpu;
struct vm;

/*
 * Listen on spec: "tcp:HOST:PORT" (HOST may be empty for all addresses,
 * "localhost" or a numeric IPv4/IPv6 address; PORT 0 picks a free one,
 * logged) or "unix:PATH" (mode 0600; refuses to replace anything but a
 * stale socket, removed on close). Call before the vCPUs start. Only one
 * gdb is served at a time. Returns 0 or -errno with err set.
 */
int gdbstub_open(struct gdbstub **out, const char *spec, struct vm *vm,
		 struct errmsg *err);

/*
 * Serve one gdb already connected on fd (non-blocking, e.g. one end of a
 * socketpair), as if it had just connected to gdbstub_open's socket: the
 * VM stops for it. For tests and the fuzzer, which drive a VM without vCPU
 * threads; the stub closes fd.
 */
int gdbstub_open_conn(struct gdbstub **out, int fd, struct vm *vm,
		      struct errmsg *err);

/*
 * How `monitor <command>` prints a control command's answer: the same
 * formatter `kvmscope ctl` uses (ctl_format), which lives in the CLI, not
 * in the core library. Without one, answers are printed as indented JSON.
 */
typedef void (*gdbstub_formatter)(FILE *out, const char *command, json_t *ret);
void gdbstub_set_formatter(struct gdbstub *gs, gdbstub_formatter fmt);

/* Register the stub's fds as sources of the main loop. */
int gdbstub_watch(struct gdbstub *gs, struct event_loop *loop);
/*
 * Handle readiness of one of the stub's fds; never blocks for long. The
 * main loop's callback, public for tests that drive the stub directly.
 */
void gdbstub_handle(struct gdbstub *gs, int fd, uint32_t events);

/*
 * Once the VM has ended (its vCPU threads joined): a connected gdb hears
 * that the process exited with the VM's status ("W" packet), every
 * breakpoint is taken out of guest memory, guest debug is cleared on
 * every vCPU, sockets are closed and a unix socket removed. NULL is fine.
 */
void gdbstub_close(struct gdbstub *gs);

/*
 * vCPU thread, for KVM_EXIT_DEBUG (from_int3 false) and for an int3 that
 * KVM could not emulate (from_int3 true: called from fallback.c before
 * it delivers #BP itself). Returns true when the stub consumed the event:
 * the vCPU re-enters its loop, and parks there when the stub requested an
 * all-stop (the stop is recorded and the main thread told). The stub also
 * consumes events that are not stops, e.g. the single steps that emulate
 * watchpoints, and, for KVM_EXIT_DEBUG, a #BP or #DB that belongs to the
 * guest, which it re-injects. Returns false when the event is not the
 * stub's: an int3 where no breakpoint is planted (deliver #BP as before),
 * or a KVM_EXIT_DEBUG while the stub has guest debug off.
 */
bool gdbstub_vcpu_debug_exit(struct gdbstub *gs, struct vcpu *vcpu,
			     bool from_int3);

#endif
