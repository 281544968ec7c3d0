"""HTTP/3 against an independent stack: quic-go's http3 package (Debian's
golang-github-lucas-clemente-quic-go-dev 0.29, built offline from
/usr/share/gocode by this test; tests/net/interop/quicgo/h3.go) as client of
`sexp host --quic` and as server for `sexp get https://`, and the project's
HTTP/3 client against its own host.

  a) quic-go `h3get` -> `sexp host SITE --http … --quic …`: HTTP/3 (ALPN h3)
     on the same UDP port as sexpr:// (ALPN sexpr/1) answers the bytes,
     ETags, 304s, 404s and 405s of HTTP/1.1 from the same process, many
     requests at once on one connection; HTML over HTTP/1.1 announces it
     with Alt-Svc; sexpr:// still answers on that port afterwards.
  b) `sexp get https://…` -> quic-go `h3serve`.
  c) `sexp get https://…` -> `sexp host`.

Needs SEXP_BIN (the CLI; default build/tools/sexp) and QUICGO_BUILD_DIR
(where the Go peer is built; default /tmp/sexp-quicgo):

    SEXP_BIN=build/tools/sexp QUICGO_BUILD_DIR=/tmp/sexp-quicgo \\
        /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/host/test_h3_interop.py

The interface of `sexp get` for https:// URLs these tests hold the
implementation to (decided here; the sexpr:// form is unchanged):

  - `sexp get URL [options]` — the tests put the URL first and the options
    after it (options before the URL must work too, as for sexpr://).
  - Without -i, stdout is the response body, byte for byte, nothing added
    (no newline appended). Exit 0 whatever the status, 4xx and 5xx included.
  - `-i` / `--include`: first the status line `HTTP/3 <code>` (no reason
    phrase), then one `name: value` line per response field as received
    (lower-case names, as on the wire; pseudo-fields not printed), then an
    empty line, then the body. Lines end with "\\n" (not CRLF).
  - `-H 'Name: value'` (repeatable) adds a request field; `-X METHOD` sets the
    method; `--data BODY` sends BODY as the request body (with `-X POST`
    here; a content-length is welcome but not checked).
  - `-f` / `--fail`: like curl's: a status >= 400 prints nothing on stdout,
    a message naming the status on stderr, and exits 22.
  - `--ca FILE` trusts the PEM certificates in FILE; without it (and without
    --insecure) a self-signed server is refused: non-zero exit, nothing on
    stdout, a message on stderr that mentions the certificate.
  - :authority is the URL's host:port.

And of `sexp host … --quic HOST:PORT`: HTTP/3 on that port next to sexpr://,
chosen by ALPN; its first stderr line is
`sexp host: N routes, M services from DIR; listening on http://H:P and
sexpr://H:QP …`; HTML answers over HTTP/1.1 carry `Alt-Svc: h3=":QP"…`.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "net" / "interop"))
from quicgo_build import build_quicgo  # noqa: E402
BIN = os.environ.get("SEXP_BIN", str(ROOT / "build" / "tools" / "sexp"))
BUILD = os.environ.get("QUICGO_BUILD_DIR", "/tmp/sexp-quicgo")
SITE = ROOT / "examples" / "host" / "site"
CSS = SITE / "static" / "site.css"
SX = "application/x-sexpr"

# The host runs without the example's backend: these paths need none
# (/about/ is a defroute of literals; static files; not-found pages).
ABOUT, STATIC, MISSING, MISSING_STATIC = "/about/", "/static/site.css", "/nope/", "/static/nope.css"


# --- the Go peer ------------------------------------------------------------

@pytest.fixture(scope="session")
def quicgo():
    """tests/net/interop/quicgo, built offline (quicgo_build.py)."""
    return build_quicgo(BUILD, "quicgo-h3")


def h3get(quicgo, ca, *urls, method=None, data=None, headers=()):
    """quic-go's HTTP/3 client: all URLs at once on one connection; one dict
    per URL, in order."""
    args = [quicgo, "h3get"]
    if method:
        args += ["-X", method]
    if data is not None:
        args += ["-d", data]
    for h in headers:
        args += ["-H", h]
    r = subprocess.run(args + [str(ca), *urls], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    answers = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert [a["url"] for a in answers] == list(urls)
    for a in answers:
        assert "error" not in a, a
    return answers


def one(quicgo, ca, url, **kw):
    return h3get(quicgo, ca, url, **kw)[0]


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def sexp_get(*args, timeout=60):
    return subprocess.run([BIN, "get", *args], capture_output=True, timeout=timeout)


# --- sexp host ----------------------------------------------------------------

class Host:
    BANNER = re.compile(r"listening on http://127\.0\.0\.1:(\d+) and sexpr://127\.0\.0\.1:(\d+)")

    def __init__(self, tmp: pathlib.Path):
        self.cert = tmp / "host-cert.pem"
        self.proc = subprocess.Popen([BIN, "host", str(SITE), "--http", "127.0.0.1:0",
                                      "--quic", "127.0.0.1:0", "--write-cert", str(self.cert)],
                                     stderr=subprocess.PIPE, text=True)
        self.banner = self.proc.stderr.readline()
        m = self.BANNER.search(self.banner)
        if not m:
            self.proc.kill()
            rest = self.proc.communicate(timeout=10)[1]
            pytest.fail("sexp host did not start: %r %r" % (self.banner, rest))
        self.port, self.qport = int(m.group(1)), int(m.group(2))
        self.https = "https://127.0.0.1:%d" % self.qport
        self.log = []  # the rest of stderr, read as it comes (a full pipe would stall the host)
        self.reader = threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True)
        self.reader.start()

    def http1(self, path, method="GET", headers=None, body=None):
        """(status, {lower-case name: value}, body) over HTTP/1.1."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)
        return code, "".join(self.log)


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    h = Host(tmp_path_factory.mktemp("h3host"))
    yield h
    code, log = h.stop()
    assert code == 0, log


