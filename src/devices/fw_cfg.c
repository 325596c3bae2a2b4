// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's fw_cfg, traditional I/O interface only: a 16-bit selector at
 * 0x510 picks an item, and byte reads from 0x511 stream it out. Firmware
 * (SeaBIOS) and Linux's qemu_fw_cfg driver look for the "QEMU" signature;
 * the few items provided describe the machine. There is no DMA interface
 * (0x514) and the file directory is empty, so no file items exist.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/legacy.h"

#define FW_CFG_PORT 0x510
#define FW_CFG_NR_PORTS 2
#define FW_CFG_SELECTOR 0 /* offset in the range */
#define FW_CFG_DATA 1

#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_RAM_SIZE 0x0003
#define FW_CFG_NB_CPUS 0x0005
#define FW_CFG_MAX_CPUS 0x000f
#define FW_CFG_FILE_DIR 0x0019

#define FW_CFG_VERSION_TRADITIONAL 0x01 /* FW_CFG_ID bit: I/O interface */

#define FW_CFG_MAX_ITEM 8 /* largest item, in bytes */
#define FW_CFG_NR_ITEMS 6

struct fw_cfg_item {
	uint16_t key;
	uint8_t len;
	uint8_t data[FW_CFG_MAX_ITEM];
};

struct fw_cfg {
	pthread_mutex_t lock;
	const struct fw_cfg_item *selected; /* NULL: unknown key */
	uint32_t offset;
	int nr_items;
	struct fw_cfg_item items[FW_CFG_NR_ITEMS];
};

static void put_le(struct fw_cfg_item *it, uint16_t key, uint64_t v, int len)
{
	int i;

	it->key = key;
	it->len = len;
	for (i = 0; i < len; i++)
		it->data[i] = (v >> (8 * i)) & 0xff;
}

static void build_items(struct fw_cfg *f, const struct device_env *env)
{
	struct fw_cfg_item *it = f->items;
	uint16_t cpus = env->nr_cpus > 0 ? env->nr_cpus : 1;

	it->key = FW_CFG_SIGNATURE;
	it->len = 4;
	memcpy(it->data, "QEMU", 4);
	it++;
	put_le(it++, FW_CFG_ID, FW_CFG_VERSION_TRADITIONAL, 4);
	put_le(it++, FW_CFG_RAM_SIZE, env->ram_size, 8);
	put_le(it++, FW_CFG_NB_CPUS, cpus, 2);
	put_le(it++, FW_CFG_MAX_CPUS, cpus, 2);
	/* The directory's count is big-endian, unlike the other items. */
	it->key = FW_CFG_FILE_DIR;
	it->len = 4;
	memset(it->data, 0, 4);
	it++;
	f->nr_items = it - f->items;
}

static const struct fw_cfg_item *find_item(const struct fw_cfg *f, uint16_t key)
{
	int i;

	for (i = 0; i < f->nr_items; i++)
		if (f->items[i].key == key)
			return &f->items[i];
	return NULL;
}

static void fw_cfg_read(void *opaque, uint64_t offset, uint8_t *data,
			uint32_t len)
{
	struct fw_cfg *f = opaque;
	const struct fw_cfg_item *it;

	if (offset != FW_CFG_DATA || len != 1) {
		/* The selector is write-only; data is read a byte at a time. */
		memset(data, 0xff, len);
		device_log_guest(
			"fw_cfg: %u-byte read at port 0x%llx unsupported", len,
			(unsigned long long)(FW_CFG_PORT + offset));
		return;
	}
	pthread_mutex_lock(&f->lock);
	it = f->selected;
	if (it && f->offset < it->len) {
		data[0] = it->data[f->offset];
		f->offset++;
	} else {
		/* Past the end, or an item that does not exist. */
		data[0] = 0;
	}
	pthread_mutex_unlock(&f->lock);
}

static void fw_cfg_write(void *opaque, uint64_t offset, const uint8_t *data,
			 uint32_t len)
{
	struct fw_cfg *f = opaque;
	const struct fw_cfg_item *it;
	uint16_t key;

	if (offset != FW_CFG_SELECTOR || len != 2) {
		/* Data writes were deprecated by QEMU and are read-only here. */
		device_log_guest("fw_cfg: %u-byte write at port 0x%llx ignored",
				 len,
				 (unsigned long long)(FW_CFG_PORT + offset));
		return;
	}
	key = data[0] | (data[1] << 8);
	/* Items never change after registration; only the cursor is locked. */
	it = find_item(f, key);
	pthread_mutex_lock(&f->lock);
	f->selected = it;
	f->offset = 0;
	pthread_mutex_unlock(&f->lock);
	if (!it)
		device_log_guest("fw_cfg: guest selected unknown key 0x%04x",
				 key);
}

static void fw_cfg_release(void *opaque)
{
	struct fw_cfg *f = opaque;

	pthread_mutex_destroy(&f->lock);
	free(f);
}

static const struct bus_ops fw_cfg_ops = {
	.read = fw_cfg_read,
	.write = fw_cfg_write,
	.release = fw_cfg_release,
};

int fw_cfg_register(const struct device_env *env)
{
	struct fw_cfg *f;
	int ret;

	if (!env || !env->pio)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	build_items(f, env);
	/* Like QEMU after reset: the signature is selected. */
	f->selected = find_item(f, FW_CFG_SIGNATURE);
	/* From here on the bus owns f (bus_release frees it). */
	ret = bus_register(env->pio, FW_CFG_PORT, FW_CFG_NR_PORTS, &fw_cfg_ops,
			   f, "fw_cfg");
	if (ret < 0)
		fw_cfg_release(f);
	return ret;
}

const struct device_desc fw_cfg_device = { "fw_cfg (0x510-0x511)", fw_cfg_register };
