// SPDX-License-Identifier: GPL-2.0
/*
 * cli/top_frame: `kvmscope top`'s frame from canned replies in the
 * query-stats contract (providers kvmscope and kvm), and without
 * query-stats (an older kvmscope).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/ctl_format.h"
#include "cli/top_frame.h"

static json_t *j(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (!v)
		fail_msg("bad JSON in test: %s", e.text);
	return v;
}

static const char *cpus =
	"[{\"cpu-index\": 0, \"thread-id\": 11, \"state\": \"running\","
	" \"mode\": \"long\", \"bits\": 64, \"cpl\": 0, \"paging\": \"4-level\"},"
	" {\"cpu-index\": 1, \"thread-id\": 12, \"state\": \"halted\","
	" \"mode\": \"long\", \"bits\": 64, \"cpl\": 0, \"paging\": \"4-level\"}]";

static char *vcpu_stats(int exits0, int io0, int guest0, int vmm0, int kvm0)
{
	char *s;

	if (asprintf(
		    &s,
		    "[{\"provider\": \"kvmscope\", \"qom-path\": \"/machine/unattached/device[0]\","
		    "  \"stats\": [{\"name\": \"exits\", \"value\": %d},"
		    "   {\"name\": \"guest-ns\", \"value\": %d},"
		    "   {\"name\": \"vmm-ns\", \"value\": %d},"
		    "   {\"name\": \"exit.io.count\", \"value\": %d},"
		    "   {\"name\": \"exit.io.latency-ns\", \"value\": [0,0,0,0,0,0,0,0,0,0,%d]},"
		    "   {\"name\": \"exit.hlt.count\", \"value\": 5}]},"
		    " {\"provider\": \"kvmscope\", \"qom-path\": \"/machine/unattached/device[1]\","
		    "  \"stats\": [{\"name\": \"exits\", \"value\": 7}]},"
		    " {\"provider\": \"kvm\", \"qom-path\": \"/machine/unattached/device[0]\","
		    "  \"stats\": [{\"name\": \"exits\", \"value\": %d},"
		    "   {\"name\": \"io_exits\", \"value\": %d},"
		    "   {\"name\": \"halt_exits\", \"value\": 1}]}]",
		    exits0, guest0, vmm0, io0, io0, kvm0, io0) < 0)
		return NULL;
	return s;
}

static char *render(const struct top_sample *a, const struct top_sample *b,
		    const struct top_rips *rips)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	top_render(f, "/tmp/s", a, b, rips, NULL);
	fclose(f);
	return buf;
}

static void test_frame(void **state)
{
	struct top_sample a = { 0 }, b = { 0 };
	struct top_rips rips = { 0 };
	char *s1 = vcpu_stats(1000, 900, 0, 0, 2000);
	char *s2 = vcpu_stats(3000, 2900, 300000000, 700000000, 5000);
	char *out;

	a.t = 10;
	b.t = 12; /* two seconds */
	a.status = j("{\"status\": \"running\", \"running\": true}");
	b.status = j("{\"status\": \"running\", \"running\": true}");
	a.cpus = j(cpus);
	b.cpus = j(cpus);
	a.stats_vcpu = j(s1);
	b.stats_vcpu = j(s2);
	a.stats_vm = j(
		"[{\"provider\": \"kvmscope\", \"stats\": ["
		"{\"name\": \"io.0x80.out.count\", \"value\": 100},"
		"{\"name\": \"io.0x3f8.out.count\", \"value\": 50},"
		"{\"name\": \"mmio.unclaimed.0xd0000000.count\", \"value\": 0}]}]");
	b.stats_vm = j(
		"[{\"provider\": \"kvmscope\", \"stats\": ["
		"{\"name\": \"io.0x80.out.count\", \"value\": 2100},"
		"{\"name\": \"io.0x3f8.out.count\", \"value\": 70},"
		"{\"name\": \"mmio.unclaimed.0xd0000000.count\", \"value\": 40}]}]");
	a.trace = j(
		"{\"enabled\": true, \"vcpus\": [{\"cpu\": 0, \"reasons\": ["
		"{\"name\": \"HLT\", \"count\": 10, \"timed\": 10, \"sum-ns\": 1000}],"
		" \"events\": {\"kvm_pio\": 50, \"kvm_msr\": 1}}]}");
	b.trace = j(
		"{\"enabled\": true, \"vcpus\": [{\"cpu\": 0, \"reasons\": ["
		"{\"name\": \"HLT\", \"count\": 30, \"timed\": 30, \"sum-ns\": 9000},"
		" {\"name\": \"CPUID\", \"count\": 4, \"timed\": 4, \"sum-ns\": 400}],"
		" \"events\": {\"kvm_pio\": 250, \"kvm_msr\": 1}}]}");
	top_rips_add(&rips, 0, 0x103104);
	top_rips_add(&rips, 0, 0x103104);
	top_rips_add(&rips, 0, 0x103106);
	top_rips_add(&rips, 1, 0xfff0);

	out = render(&a, &b, &rips);
	fputs(out, stderr);
	assert_non_null(strstr(out, "status: running  vCPUs: 2"));
	/* cpu 0: (3000 - 1000) / 2 s; 30% of its time in the guest. */
	assert_non_null(strstr(out, "\n0   running "));
	assert_non_null(strstr(out, "0x103106                 1000    30.0\n"));
	assert_non_null(strstr(out, "\n1   halted "));
	/* The reason list: io first, its average from the histogram. */
	assert_non_null(strstr(out, "exits/s by reason (kvmscope):\n  io "));
	assert_non_null(strstr(out, "1000/s  avg 1536 ns\n"));
	assert_non_null(strstr(out, "exits/s by reason (kvm):\n  io_exits "));
	assert_non_null(strstr(out, "top ports:\n  0x80 out "));
	assert_non_null(strstr(out, "  0x3f8 out "));
	assert_non_null(
		strstr(out, "top MMIO regions:\n  unclaimed 0xd0000000 "));
	assert_non_null(strstr(out, "hottest RIPs (4 samples):\n  0x103104 "));
	/* trace-kvm: HLT (30 - 10) / 2 s, avg (9000 - 1000) / 20 ns. */
	assert_non_null(strstr(
		out, "in-kernel exits/s by reason (trace-kvm):\n  HLT "));
	assert_non_null(strstr(out, "10/s  avg 400 ns\n  CPUID "));
	assert_non_null(strstr(out, "2/s  avg 100 ns\n"));
	assert_non_null(
		strstr(out, "in-kernel events/s (trace-kvm):\n  kvm_pio "));
	assert_null(strstr(out, "kvm_msr"));
	assert_non_null(strstr(out, "50.0%"));
	free(out);

	/* The first frame has no rates. */
	out = render(NULL, &b, &rips);
	assert_non_null(strstr(out, "first sample"));
	free(out);

	/* Without query-stats: said so, the rest still there. */
	json_decref(b.stats_vcpu);
	b.stats_vcpu = NULL;
	snprintf(b.stats_err, sizeof(b.stats_err),
		 "The command query-stats has not been found");
	out = render(&a, &b, &rips);
	assert_non_null(strstr(
		out,
		"query-stats: not available (The command query-stats has not been found)\n"));
	assert_non_null(strstr(out, "\n0   running "));
	free(out);

	top_sample_free(&a);
	top_sample_free(&b);
	free(s1);
	free(s2);
}