# --- a) quic-go's client -> sexp host ------------------------------------------

def test_banner_names_both_ports(host):
    assert host.port != 0 and host.qport != 0
    assert host.cert.read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_page_over_h3_is_the_http1_page(quicgo, host):
    status, h1, body = host.http1(ABOUT)
    assert status == 200
    a = one(quicgo, host.cert, host.https + ABOUT)
    assert a["proto"] == "HTTP/3.0"
    assert a["status"] == 200
    assert a["body_sha256"] == sha256(body), (a.get("body"), body)
    assert a["body"].encode() == body
    assert a["headers"]["etag"] == [h1["etag"]]
    assert a["headers"]["content-type"] == [h1["content-type"]]
    assert a["headers"]["vary"] == [h1["vary"]]
    for name in a["headers"]:  # no connection-specific fields in HTTP/3 (RFC 9114 §4.2)
        assert name not in ("connection", "keep-alive", "transfer-encoding", "upgrade"), name


def test_sx_over_h3_is_the_http1_sx(quicgo, host):
    status, h1, body = host.http1(ABOUT, headers={"Accept": SX})
    assert status == 200 and body.startswith(b'(ok :hash "sha3-')
    a = one(quicgo, host.cert, host.https + ABOUT, headers=["Accept: " + SX])
    assert a["status"] == 200
    assert a["body"].encode() == body
    assert a["headers"]["etag"] == [h1["etag"]]
    assert a["headers"]["content-type"] == [h1["content-type"]]


def test_if_none_match_over_h3_is_304_with_no_body(quicgo, host):
    _, h1, _ = host.http1(ABOUT)
    tag = h1["etag"]
    a = one(quicgo, host.cert, host.https + ABOUT, headers=["If-None-Match: " + tag])
    assert a["status"] == 304
    assert a["body_len"] == 0
    assert a["headers"]["etag"] == [tag]


def test_head_over_h3_has_no_body(quicgo, host):
    _, h1, _ = host.http1(ABOUT)
    a = one(quicgo, host.cert, host.https + ABOUT, method="HEAD")
    assert a["status"] == 200
    assert a["body_len"] == 0
    assert a["headers"]["etag"] == [h1["etag"]]


