// SPDX-License-Identifier: GPL-2.0
/*
 * The FADT and the FACS: the fixed hardware the guest's ACPI drives.
 *
 * A full-hardware FADT (HW_REDUCED_ACPI clear), because of S3: Linux's
 * ACPICA maps a FACS, where the OS writes its waking vector, only on such
 * a platform (acpi_tb_parse_fadt, acpi_tb_initialize_facs: "If Hardware
 * Reduced flag is set, there is no FACS"); see devices/acpi_pm.c. The
 * fixed hardware is as little as ACPI allows: PM1a event and control
 * blocks (no PM1b), SCI on IRQ 9, no PM timer (optional since ACPI 5.0A;
 * kvmclock is the guest's clock), no GPE blocks, no SMI command port
 * (always in ACPI mode), no C2/C3, no fixed power or sleep button. Linux
 * then treats the machine as a PC: it programs the 8259 PICs and checks
 * that the PIT's IRQ 0 reaches the IOAPIC (pin 2, as the MADT says).
 * The reset register and 0xcf9 are unchanged.
 */
#include <string.h>

#include "arch/x86/acpi.h"
#include "arch/x86/acpi_table.h"

#define ACPI_HYPERVISOR_ID "KVMSCOPE"

/* Firmware ACPI Control Structure (5.2.10), version 2. */
#define FACS_LENGTH 4
#define FACS_HW_SIGNATURE 8
#define FACS_VERSION_OFF 32
#define FACS_VERSION 2
_Static_assert(ACPI_FACS_X_WAKING_VECTOR + 8 <= ACPI_FACS_SIZE, "FACS layout");

/* Fixed ACPI Description Table (5.2.9), revision 6.5. */
#define FADT_REVISION 6
#define FADT_MINOR_REVISION 5
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_SCI_INT 46
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_P_LVL2_LAT 96
#define FADT_P_LVL3_LAT 98
#define FADT_CENTURY 108
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VERSION 131
#define FADT_X_DSDT 140
#define FADT_X_PM1A_EVT_BLK 148
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_HYPERVISOR_ID 268

#define P_LVL2_NONE 101 /* > 100 us: no C2 */
#define P_LVL3_NONE 1001 /* > 1000 us: no C3 */

#define IAPC_LEGACY_DEVICES (1u << 0) /* ISA devices: COM1, RTC, PIT */
#define IAPC_VGA_NOT_PRESENT (1u << 2)

#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PWR_BUTTON (1u << 4) /* set: no fixed power button */
#define FADT_F_SLP_BUTTON (1u << 5) /* set: no fixed sleep button */
#define FADT_F_RESET_REG_SUP (1u << 10)

#define RTC_CENTURY_INDEX 0x32 /* CMOS register the RTC model implements */

/* Generic Address Structure (5.2.3.2). */
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_UNDEFINED 0 /* legacy: the register's own width */
#define GAS_ACCESS_BYTE 1

static void put_gas_io(uint8_t *g, uint16_t port, uint8_t bits, uint8_t access)
{
	g[0] = GAS_SYSTEM_IO;
	g[1] = bits; /* register bit width */
	g[2] = 0; /* bit offset */
	g[3] = access;
	put_le64(g + 4, port);
}

/*
 * The FACS: both waking vectors 0 (the OS writes them before S3), no
 * global lock, flags 0: S4BIOS unsupported and no 64BIT_WAKE_SUPPORTED_F,
 * so a set X_FIRMWARE_WAKING_VECTOR is entered in 32-bit protected mode
 * (vmm/sleep.c). The hardware signature stays 0: the "hardware" never
 * changes between a suspend and the resume.
 */
void acpi_build_facs(uint8_t *f)
{
	memcpy(f, "FACS", 4);
	put_le32(f + FACS_LENGTH, ACPI_FACS_SIZE);
	put_le32(f + FACS_HW_SIGNATURE, 0);
	f[FACS_VERSION_OFF] = FACS_VERSION;
}

void acpi_build_fadt(uint8_t *t, uint64_t facs, uint64_t dsdt)
{
	acpi_put_header(t, "FACP", ACPI_FADT_SIZE, FADT_REVISION);
	/*
	 * The FACS only in FIRMWARE_CTRL: ACPI 5.0 wants X_FIRMWARE_CTRL 0
	 * then, and with both set ACPICA installs (and Linux lists) it
	 * twice. The DSDT's two copies agree, as for every other table.
	 */
	put_le32(t + FADT_FIRMWARE_CTRL, (uint32_t)facs);
	put_le32(t + FADT_DSDT, (uint32_t)dsdt);
	put_le64(t + FADT_X_DSDT, dsdt);
	put_le16(t + FADT_SCI_INT, ACPI_SCI_IRQ);
	put_le32(t + FADT_PM1A_EVT_BLK, ACPI_PM1A_EVT_PORT);
	put_le32(t + FADT_PM1A_CNT_BLK, ACPI_PM1A_CNT_PORT);
	t[FADT_PM1_EVT_LEN] = ACPI_PM1_EVT_LEN;
	t[FADT_PM1_CNT_LEN] = ACPI_PM1_CNT_LEN;
	put_le16(t + FADT_P_LVL2_LAT, P_LVL2_NONE);
	put_le16(t + FADT_P_LVL3_LAT, P_LVL3_NONE);
	t[FADT_CENTURY] = RTC_CENTURY_INDEX;
	put_le16(t + FADT_IAPC_BOOT_ARCH,
		 IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT);
	put_le32(t + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PWR_BUTTON |
					 FADT_F_SLP_BUTTON |
					 FADT_F_RESET_REG_SUP);
	put_gas_io(t + FADT_RESET_REG, ACPI_PM_RESET_PORT, 8, GAS_ACCESS_BYTE);
	t[FADT_RESET_VALUE] = ACPI_PM_RESET_VALUE;
	t[FADT_MINOR_VERSION] = FADT_MINOR_REVISION;
	/* As QEMU describes its PM1 blocks: full width, access undefined. */
	put_gas_io(t + FADT_X_PM1A_EVT_BLK, ACPI_PM1A_EVT_PORT,
		   8 * ACPI_PM1_EVT_LEN, GAS_ACCESS_UNDEFINED);
	put_gas_io(t + FADT_X_PM1A_CNT_BLK, ACPI_PM1A_CNT_PORT,
		   8 * ACPI_PM1_CNT_LEN, GAS_ACCESS_UNDEFINED);
	memcpy(t + FADT_HYPERVISOR_ID, ACPI_HYPERVISOR_ID, 8);
	acpi_finish_table(t, ACPI_FADT_SIZE);
}
