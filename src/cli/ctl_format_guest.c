// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmscope ctl` renderings of the guest-OS views: guest-dmesg, guest-ps,
 * guest-backtrace, read-struct, read-symbol.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl_format.h"
#include "util/base64.h"

/* The records' lines, as dmesg prints them. */
int ctl_fmt_guest_dmesg(FILE *out, json_t *r)
{
	json_t *recs = json_object_get(r, "records"), *rec;
	size_t i;

	if (!json_is_array(recs))
		return -1;
	json_array_foreach(recs, i, rec)
	{
		json_t *line = json_object_get(rec, "line");

		if (!json_is_string(line))
			return -1;
		fprintf(out, "%s\n", json_string_value(line));
	}
	return 0;
}

static const char *hex_or_dash(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "-";
}

/* A ps-like table: one task per line, ">" marks a task a vCPU runs now. */
int ctl_fmt_guest_ps(FILE *out, json_t *r)
{
	json_t *tasks = json_object_get(r, "tasks"), *t;
	size_t i;

	if (!json_is_array(tasks))
		return -1;
	fprintf(out,
		"    PID   TGID   PPID ST CPU VCPU COMM             TASK               PGD\n");
	json_array_foreach(tasks, i, t)
	{
		json_t *cpu = json_object_get(t, "cpu");
		json_t *on = json_object_get(t, "running-on");
		const char *comm =
			json_string_value(json_object_get(t, "comm"));
		const char *st = json_string_value(json_object_get(t, "state"));
		char cpus[8] = "-", ons[8] = "-";

		if (!comm || !st)
			return -1;
		if (json_is_integer(cpu))
			snprintf(cpus, sizeof(cpus), "%lld",
				 (long long)json_integer_value(cpu));
		if (json_is_integer(on))
			snprintf(ons, sizeof(ons), "%lld",
				 (long long)json_integer_value(on));
		fprintf(out,
			"%c%6lld %6lld %6lld %-2s %3s %4s %-16s %-18s %s\n",
			json_is_integer(on) ? '>' : ' ',
			(long long)json_integer_value(
				json_object_get(t, "pid")),
			(long long)json_integer_value(
				json_object_get(t, "tgid")),
			(long long)json_integer_value(
				json_object_get(t, "ppid")),
			st, cpus, ons, comm,
			hex_or_dash(json_object_get(t, "task")),
			hex_or_dash(json_object_get(t, "pgd")));
	}
	if (json_is_string(json_object_get(r, "note")))
		fprintf(out, "note: %s\n",
			json_string_value(json_object_get(r, "note")));
	return 0;
}

/* What follows a frame's symbol: nothing for a call's return address. */
static const char *frame_note(json_t *f)
{
	const char *kind = json_string_value(json_object_get(f, "frame"));

	if (kind && !strcmp(kind, "pt_regs"))
		return "  (exception/interrupt frame: pt_regs)";
	if (kind && !strcmp(kind, "iret"))
		return "  (exception/interrupt frame: iret)";
	return "";
}

/*
 * " #0 0xffffffff81001234 name+0x1f", then which unwinder and why the
 * walk stopped.
 */
int ctl_fmt_guest_backtrace(FILE *out, json_t *r)
{
	json_t *frames = json_object_get(r, "frames"), *f;
	json_t *pid = json_object_get(r, "pid"),
	       *cpu = json_object_get(r, "cpu");
	const char *unwinder =
		json_string_value(json_object_get(r, "unwinder"));
	size_t i;

	if (!json_is_array(frames))
		return -1;
	if (json_is_integer(pid))
		fprintf(out, "pid %lld (%s)",
			(long long)json_integer_value(pid),
			json_string_value(json_object_get(r, "comm")) ?: "?");
	if (json_is_integer(cpu))
		fprintf(out, "%svCPU %lld", json_is_integer(pid) ? " on " : "",
			(long long)json_integer_value(cpu));
	fprintf(out, ":\n");
	json_array_foreach(frames, i, f)
	{
		json_t *sym = json_object_get(f, "symbol");

		fprintf(out, " #%-2zu %s %s%s\n", i,
			json_string_value(json_object_get(f, "pc")) ?: "?",
			json_is_string(sym) ? json_string_value(sym) : "?",
			frame_note(f));
	}
	if (json_is_string(json_object_get(r, "stop")))
		fprintf(out, "(%s unwinder; stopped at %s)\n", unwinder ?: "?",
			json_string_value(json_object_get(r, "stop")));
	if (json_is_string(json_object_get(r, "orc-error")))
		fprintf(out, "(ORC not used: %s)\n",
			json_string_value(json_object_get(r, "orc-error")));
	return 0;
}

