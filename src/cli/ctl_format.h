/* SPDX-License-Identifier: GPL-2.0 */
/* `kvmscope ctl`: human-readable renderings of control command replies. */
#ifndef KVMSCOPE_CLI_CTL_FORMAT_H
#define KVMSCOPE_CLI_CTL_FORMAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A member of a reply object, for the formatters (NULL-safe). */
static inline json_int_t jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static inline const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static inline bool jtrue(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/*
 * Print a successful reply's "return" value for command. Commands without
 * a formatter, and replies whose shape a formatter does not recognise, are
 * printed as indented JSON, so nothing is ever hidden.
 */
void ctl_format(FILE *out, const char *command, json_t *ret);

/* Indented JSON followed by a newline. */
void ctl_print_json(FILE *out, json_t *v);

/* Classic 16-bytes-per-line hex + ASCII dump; repeated lines become "*". */
void ctl_hexdump(FILE *out, uint64_t addr, const uint8_t *data, size_t len);

/* Formatters of ctl_format_trace.c (0, or -1: show the JSON). */
int ctl_fmt_trace_kvm(FILE *out, json_t *ret);
int ctl_fmt_query_trace_kvm(FILE *out, json_t *ret);

/* profile-start, profile-stop, stats-report (ctl_format_profile.c). */
int ctl_fmt_profile_start(FILE *out, json_t *ret);
int ctl_fmt_profile_stop(FILE *out, json_t *ret);
int ctl_fmt_stats_report(FILE *out, json_t *ret);

/*
 * A histogram as text bars, one line per bucket from the first to the last
 * non-empty one. log2_ns: kvmscope's buckets (i: 2^i <= ns < 2^(i+1)),
 * labelled with their ranges; else labelled by index.
 */
void ctl_hist_bars(FILE *out, const char *indent, const uint64_t *buckets,
		   size_t n, bool log2_ns);

/* Formatters of ctl_format_stats.c (0, or -1: show the JSON). */
int ctl_fmt_query_stats(FILE *out, json_t *ret);
int ctl_fmt_query_stats_schemas(FILE *out, json_t *ret);

/* query-pci, query-block (ctl_format_pci.c). */
int ctl_fmt_query_pci(FILE *out, json_t *ret);
int ctl_fmt_query_block(FILE *out, json_t *ret);

/* query-guest-kernel, query-symbol (ctl_format_os.c). */
int ctl_fmt_query_guest_kernel(FILE *out, json_t *ret);
int ctl_fmt_query_symbol(FILE *out, json_t *ret);

/* guest-dmesg, guest-ps (ctl_format_guest.c). */
int ctl_fmt_guest_dmesg(FILE *out, json_t *ret);
int ctl_fmt_guest_ps(FILE *out, json_t *ret);
int ctl_fmt_guest_backtrace(FILE *out, json_t *ret);
int ctl_fmt_read_struct(FILE *out, json_t *ret);
int ctl_fmt_read_symbol(FILE *out, json_t *ret);

#endif
