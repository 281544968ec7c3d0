"""`sexp host` end to end (spec/host.md): the example site (examples/host)
served over HTTP/1.1 with its backend (a Quart app) on loopback, driven by
curl and by raw sockets; the same pages as the Python host
(sexp.quart.Dispatcher) byte for byte; abuse cases; SIGHUP and SIGTERM.

    SEXP_BIN=build/tools/sexp PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/host
"""
from __future__ import annotations

import asyncio
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEXP = os.environ.get("SEXP_BIN", str(ROOT / "build" / "tools" / "sexp"))
sys.path.insert(0, str(ROOT))

PAGES = ["/", "/posts/rounds/", "/posts/escaping/", "/posts/hello-sx/", "/about/",
         "/search/?q=sx", "/search/", "/nope/", "/posts/missing/"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %d" % port)


class Backend:
    """examples/host/backend.py in its own process."""

    def __init__(self, port: int):
        self.port = port
        self.proc = None

    def start(self):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
        self.proc = subprocess.Popen([sys.executable, "-m", "examples.host.backend", str(self.port)],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_port(self.port)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Host:
    """`sexp host DIR --http 127.0.0.1:0 …`: the port read from its stderr."""

    def __init__(self, site: pathlib.Path, *args: str):
        self.proc = subprocess.Popen([SEXP, "host", str(site), "--http", "127.0.0.1:0", *args],
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        self.banner = line
        if not m:
            rest = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise RuntimeError("sexp host did not start: %r %r" % (line, rest))
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            err = self.proc.stderr.read()
            return self.proc.wait(timeout=20), err
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def make_site(tmp: pathlib.Path, backend_port: int, timeout_ms: int = 2000) -> pathlib.Path:
    site = tmp / "site"
    shutil.copytree(ROOT / "examples" / "host" / "site", site)
    services = site / "services.sx"
    text = services.read_text()
    text = text.replace("127.0.0.1:8001", "127.0.0.1:%d" % backend_port)
    text = text.replace(":timeout-ms 2000", ":timeout-ms %d" % timeout_ms)
    services.write_text(text)
    # Test-only pages: a slow backend call, and one that catches an io error.
    (site / "pages" / "test_pages.sx").write_text(
        '(defroute "/slow/:ms{int}/" (ms) (p "slept " (query blog sleep :ms ms)))\n'
        '(defroute "/tried/" () (p (try (get (query blog post :slug "nope") :title)'
        ' (catch e (str "caught " (get e :code))))))\n')
    return site


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("host")
    backend = Backend(free_port())
    backend.start()
    site = make_site(tmp, backend.port)
    host = Host(site, "--request-timeout-ms", "1000", "--max-body", "4096",
                "--max-header", "2048")
    yield host, backend, site
    code, err = host.stop()
    backend.kill()
    assert code == 0, err


def curl(*args: str) -> subprocess.CompletedProcess:
    """curl's output decoded as UTF-8 with its CRLFs kept."""
    r = subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True)
    r.stdout = r.stdout.decode("utf-8", "replace")
    r.stderr = r.stderr.decode("utf-8", "replace")
    return r


def raw(port: int, data: bytes, timeout: float = 5.0, read_until_close: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
                if not read_until_close:
                    break
        except socket.timeout:
            pass
        return b"".join(chunks)


def responses(data: bytes) -> list[tuple[int, dict, bytes]]:
    """Splits HTTP/1.1 responses with Content-Length bodies."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        out.append((status, headers, rest[:n]))
        data = rest[n:]
    return out


# --- the same pages as the Python host --------------------------------------

def quart_pages(paths, accept=None):
    from examples.host.app import create_app

    async def fetch():
        client = create_app().test_client()
        out = {}
        for p in paths:
            headers = {"Accept": accept} if accept else {}
            r = await client.get(p, headers=headers)
            out[p] = (r.status_code, await r.get_data(), r.headers.get("ETag"))
        return out
    return asyncio.run(fetch())


@pytest.mark.parametrize("accept", [None, "application/x-sexpr"])
def test_pages_byte_equal_to_the_quart_dispatcher(served, accept):
    host, _, _ = served
    expected = quart_pages(PAGES, accept)
    for path in PAGES:
        args = ["-i", host.url + path] + (["-H", "Accept: " + accept] if accept else [])
        r = curl(*args)
        status, headers, body = responses(r.stdout.encode("utf-8"))[0]
        want_status, want_body, want_tag = expected[path]
        assert status == want_status, path
        assert body == want_body, path
        assert headers.get("etag") == want_tag, path
        assert headers["vary"].startswith("Accept, Sexpr-Have")


def test_backend_batches_one_post_per_round(served):
    host, _, _ = served
    r = curl(host.url + "/")
    assert "Rounds, not calls</a> by Grace" in r.stdout
    # The page's io forms reach the backend through the resolver: a page that
    # catches a failed query still renders.
    assert "caught io" in curl(host.url + "/tried/").stdout


def test_backend_connections_are_kept_alive(tmp_path):
    import json
    import urllib.request
    backend = Backend(free_port())
    backend.start()
    host = Host(make_site(tmp_path, backend.port), "--workers", "2")
    try:
        for _ in range(10):
            assert curl("-o", "/dev/null", "-w", "%{http_code}", host.url + "/").stdout == "200"
        with urllib.request.urlopen("http://127.0.0.1:%d/internal/stats" % backend.port) as r:
            stats = json.load(r)
    finally:
        host.stop()
        backend.kill()
    assert stats["posts"] == 30  # three rounds a page: one POST each
    assert stats["connections"] <= 2  # one per worker thread, reused


# --- HTTP/1.1 with curl -------------------------------------------------------

def test_keep_alive_reuses_one_connection(served):
    host, _, _ = served
    r = curl("-v", host.url + "/about/", host.url + "/static/site.css", host.url + "/")
    assert r.returncode == 0
    assert r.stderr.count("Connected to") == 1 or "Re-using existing connection" in r.stderr
    assert "Re-using existing connection" in r.stderr


def test_head_has_length_and_no_body(served):
    host, _, _ = served
    get = curl("-i", host.url + "/about/").stdout.encode()
    head = curl("-I", host.url + "/about/").stdout.encode()
    (_, gh, gbody), = responses(get)
    hs = head.split(b"\r\n\r\n")[0].decode()
    assert "HTTP/1.1 200" in hs
    assert "Content-Length: %d" % len(gbody) in hs
    assert head.endswith(b"\r\n\r\n")


def test_304_on_if_none_match_for_pages_and_static(served):
    host, _, _ = served
    for path in ["/about/", "/static/site.css"]:
        first = responses(curl("-i", host.url + path).stdout.encode())[0]
        tag = first[1]["etag"]
        again = curl("-i", "-H", "If-None-Match: " + tag, host.url + path).stdout
        assert again.startswith("HTTP/1.1 304"), again
        assert "ETag: " + tag in again
    css = responses(curl("-i", host.url + "/static/site.css").stdout.encode())[0]
    assert css[1]["content-type"] == "text/css; charset=utf-8"
    import hashlib
    body = (ROOT / "examples/host/site/static/site.css").read_bytes()
    assert css[1]["etag"] == '"sha3-%s"' % hashlib.sha3_256(body).hexdigest()


def test_sexpr_have_answers_not_modified(served):
    host, _, _ = served
    first = curl("-H", "Accept: application/x-sexpr", host.url + "/about/").stdout
    address = re.match(r'\(ok :hash "(sha3-[0-9a-f]{64})"', first).group(1)
    again = curl("-H", "Accept: application/x-sexpr", "-H", "Sexpr-Have: " + address,
                 host.url + "/about/").stdout
    assert again == '(not-modified :hash "%s")' % address


def test_chunked_request_body_then_keep_alive(served):
    host, _, _ = served
    req = (b"POST /about/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
           b"GET /about/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    rs = responses(raw(host.port, req))
    assert [r[0] for r in rs] == [405, 200]
    assert rs[0][1]["allow"] == "GET, HEAD"


def test_pipelining_answers_in_order(served):
    host, _, _ = served
    paths = ["/posts/rounds/", "/static/site.css", "/about/", "/nope/", "/posts/escaping/"]
    req = b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % p.encode() for p in paths)
    req += b"GET /about/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    rs = responses(raw(host.port, req))
    assert [r[0] for r in rs] == [200, 200, 200, 404, 200, 200]
    assert b"<title>Rounds, not calls</title>" in rs[0][2]
    assert rs[1][1]["content-type"].startswith("text/css")
    assert b"&lt;Escaping&gt;" in rs[4][2]


def test_http10_closes_unless_keep_alive(served):
    host, _, _ = served
    out = raw(host.port, b"GET /about/ HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200") and b"Connection: close" in out


# --- limits and abuse ---------------------------------------------------------

def test_abuse_cases_answered_and_closed(served):
    host, _, _ = served
    cases = [
        (b"GET /about/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),           # smuggling
        (b"GET /about/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
         b"Content-Length: 2\r\n\r\nab", 400),
        (b"GET /about/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4000 + b"\r\n\r\n", 431),
        (b"POST /about/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 413),
        (b"GET /about/ HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400),
        (b"GARBAGE / HTTP/1.1\r\n\r\n", 501),                         # an unknown method
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    ]
    for data, status in cases:
        out = raw(host.port, data)
        assert out.startswith(b"HTTP/1.1 %d" % status), (data[:40], out[:80])
        assert b"Connection: close" in out
    # Traversal out of static/ finds nothing.
    for path in ["/static/../services.sx", "/static/%2e%2e/services.sx",
                 "/static/..%2fservices.sx", "/static//etc/passwd", "/static/./site.css"]:
        out = raw(host.port, b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode())
        assert out.startswith(b"HTTP/1.1 404"), (path, out[:60])
    # Nothing else broke.
    assert curl(host.url + "/about/").returncode == 0


def test_slowloris_gets_408(served):
    host, _, _ = served
    with socket.create_connection(("127.0.0.1", host.port), timeout=10) as s:
        s.sendall(b"GET /about/ HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        data = b""
        while True:
            try:
                b = s.recv(4096)
            except socket.timeout:
                break
            if not b:
                break
            data += b
            time.sleep(0.2)
            try:
                s.sendall(b"X-Slow: 1\r\n")  # a byte now and then does not help
            except OSError:
                break
        took = time.monotonic() - start
    assert data.startswith(b"HTTP/1.1 408"), data[:80]
    assert took < 5


def test_backend_killed_mid_run_then_back(served):
    host, backend, _ = served
    assert curl("-o", "/dev/null", "-w", "%{http_code}", host.url + "/").stdout == "200"
    backend.kill()
    try:
        start = time.monotonic()
        r = curl("-i", host.url + "/")
        assert r.stdout.startswith("HTTP/1.1 500")
        assert '<p class="error-code">io</p>' in r.stdout
        assert time.monotonic() - start < 5
        assert curl("-o", "/dev/null", "-w", "%{http_code}", host.url + "/about/").stdout == "200"
    finally:
        backend.start()
    assert curl("-o", "/dev/null", "-w", "%{http_code}", host.url + "/").stdout == "200"


def test_backend_timeout_is_an_io_error_not_a_hang(tmp_path):
    backend = Backend(free_port())
    backend.start()
    host = Host(make_site(tmp_path, backend.port, timeout_ms=300))
    try:
        start = time.monotonic()
        r = curl("-i", host.url + "/slow/3000/")
        assert r.stdout.startswith("HTTP/1.1 500"), r.stdout[:100]
        assert '<p class="error-code">io</p>' in r.stdout
        assert time.monotonic() - start < 2.5
    finally:
        code, err = host.stop()
        backend.kill()
    assert code == 0
    assert "timed out" in err or "no answer in time" in err


def test_connection_cap_answers_503(tmp_path):
    backend = Backend(free_port())
    backend.start()
    host = Host(make_site(tmp_path, backend.port), "--max-connections", "2")
    try:
        held = [socket.create_connection(("127.0.0.1", host.port)) for _ in range(2)]
        time.sleep(0.3)
        out = raw(host.port, b"GET /about/ HTTP/1.1\r\nHost: x\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 503"), out[:60]
        for s in held:
            s.close()
        time.sleep(0.3)
        assert curl("-o", "/dev/null", "-w", "%{http_code}", host.url + "/about/").stdout == "200"
    finally:
        host.stop()
        backend.kill()


# --- reload and shutdown ------------------------------------------------------

def test_sighup_reloads_without_dropping_connections(tmp_path):
    backend = Backend(free_port())
    backend.start()
    site = make_site(tmp_path, backend.port)
    host = Host(site)
    try:
        s = socket.create_connection(("127.0.0.1", host.port), timeout=10)
        s.sendall(b"GET /about/ HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"served by" in s.recv(65536)
        about = site / "pages" / "pages.sx"
        about.write_text(about.read_text().replace("This site is served by", "Now served by"))
        host.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        # The connection opened before the reload stays open and sees the new site.
        s.sendall(b"GET /about/ HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"Now served by" in s.recv(65536)
        # A site that does not load is refused; the old one keeps serving.
        (site / "pages" / "broken.sx").write_text("(defroute \"/x/\" ()\n  (p \"unclosed\")")
        host.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        s.sendall(b"GET /about/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b"Now served by" in s.recv(65536)
        s.close()
    finally:
        code, err = host.stop()
        backend.kill()
    assert code == 0
    assert "reload refused" in err and "broken.sx:" in err


def test_sigterm_lets_in_flight_requests_finish(tmp_path):
    """Over HTTP/1.1, HTTP/3 and sexpr:// alike: a page under way when
    SIGTERM comes is answered whole; the host then exits 0."""
    backend = Backend(free_port())
    backend.start()
    data = tmp_path / "data"
    host = Host(make_site(tmp_path, backend.port), "--quic", "127.0.0.1:0", "--data", str(data))
    qport = re.search(r"sexpr://127\.0\.0\.1:(\d+)", host.banner).group(1)
    ca = str(data / "tls" / "cert.pem")
    try:
        slow = subprocess.Popen(["curl", "-sS", "-i", host.url + "/slow/800/"],
                                stdout=subprocess.PIPE, text=True)
        slow_h3 = subprocess.Popen([SEXP, "get", "-i", "https://127.0.0.1:%s/slow/800/" % qport,
                                    "--ca", ca], stdout=subprocess.PIPE, text=True)
        slow_sx = subprocess.Popen([SEXP, "get", "sexpr://127.0.0.1:%s/slow/800/" % qport,
                                    "--ca", ca], stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
        host.proc.send_signal(signal.SIGTERM)
        out, _ = slow.communicate(timeout=20)
        assert out.startswith("HTTP/1.1 200"), out[:100]
        assert "slept 800" in out
        out, _ = slow_h3.communicate(timeout=20)
        assert out.startswith("HTTP/3 200"), out[:100]
        assert "slept 800" in out
        out, _ = slow_sx.communicate(timeout=20)
        assert slow_sx.returncode == 0 and "slept 800" in out, out[:200]
        assert host.proc.wait(timeout=20) == 0
    finally:
        host.stop()
        backend.kill()


# --- load errors ----------------------------------------------------------------

def run_host(site) -> subprocess.CompletedProcess:
    return subprocess.run([SEXP, "host", str(site), "--http", "127.0.0.1:0"], capture_output=True,
                          text=True, timeout=30)


def test_load_errors_name_file_line_and_column(tmp_path):
    site = make_site(tmp_path, 1)
    (site / "pages" / "bad.sx").write_text('(defroute "/bad/" ()\n  (p (undefined-thing "x")\n')
    r = run_host(site)
    assert r.returncode == 1
    assert re.search(r"bad\.sx:\d+:\d+", r.stderr), r.stderr


def test_route_conflicts_refused(tmp_path):
    site = make_site(tmp_path, 1)
    (site / "pages" / "dup.sx").write_text('(defpage other :path "/posts/:id/" :content (p id))\n')
    r = run_host(site)
    assert r.returncode == 1
    assert "pages.sx:9:1: route '/posts/:slug/' conflicts with '/posts/:id/'" in r.stderr, r.stderr
    assert "dup.sx:1:1" in r.stderr, r.stderr


def test_bad_defservice_refused_at_load(tmp_path):
    site = make_site(tmp_path, 1)
    (site / "services.sx").write_text('(defservice blog :url "ftp://x" :batch true)\n')
    r = run_host(site)
    assert r.returncode == 1
    assert "services.sx:1:" in r.stderr and ":url" in r.stderr, r.stderr


# --- sexpr:// from the same process ---------------------------------------------

def test_sexpr_quic_answers_the_same_tree(tmp_path):
    backend = Backend(free_port())
    backend.start()
    host = Host(make_site(tmp_path, backend.port), "--quic", "127.0.0.1:0")
    try:
        # The port is in the banner's "and sexpr://127.0.0.1:PORT".
        link = responses(curl("-i", host.url + "/about/").stdout.encode())[0][1]["link"]
        m = re.match(r'<sexpr://127\.0\.0\.1:(\d+)/about/>; rel="alternate"; '
                     r'type="application/x-sexpr"', link)
        assert m, link
        quic = "sexpr://127.0.0.1:%s" % m.group(1)
        for path in ["/about/", "/posts/rounds/", "/nope/"]:
            over_http = curl("-H", "Accept: application/x-sexpr", host.url + path).stdout
            got = subprocess.run([SEXP, "get", "--insecure", quic + path], capture_output=True,
                                 text=True, timeout=30)
            assert got.returncode == 0, got.stderr
            assert got.stdout.strip() == over_http, path
        about = curl("-H", "Accept: application/x-sexpr", host.url + "/about/").stdout
        address = re.match(r'\(ok :hash "(sha3-[0-9a-f]{64})"', about).group(1)
        got = subprocess.run([SEXP, "get", "--insecure", "--have", address, quic + "/about/"],
                             capture_output=True, text=True, timeout=30)
        assert got.stdout.strip() == '(not-modified :hash "%s")' % address
    finally:
        code, _ = host.stop()
        backend.kill()
    assert code == 0


# --- --data DIR: state kept across restarts ------------------------------------

def test_data_dir_keeps_the_certificate_and_the_subtree_cache(tmp_path):
    """The development certificate is made once in DATA/tls/ (key 0600) and
    reused, so a client's --ca survives a restart; `(cached …)` subtrees go
    to DATA/cache/<site address>/ and a restarted host serves them without
    calling the component — here without its backend, which is down."""
    backend = Backend(free_port())
    backend.start()
    site = make_site(tmp_path, backend.port)
    (site / "pages" / "cached_pages.sx").write_text(
        '(defcomp ~author-card (&key id) (div :class "card" (get (query blog author :id id) :name)))\n'
        '(defroute "/card/" () (div (cached "~author-card" :id 11)))\n')
    data = tmp_path / "data"
    host = Host(site, "--quic", "127.0.0.1:0", "--data", str(data))
    try:
        assert "development certificate in %s/tls/" % data in host.banner
        first = curl("-i", host.url + "/card/").stdout
        assert first.startswith("HTTP/1.1 200"), first
        qport = re.search(r"sexpr://127\.0\.0\.1:(\d+)", host.banner).group(1)
        over_h3 = subprocess.run([SEXP, "get", "https://127.0.0.1:%s/card/" % qport,
                                  "--ca", str(data / "tls" / "cert.pem")], capture_output=True)
        assert over_h3.returncode == 0, over_h3.stderr
    finally:
        assert host.stop()[0] == 0
        backend.kill()
    cert = (data / "tls" / "cert.pem").read_bytes()
    assert oct((data / "tls" / "key.pem").stat().st_mode & 0o777) == "0o600"
    blobs = list((data / "cache").glob("*/blobs/*/*"))
    assert len(blobs) == 1, blobs

    host = Host(site, "--quic", "127.0.0.1:0", "--data", str(data))
    try:
        again = curl("-i", host.url + "/card/").stdout
        assert again.startswith("HTTP/1.1 200"), again  # the backend is down: a hit
        assert again.split("\r\n\r\n", 1)[1] == first.split("\r\n\r\n", 1)[1]
        assert (data / "tls" / "cert.pem").read_bytes() == cert
        qport = re.search(r"sexpr://127\.0\.0\.1:(\d+)", host.banner).group(1)
        r = subprocess.run([SEXP, "get", "sexpr://127.0.0.1:%s/about/" % qport,
                            "--ca", str(data / "tls" / "cert.pem")], capture_output=True)
        assert r.returncode == 0, r.stderr  # the first run's --ca still holds
        # An edit of the site is new code: its cache folder is another one,
        # so the old HTML is not served (the backend being down shows it).
        (site / "pages" / "cached_pages.sx").write_text(
            '(defcomp ~author-card (&key id) (div :class "card2" (get (query blog author :id id) :name)))\n'
            '(defroute "/card/" () (div (cached "~author-card" :id 11)))\n')
        host.proc.send_signal(signal.SIGHUP)
        assert "reloaded" in host.proc.stderr.readline()
        edited = curl("-i", host.url + "/card/").stdout
        assert not edited.startswith("HTTP/1.1 200"), edited
    finally:
        assert host.stop()[0] == 0
    assert len(list((data / "cache").iterdir())) == 1  # the edit stored nothing: its call failed