static void print_fields(FILE *out, json_t *fields, int indent);

static void print_value(FILE *out, json_t *v, int indent)
{
	size_t i;
	json_t *e;
	bool members;

	if (json_is_string(v)) {
		fputs(json_string_value(v), out);
		return;
	}
	if (json_is_integer(v)) {
		fprintf(out, "%lld", (long long)json_integer_value(v));
		return;
	}
	if (json_is_boolean(v)) {
		fputs(json_is_true(v) ? "true" : "false", out);
		return;
	}
	if (!json_is_array(v)) {
		fputs("?", out);
		return;
	}
	/* A nested structure is an array of {name, ...}; else elements. */
	e = json_array_get(v, 0);
	members = json_is_object(e) && json_object_get(e, "name");
	if (members) {
		fputs("{\n", out);
		print_fields(out, v, indent + 2);
		fprintf(out, "%*s}", indent, "");
		return;
	}
	fputs("[", out);
	json_array_foreach(v, i, e)
	{
		fputs(i ? ", " : "", out);
		print_value(out, e, indent);
	}
	fputs("]", out);
}

static void print_fields(FILE *out, json_t *fields, int indent)
{
	size_t i;
	json_t *f;

	json_array_foreach(fields, i, f)
	{
		fprintf(out, "%*s[0x%llx] %s %s = ", indent, "",
			(long long)json_integer_value(
				json_object_get(f, "offset")),
			json_string_value(json_object_get(f, "type")) ?: "?",
			json_string_value(json_object_get(f, "name")) ?: "?");
		print_value(out, json_object_get(f, "value"), indent);
		fputc('\n', out);
	}
}

/* crash's `struct T ADDR`: members with offsets, nested ones indented. */
int ctl_fmt_read_struct(FILE *out, json_t *r)
{
	json_t *fields = json_object_get(r, "fields");
	const char *type = json_string_value(json_object_get(r, "type"));
	const char *addr = json_string_value(json_object_get(r, "addr"));

	if (!json_is_array(fields) || !type || !addr)
		return -1;
	fprintf(out, "%s at %s (%lld bytes)%s%s:\n", type, addr,
		(long long)json_integer_value(json_object_get(r, "size")),
		json_is_string(json_object_get(r, "symbol")) ? ", " : "",
		json_string_value(json_object_get(r, "symbol")) ?: "");
	print_fields(out, fields, 2);
	return 0;
}

/* A variable's bytes as a hex dump, or its members with type=. */
int ctl_fmt_read_symbol(FILE *out, json_t *r)
{
	const char *data = json_string_value(json_object_get(r, "data"));
	const char *addr = json_string_value(json_object_get(r, "addr"));
	struct errmsg err;
	uint8_t *buf;
	size_t n;

	if (json_object_get(r, "fields"))
		return ctl_fmt_read_struct(out, r);
	if (!data || !addr)
		return -1;
	if (base64_decode(data, strlen(data), SIZE_MAX, "data", &buf, &n, &err))
		return -1;
	fprintf(out, "%s at %s:\n",
		json_string_value(json_object_get(r, "name")) ?: "?", addr);
	ctl_hexdump(out, strtoull(addr, NULL, 16), buf, n);
	free(buf);
	return 0;
}