def test_static_file_over_h3(quicgo, host):
    on_disk = CSS.read_bytes()
    status, h1, _ = host.http1(STATIC)
    assert status == 200
    a = one(quicgo, host.cert, host.https + STATIC)
    assert a["status"] == 200
    assert a["body"].encode() == on_disk
    assert a["body_sha256"] == sha256(on_disk)
    assert a["headers"]["content-type"] == ["text/css; charset=utf-8"]
    assert a["headers"]["etag"] == [h1["etag"]] == ['"sha3-%s"' % hashlib.sha3_256(on_disk).hexdigest()]


def test_unknown_paths_are_404_over_h3(quicgo, host):
    page, static = h3get(quicgo, host.cert, host.https + MISSING, host.https + MISSING_STATIC)
    status, _, body = host.http1(MISSING)
    assert status == 404
    assert page["status"] == 404 and page["body"].encode() == body
    assert static["status"] == 404


def test_twenty_requests_at_once_on_one_connection(quicgo, host):
    paths = [ABOUT, STATIC, MISSING, MISSING_STATIC] * 5
    expected = {p: host.http1(p) for p in set(paths)}
    answers = h3get(quicgo, host.cert, *[host.https + p for p in paths])
    assert len(answers) == 20
    for path, a in zip(paths, answers):
        status, h1, body = expected[path]
        assert a["status"] == status, (path, a)
        assert a["body_sha256"] == sha256(body), path
        if "etag" in h1:
            assert a["headers"]["etag"] == [h1["etag"]], path


def test_post_with_a_body_is_refused_as_over_http1(quicgo, host):
    status, h1, _ = host.http1(ABOUT, method="POST", body=b"hello",
                               headers={"Content-Type": "text/plain"})
    assert status == 405
    a = one(quicgo, host.cert, host.https + ABOUT, method="POST", data="hello",
            headers=["Content-Type: text/plain"])
    assert a["status"] == status
    assert a["headers"].get("allow") == [h1["allow"]]
    # The connection was not harmed: the next request is answered.
    assert one(quicgo, host.cert, host.https + ABOUT)["status"] == 200


def test_http1_html_announces_h3_with_alt_svc(host):
    status, h1, _ = host.http1(ABOUT)
    assert status == 200
    assert 'h3=":%d"' % host.qport in h1.get("alt-svc", ""), h1


def test_sexpr_and_h3_share_the_port(quicgo, host):
    _, _, sx = host.http1(ABOUT, headers={"Accept": SX})
    assert one(quicgo, host.cert, host.https + ABOUT)["status"] == 200
    r = sexp_get(f"sexpr://127.0.0.1:{host.qport}{ABOUT}", "--ca", str(host.cert))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == sx
    # And h3 again after sexpr/1, on the same port.
    assert one(quicgo, host.cert, host.https + ABOUT)["status"] == 200


# --- b) sexp get https:// -> quic-go's server -----------------------------------

