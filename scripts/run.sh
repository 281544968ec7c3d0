#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and run the main
# job: the sexp CLI over an example document, printing each expression's
# canonical form, content hash and CID.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh --target sexp_cli
doc=${1:-examples/hello.sx}
sexp=build/tools/sexp
"$sexp" check "$doc"
echo "== canonical form ($doc)"
"$sexp" canon "$doc"
echo "== sha3-256"
"$sexp" hash "$doc"
echo "== CIDv1"
"$sexp" hash --cid "$doc"
