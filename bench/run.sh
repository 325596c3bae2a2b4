#!/usr/bin/env bash
# Run every benchmark against the given build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bench/exit-latency "$build"
bench/inspect "$build"
bench/boot "$build"
bench/profile-overhead "$build"
