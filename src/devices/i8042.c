// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal i8042 keyboard controller at 0x60 (data) / 0x64 (status and
 * command), with nothing plugged into either PS/2 port. It exists for two
 * reasons: guests reset the machine by writing 0xfe to port 0x64, and
 * Linux's i8042 driver should find "a controller, but no devices" quickly.
 *
 * How Linux's probe ends up fast (no 500 ms command timeouts):
 *  - status reads with OBF clear, so the initial flush succeeds; all-ones
 *    (an empty bus) would make Linux print "No controller found", but its
 *    reboot path would then spin on the input-buffer-full bit first;
 *  - self-test (0xaa) answers 0x55, and the command byte round-trips
 *    (0x20/0x60), so controller init succeeds;
 *  - the AUX port checks fail at once: AUX loopback (0xd3) is not
 *    supported, so its parameter byte goes to the (absent) keyboard and
 *    comes back as a timeout error without the AUX bit, which Linux treats
 *    as an immediate failure; the AUX interface test (0xa9) then answers
 *    0x02 (clock line stuck), so Linux decides there is no AUX port;
 *  - bytes sent to the keyboard get 0xfe with the status timeout bit set,
 *    and IRQ 1 is raised while that byte waits (if the command byte
 *    enables it), so atkbd's probe fails on the first command instead of
 *    after its timeouts.
 * Guests can skip all of this with i8042.nokbd/i8042.noaux, or firmware
 * tables can say there is no 8042, and reset still works.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "devices/legacy.h"
#include "vmm/exit_status.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_KBD_IRQ 1

#define STR_OBF 0x01 /* output buffer full */
#define STR_SYS 0x04 /* system flag: self-test passed */
#define STR_CMD 0x08 /* last write was to the command port */
#define STR_UNLOCKED 0x10 /* keyboard not inhibited by the keylock */
#define STR_AUX 0x20 /* output byte came from the AUX port */
#define STR_TIMEOUT 0x40

#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40

#define CMD_READ_CTR 0x20
#define CMD_WRITE_CTR 0x60
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_AUX_TEST 0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_WRITE_OUTPUT 0xd1
#define CMD_WRITE_KBD_OBUF 0xd2
#define CMD_PULSE_FIRST 0xf0 /* 0xf0-0xff pulse output lines */

#define SELF_TEST_OK 0x55
#define PORT_TEST_OK 0x00
#define PORT_TEST_CLOCK_STUCK_HIGH 0x02
#define KBD_NO_DEVICE 0xfe

struct i8042 {
	pthread_mutex_t lock;
	struct vm_control ctl;
	struct irq_sink irq;
	int irq_level;
	uint8_t status; /* STR_* bits but OBF/AUX/TIMEOUT, kept in obuf_* */
	uint8_t ctr; /* the "command byte" */
	uint8_t pending_cmd; /* command waiting for its data byte, or 0 */
	bool obuf_full;
	uint8_t obuf;
	uint8_t obuf_flags; /* STR_AUX | STR_TIMEOUT for the byte in obuf */
};

static void update_irq(struct i8042 *k)
{
	/* Only keyboard-side bytes are ever produced, so IRQ 12 stays low. */
	int level = k->obuf_full && !(k->obuf_flags & STR_AUX) &&
		    (k->ctr & CTR_KBDINT);

	if (level == k->irq_level)
		return;
	k->irq_level = level;
	if (k->irq.set_level)
		k->irq.set_level(k->irq.opaque, I8042_KBD_IRQ, level);
}

/* A newer byte replaces an unread one, as the single-byte buffer does. */
static void put_output(struct i8042 *k, uint8_t v, uint8_t flags)
{
	k->obuf = v;
	k->obuf_flags = flags;
	k->obuf_full = true;
	update_irq(k);
}

static uint8_t read_status(struct i8042 *k)
{
	uint8_t v = k->status;

	if (k->obuf_full)
		v |= STR_OBF | k->obuf_flags;
	return v;
}

static uint8_t read_data(struct i8042 *k)
{
	/* Read empty, the buffer still holds its last byte (0 at first). */
	k->obuf_full = false;
	update_irq(k);
	return k->obuf;
}

/* Returns the reset command to report, or 0. */
static uint8_t write_command(struct i8042 *k, uint8_t cmd)
{
	k->status |= STR_CMD;
	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_READ_CTR:
		put_output(k, k->ctr, 0);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTPUT:
	case CMD_WRITE_KBD_OBUF:
		k->pending_cmd = cmd;
		break;
	case CMD_AUX_DISABLE:
		k->ctr |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		k->ctr &= ~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
		put_output(k, PORT_TEST_CLOCK_STUCK_HIGH, 0);
		break;
	case CMD_SELF_TEST:
		k->status |= STR_SYS;
		put_output(k, SELF_TEST_OK, 0);
		break;
	case CMD_KBD_TEST:
		put_output(k, PORT_TEST_OK, 0);
		break;
	case CMD_KBD_DISABLE:
		k->ctr |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		k->ctr &= ~CTR_KBDDIS;
		break;
	default:
		/* Bit 0 low in a pulse command pulses the CPU reset line. */
		if (cmd >= CMD_PULSE_FIRST && !(cmd & 0x01))
			return cmd;
		if (cmd < CMD_PULSE_FIRST)
			device_log_guest("i8042: command 0x%02x ignored", cmd);
		break;
	}
	return 0;
}

