/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the "pagetables" scenario leaves behind for inspection.
 *
 * Tests written in other languages parse this file with the regex
 *	#define (KM_\w+) (0x[0-9a-fA-F]+)ULL?
 * so every numeric constant must stay a bare hex literal with a ULL
 * suffix, one per line, and KM_PATTERN_HEX must stay a string.
 *
 * Mappings in the page tables the scenario builds (CR3 is printed,
 * not fixed):
 *
 *   GVA                  GPA       size   flags
 *   0..4 GiB             same      2 MiB  RW, supervisor (identity)
 *   0x0000700000001000   0x300000  4 KiB  RW, user, NX
 *   0x0000700000002000   0x301000  4 KiB  read-only, supervisor
 *   0x0000700000003000   -         -      PTE not present (0)
 *   0x0000700000200000   0x400000  2 MiB  RW, user
 *   0x0000708000000000   0x0       1 GiB  RW, supervisor
 *   0xffffffff80001000   0x302000  4 KiB  RW, supervisor, global
 *
 * The 32-byte pattern at KM_PATTERN_GPA (reached through KM_4K_GVA) is
 * generated at run time, so its bytes occur nowhere else in guest RAM.
 *
 * Register values while the vCPU sits at known_halt (all GPRs but RSP).
 */
#ifndef TESTKERNEL_KNOWN_MAPPINGS_H
#define TESTKERNEL_KNOWN_MAPPINGS_H

#define KM_4K_GVA 0x0000700000001000ULL
#define KM_4K_GPA 0x300000ULL
#define KM_4K_RO_GVA 0x0000700000002000ULL
#define KM_4K_RO_GPA 0x301000ULL
#define KM_NP_GVA 0x0000700000003000ULL
#define KM_2M_GVA 0x0000700000200000ULL
#define KM_2M_GPA 0x400000ULL
#define KM_1G_GVA 0x0000708000000000ULL
#define KM_1G_GPA 0x0ULL
#define KM_HIGH_GVA 0xffffffff80001000ULL
#define KM_HIGH_GPA 0x302000ULL

#define KM_PATTERN_GPA 0x300100ULL
#define KM_PATTERN_GVA 0x0000700000001100ULL
#define KM_PATTERN_LEN 0x20ULL
/* LCG seed ("kvmscope"); each byte is bits 63:56 of the next state. */
#define KM_PATTERN_SEED 0x6b766d73636f7065ULL
#define KM_PATTERN_HEX "a75c7d3b18e59498ab785087d4ccaa8c43927a4cea6983cb6ea81778638e5701"

#define KM_REG_RAX 0x1111111111111111ULL
#define KM_REG_RBX 0x2222222222222222ULL
#define KM_REG_RCX 0x3333333333333333ULL
#define KM_REG_RDX 0x4444444444444444ULL
#define KM_REG_RSI 0x5555555555555555ULL
#define KM_REG_RDI 0x6666666666666666ULL
#define KM_REG_RBP 0x7777777777777777ULL
#define KM_REG_R8 0x8888888888888888ULL
#define KM_REG_R9 0x9999999999999999ULL
#define KM_REG_R10 0xaaaaaaaaaaaaaaaaULL
#define KM_REG_R11 0xbbbbbbbbbbbbbbbbULL
#define KM_REG_R12 0xccccccccccccccccULL
#define KM_REG_R13 0xddddddddddddddddULL
#define KM_REG_R14 0xeeeeeeeeeeeeeeeeULL
#define KM_REG_R15 0xffffffffffffffffULL

#endif