@pytest.fixture(scope="module")
def go_h3(quicgo, tmp_path_factory):
    cert = tmp_path_factory.mktemp("goh3") / "go-h3-cert.pem"
    proc = subprocess.Popen([quicgo, "h3serve", "127.0.0.1:0", str(cert)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.fullmatch(r"listening on (\d+)\n", line)
    if not m:
        proc.kill()
        proc.wait()
        pytest.fail("quicgo h3serve did not start: %r" % line)
    yield "https://127.0.0.1:%s" % m.group(1), str(cert)
    proc.terminate()
    assert proc.wait(timeout=10) == 0


def test_go_peer_answers_itself(quicgo, go_h3):
    """The Go server and client agree (checks the fixture, not sexp)."""
    url, cert = go_h3
    hello, big = h3get(quicgo, cert, url + "/hello", url + "/big?n=100000")
    assert hello["status"] == 200 and hello["body"] == "hello from quic-go\n"
    assert big["body_sha256"] == sha256((b"0123456789abcdef" * 6250)[:100000])


def test_sexp_get_prints_the_body(go_h3):
    url, cert = go_h3
    r = sexp_get(url + "/hello", "--ca", cert)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello from quic-go\n"


def test_sexp_get_include_prints_status_and_fields(go_h3):
    url, cert = go_h3
    r = sexp_get(url + "/hello", "-i", "--ca", cert)
    assert r.returncode == 0, r.stderr
    head, sep, body = r.stdout.partition(b"\n\n")
    assert sep and body == b"hello from quic-go\n", r.stdout
    lines = head.decode().split("\n")
    assert lines[0] == "HTTP/3 200"
    fields = set(lines[1:])
    # quic-go sends exactly these two (in any order: a Go map), no
    # content-length, no date.
    assert fields == {"content-type: text/plain", "x-peer: quic-go"}, lines


def test_sexp_get_sends_fields_method_and_body(go_h3):
    url, cert = go_h3
    port = url.rsplit(":", 1)[1]
    r = sexp_get(url + "/echo?q=1", "-H", "x-a: b", "--ca", cert)
    assert r.returncode == 0, r.stderr
    echo = json.loads(r.stdout)
    assert echo["method"] == "GET"
    assert echo["path"] == "/echo" and echo["query"] == "q=1"
    assert echo["headers"]["x-a"] == ["b"]
    assert echo["authority"] == "127.0.0.1:" + port
    assert echo["body"] == ""
    r = sexp_get(url + "/echo", "-X", "POST", "--data", "abc", "--ca", cert)
    assert r.returncode == 0, r.stderr
    echo = json.loads(r.stdout)
    assert echo["method"] == "POST" and echo["body"] == "abc"


def test_sexp_get_a_large_body(go_h3):
    url, cert = go_h3
    n = 5_000_000
    r = sexp_get(url + "/big?n=%d" % n, "--ca", cert, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) == n
    assert sha256(r.stdout) == sha256((b"0123456789abcdef" * (n // 16 + 1))[:n])


def test_sexp_get_error_statuses_and_fail(go_h3):
    url, cert = go_h3
    r = sexp_get(url + "/status/404", "--ca", cert)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"status 404\n"
    r = sexp_get(url + "/status/404", "-f", "--ca", cert)
    assert r.returncode == 22
    assert r.stdout == b""
    assert b"404" in r.stderr
    r = sexp_get(url + "/status/503", "--fail", "--ca", cert)
    assert r.returncode == 22 and b"503" in r.stderr
    r = sexp_get(url + "/hello", "--fail", "--ca", cert)
    assert r.returncode == 0 and r.stdout == b"hello from quic-go\n"


def test_sexp_get_refuses_an_untrusted_server(go_h3):
    url, _ = go_h3
    r = sexp_get(url + "/hello")
    assert r.returncode != 0
    assert r.stdout == b""
    assert b"certificate" in r.stderr.lower(), r.stderr


# --- c) sexp get https:// -> sexp host ------------------------------------------

def test_sexp_get_from_sexp_host(host):
    _, h1, body = host.http1(ABOUT)
    r = sexp_get(host.https + ABOUT, "--ca", str(host.cert))
    assert r.returncode == 0, r.stderr
    assert r.stdout == body
    r = sexp_get(host.https + ABOUT, "-i", "--ca", str(host.cert))
    assert r.returncode == 0, r.stderr
    head, _, got = r.stdout.partition(b"\n\n")
    lines = head.decode().split("\n")
    assert lines[0] == "HTTP/3 200"
    assert "etag: " + h1["etag"] in lines[1:]
    assert got == body
    _, _, sx = host.http1(ABOUT, headers={"Accept": SX})
    r = sexp_get(host.https + ABOUT, "-H", "Accept: " + SX, "--ca", str(host.cert))
    assert r.returncode == 0, r.stderr
    assert r.stdout == sx
    r = sexp_get(host.https + MISSING, "--fail", "--ca", str(host.cert))
    assert r.returncode == 22 and r.stdout == b""
