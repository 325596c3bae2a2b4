/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI S3, suspend to RAM: the VM's side of it.
 *
 * Entering. The acpi_pm device sees SLP_TYP(S3)|SLP_EN on a vCPU thread
 * and calls vm_request_suspend (its vm_control): every vCPU is asked to
 * park (the caller on its next loop turn, the others kicked), and the
 * main thread takes the SUSPEND hold (runstate.h; no STOP event) and
 * tells the listeners SUSPEND. Parked vCPUs wait on the pause condition:
 * nothing spins while the guest sleeps. RAM is kept.
 *
 * Waking (main thread: the RTC alarm's host timer, or QMP system_wakeup),
 * as firmware resumes a PC: every vCPU gets the state it had at creation
 * (registers, FPU, LAPIC: a reset), the boot vCPU runs from the FACS
 * waking vector, the others wait for SIPI (KVM_MP_STATE_INIT_RECEIVED, as
 * after INIT); the PICs, IOAPIC and PIT go back to the state the VM
 * started with. The device that asked is asked first whether the event
 * wakes the machine (the RTC alarm needs RTC_EN) and records it (WAK_STS);
 * listeners hear WAKEUP; the SUSPEND hold is dropped. Device models keep
 * their state (the RTC is battery-backed; COM1 and the rest need no reset
 * for a guest that reinitialises them, as OSes do on resume).
 *
 * The waking vector (ACPI 6.5, 5.2.10): X_FIRMWARE_WAKING_VECTOR, when
 * set, is entered in 32-bit protected mode (flat segments, paging off;
 * the FACS offers no 64-bit wake); else FIRMWARE_WAKING_VECTOR in real
 * mode at CS = vector >> 4, IP = vector & 0xf, as SeaBIOS's s3_resume
 * does. Both 0: firmware reboots, so the VM ends as reset (exit status 4).
 */
#ifndef KVMSCOPE_VMM_SLEEP_H
#define KVMSCOPE_VMM_SLEEP_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/errmsg.h"

struct vm;

/* Where the boot vCPU restarts after S3. */
enum wake_mode {
	WAKE_REAL_MODE, /* CS:IP from FIRMWARE_WAKING_VECTOR */
	WAKE_PROTECTED_MODE, /* EIP = X_FIRMWARE_WAKING_VECTOR */
	WAKE_NO_VECTOR, /* both 0, or unusable: reset */
};

/*
 * The entry the FACS asks for, from its bytes (ACPI_FACS_SIZE of them):
 * the mode and CS selector/base and IP (or EIP). Pure, for tests.
 */
enum wake_mode sleep_wake_entry(const uint8_t *facs, uint16_t *cs,
				uint64_t *ip);
/* Put sregs/regs (a reset state) at that entry. */
void sleep_set_entry(enum wake_mode mode, uint16_t cs, uint64_t ip,
		     struct kvm_sregs *sregs, struct kvm_regs *regs);

/* After the vCPUs exist (vm_create): record each one's reset state. */
int vm_sleep_init(struct vm *vm, struct errmsg *err);
/* Main thread, before the vCPUs start: record the irqchip and PIT. */
void vm_sleep_record_platform(struct vm *vm);
void vm_sleep_free(struct vm *vm);

/* vCPU thread (acpi_pm's vm_control.request_suspend); opaque is the vm. */
void vm_request_suspend(void *opaque,
			bool (*wake)(void *dev, const char *source), void *dev);
/* Main thread: act on a pending suspend (the end eventfd woke it). */
void vm_handle_suspend(struct vm *vm);
/*
 * Main thread: wake a suspended VM (source: "rtc", "qmp"). -EINVAL with
 * err when it is not suspended (QMP system_wakeup's error); 0 and still
 * asleep when the sleeping device does not take that wake source.
 */
int vm_wakeup(struct vm *vm, const char *source, struct errmsg *err);
/* The vm_control.request_wakeup form: no error when not suspended. */
void vm_wakeup_request(void *opaque, const char *source);
bool vm_is_suspended(struct vm *vm);

#endif
