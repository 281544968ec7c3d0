#!/usr/bin/env bash
# Runs the benchmark harness on the full feed (40000 activities, ~27 MB of sx
# and its JSON twin) and on two further shapes (a component-heavy page and a
# numeric table, ~16 MB each, bench/gen_shapes.py), and prints medians of 5
# repetitions, with the ratios to the named peers measured in the same run;
# then the evaluator, the renderer and the Python module (bench/*.py).
#   scripts/bench.sh [N_ACTIVITIES]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh --target bench_reader bench_render bench_sign bench_ap sexp_cli sexp_python
n=${1:-40000}
data=build/bench-data
mkdir -p "$data"
feed="$data/feed-$n"
[ -f "$feed.sx" ] || /usr/bin/python3 bench/gen_feed.py "$n" "$feed"
shapes="$data/shapes"
[ -f "$shapes-table.sx" ] || /usr/bin/python3 bench/gen_shapes.py "$shapes"
out="$data/bench_reader.json"
SEXP_BENCH_FEED="$feed.sx" SEXP_BENCH_FEED_JSON="$feed.json" \
SEXP_BENCH_PAGE="$shapes-page.sx" SEXP_BENCH_TABLE="$shapes-table.sx" \
  build/bench/bench_reader --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_out="$out" --benchmark_out_format=json
/usr/bin/python3 - "$out" "$feed.sx" "$shapes-page.sx" "$shapes-table.sx" <<'PY'
import json, os, sys
runs = {b["run_name"].split("/")[0]: b for b in json.load(open(sys.argv[1]))["benchmarks"]
        if b.get("aggregate_name") == "median"}
def rate(name):
    return runs[name]["bytes_per_second"] / 1e9
print("\nmedians of 5 (input %.1f MB of sx):" % (os.path.getsize(sys.argv[2]) / 1e6))
r, j = rate("BM_Read"), rate("BM_Simdjson_DOM")
print("  reader           %6.3f GB/s   %5.1f M nodes/s   AST %.2fx input" %
      (r, runs["BM_Read"]["nodes/s"] / 1e6, runs["BM_Read"]["ast_bytes/input"]))
print("  simdjson DOM     %6.3f GB/s   (JSON twin)   reader/simdjson = %.2f" % (j, r / j))
print("  canonical writer %6.3f GB/s of output   %5.1f M nodes/s" %
      (rate("BM_Canonical"), runs["BM_Canonical"]["nodes/s"] / 1e6))
h, s = rate("BM_HashNode"), rate("BM_Sha3_OpenSSL")
print("  HashNode         %6.3f GB/s   OpenSSL SHA3 alone %.3f GB/s   ratio = %.2f" % (h, s, h / s))
p = runs["BM_HashNode_vs_Sha3"]
print("  HashNode, SHA3 back to back: %.1f ms, %.1f ms   ratio = %.2f" %
      (p["hash_ms"], p["sha3_ms"], p["ratio"]))
for label, name, path in (("page", "Page", sys.argv[3]), ("table", "Table", sys.argv[4])):
    rd, wr = runs["BM_Read_" + name], runs["BM_Canonical_" + name]
    print("  %-5s (%4.1f MB)  reader %6.3f GB/s %6.1f M nodes/s   AST %.2fx   writer %6.3f GB/s %6.1f M nodes/s" %
          (label, os.path.getsize(path) / 1e6, rate("BM_Read_" + name), rd["nodes/s"] / 1e6,
           rd["ast_bytes/input"], rate("BM_Canonical_" + name), wr["nodes/s"] / 1e6))
PY

# The evaluator against Lua 5.4 and CPython on the same programs.
echo
/usr/bin/python3 bench/bench_eval.py build/tools/sexp 5

# The renderer against Jinja2 on the feed page.
echo
/usr/bin/python3 bench/bench_render.py build/bench/bench_render bench/jinja_page.py 5

# Signing and verifying against raw OpenSSL (issue 23).
echo
build/bench/bench_sign --runs 9 --seconds 0.2

# The ActivityStreams bridge against simdjson and Python's json (a
# Mastodon-style outbox of 10000 activities, ~17 MB).
echo
outbox="$data/outbox-10000.json"
[ -f "$outbox" ] || /usr/bin/python3 bench/gen_outbox.py -n 10000 "$outbox"
build/bench/bench_ap --runs 9 --seconds 0.3 "$outbox"

# The Python module: parse against json.loads and sexpdata, env.render
# against Jinja2 (same feed, same page).
echo
PYTHONPATH=build/python /usr/bin/python3 bench/bench_python.py "$feed" bench/jinja_page.py 5

# The native HTTP/1.1 host (`sexp host`) against the Python host (Quart on
# hypercorn) and nginx serving the same page pre-rendered, wrk at 1, 64 and
# 256 connections (issue 25; ~3 minutes).
echo
/usr/bin/python3 bench/bench_host.py --sexp build/tools/sexp --json "$data/bench_host.json"
