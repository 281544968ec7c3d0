#!/usr/bin/env python3
"""Renderer benchmark: the feed page (50 cards) rendered by libsexp and by
Jinja2 in one run, with the ratio of renders/s (target >= 50x) and MB/s of
HTML.

  bench_render.py BENCH_RENDER_BINARY JINJA_PAGE_PY [REPEATS]

The sx side is bench/html/feed_page.sx through sexp::RenderCall (median of
REPEATS Google Benchmark repetitions); the Jinja2 side is
bench/jinja_page.py (2 s of renders each run; median of REPEATS)."""
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    binary, jinja_py = sys.argv[1:3]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    env = dict(os.environ, SEXP_BENCH_PAGE_SX=os.path.join(HERE, "html", "feed_page.sx"))
    out = subprocess.run([binary, "--benchmark_format=json",
                          "--benchmark_repetitions=%d" % repeats,
                          "--benchmark_report_aggregates_only=true"],
                         check=True, capture_output=True, text=True, env=env).stdout
    runs = {b["aggregate_name"]: b for b in json.loads(out)["benchmarks"]
            if b.get("run_type") == "aggregate"}
    sx_rps = runs["median"]["renders/s"]
    sx_mbs = runs["median"]["bytes_per_second"] / 1e6
    sx_bytes = int(runs["median"]["html_bytes"])
    jinja = []
    for _ in range(repeats):
        line = subprocess.run(["/usr/bin/python3", jinja_py, "50"], check=True,
                              capture_output=True, text=True).stdout.split()
        fields = dict(zip(line[1::2], line[2::2]))  # "jinja2 bytes N renders_per_s R …"
        jinja.append((float(fields["renders_per_s"]), int(fields["bytes"])))
    j_rps = statistics.median(r for r, _ in jinja)
    j_bytes = jinja[0][1]
    print("feed page, 50 cards (medians of %d)" % repeats)
    print("  sx (RenderCall)  %9.0f renders/s  %7.1f us/render  %7.1f MB/s of HTML  (%d bytes)" %
          (sx_rps, 1e6 / sx_rps, sx_mbs, sx_bytes))
    print("  jinja2           %9.0f renders/s  %7.1f us/render  %7.1f MB/s of HTML  (%d bytes)" %
          (j_rps, 1e6 / j_rps, j_rps * j_bytes / 1e6, j_bytes))
    print("  sx / jinja2 = %.1fx renders/s   (target >= 50x)" % (sx_rps / j_rps))


if __name__ == "__main__":
    main()
