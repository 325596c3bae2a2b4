#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Smoke-run every libFuzzer target built in a build directory:
#
#   tests/fuzz/run.sh <builddir> [seconds per target, default 10]
#
# Each fuzz_<name> starts from a fresh copy of tests/fuzz/seeds/<name>/ in
# <builddir>/fuzz-corpus/<name>/ (the source tree is never written) and
# runs for the given time. Crash, leak and timeout reproducers go to
# <builddir>/fuzz-artifacts/<name>/. The exit status is non-zero when any
# target failed or when no target was found.

set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 <builddir> [seconds]" >&2
	exit 2
fi
build=$1
seconds=${2:-10}
case $seconds in
'' | *[!0-9]*)
	echo "$0: seconds must be a whole number, not '$seconds'" >&2
	exit 2
	;;
esac

srcdir=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$build" ]; then
	echo "$0: build directory '$build' does not exist: run 'make fuzz' first" >&2
	exit 2
fi

# UBSan only reports by default; a report must fail the run.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS ASAN_OPTIONS

found=0
failed=""
for bin in "$build"/tests/fuzz/fuzz_*; do
	# Meson keeps object files in fuzz_<name>.p/ next to the binaries.
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	found=$((found + 1))
	name=${bin##*/fuzz_}
	corpus=$build/fuzz-corpus/$name
	artifacts=$build/fuzz-artifacts/$name
	log=$build/fuzz-artifacts/$name.log

	rm -rf "$corpus"
	mkdir -p "$corpus" "$artifacts"
	if [ -d "$srcdir/seeds/$name" ]; then
		cp "$srcdir/seeds/$name"/* "$corpus"/ 2>/dev/null
	else
		echo "fuzz_$name: no seeds in tests/fuzz/seeds/$name, starting empty"
	fi

	printf 'fuzz_%s: %ss ... ' "$name" "$seconds"
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" \
		"$corpus" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok (${execs:-?} runs)"
	else
		echo "FAILED (exit $rc)"
		# The report and the reproducer are what a developer needs.
		grep -E 'ERROR|runtime error|Test unit written|SUMMARY' "$log" |
			head -n 20 | sed 's/^/    /'
		echo "    full log: $log"
		failed="$failed fuzz_$name"
	fi
done

if [ $found -eq 0 ]; then
	echo "$0: no fuzz_* targets in $build/tests/fuzz: build them with 'make fuzz'" >&2
	exit 1
fi
if [ -n "$failed" ]; then
	echo "fuzz targets failed:$failed" >&2
	exit 1
fi
echo "all $found fuzz targets ran ${seconds}s without failures"
exit 0
