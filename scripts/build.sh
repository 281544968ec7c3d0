#!/usr/bin/env bash
# Configures and builds the default tree (build/): library, CLI, tests,
# benchmarks. Extra arguments go to `cmake --build` (e.g. --target sexp_cli).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEXP_WERROR=ON \
  -DSEXP_BUILD_TOOLS=ON -DSEXP_BUILD_TESTS=ON -DSEXP_BUILD_BENCH=ON >/dev/null
cmake --build build "$@"
