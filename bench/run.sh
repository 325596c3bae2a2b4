#!/usr/bin/env bash
# Run every benchmark against the given build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bench/exit-latency "$build"
bench/inspect "$build"
bench/boot "$build"
bench/profile-overhead "$build"
# virtio-blk/-net in the guest against QEMU and the host (its net part
# needs root and says so when skipped).
bench/virtio/run "$build"
