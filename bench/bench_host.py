#!/usr/bin/env python3
"""The host benchmark (issue 25): requests/s and p99 latency of resolved
pages of examples/host/site served by `sexp host` (the native HTTP/1.1 host),
beside the same page from the Python host (sexp.quart.Dispatcher,
examples/host/app.py, on hypercorn) and the page's pre-rendered HTML as a
static file from nginx, measured in the same run with wrk at 1, 64 and 256
keep-alive connections. Medians of --runs runs of --seconds each; the runs
are interleaved (server by server, repetition by repetition), so drift hits
all three alike.

  bench/bench_host.py [--sexp PATH] [--seconds S] [--runs N] [--quick] [--json OUT]

Pages:
  /about/  no backend: the main comparison.
  /        three resolver rounds against the blog backend. `sexp host` makes
           one HTTP POST per round to examples/host/backend.py (a Quart app on
           hypercorn, started here), so its figure includes that Python
           backend; the Python host answers the same queries in-process.

Targets (issue 25), per row: >= 10x hypercorn's req/s with a lower p99, and
within 2x of nginx serving the static page (req/s). A miss is printed, not
fatal; a server that does not start or a wrk run with errors (non-2xx
answers, socket errors) makes the exit status 1.

Every server gets one worker (thread or process) per core (--workers), and
shares this machine's cores with wrk (2 threads); the figures are for
loopback with both running. Debian's hypercorn (0.13) sends a response's
head and body in two writes without TCP_NODELAY, so on a single keep-alive
connection each answer waits ~40 ms for the client's delayed ACK: its
1-connection figures are that stall."""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"
PAGES = (("/about/", "no backend"), ("/", "3 backend rounds"))
SERVERS = ("sexp host", "hypercorn", "nginx")
LEVELS = (1, 64, 256)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


class Server:
    """A process in its own process group, stderr (and stdout) to a log file."""

    def __init__(self, name, cmd, log, **kw):
        self.name, self.log, self.port = name, log, None
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=open(log, "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True, **kw)

    def check(self):
        if self.proc.poll() is not None:
            raise Failure(f"{self.name} exited with status {self.proc.returncode}; "
                          f"its log ({self.log}):\n{tail(self.log)}")

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        # Workers left behind (hypercorn's, nginx's) share the group.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class Failure(Exception):
    pass


def get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def wait_ready(server, url, deadline=30.0):
    """Until GET url answers 200; returns the body."""
    end = time.monotonic() + deadline
    last = None
    while time.monotonic() < end:
        server.check()
        try:
            status, body = get(url, timeout=2.0)
            if status == 200:
                return body
            last = f"status {status}"
        except OSError as e:
            last = e
        time.sleep(0.1)
    raise Failure(f"{server.name}: no 200 from {url} within {deadline:g} s ({last}); "
                  f"its log ({server.log}):\n{tail(server.log)}")


def start_sexp_host(sexp, site, workers, tmp):
    s = Server("sexp host", [sexp, "host", site, "--http", "127.0.0.1:0",
                             "--workers", str(workers)], os.path.join(tmp, "sexp-host.log"))
    end = time.monotonic() + 30
    while time.monotonic() < end:
        s.check()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", tail(s.log))
        if m:
            s.port = int(m.group(1))
            return s
        time.sleep(0.05)
    raise Failure(f"sexp host printed no 'listening on' line; its log:\n{tail(s.log)}")


def start_hypercorn(name, app, workers, tmp, env):
    port = free_port()
    s = Server(name, [PYTHON, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}",
                      "--workers", str(workers), "--backlog", "1024", app],
               os.path.join(tmp, name.replace(" ", "-") + ".log"), cwd=ROOT, env=env)
    s.port = port
    return s


