#!/usr/bin/env bash
# The data-safety tests of virtio-blk, RUNS times in a row (default 20):
# SIGKILL of kvmscope in the middle of a stream of flushed writes (on
# io_uring and on worker threads), after a sync on ext4, and after an
# O_DIRECT + fsync write. Prints each run's result and the tally; the
# status is non-zero unless every run passed.
#
#   tests/data-safety.sh [RUNS]      (make check-data-safety RUNS=20)
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
python=${PYTHON:-/usr/bin/python3}
passed=0
for i in $(seq 1 "$runs"); do
	start=$(date +%s)
	if $python -m pytest -q -p no:cacheprovider \
		tests/integration/test_virtio_blk.py -k sigkill \
		> "/tmp/kvmscope-data-safety-$i.log" 2>&1; then
		passed=$((passed + 1))
		result=passed
	else
		result="FAILED (log: /tmp/kvmscope-data-safety-$i.log)"
	fi
	echo "run $i/$runs: $result in $(($(date +%s) - start)) s"
done
echo "data safety: $passed/$runs runs passed"
[ "$passed" -eq "$runs" ]
