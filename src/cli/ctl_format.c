// SPDX-License-Identifier: GPL-2.0
/*
 * Human-readable output for `kvmscope ctl`, one formatter per command.
 * Formatters read replies defensively: a missing or oddly typed member
 * makes a formatter give up (return -1) and the reply is shown as JSON
 * instead, so a newer server never produces misleading tables.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "api/commands.h"
#include "cli/ctl_format.h"
#include "util/base64.h"

void ctl_print_json(FILE *out, json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (text) {
		fprintf(out, "%s\n", text);
		free(text);
	}
}

/* A 64-bit value sent as a JSON integer or as a "0x..."/decimal string. */
static bool as_u64(json_t *v, uint64_t *out)
{
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return !errno && !*end;
}

static bool get_u64(json_t *o, const char *key, uint64_t *out)
{
	return as_u64(json_object_get(o, key), out);
}

/* get_u64 or 0: for members that only decorate a line. */
static uint64_t u64_or0(json_t *o, const char *key)
{
	uint64_t v = 0;

	get_u64(o, key, &v);
	return v;
}

static const char *get_str(json_t *o, const char *key, const char *def)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

static long long get_int(json_t *o, const char *key, long long def)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

static bool get_bool(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/* One value on one line: strings bare, arrays space-separated, objects as
 * key=value pairs with true booleans shown by name only. */
static void print_value(FILE *out, json_t *v)
{
	const char *key;
	json_t *m;
	size_t i;
	bool first = true;

	switch (json_typeof(v)) {
	case JSON_STRING:
		fputs(json_string_value(v), out);
		break;
	case JSON_INTEGER:
		fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		fprintf(out, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		fputs("yes", out);
		break;
	case JSON_FALSE:
		fputs("no", out);
		break;
	case JSON_NULL:
		fputs("-", out);
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, m)
		{
			if (i)
				fputc(' ', out);
			print_value(out, m);
		}
		break;
	case JSON_OBJECT:
		json_object_foreach(v, key, m)
		{
			if (json_is_false(m) || json_is_null(m))
				continue;
			fprintf(out, "%s%s", first ? "" : " ", key);
			if (!json_is_true(m)) {
				fputc('=', out);
				print_value(out, m);
			}
			first = false;
		}
		if (first)
			fputs("-", out);
		break;
	}
}

static void human_size(char *buf, size_t size, uint64_t v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (u < 4 && v >= 1024 && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	snprintf(buf, size, "%" PRIu64 " %s", v, units[u]);
}

/* "4K", "2M", "1G": page sizes in a narrow column. */
static void short_size(char *buf, size_t size, uint64_t v)
{
	static const char units[] = "BKMGT";
	int u = 0;

	while (u < 4 && v >= 1024 && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	snprintf(buf, size, "%" PRIu64 "%c", v, units[u]);
}

/* ---- lifecycle ---- */

/*
 * "VM status: paused", then for a dead guest kept for inspection what
 * killed it and what still works, then who holds the vCPUs stopped.
 */
static int fmt_status(FILE *out, json_t *r)
{
	const char *s = get_str(r, "status", NULL);
	json_t *fatal = json_object_get(r, "fatal"), *held;
	long long cpu;

	if (!s)
		return -1;
	fprintf(out, "VM status: %s\n", s);
	if (json_is_object(fatal)) {
		fprintf(out, "%s: %s (%s, status %lld)", s,
			get_str(fatal, "why", "the guest died"),
			get_str(fatal, "reason", "?"),
			get_int(fatal, "status", -1));
		cpu = get_int(fatal, "cpu", -1);
		if (cpu >= 0)
			fprintf(out, " on cpu %lld", cpu);
		fputs("; inspection works, quit to end\n", out);
	}
	held = json_object_get(r, "held-by");
	if (json_is_array(held) && json_array_size(held)) {
		fputs("held by: ", out);
		print_value(out, held);
		fputc('\n', out);
	}
	return 0;
}

static int fmt_version(FILE *out, json_t *r)
{
	const char *v =
		get_str(json_object_get(r, "kvmscope"), "version", NULL);

	if (!v)
		return -1;
	fprintf(out, "kvmscope %s\n", v);
	return 0;
}

static int fmt_commands(FILE *out, json_t *r)
{
	const struct api_command *c;
	const char *name;
	json_t *m;
	size_t i;

	if (!json_is_array(r))
		return -1;
	json_array_foreach(r, i, m)
	{
		name = get_str(m, "name", NULL);
		if (!name)
			return -1;
		c = api_command_find(name);
		fprintf(out, "%-18s %s\n", name, c ? c->args_help : "");
	}
	return 0;
}

/* ---- vCPU state ---- */

static int fmt_cpus(FILE *out, json_t *r)
{
	json_t *m;
	size_t i;

	if (!json_is_array(r))
		return -1;
	fprintf(out, "%-4s %-8s %-13s %-10s %-4s %-3s %s\n", "CPU", "THREAD",
		"STATE", "MODE", "BITS", "CPL", "PAGING");
	json_array_foreach(r, i, m)
	{
		fprintf(out, "%-4lld %-8lld %-13s %-10s %-4lld %-3lld %s\n",
			get_int(m, "cpu-index", -1),
			get_int(m, "thread-id", -1), get_str(m, "state", "?"),
			get_str(m, "mode", "?"), get_int(m, "bits", 0),
			get_int(m, "cpl", -1), get_str(m, "paging", "?"));
	}
	return 0;
}

static void print_flags(FILE *out, json_t *o)
{
	json_t *flags = json_object_get(o, "flags");

	if (json_is_array(flags) && json_array_size(flags)) {
		fputs(" [", out);
		print_value(out, flags);
		fputc(']', out);
	}
}

static void print_segment(FILE *out, const char *label, json_t *seg)
{
	static const char *const bits[] = { "present", "s",   "l",	 "db",
					    "g",       "avl", "unusable" };
	static const char *const shown[] = { "P", "S",	 "L",	    "DB",
					     "G", "AVL", "unusable" };
	size_t i;

	if (!json_is_object(seg))
		return;
	fprintf(out,
		"%-3s=%04" PRIx64 " %016" PRIx64 " %08" PRIx64
		" type=%llx DPL=%lld",
		label, u64_or0(seg, "selector"), u64_or0(seg, "base"),
		u64_or0(seg, "limit"), get_int(seg, "type", 0),
		get_int(seg, "dpl", 0));
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (get_bool(seg, bits[i]))
			fprintf(out, " %s", shown[i]);
	fputc('\n', out);
}

static void print_event(FILE *out, const char *label, json_t *e)
{
	if (!json_is_object(e))
		return;
	fprintf(out, "  %-9s ", label);
	if (!get_bool(e, "injected") && !get_bool(e, "pending"))
		fputs("none", out);
	else
		print_value(out, e);
	fputc('\n', out);
}

/*
 * Laid out like QEMU's `info registers`: GPRs four per line, then RIP and
 * flags, segments, descriptor tables, control registers with their set
 * flags named, debug registers, MSR-held bases, and pending events.
 */
static int fmt_registers(FILE *out, json_t *r)
{
	static const char *const gprs[] = {
		"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
		"r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
	};
	static const char *const segs[] = { "es", "cs", "ss",  "ds",
					    "fs", "gs", "ldt", "tr" };
	static const char *const drs[] = { "dr0", "dr1", "dr2",
					   "dr3", "dr6", "dr7" };
	json_t *g = json_object_get(r, "gprs"), *o;
	char label[8];
	uint64_t v;
	size_t i;

	if (!json_is_object(g) || !get_u64(r, "rip", &v))
		return -1;
	fprintf(out, "CPU %lld: %s mode, CPL %lld, paging %s\n",
		get_int(r, "cpu", -1), get_str(r, "mode", "?"),
		get_int(r, "cpl", -1), get_str(r, "paging", "?"));
	for (i = 0; i < 16; i++) {
		size_t j;

		snprintf(label, sizeof(label), "%s", gprs[i]);
		for (j = 0; label[j]; j++)
			label[j] = toupper((unsigned char)label[j]);
		fprintf(out, "%-3s=%016" PRIx64 "%s", label,
			u64_or0(g, gprs[i]), i % 4 == 3 ? "\n" : " ");
	}
	o = json_object_get(r, "rflags");
	fprintf(out, "RIP=%016" PRIx64 "%s%s%s RFL=%08" PRIx64, v,
		get_str(r, "rip-symbol", NULL) ? " <" : "",
		get_str(r, "rip-symbol", ""),
		get_str(r, "rip-symbol", NULL) ? ">" : "", u64_or0(o, "value"));
	print_flags(out, o);
	fprintf(out, " IOPL=%lld\n", get_int(o, "iopl", 0));

	o = json_object_get(r, "segments");
	for (i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		size_t j;

		snprintf(label, sizeof(label), "%s", segs[i]);
		for (j = 0; label[j]; j++)
			label[j] = toupper((unsigned char)label[j]);
		print_segment(out, label, json_object_get(o, segs[i]));
	}
	o = json_object_get(r, "gdtr");
	fprintf(out, "GDT=     %016" PRIx64 " %08" PRIx64 "\n",
		u64_or0(o, "base"), u64_or0(o, "limit"));
	o = json_object_get(r, "idtr");
	fprintf(out, "IDT=     %016" PRIx64 " %08" PRIx64 "\n",
		u64_or0(o, "base"), u64_or0(o, "limit"));

	o = json_object_get(r, "cr0");
	fprintf(out, "CR0=%016" PRIx64, u64_or0(o, "value"));
	print_flags(out, o);
	fprintf(out, "\nCR2=%016" PRIx64 "\n", u64_or0(r, "cr2"));
	o = json_object_get(r, "cr3");
	fprintf(out,
		"CR3=%016" PRIx64 " (tables at 0x%" PRIx64 ", PCID %lld)\n",
		u64_or0(o, "value"), u64_or0(o, "pml_gpa"),
		get_int(o, "pcid", 0));
	o = json_object_get(r, "cr4");
	fprintf(out, "CR4=%016" PRIx64, u64_or0(o, "value"));
	print_flags(out, o);
	fprintf(out, "\nCR8=%016" PRIx64 "\n", u64_or0(r, "cr8"));
	o = json_object_get(r, "efer");
	fprintf(out, "EFER=%016" PRIx64, u64_or0(o, "value"));
	print_flags(out, o);
	fputc('\n', out);

	o = json_object_get(r, "dr");
	for (i = 0; i < 6; i++)
		fprintf(out, "%c%c%c=%016" PRIx64 "%s",
			toupper((unsigned char)drs[i][0]),
			toupper((unsigned char)drs[i][1]), drs[i][2],
			u64_or0(o, drs[i]), i == 3 || i == 5 ? "\n" : " ");

	o = json_object_get(r, "apic_base");
	fprintf(out, "APIC_BASE=%016" PRIx64 " address=0x%" PRIx64 "%s%s%s\n",
		u64_or0(o, "value"), u64_or0(o, "address"),
		get_bool(o, "bsp") ? " BSP" : "",
		get_bool(o, "enabled") ? " enabled" : " disabled",
		get_bool(o, "x2apic") ? " x2APIC" : "");
	fputs("FS_BASE=", out);
	print_value(out, json_object_get(r, "fs_base"));
	fputs(" GS_BASE=", out);
	print_value(out, json_object_get(r, "gs_base"));
	fputs(" KERNEL_GS_BASE=", out);
	print_value(out, json_object_get(r, "kernel_gs_base"));
	fputc('\n', out);

	o = json_object_get(r, "events");
	if (json_is_object(o)) {
		fputs("events:\n", out);
		print_event(out, "exception", json_object_get(o, "exception"));
		print_event(out, "interrupt", json_object_get(o, "interrupt"));
		print_event(out, "nmi", json_object_get(o, "nmi"));
	}
	return 0;
}

static int fmt_msrs(FILE *out, json_t *r)
{
	json_t *list = json_object_get(r, "msrs"), *m;
	size_t i;

	if (!json_is_array(list))
		return -1;
	fprintf(out, "%-10s %-28s %s\n", "INDEX", "NAME", "VALUE");
	json_array_foreach(list, i, m)
		fprintf(out, "0x%08" PRIx64 " %-28s 0x%016" PRIx64 "\n",
			u64_or0(m, "index"), get_str(m, "name", "-"),
			u64_or0(m, "value"));
	return 0;
}

static int fmt_lapic(FILE *out, json_t *r)
{
	static const char *const plain[] = { "id",  "version", "tpr", "ppr",
					     "ldr", "dfr",     "esr" };
	static const char *const vecs[] = { "isr", "irr", "tmr" };
	json_t *lvt = json_object_get(r, "lvt"), *m;
	const char *key;
	size_t i;

	if (!json_is_object(lvt))
		return -1;
	fprintf(out, "CPU %lld local APIC:", get_int(r, "cpu", -1));
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		fprintf(out, " %s=", plain[i]);
		print_value(out, json_object_get(r, plain[i]));
	}
	fputs("\nsvr:     ", out);
	print_value(out, json_object_get(r, "svr"));
	for (i = 0; i < 3; i++) {
		fprintf(out, "\n%s:     ", vecs[i]);
		m = json_object_get(r, vecs[i]);
		if (json_is_array(m) && !json_array_size(m))
			fputs("(none)", out);
		else
			print_value(out, m);
	}
	fputs("\nicr:     ", out);
	print_value(out, json_object_get(r, "icr"));
	fputc('\n', out);
	json_object_foreach(lvt, key, m)
	{
		fprintf(out, "lvt %-8s ", key);
		print_value(out, m);
		fputc('\n', out);
	}
	fputs("timer:   ", out);
	print_value(out, json_object_get(r, "timer"));
	fputc('\n', out);
	return 0;
}

/* ---- memory map ---- */

static int fmt_memslots(FILE *out, json_t *r)
{
	char size[32];
	json_t *m;
	size_t i;

	if (!json_is_array(r))
		return -1;
	fprintf(out, "%-4s %-18s %-18s %-10s %-18s %s\n", "SLOT", "GPA_START",
		"GPA_END", "SIZE", "HVA", "FLAGS");
	json_array_foreach(r, i, m)
	{
		human_size(size, sizeof(size), u64_or0(m, "size"));
		fprintf(out,
			"%-4lld 0x%016" PRIx64 " 0x%016" PRIx64
			" %-10s 0x%016" PRIx64 " ",
			get_int(m, "slot", -1), u64_or0(m, "gpa_start"),
			u64_or0(m, "gpa_end"), size, u64_or0(m, "hva"));
		m = json_object_get(m, "flags");
		if (json_is_array(m) && json_array_size(m))
			print_value(out, m);
		else
			fputc('-', out);
		fputc('\n', out);
	}
	return 0;
}

static int fmt_gpa2hva(FILE *out, json_t *r)
{
	const char *gpa = get_str(r, "gpa", NULL),
		   *hva = get_str(r, "hva", NULL);

	if (!gpa || !hva)
		return -1;
	fprintf(out, "gpa %s -> hva %s (slot %lld)\n", gpa, hva,
		get_int(r, "slot", -1));
	return 0;
}

static int fmt_gpa2hpa(FILE *out, json_t *r)
{
	const char *gpa = get_str(r, "gpa", NULL), *note;

	if (!gpa)
		return -1;
	fprintf(out, "gpa %s -> hva %s -> hpa %s", gpa, get_str(r, "hva", "?"),
		get_str(r, "hpa", "unknown"));
	if (!get_bool(r, "resident"))
		fputs(" (not resident)", out);
	note = get_str(r, "note", NULL);
	if (note && *note)
		fprintf(out, "\n  %s", note);
	fputc('\n', out);
	return 0;
}

/* ---- paging ---- */

static int fmt_translate(FILE *out, json_t *r)
{
	json_t *steps = json_object_get(r, "steps"), *m, *k;
	const char *status = get_str(r, "status", NULL), *s;
	char size[32];
	size_t i;

	if (!status || !json_is_array(steps))
		return -1;
	fprintf(out, "CPU %lld, %s paging, CR3 %s: gva %s\n",
		get_int(r, "cpu", -1), get_str(r, "paging", "?"),
		get_str(r, "cr3", "?"), get_str(r, "gva", "?"));
	if (json_array_size(steps))
		fprintf(out, "%-5s %-6s %-18s %-5s %-18s %-18s %s\n", "LEVEL",
			"NAME", "TABLE_GPA", "INDEX", "ENTRY_GPA", "ENTRY",
			"FLAGS");
	json_array_foreach(steps, i, m)
		fprintf(out,
			"%-5lld %-6s 0x%016" PRIx64 " %-5lld 0x%016" PRIx64
			" 0x%016" PRIx64 " %s\n",
			get_int(m, "level", 0), get_str(m, "name", "?"),
			u64_or0(m, "table_gpa"), get_int(m, "index", 0),
			u64_or0(m, "entry_gpa"), u64_or0(m, "entry"),
			get_str(m, "flags", ""));
	if (!strcmp(status, "ok")) {
		m = json_object_get(r, "permissions");
		human_size(size, sizeof(size), u64_or0(r, "page_size"));
		fprintf(out, "-> gpa %s (%s page, %s%s%s)\n",
			get_str(r, "gpa", "?"), size,
			get_bool(m, "write") ? "writable" : "read-only",
			get_bool(m, "user") ? ", user" : ", supervisor",
			get_bool(m, "execute") ? ", executable" :
						 ", no-execute");
	} else {
		fprintf(out, "-> %s: %s\n", status, get_str(r, "reason", ""));
	}
	k = json_object_get(r, "kvm_translate");
	if (json_is_object(k)) {
		fputs("KVM_TRANSLATE: ", out);
		if (get_bool(k, "valid"))
			fprintf(out, "gpa %s%s%s", get_str(k, "gpa", "?"),
				get_bool(k, "writeable") ? ", writable" : "",
				get_bool(k, "usermode") ? ", user" : "");
		else
			fputs("not valid", out);
		fputs(get_bool(r, "agrees") ? " (agrees)\n" : " (DISAGREES)\n",
		      out);
		s = get_str(r, "disagreement", NULL);
		if (s)
			fprintf(out, "  %s\n", s);
	}
	return 0;
}

static int fmt_mappings(FILE *out, json_t *r)
{
	json_t *list = json_object_get(r, "mappings"), *m;
	char size[32], page[32];
	size_t i;

	if (!json_is_array(list))
		return -1;
	fprintf(out, "%-18s %-18s %-18s %-10s %-5s %s\n", "VA_START", "VA_END",
		"PA_START", "SIZE", "PAGE", "PERM");
	json_array_foreach(list, i, m)
	{
		human_size(size, sizeof(size), u64_or0(m, "size"));
		short_size(page, sizeof(page), u64_or0(m, "page_size"));
		fprintf(out,
			"0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64
			" %-10s %-5s r%c%c %s\n",
			u64_or0(m, "va_start"), u64_or0(m, "va_end"),
			u64_or0(m, "pa_start"), size, page,
			get_bool(m, "write") ? 'w' : '-',
			get_bool(m, "execute") ? 'x' : '-',
			get_bool(m, "user") ? "user" : "supervisor");
	}
	fprintf(out, "%zu ranges, %lld page table entries visited%s\n",
		json_array_size(list), get_int(r, "entries_visited", 0),
		get_bool(r, "truncated") ? " (truncated: raise max=)" : "");
	return 0;
}

/* ---- memory contents ---- */

void ctl_hexdump(FILE *out, uint64_t addr, const uint8_t *data, size_t len)
{
	bool starred = false;
	size_t off, i;

	for (off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;

		/* A line like the previous full one: "*", as hexdump -C does. */
		if (off && n == 16 &&
		    !memcmp(data + off, data + off - 16, 16)) {
			if (!starred)
				fputs("*\n", out);
			starred = true;
			continue;
		}
		starred = false;
		fprintf(out, "%016" PRIx64 ": ", addr + off);
		for (i = 0; i < 16; i++) {
			if (i < n)
				fprintf(out, "%02x ", data[off + i]);
			else
				fputs("   ", out);
			if (i == 7)
				fputc(' ', out);
		}
		fputs(" |", out);
		for (i = 0; i < n; i++)
			fputc(isprint(data[off + i]) ? data[off + i] : '.',
			      out);
		fputs("|\n", out);
	}
	if (starred)
		fprintf(out, "%016" PRIx64 "\n", addr + len);
}

static int fmt_read_memory(FILE *out, json_t *r)
{
	const char *data = get_str(r, "data", NULL);
	struct errmsg err;
	uint8_t *buf;
	uint64_t addr;
	size_t n;

	if (!data || !get_u64(r, "addr", &addr))
		return -1;
	if (base64_decode(data, strlen(data), SIZE_MAX, "data", &buf, &n, &err))
		return -1;
	ctl_hexdump(out, addr, buf, n);
	free(buf);
	return 0;
}

static int fmt_write_memory(FILE *out, json_t *r)
{
	long long n = get_int(r, "written", -1);

	if (n < 0)
		return -1;
	fprintf(out, "wrote %lld byte%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* human-monitor-command: the text, as it is. */
static int fmt_hmp(FILE *out, json_t *r)
{
	if (!json_is_string(r))
		return -1;
	fwrite(json_string_value(r), 1, json_string_length(r), out);
	return 0;
}

static int fmt_search(FILE *out, json_t *r)
{
	json_t *list = json_object_get(r, "matches"), *m, *gvas;
	json_t *secs = json_object_get(r, "seconds");
	char size[32];
	size_t i;

	if (!json_is_array(list))
		return -1;
	json_array_foreach(list, i, m)
	{
		fputs(get_str(m, "gpa", "?"), out);
		gvas = json_object_get(m, "gvas");
		if (json_is_array(gvas)) {
			fputs(json_array_size(gvas) ? "  gva " :
						      "  (not mapped)",
			      out);
			print_value(out, gvas);
		}
		fputc('\n', out);
	}
	human_size(size, sizeof(size), u64_or0(r, "bytes_searched"));
	fprintf(out, "%lld match%s in %s, %.3f s%s\n", get_int(r, "count", 0),
		get_int(r, "count", 0) == 1 ? "" : "es", size,
		json_is_number(secs) ? json_number_value(secs) : 0.0,
		get_bool(r, "truncated") ? " (truncated: raise max=)" : "");
	return 0;
}

static const struct {
	const char *command;
	int (*fn)(FILE *out, json_t *ret);
} formatters[] = {
	{ "query-status", fmt_status },
	{ "query-version", fmt_version },
	{ "query-commands", fmt_commands },
	{ "human-monitor-command", fmt_hmp },
	{ "query-cpus-fast", fmt_cpus },
	{ "query-registers", fmt_registers },
	{ "query-msrs", fmt_msrs },
	{ "query-lapic", fmt_lapic },
	{ "query-pci", ctl_fmt_query_pci },
	{ "query-block", ctl_fmt_query_block },
	{ "query-memslots", fmt_memslots },
	{ "gpa2hva", fmt_gpa2hva },
	{ "gpa2hpa", fmt_gpa2hpa },
	{ "translate", fmt_translate },
	{ "query-mappings", fmt_mappings },
	{ "read-memory", fmt_read_memory },
	{ "write-memory", fmt_write_memory },
	{ "search-memory", fmt_search },
	{ "trace-kvm", ctl_fmt_trace_kvm },
	{ "query-trace-kvm", ctl_fmt_query_trace_kvm },
	{ "profile-start", ctl_fmt_profile_start },
	{ "profile-stop", ctl_fmt_profile_stop },
	{ "stats-report", ctl_fmt_stats_report },
	{ "query-stats", ctl_fmt_query_stats },
	{ "query-stats-schemas", ctl_fmt_query_stats_schemas },
	{ "query-guest-kernel", ctl_fmt_query_guest_kernel },
	{ "query-symbol", ctl_fmt_query_symbol },
	{ "guest-dmesg", ctl_fmt_guest_dmesg },
	{ "guest-ps", ctl_fmt_guest_ps },
	{ "guest-backtrace", ctl_fmt_guest_backtrace },
	{ "read-struct", ctl_fmt_read_struct },
	{ "read-symbol", ctl_fmt_read_symbol },
};

void ctl_format(FILE *out, const char *command, json_t *ret)
{
	char *text = NULL;
	size_t i, len = 0;
	FILE *mem;
	int r = -1;

	/* {} is "done": stop, cont, quit say nothing, like shell tools. */
	if (json_is_object(ret) && !json_object_size(ret))
		return;
	for (i = 0; i < sizeof(formatters) / sizeof(formatters[0]); i++)
		if (!strcmp(formatters[i].command, command))
			break;
	if (i < sizeof(formatters) / sizeof(formatters[0])) {
		/*
		 * Format into memory first: a formatter that gives up half-way
		 * must not leave half a table before the JSON.
		 */
		mem = open_memstream(&text, &len);
		if (mem) {
			r = formatters[i].fn(mem, ret);
			fclose(mem);
			if (!r)
				fwrite(text, 1, len, out);
			free(text);
		}
	}
	if (r)
		ctl_print_json(out, ret);
}
