// SPDX-License-Identifier: GPL-2.0
/*
 * `kvmscope ctl` formatters of the guest-kernel commands: one line per
 * fact with the method it came from, and a symbol as "name+0xoff".
 */
#include <string.h>

#include "cli/ctl_format.h"

static const char *str_or(json_t *o, const char *key, const char *def)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

/* "  label   value   (method)" for a {"value", "method"} member. */
static int fact(FILE *out, json_t *r, const char *key, const char *label)
{
	json_t *f = json_object_get(r, key), *v;
	char num[32];
	const char *text;

	if (!json_is_object(f))
		return -1;
	v = json_object_get(f, "value");
	if (json_is_string(v)) {
		text = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
			 (long long)json_integer_value(v));
		text = num;
	} else {
		text = "-";
	}
	fprintf(out, "%-16s %-42s (%s)\n", label, text,
		str_or(f, "method", "?"));
	return 0;
}

int ctl_fmt_query_guest_kernel(FILE *out, json_t *r)
{
	json_t *vi = json_object_get(r, "vmcoreinfo");
	json_t *ks = json_object_get(r, "kallsyms");

	if (!json_is_object(vi) || !json_is_object(ks) ||
	    fact(out, r, "os-release", "os release") ||
	    fact(out, r, "build-id", "build id") ||
	    fact(out, r, "page-size", "page size") ||
	    fact(out, r, "kaslr-offset", "kaslr offset") ||
	    fact(out, r, "phys-base", "phys_base") ||
	    fact(out, r, "paging-levels", "paging levels"))
		return -1;
	if (json_is_string(json_object_get(vi, "gpa")))
		fprintf(out, "%-16s gpa %s (%s%s)\n", "vmcoreinfo",
			str_or(vi, "gpa", "?"), str_or(vi, "source", "?"),
			json_is_true(json_object_get(vi, "consistent")) ?
				", matches init_uts_ns" :
				", NOT confirmed by init_uts_ns");
	else
		fprintf(out, "%-16s none: %s\n", "vmcoreinfo",
			str_or(vi, "why", "?"));
	if (json_is_true(json_object_get(ks, "available")))
		fprintf(out, "%-16s %lld symbols (%s)\n", "kallsyms",
			(long long)json_integer_value(
				json_object_get(ks, "symbols")),
			str_or(ks, "method", "?"));
	else
		fprintf(out, "%-16s unavailable: %s\n", "kallsyms",
			str_or(ks, "error", "?"));
	fprintf(out, "%-16s %s\n", "page tables",
		str_or(r, "kernel-page-tables", "none"));
	if (json_is_string(json_object_get(r, "banner")))
		fprintf(out, "%-16s %s\n", "banner", str_or(r, "banner", ""));
	return 0;
}

int ctl_fmt_query_symbol(FILE *out, json_t *r)
{
	const char *text = str_or(r, "text", NULL);
	const char *addr = str_or(r, "addr", NULL);
	const char *type = str_or(r, "type", "?");
	json_t *size = json_object_get(r, "size");

	if (!text || !addr)
		return -1;
	fprintf(out, "%s %s %s", addr, type, text);
	if (json_is_string(size))
		fprintf(out, " (symbol at %s, size %s)",
			str_or(r, "address", "?"), json_string_value(size));
	if (json_integer_value(json_object_get(r, "count")) > 1)
		fprintf(out, " [%lld symbols of that name; the first shown]",
			(long long)json_integer_value(
				json_object_get(r, "count")));
	fprintf(out, "\n");
	return 0;
}
