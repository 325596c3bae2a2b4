/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `kvmscope top`'s frame: what one refresh prints, from two samples of the
 * control socket's replies. Kept apart from the socket and the terminal so
 * a unit test renders it from canned JSON.
 */
#ifndef KVMSCOPE_CLI_TOP_FRAME_H
#define KVMSCOPE_CLI_TOP_FRAME_H

#include <jansson.h>
#include <stdio.h>

#define TOP_MAX_RIPS 64

struct symbols;

/* One sample: the replies (NULL when the command failed; *_err says why). */
struct top_sample {
	double t; /* seconds, CLOCK_MONOTONIC */
	json_t *status; /* query-status */
	json_t *cpus; /* query-cpus-fast */
	json_t *stats_vcpu; /* query-stats target=vcpu */
	json_t *stats_vm; /* query-stats target=vm */
	json_t *trace; /* query-trace-kvm, while trace-kvm is on */
	char stats_err[160];
};

/* RIPs sampled over the interval (query-registers), counted. */
struct top_rips {
	int nr, total;
	struct {
		unsigned long long rip;
		int cpu;
		int count;
	} r[TOP_MAX_RIPS];
	/* The last RIP seen per vCPU (for the vCPU table). */
	unsigned long long last[64];
	int have_last[64];
};

void top_rips_add(struct top_rips *rips, int cpu, unsigned long long rip);

/*
 * The frame for the interval prev -> cur (prev may be NULL: no rates yet).
 * sock names the socket in the title line; syms (may be NULL) names the
 * sampled RIPs.
 */
void top_render(FILE *out, const char *sock, const struct top_sample *prev,
		const struct top_sample *cur, const struct top_rips *rips,
		const struct symbols *syms);

void top_sample_free(struct top_sample *s);

#endif
