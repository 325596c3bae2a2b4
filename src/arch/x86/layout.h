/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where kvmscope puts things in guest-physical memory at boot. One table so
 * that loaders, the initial CPU state and the e820 map agree.
 *
 *   0x00000000 - 0x000004ff  real-mode IVT and BDA: zero, or for multiboot
 *                            what a BIOS leaves (bios_env.c)
 *   0x00000500 - 0x000005ff  boot GDT (flat code/data, 32- and 64-bit)
 *   0x00001000 - 0x00006fff  identity page tables for 64-bit entry (bzImage):
 *                            PML4, PDPT, 4 page directories (4 GiB, 2 MiB pages)
 *   0x00007000 - 0x00007fff  Linux zero page (struct boot_params)
 *   0x00008000 - 0x00008fff  free (test guests put an AP trampoline here)
 *   0x00009000 - 0x0001ffff  boot information: multiboot MBI, memory map,
 *                            module list and strings; PVH hvm_start_info
 *   0x00020000 - 0x0002ffff  kernel command line
 *   0x0009fc00 - 0x0009ffff  EBDA (reserved in e820; bios_env.c fills it)
 *   0x000a0000 - 0x000dffff  legacy VGA/ROM hole (not RAM in e820)
 *   0x000e0000 - 0x000fefff  BIOS area: ACPI RSDP and tables (reserved)
 *   0x000ff000 - 0x000fffff  BIOS stub: real-mode handlers, segment 0xf000
 *                            (bios_env.c; reserved with the BIOS area)
 *   0x00100000 -             kernel image; initrd/modules at the top of
 *                            low RAM, away from the memory after the image
 */
#ifndef KVMSCOPE_ARCH_X86_LAYOUT_H
#define KVMSCOPE_ARCH_X86_LAYOUT_H

#define LAYOUT_BOOT_GDT 0x00000500ULL
#define LAYOUT_PML4 0x00001000ULL
#define LAYOUT_PDPT 0x00002000ULL
#define LAYOUT_PD 0x00003000ULL /* 4 pages */
#define LAYOUT_ZERO_PAGE 0x00007000ULL
#define LAYOUT_BOOT_INFO 0x00009000ULL
#define LAYOUT_BOOT_INFO_END 0x00020000ULL
#define LAYOUT_CMDLINE 0x00020000ULL
#define LAYOUT_CMDLINE_MAX 0x00010000ULL /* bytes, including the NUL */
#define LAYOUT_EBDA 0x0009fc00ULL
#define LAYOUT_VGA_HOLE 0x000a0000ULL
#define LAYOUT_BIOS 0x000e0000ULL
#define LAYOUT_BIOS_STUB 0x000ff000ULL
#define LAYOUT_HIGH_MEM 0x00100000ULL /* 1 MiB */
#define LAYOUT_KERNEL_LOAD 0x00100000ULL

/* Selectors in the boot GDT: index 2 = 64-bit code, 3 = data (Linux's
 * __BOOT_CS/__BOOT_DS), 4 = 32-bit code. */
#define BOOT_GDT_CS64 0x10
#define BOOT_GDT_DS 0x18
#define BOOT_GDT_CS32 0x20

#endif
