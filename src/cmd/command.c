// SPDX-License-Identifier: GPL-2.0
/*
 * Running one control command from a table: its pause policy, the 'pause'
 * argument, error classes, and the argument helpers every handler parses
 * its arguments with.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "vmm/vm.h"

const struct api_command *api_command_lookup(const struct api_command *table,
					     int count, const char *name)
{
	int i;

	for (i = 0; i < count; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

static int needs_stop_error(const char *what, struct errmsg *err)
{
	return errmsg_set(
		err, EBUSY,
		"'%s' needs a stopped VM: run 'stop' first or pass pause=true",
		what);
}

int api_require_stopped(struct api_ctx *ctx, const char *what,
			struct errmsg *err)
{
	if (ctx->vm && vm_is_paused(ctx->vm))
		return 0;
	return needs_stop_error(what, err);
}

int api_execute_table(const struct api_command *table, int count,
		      struct api_ctx *ctx, const char *name, json_t *args,
		      json_t **ret, const char **err_class, struct errmsg *err)
{
	const struct api_command *cmd;
	bool pause = false, paused_here = false;
	json_t *a;
	int r;

	*ret = NULL;
	*err_class = "GenericError";
	err->text[0] = '\0';
	cmd = api_command_lookup(table, count, name);
	if (!cmd) {
		*err_class = "CommandNotFound";
		return errmsg_set(err, ENOENT,
				  "The command %s has not been found", name);
	}
	if (args && !json_is_object(args))
		return errmsg_set(err, EINVAL,
				  "'%s': arguments must be a JSON object",
				  name);
	/* A shallow copy: removing 'pause' must not change the caller's. */
	a = args ? json_copy(args) : json_object();
	if (!a)
		return errmsg_set(err, ENOMEM, "'%s': out of memory", name);

	if (cmd->pause != API_LIFECYCLE) {
		r = api_arg_bool(a, "pause", &pause, NULL, err);
		if (r)
			goto out;
		json_object_del(a, "pause");
	}
	if (!ctx->vm && !cmd->no_vm) {
		r = errmsg_set(err, ENODEV, "'%s' needs a VM", name);
		goto out;
	}

	ctx->was_paused = ctx->vm && vm_is_paused(ctx->vm);
	if (ctx->vm && !ctx->was_paused) {
		switch (cmd->pause) {
		case API_NEEDS_STOP:
			if (!pause) {
				r = needs_stop_error(name, err);
				goto out;
			}
			paused_here = true;
			break;
		case API_PAUSES_BRIEFLY:
			paused_here = true;
			break;
		case API_RUNS_ANYTIME:
			paused_here = pause;
			break;
		case API_LIFECYCLE:
			break;
		}
	}
	if (paused_here)
		vm_hold(ctx->vm, VM_HOLD_INTERNAL);
	r = cmd->handler(ctx, a, ret, err);
	if (paused_here)
		vm_unhold(ctx->vm, VM_HOLD_INTERNAL);

	if (r) {
		json_decref(*ret);
		*ret = NULL;
		if (r > 0)
			r = -EIO;
		if (!err->text[0])
			errmsg_set(err, -r, "'%s' failed: %s", name,
				   strerror(-r));
	} else if (!*ret) {
		*ret = json_object();
	}
out:
	json_decref(a);
	return r;
}


/*
 * Strict number text: decimal digits, or "0x"/"0X" and hex digits; an
 * optional '-' only when allow_minus. -EINVAL on anything else, -ERANGE
 * when the magnitude exceeds 64 bits.
 */
static int parse_number(const char *s, bool allow_minus, bool *neg,
			uint64_t *mag)
{
	unsigned int base = 10, d;
	uint64_t v = 0;

	*neg = false;
	if (allow_minus && *s == '-') {
		*neg = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*mag = v;
	return 0;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "of an unknown type";
}

/* The shortest "%g" text that reads back as d: 1.5, not 1.5000000000000000. */
static void shortest_real(double d, char *buf, size_t size)
{
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

/* The value of an argument, or NULL when absent. */
static json_t *get_arg(json_t *args, const char *name, bool *present)
{
	json_t *v = json_is_object(args) ? json_object_get(args, name) : NULL;

	if (present)
		*present = v != NULL;
	return v;
}

static int absent(const char *name, bool required, struct errmsg *err)
{
	if (required)
		return errmsg_set(err, EINVAL, "missing argument '%s'", name);
	return 0;
}

int api_arg_u64(json_t *args, const char *name, bool required, uint64_t *out,
		bool *present, struct errmsg *err)
{
	json_t *v = get_arg(args, name, present);
	const char *s;
	bool neg;
	int r;

	if (!v)
		return absent(name, required, err);
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0)
			return errmsg_set(
				err, EINVAL,
				"'%s' must be a non-negative integer below 2^64, got %" JSON_INTEGER_FORMAT
				" (an address or size must not be negative)",
				name, i);
		*out = (uint64_t)i;
		return 0;
	}
	if (json_is_real(v)) {
		char got[32];

		shortest_real(json_real_value(v), got, sizeof(got));
		return errmsg_set(
			err, EINVAL,
			"'%s' must be a non-negative integer below 2^64, got %s (an address or size is not a real number)",
			name, got);
	}
	if (!json_is_string(v))
		return errmsg_set(
			err, EINVAL,
			"argument '%s' must be a number or a string like \"0x1000\", not %s",
			name, json_type_name(v));
	s = json_string_value(v);
	r = parse_number(s, false, &neg, out);
	if (r == -ERANGE)
		return errmsg_set(
			err, EINVAL,
			"argument '%s' value '%.64s' does not fit in 64 bits",
			name, s);
	if (r)
		return errmsg_set(
			err, EINVAL,
			"argument '%s' value '%.64s' is not a number: use decimal (4096) or hex (0x1000)",
			name, s);
	return 0;
}

