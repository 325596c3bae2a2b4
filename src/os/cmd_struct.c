// SPDX-License-Identifier: GPL-2.0
/*
 * read-struct type=T (addr=ADDR | symbol=NAME) and read-symbol name=NAME
 * [len=N] [type=T]: kernel variables and structures by name, from the
 * guest's kallsyms and BTF, as crash's `struct task_struct ADDR`, `p
 * jiffies` and `rd` do, with no vmlinux.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "os/commands.h"
#include "os/kstruct.h"
#include "os/kview.h"
#include "util/base64.h"
#include "vmm/vm.h"

#define READ_SYMBOL_DEFAULT 64
#define READ_SYMBOL_MAX (64U << 10)

/* "task_struct" or "struct task_struct": the structure's name. */
static const char *struct_name(const char *type)
{
	if (!strncmp(type, "struct ", 7))
		return type + 7;
	if (!strncmp(type, "union ", 6))
		return type + 6;
	return type;
}

static int struct_json(const struct kview *kv, const char *type, uint64_t addr,
		       json_t **ret, struct errmsg *err)
{
	const char *name = struct_name(type);
	uint8_t *bytes;
	uint32_t size;
	int id, r;

	r = ktypes_struct(kv->kt, name, &id, &size, err);
	if (r)
		return r;
	if (size > KSTRUCT_MAX_BYTES)
		return errmsg_set(
			err, EINVAL,
			"struct %s is %u bytes, more than read-struct shows (%u)",
			name, size, KSTRUCT_MAX_BYTES);
	bytes = malloc(size ? size : 1);
	if (!bytes)
		return errmsg_set(err, ENOMEM, "out of memory");
	if (kview_read((void *)kv, addr, bytes, size)) {
		free(bytes);
		return errmsg_set(
			err, EFAULT,
			"struct %s at 0x%llx (%u bytes) is not readable kernel memory",
			name, (unsigned long long)addr, size);
	}
	*ret = json_pack("{s:s+, s:o, s:i, s:o}", "type", "struct ", name,
			 "addr", api_hex(addr), "size", (int)size, "fields",
			 kstruct_fields(kv->kt, id, bytes, size, 0));
	free(bytes);
	return *ret ? 0 : errmsg_set(err, ENOMEM, "out of memory");
}

static int cmd_read_struct(struct api_ctx *ctx, json_t *args, json_t **ret,
			   struct errmsg *err)
{
	static const char *const allowed[] = { "type", "addr", "symbol", NULL };
	const char *type = NULL, *sym = NULL;
	struct kview kv;
	bool has_addr;
	uint64_t addr = 0;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_str(args, "type", true, &type, err);
	if (!r)
		r = api_arg_u64(args, "addr", false, &addr, &has_addr, err);
	if (!r && json_object_get(args, "symbol"))
		r = api_arg_str(args, "symbol", true, &sym, err);
	if (r)
		return r;
	if (has_addr == (sym != NULL))
		return errmsg_set(err, EINVAL,
				  "give addr=ADDR or symbol=NAME, one of them");
	r = kview_open(ctx->vm, &kv, true, err);
	if (!r && sym)
		r = kview_symbol(&kv, sym, &addr, err);
	if (!r)
		r = struct_json(&kv, type, addr, ret, err);
	if (!r && sym)
		json_object_set_new(*ret, "symbol", json_string(sym));
	return r;
}

static int cmd_read_symbol(struct api_ctx *ctx, json_t *args, json_t **ret,
			   struct errmsg *err)
{
	static const char *const allowed[] = { "name", "len", "type", NULL };
	const char *name = NULL, *type = NULL;
	const struct ksym *s;
	struct kview kv;
	uint64_t size = 0;
	bool has_len;
	long len = 0;
	uint8_t *bytes;
	char *b64;
	int r;

	r = api_args_only(args, allowed, err);
	if (!r)
		r = api_arg_str(args, "name", true, &name, err);
	if (!r)
		r = api_arg_int(args, "len", false, 1, READ_SYMBOL_MAX, &len,
				&has_len, err);
	if (!r && json_object_get(args, "type"))
		r = api_arg_str(args, "type", true, &type, err);
	if (!r)
		r = kview_open(ctx->vm, &kv, type != NULL, err);
	if (r)
		return r;
	s = kallsyms_by_name(kv.ks, name, NULL);
	if (!s)
		return errmsg_set(err, ENOENT,
				  "the guest kernel's kallsyms has no %s",
				  name);
	if (type) {
		r = struct_json(&kv, type, s->addr, ret, err);
		if (!r)
			json_object_set_new(*ret, "symbol", json_string(name));
		return r;
	}
	/* The symbol's extent: up to the next symbol, capped. */
	kallsyms_by_addr(kv.ks, s->addr, &size);
	if (!has_len)
		len = size && size < READ_SYMBOL_DEFAULT ? (long)size :
							   READ_SYMBOL_DEFAULT;
	bytes = malloc((size_t)len);
	if (!bytes)
		return errmsg_set(err, ENOMEM, "out of memory");
	if (kview_read(&kv, s->addr, bytes, (size_t)len)) {
		free(bytes);
		return errmsg_set(
			err, EFAULT,
			"%s at 0x%llx (%ld bytes) is not readable kernel memory",
			name, (unsigned long long)s->addr, len);
	}
	b64 = base64_encode(bytes, (size_t)len);
	free(bytes);
	if (!b64)
		return errmsg_set(err, ENOMEM, "out of memory");
	*ret = json_pack("{s:s, s:o, s:s#, s:I, s:s}", "name", name, "addr",
			 api_hex(s->addr), "type-char", &s->type, 1, "len",
			 (json_int_t)len, "data", b64);
	free(b64);
	if (*ret && size)
		json_object_set_new(*ret, "symbol-size",
				    json_integer((json_int_t)size));
	return *ret ? 0 : errmsg_set(err, ENOMEM, "out of memory");
}

const struct api_command cmd_struct_commands[] = {
	{ "read-struct", cmd_read_struct, API_PAUSES_BRIEFLY,
	  "type=STRING (addr=ADDR | symbol=STRING)",
	  "a guest kernel structure member by member, from the guest's BTF (crash's struct TYPE ADDR)" },
	{ "read-symbol", cmd_read_symbol, API_PAUSES_BRIEFLY,
	  "name=STRING [len=N] [type=STRING]",
	  "a guest kernel variable's bytes by name (kallsyms), or its members with type=" },
};
const size_t cmd_struct_command_count =
	sizeof(cmd_struct_commands) / sizeof(cmd_struct_commands[0]);
