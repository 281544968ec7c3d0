#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, and run every test.
#   1. the default build (gcc, mimalloc): all ctest labels — unit, spec,
#      property, fault, hostile, oracle, cli, cmake, bench-smoke;
#   2. a clang build with AddressSanitizer + UndefinedBehaviorSanitizer: the
#      same C++ tests again, plus each libFuzzer target for a bounded time
#      (SEXP_FUZZ_SECONDS, default 60).
# `scripts/test.sh --fast` runs only step 1's fast labels (seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh

jobs=$(nproc 2>/dev/null || echo 2)
if [ "${1:-}" = "--fast" ]; then
  ctest --test-dir build --output-on-failure -j"$jobs" -L 'unit|spec|property|fault|hostile|layout'
  exit
fi
ctest --test-dir build --output-on-failure -j"$jobs"

CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSEXP_SANITIZE=address,undefined -DSEXP_USE_MIMALLOC=OFF -DSEXP_BUILD_FUZZ=ON \
  -DSEXP_BUILD_BENCH=OFF -DSEXP_FUZZ_SECONDS="${SEXP_FUZZ_SECONDS:-60}" >/dev/null
cmake --build build-asan
# Fuzzers take one core each; run them beside each other.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" \
    -L 'unit|spec|property|fault|hostile|layout|net|cli|fuzz'