int api_arg_int(json_t *args, const char *name, bool required, long min,
		long max, long *out, bool *present, struct errmsg *err)
{
	json_t *v = get_arg(args, name, present);
	const char *s;
	uint64_t mag;
	bool neg;
	int r;

	if (!v)
		return absent(name, required, err);
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < min || i > max)
			return errmsg_set(
				err, EINVAL,
				"argument '%s' must be between %ld and %ld (got %" JSON_INTEGER_FORMAT
				")",
				name, min, max, i);
		*out = (long)i;
		return 0;
	}
	if (json_is_real(v)) {
		char got[32];

		shortest_real(json_real_value(v), got, sizeof(got));
		return errmsg_set(
			err, EINVAL,
			"argument '%s' must be an integer, not a real number (got %s)",
			name, got);
	}
	if (!json_is_string(v))
		return errmsg_set(err, EINVAL,
				  "argument '%s' must be an integer, not %s",
				  name, json_type_name(v));
	s = json_string_value(v);
	r = parse_number(s, true, &neg, &mag);
	if (r == -EINVAL)
		return errmsg_set(
			err, EINVAL,
			"argument '%s' value '%.64s' is not an integer", name,
			s);
	if (!r && !mag)
		neg = false; /* "-0" */
	/* Compare magnitudes so that no conversion can overflow. */
	if (r || (!neg && (max < 0 || mag > (uint64_t)max)) ||
	    (neg && (min >= 0 || mag > -(uint64_t)min)))
		return errmsg_set(
			err, EINVAL,
			"argument '%s' must be between %ld and %ld (got %.64s)",
			name, min, max, s);
	*out = neg ? (long)(0 - mag) : (long)mag;
	return 0;
}

int api_arg_bool(json_t *args, const char *name, bool *out, bool *present,
		 struct errmsg *err)
{
	json_t *v = get_arg(args, name, present);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return errmsg_set(err, EINVAL,
				  "argument '%s' must be true or false, not %s",
				  name, json_type_name(v));
	*out = json_is_true(v);
	return 0;
}

int api_arg_str(json_t *args, const char *name, bool required, const char **out,
		struct errmsg *err)
{
	json_t *v = get_arg(args, name, NULL);

	*out = NULL;
	if (!v)
		return absent(name, required, err);
	if (!json_is_string(v))
		return errmsg_set(err, EINVAL,
				  "argument '%s' must be a string, not %s",
				  name, json_type_name(v));
	*out = json_string_value(v);
	return 0;
}

int api_args_only(json_t *args, const char *const allowed[], struct errmsg *err)
{
	const char *key;
	json_t *v;
	char list[256];
	size_t off;
	int i;

	if (!args)
		return 0;
	if (!json_is_object(args))
		return errmsg_set(err, EINVAL,
				  "arguments must be a JSON object");
	json_object_foreach(args, key, v)
	{
		bool ok = false;

		for (i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				ok = true;
		if (ok)
			continue;
		if (!allowed[0])
			return errmsg_set(
				err, EINVAL,
				"unknown argument '%.64s': this command takes none",
				key);
		/* Listing the valid names turns a typo into a quick fix. */
		list[0] = '\0';
		off = 0;
		for (i = 0; allowed[i] && off < sizeof(list); i++)
			off += snprintf(list + off, sizeof(list) - off, "%s%s",
					i ? ", " : "", allowed[i]);
		return errmsg_set(
			err, EINVAL,
			"unknown argument '%.64s' (this command takes: %s)",
			key, list);
	}
	return 0;
}

json_t *api_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}
