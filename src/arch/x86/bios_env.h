/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a PC BIOS (SeaBIOS, qboot) leaves behind for a kernel it boots, for
 * the boot formats that come from that world (multiboot, flat a.out-kludge
 * images): a real-mode IVT whose entries return, a BIOS data area with the
 * basics, an EBDA at the top of base memory, both 8259 PICs initialised
 * (vector bases 0x08/0x70, everything masked but the cascade) and PIT
 * channel 0 ticking IRQ 0 at 18.2 Hz. A kernel that drops back to real
 * mode then finds interrupts working as it would under firmware.
 *
 * Fixed guest-physical ranges (layout.h); boot data must avoid them:
 *   0x00000-0x004ff  IVT (256 far pointers) and BDA
 *   0x9fc00-0x9ffff  EBDA (1 KiB, its size in KiB in the first byte)
 *   0xff000-0xfffff  BIOS stub: the handlers' code, segment 0xf000
 */
#ifndef KVMSCOPE_ARCH_X86_BIOS_ENV_H
#define KVMSCOPE_ARCH_X86_BIOS_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "util/errmsg.h"
#include "vmm/memory.h"

#define BIOS_ENV_IVT 0x000ULL
#define BIOS_ENV_IVT_SIZE 0x400ULL
#define BIOS_ENV_BDA 0x400ULL
#define BIOS_ENV_BDA_SIZE 0x100ULL

/* BDA fields (offsets from 0x400), as SeaBIOS's struct bios_data_area_s. */
#define BDA_COM1 0x00
#define BDA_EBDA_SEG 0x0e
#define BDA_EQUIPMENT 0x10
#define BDA_MEM_KIB 0x13
#define BDA_TICKS 0x6c /* u32, 18.2 per second */
#define BDA_MIDNIGHT 0x70 /* u8, set when the tick count wraps a day */

#define BIOS_ENV_COM1_PORT 0x3f8
/* Bit 1: x87 present; bits 9-11: one serial port. No floppy, no LPT. */
#define BIOS_ENV_EQUIPMENT 0x0202
#define BIOS_ENV_TICKS_PER_DAY 0x1800b0

/* The handlers live in segment 0xf000 at these offsets. */
#define BIOS_ENV_STUB_SEG 0xf000
#define BIOS_ENV_HWPIC1_OFF 0xf000 /* master IRQs 1-7: EOI, IRET */
#define BIOS_ENV_HWPIC2_OFF 0xf010 /* slave IRQs 8-15: EOI both, IRET */
#define BIOS_ENV_IRQ0_OFF 0xfea5 /* the IBM PC's INT 08h entry */
#define BIOS_ENV_IRET_OFF 0xff53 /* the IBM PC's dummy IRET */

#define BIOS_ENV_PIC_MASTER_BASE 0x08
#define BIOS_ENV_PIC_SLAVE_BASE 0x70
#define BIOS_ENV_PIC_MASTER_IMR 0xfb /* all masked but IRQ 2 (cascade) */
#define BIOS_ENV_PIC_SLAVE_IMR 0xff
#define BIOS_ENV_PIT_MODE 2 /* rate generator */
#define BIOS_ENV_PIT_COUNT 0x10000 /* written as 0: 1193182 / 65536 Hz */

/* The real-mode far pointer (segment << 16 | offset) IVT[vector] holds. */
uint32_t bios_env_ivt_entry(unsigned int vector);

/*
 * Write the IVT, BDA, EBDA and the handlers' code into guest RAM. Returns
 * 0, or -EFAULT (with err) when RAM does not cover those ranges.
 */
int bios_env_write(struct guest_memory *mem, struct errmsg *err);

/*
 * Turn a PIC's state, as KVM_GET_IRQCHIP read it, into what the BIOS's
 * ICW1-4 and OCW1 leave (ELCR and its mask are kept).
 */
void bios_env_pic_state(struct kvm_pic_state *pic, bool slave);

/* The same for the PIT: channel 0 programmed with 0x34, count 0. */
void bios_env_pit_state(struct kvm_pit_state2 *pit);

/*
 * Program the in-kernel PICs and PIT of vm_fd (KVM_SET_IRQCHIP,
 * KVM_SET_PIT2) and check what KVM reads back.
 */
int bios_env_program(int vm_fd, struct errmsg *err);

/* Both: what vm_set_boot_entry does for a boot_entry asking for it. */
int bios_env_setup(struct guest_memory *mem, int vm_fd, struct errmsg *err);

#endif