def start_nginx(tmp, docroot):
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off;
master_process on;
worker_processes auto;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  types {{ text/html html; }}
  default_type application/octet-stream;
  keepalive_requests 100000000;
  client_body_temp_path {tmp}/nginx-body;
  proxy_temp_path {tmp}/nginx-proxy;
  fastcgi_temp_path {tmp}/nginx-fastcgi;
  uwsgi_temp_path {tmp}/nginx-uwsgi;
  scgi_temp_path {tmp}/nginx-scgi;
  server {{
    listen 127.0.0.1:{port} backlog=1024;
    root {docroot};
    index index.html;
  }}
}}
""")
    s = Server("nginx", ["nginx", "-p", tmp, "-e", os.path.join(tmp, "error.log"), "-c", conf],
               os.path.join(tmp, "nginx.log"))
    s.port = port
    return s


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def wrk(url, conns, seconds):
    """One wrk run: {'rps', 'p99_ms', 'requests'}; Failure on errors."""
    cmd = ["wrk", f"-t{min(2, conns)}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s",
           "--latency", url]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise Failure(f"{' '.join(cmd)}: did not finish within {seconds + 60} s")
    out = r.stdout + r.stderr
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$", out, re.M)
    n = re.search(r"^\s+(\d+) requests in", out, re.M)
    problems = []
    if r.returncode != 0:
        problems.append(f"exit status {r.returncode}")
    if not (rps and p99 and n):
        problems.append("no Requests/sec, 99% or request count in its output")
    elif int(n.group(1)) == 0:
        problems.append("no request completed")
    for pat in (r"Non-2xx or 3xx responses:.*", r"Socket errors:.*"):
        m = re.search(pat, out)
        if m:
            problems.append(m.group(0).strip())
    if problems:
        raise Failure(f"{' '.join(cmd)}: {'; '.join(problems)}\n{out}")
    return {"rps": float(rps.group(1)), "p99_ms": float(p99.group(1)) * UNITS[p99.group(2)],
            "requests": int(n.group(1))}


def fmt_ms(ms):
    return f"{ms * 1e3:.0f}us" if ms < 1 else f"{ms:.2f}ms" if ms < 100 else f"{ms:.0f}ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sexp", default=os.path.join(ROOT, "build", "tools", "sexp"),
                    help="the sexp binary (default: build/tools/sexp)")
    ap.add_argument("--seconds", type=int, default=3,
                    help="wrk duration of a run, whole seconds (3)")
    ap.add_argument("--runs", type=int, default=3, help="runs per figure; medians (3)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="seconds of load on each server and page before measuring (1)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="threads of sexp host, processes of each hypercorn (cores)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run, ~40 s: 1 run of 2 s each, no warm-up")
    ap.add_argument("--json", metavar="OUT", help="write the runs and medians here")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.runs, args.warmup = 2, 1, 0
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"bench_host: {tool} not found (scripts/deps.sh installs it)")
    if not os.access(args.sexp, os.X_OK):
        sys.exit(f"bench_host: {args.sexp} is not an executable (build it: ninja -C build)")

    # SIGTERM (e.g. from timeout) unwinds through the finally below too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = tempfile.mkdtemp(prefix="bench-host-")
    os.chmod(tmp, 0o755)  # nginx's workers (user nobody when run as root) read the docroot
    servers, errors = [], []
    try:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [os.path.join(ROOT, "build", "python"), ROOT]
            + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
        backend = start_hypercorn("backend", "examples.host.backend:create_app()",
                                  args.workers, tmp, env)
        servers.append(backend)
        site = os.path.join(tmp, "site")
        shutil.copytree(os.path.join(ROOT, "examples", "host", "site"), site)
        services = os.path.join(site, "services.sx")
        with open(services) as f:
            text = f.read()
        text, n = re.subn(r'(:url\s+"http://127\.0\.0\.1:)\d+', rf"\g<1>{backend.port}", text)
        if n != 1:
            raise Failure(f"expected one :url \"http://127.0.0.1:PORT…\" in {services}, found {n}")
        with open(services, "w") as f:
            f.write(text)

        host = start_sexp_host(args.sexp, site, args.workers, tmp)
        servers.append(host)
        python = start_hypercorn("hypercorn", "examples.host.app:create_app()",
                                 args.workers, tmp, env)
        servers.append(python)
        # The backend answers only POSTs; wait for its port.
        end = time.monotonic() + 30
        while True:
            backend.check()
            try:
                socket.create_connection(("127.0.0.1", backend.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > end:
                    raise Failure(f"backend: port {backend.port} not open within 30 s; "
                                  f"its log:\n{tail(backend.log)}")
                time.sleep(0.1)

        # The pages as sexp host renders them: nginx's docroot; the Python host's
        # must be the same bytes.
        docroot = os.path.join(tmp, "www")
        sizes = {}
        for path, _ in PAGES:
            body = wait_ready(host, f"http://127.0.0.1:{host.port}{path}")
            theirs = wait_ready(python, f"http://127.0.0.1:{python.port}{path}", deadline=60)
            if theirs != body:
                print(f"warning: {path}: the Python host's page differs from sexp host's "
                      f"({len(theirs)} vs {len(body)} bytes)", file=sys.stderr)
            d = os.path.join(docroot, path.strip("/"))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "index.html"), "wb") as f:
                f.write(body)
            sizes[path] = len(body)
        os.chmod(docroot, 0o755)
        nginx = start_nginx(tmp, docroot)
        servers.append(nginx)
        for path, _ in PAGES:
            if wait_ready(nginx, f"http://127.0.0.1:{nginx.port}{path}") != \
                    open(os.path.join(docroot, path.strip("/"), "index.html"), "rb").read():
                raise Failure(f"nginx: {path} is not the pre-rendered page")
        by_name = {"sexp host": host, "hypercorn": python, "nginx": nginx}

        print(f"sexp host ({args.workers} threads), the Python host (sexp.quart.Dispatcher, "
              f"Quart on hypercorn, {args.workers} processes), nginx (worker_processes auto) "
              f"on the pre-rendered page; wrk, keep-alive; "
              f"{args.seconds:g} s per run, medians of {args.runs}; {os.cpu_count()} cores "
              f"shared by servers and wrk")
        print("  /  : sexp host calls the blog backend (Quart on hypercorn, "
              f"{args.workers} processes) over HTTP, one POST per round (3 rounds);")
        print("       the Python host answers the same queries in-process; nginx serves "
              "the page's HTML")
        print("  page sizes: " + ", ".join(f"{p} {sizes[p]} B" for p, _ in PAGES))
        print()
        head = (f"{'page':<8}{'conns':>5} | {'sexp host':>9} {'p99':>8} | {'hypercorn':>9} "
                f"{'p99':>8} | {'nginx':>9} {'p99':>8} | {'sexp/hc':>7} {'hc p99/sx':>9} "
                f"{'sx/nginx':>8} | targets: >=10x hc, p99 < hc, >= nginx/2")
        print(head)
        print("-" * len(head))
        results = []
        for path, what in PAGES:
            if args.warmup > 0:
                for name in SERVERS:
                    try:
                        wrk(f"http://127.0.0.1:{by_name[name].port}{path}", 64, args.warmup)
                    except Failure as e:
                        errors.append(f"warm-up, {name} {path}: {e}")
                    by_name[name].check()
            for conns in LEVELS:
                runs = {name: [] for name in SERVERS}
                for _ in range(args.runs):
                    for name in SERVERS:
                        url = f"http://127.0.0.1:{by_name[name].port}{path}"
                        try:
                            runs[name].append(wrk(url, conns, args.seconds))
                        except Failure as e:
                            errors.append(f"{name} {path} at {conns} connections: {e}")
                        by_name[name].check()
                med = {name: ({"rps": statistics.median(r["rps"] for r in v),
                               "p99_ms": statistics.median(r["p99_ms"] for r in v)}
                              if v else None) for name, v in runs.items()}
                s, h, g = med["sexp host"], med["hypercorn"], med["nginx"]
                row = {"page": path, "connections": conns, "runs": runs, "median": med}
                cells = []
                for m in (s, h, g):
                    cells.append(f"{m['rps']:>9.0f} {fmt_ms(m['p99_ms']):>8}" if m
                                 else f"{'ERR':>9} {'':>8}")
                line = f"{path:<8}{conns:>5} | " + " | ".join(cells) + " | "
                if s and h and g:
                    ratios = {"sexp/hypercorn rps": s["rps"] / h["rps"],
                              "hypercorn/sexp p99": h["p99_ms"] / s["p99_ms"],
                              "sexp/nginx rps": s["rps"] / g["rps"]}
                    targets = {"10x hypercorn rps": s["rps"] >= 10 * h["rps"],
                               "p99 below hypercorn": s["p99_ms"] < h["p99_ms"],
                               "within 2x of nginx": s["rps"] * 2 >= g["rps"]}
                    row.update(ratios=ratios, targets=targets)
                    mark = lambda ok: "PASS" if ok else "MISS"
                    line += (f"{ratios['sexp/hypercorn rps']:>6.1f}x "
                             f"{ratios['hypercorn/sexp p99']:>8.1f}x "
                             f"{ratios['sexp/nginx rps']:>7.2f}x | "
                             + " ".join(mark(ok) for ok in targets.values())
                             + ("  (with backend)" if path == "/" else ""))
                else:
                    line += "(a server's runs failed: see below)"
                print(line, flush=True)
                results.append(row)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"seconds": args.seconds, "runs": args.runs, "workers": args.workers,
                           "cores": os.cpu_count(), "page_bytes": sizes,
                           "notes": {"/": "sexp host calls the blog backend over HTTP "
                                          "(3 rounds); hypercorn answers in-process"},
                           "results": results, "errors": errors}, f, indent=1)
    except Failure as e:
        errors.append(str(e))
    finally:
        for s in reversed(servers):
            s.stop()
        if errors:
            print(f"\nbench_host: {len(errors)} error(s); server logs kept in {tmp}",
                  file=sys.stderr)
            for e in errors:
                print(f"--- {e}", file=sys.stderr)
            for s in servers:
                print(f"--- {s.name} log ({s.log}), last lines:\n{tail(s.log)}",
                      file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