/* ctl's query-trace-kvm: the reason table and its histogram as bars. */
static void test_ctl_trace(void **state)
{
	json_t *r = j(
		"{\"enabled\": true, \"seconds\": 1.5, \"naming\": \"VMX\","
		" \"vcpus\": [{\"cpu\": 0, \"thread-id\": 42, \"exits\": 12,"
		" \"entries\": 12, \"lost\": 0, \"reasons\": [{\"name\": \"HLT\","
		" \"count\": 12, \"timed\": 12, \"sum-ns\": 30000, \"avg-ns\": 2500,"
		" \"max-ns\": 9000, \"histogram\": [0,0,0,0,0,0,0,0,0,0,0,4,8,0,0,0,"
		"0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}], \"events\": {\"kvm_msr\": 3,"
		" \"kvm_pio\": 0}}]}");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(ctl_fmt_query_trace_kvm(f, r), 0);
	fclose(f);
	fputs(buf, stderr);
	assert_non_null(strstr(buf, "vCPU 0 (thread 42): 12 exits"));
	assert_non_null(strstr(buf, "  HLT "));
	/* Buckets 11 (2048..4095 ns) and 12 (4096..8191): 4 and 8, drawn
	 * as query-stats' histograms are. */
	assert_non_null(strstr(buf, "2.05 us - 4.1 us |####################"
				    "                    | 4\n"));
	assert_non_null(
		strstr(buf, "4.1 us - 8.19 us |"
			    "########################################| 8\n"));
	assert_non_null(strstr(buf, "  events: kvm_msr 3\n"));
	free(buf);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_ctl_trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
