/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's small fixed devices, registered from one table (legacy.c):
 * CMOS RTC (0x70/0x71), port 0x92 (A20, fast reset), i8042 command port
 * (0x60/0x64, reset via 0xfe), QEMU-compatible debug exit (0xf4, 4 bytes),
 * fw_cfg I/O interface (0x510/0x511), POST port 0x80 (ignored), pvpanic
 * (0x505).
 */
#ifndef KVMSCOPE_DEVICES_LEGACY_H
#define KVMSCOPE_DEVICES_LEGACY_H

#include "devices/devices.h"
#include "util/errmsg.h"

int legacy_devices_register(const struct device_env *env, struct errmsg *err);

/* One register function per device (used by legacy.c's table and tests). */
int rtc_register(const struct device_env *env);
int port92_register(const struct device_env *env);
int i8042_register(const struct device_env *env);
int debug_exit_register(const struct device_env *env);
int fw_cfg_register(const struct device_env *env);
int post_port_register(const struct device_env *env);
int acpi_pm_register(const struct device_env *env);
int pvpanic_register(const struct device_env *env);

#endif