/* Returns the reset command to report, or 0. */
static uint8_t write_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->status &= ~STR_CMD;
	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		k->ctr = v;
		/* The system flag in the command byte shows in the status. */
		k->status = (k->status & ~STR_SYS) |
			    (v & CTR_SYS ? STR_SYS : 0);
		update_irq(k);
		break;
	case CMD_WRITE_OUTPUT:
		/* Output port bit 0 is the CPU reset line (active low). */
		if (!(v & 0x01))
			return CMD_WRITE_OUTPUT;
		break;
	case CMD_WRITE_KBD_OBUF:
		put_output(k, v, 0);
		break;
	default:
		/* A byte for the keyboard, which is not there. */
		put_output(k, KBD_NO_DEVICE, STR_TIMEOUT);
		break;
	}
	return 0;
}

static void i8042_data_read(void *opaque, uint64_t offset, uint8_t *data,
			    uint32_t len)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	data[0] = read_data(k);
	pthread_mutex_unlock(&k->lock);
}

static void i8042_status_read(void *opaque, uint64_t offset, uint8_t *data,
			      uint32_t len)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	data[0] = read_status(k);
	pthread_mutex_unlock(&k->lock);
}

/* Ending the VM is done unlocked: the VM may stop vCPUs to do it. */
static void report_reset(struct i8042 *k, uint8_t reset, uint8_t value)
{
	char why[80];

	if (!reset || !k->ctl.request_end)
		return;
	if (reset == CMD_WRITE_OUTPUT)
		snprintf(
			why, sizeof(why),
			"guest reset through the i8042 controller (output port write 0x%02x)",
			value);
	else
		snprintf(
			why, sizeof(why),
			"guest reset through the i8042 controller (0x%02x to port 0x64)",
			reset);
	k->ctl.request_end(k->ctl.opaque, KS_STATUS_RESET, why);
}

static void i8042_data_write(void *opaque, uint64_t offset, const uint8_t *data,
			     uint32_t len)
{
	struct i8042 *k = opaque;
	uint8_t reset;

	pthread_mutex_lock(&k->lock);
	reset = write_data(k, data[0]);
	pthread_mutex_unlock(&k->lock);
	report_reset(k, reset, data[0]);
}

static void i8042_command_write(void *opaque, uint64_t offset,
				const uint8_t *data, uint32_t len)
{
	struct i8042 *k = opaque;
	uint8_t reset;

	pthread_mutex_lock(&k->lock);
	reset = write_command(k, data[0]);
	pthread_mutex_unlock(&k->lock);
	report_reset(k, reset, data[0]);
}

static void i8042_release(void *opaque)
{
	struct i8042 *k = opaque;

	pthread_mutex_destroy(&k->lock);
	free(k);
}

/* Both ranges share the state; the command port's range owns it. */
static const struct bus_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct bus_ops i8042_command_ops = {
	.read = i8042_status_read,
	.write = i8042_command_write,
	.release = i8042_release,
};

int i8042_register(const struct device_env *env)
{
	struct i8042 *k;
	int ret;

	if (!env || !env->pio)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	pthread_mutex_init(&k->lock, NULL);
	k->ctl = env->ctl;
	k->irq = env->irq;
	/* As firmware leaves it: POST done, keyboard enabled, no AUX. */
	k->status = STR_SYS | STR_CMD | STR_UNLOCKED;
	k->ctr = CTR_XLATE | CTR_AUXDIS | CTR_SYS | CTR_KBDINT;

	/*
	 * Two one-port ranges, since 0x61-0x63 belong to other devices.
	 * Check both up front: a registered range cannot be taken back, and
	 * the data port's range does not own (free) the state.
	 */
	if (bus_find(env->pio, I8042_DATA_PORT, 1) ||
	    bus_find(env->pio, I8042_CMD_PORT, 1))
		ret = -EEXIST;
	else if (env->pio->nr_ranges > BUS_MAX_RANGES - 2)
		ret = -ENOSPC;
	else
		ret = bus_register(env->pio, I8042_DATA_PORT, 1,
				   &i8042_data_ops, k, "i8042 data");
	if (ret < 0) {
		i8042_release(k);
		return ret;
	}
	/* Cannot fail after the checks above; then the bus owns k. */
	return bus_register(env->pio, I8042_CMD_PORT, 1, &i8042_command_ops, k,
			    "i8042 command");
}

const struct device_desc i8042_device = { "i8042 (0x60, 0x64)", i8042_register };
