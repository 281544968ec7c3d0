#!/usr/bin/env python3
"""The wire benchmark: requests/s and p50/p99 latency for one ~27 KB page
over sexpr:// (`sexp serve-quic`, QUIC on loopback) beside the same page over
HTTP/1.1 from a Quart app on hypercorn, measured in the same run, with 1, 10
and 100 requests in flight (QUIC: streams on one connection; HTTP/1.1: one
keep-alive connection each). The load generator is bench/bench_quic.cc.

  bench/bench_wire.py SEXP_BIN BENCH_QUIC [SECONDS] [REPEATS] [CONCURRENCY,...]

Server and load generator share this machine's cores; the figures are for
loopback with both running. Medians over REPEATS runs."""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_page(site, target=27_000):
    """The feed generator's first N activities, N the least giving >= target bytes."""
    gen = os.path.join(HERE, "gen_feed.py")
    n = 5
    while True:
        prefix = os.path.join(site, "gen")
        subprocess.run([sys.executable, gen, str(n), prefix], check=True, capture_output=True)
        size = os.path.getsize(prefix + ".sx")
        if size >= target:
            os.replace(prefix + ".sx", os.path.join(site, "feed.sx"))
            for ext in (".json",):
                if os.path.exists(prefix + ext):
                    os.remove(prefix + ext)
            return size
        n += 1


def load(bench_quic, kind, port, concurrency, seconds):
    r = subprocess.run([bench_quic, kind, "127.0.0.1", str(port), "/feed", str(concurrency),
                        str(seconds)], capture_output=True, text=True, timeout=seconds + 120)
    if r.returncode != 0:
        raise SystemExit(f"bench_quic {kind} failed: {r.stderr}{r.stdout}")
    return json.loads(r.stdout)


def main():
    sexp_bin, bench_quic = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    levels = [int(c) for c in sys.argv[5].split(",")] if len(sys.argv) > 5 else [1, 10, 100]
    with tempfile.TemporaryDirectory() as tmp:
        site = os.path.join(tmp, "site")
        os.mkdir(site)
        size = make_page(site)
        quic = subprocess.Popen([sexp_bin, "serve-quic", "--addr", "127.0.0.1:0", site],
                                stderr=subprocess.PIPE, text=True)
        http = None
        try:
            m = re.search(r":(\d+) ", quic.stderr.readline())
            quic_port = int(m.group(1))
            answer = subprocess.run([sexp_bin, "get", "--insecure",
                                     f"sexpr://127.0.0.1:{quic_port}/feed"],
                                    capture_output=True, check=True).stdout
            answer_file = os.path.join(tmp, "answer.sx")
            with open(answer_file, "wb") as f:
                f.write(answer)
            http_port = free_port()
            http = subprocess.Popen(
                [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{http_port}",
                 "--workers", "1", "wire_http_app:app"],
                cwd=HERE, env=dict(os.environ, SEXP_WIRE_ANSWER=answer_file),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", http_port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            print(f"page: {size} bytes of sx; answer {len(answer) - 1} bytes; "
                  f"{seconds:g} s per run, medians of {repeats}")
            print(f"{'in flight':>9} | {'sexpr:// QUIC req/s':>19} {'p50 us':>8} {'p99 us':>8} | "
                  f"{'HTTP/1.1 hypercorn req/s':>24} {'p50 us':>8} {'p99 us':>8} | ratio")
            for c in levels:
                runs = {"quic": [], "http": []}
                for _ in range(repeats):
                    for kind, port in (("quic", quic_port), ("http", http_port)):
                        runs[kind].append(load(bench_quic, kind, port, c, seconds))
                med = {k: {f: statistics.median(r[f] for r in v)
                           for f in ("rps", "p50_us", "p99_us")} for k, v in runs.items()}
                q, h = med["quic"], med["http"]
                print(f"{c:>9} | {q['rps']:>19.0f} {q['p50_us']:>8.0f} {q['p99_us']:>8.0f} | "
                      f"{h['rps']:>24.0f} {h['p50_us']:>8.0f} {h['p99_us']:>8.0f} | "
                      f"{q['rps'] / h['rps']:5.1f}x", flush=True)
        finally:
            quic.terminate()
            quic.wait(timeout=10)
            if http is not None:
                http.terminate()
                http.wait(timeout=10)


if __name__ == "__main__":
    main()
