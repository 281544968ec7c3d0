"""sexpr/1 against an independent QUIC stack: quic-go (Debian's
golang-github-lucas-clemente-quic-go-dev, built offline from /usr/share/gocode
by this test) as client of `sexp serve-quic` and as server for `sexp get`.
Also the CLI's wire commands end to end. ctest label `net`; needs SEXP_BIN
(the CLI) and QUICGO_BUILD_DIR (where the Go peer is built)."""
import hashlib
import os
import re
import subprocess
import time

import pytest

from quicgo_build import build_quicgo

BIN = os.environ.get("SEXP_BIN", "build/tools/sexp")
HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("QUICGO_BUILD_DIR", "/tmp/sexp-quicgo")

PAGE = '(page :title "Hello" (h1 "Hi") (p "a \\"quoted\\" line\\nand more"))'


def varint(n):
    if n < 1 << 6:
        return bytes([n])
    if n < 1 << 14:
        return bytes([0x40 | n >> 8, n & 0xFF])
    return bytes([0x80 | n >> 24, n >> 16 & 0xFF, n >> 8 & 0xFF, n & 0xFF])


def frame(payload):
    return varint(len(payload)) + payload


@pytest.fixture(scope="session")
def quicgo():
    return build_quicgo(BUILD, "quicgo")


def canonical(text):
    r = subprocess.run([BIN, "canon", "-"], input=text.encode(), capture_output=True, check=True)
    return r.stdout.rstrip(b"\n")


@pytest.fixture
def site(tmp_path):
    d = tmp_path / "site"
    (d / "blog").mkdir(parents=True)
    (d / "index.sx").write_text(PAGE)
    (d / "blog" / "one.sx").write_text('(page (h1 "post one"))')
    (d / "broken.sx").write_text("(page (h1")
    return d


@pytest.fixture
def server(site, tmp_path):
    cert = tmp_path / "cert.pem"
    proc = subprocess.Popen([BIN, "serve-quic", "--addr", "127.0.0.1:0", "--max-frame", "4096",
                             "--write-cert", str(cert), str(site)],
                            stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    m = re.search(r"listening on sexpr://127\.0\.0\.1:(\d+)", line)
    assert m, line
    yield int(m.group(1)), str(cert), proc
    proc.terminate()
    rest = proc.communicate(timeout=10)[1]
    assert proc.returncode == 0, rest
    assert "shut down:" in rest


def go_client(quicgo, port, ca, *streams):
    r = subprocess.run([quicgo, "client", f"127.0.0.1:{port}", ca,
                        *[s.hex() for s in streams]], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().splitlines()


def get(*args):
    return subprocess.run([BIN, "get", *args], capture_output=True, timeout=30)


# --- quic-go client -> sexp serve-quic ------------------------------------

def test_quicgo_fetches_a_page_with_its_address(quicgo, server):
    port, ca, _ = server
    lines = go_client(quicgo, port, ca, frame(b'(GET "/")'))
    page = canonical(PAGE)
    address = "sha3-" + hashlib.sha3_256(page).hexdigest()  # independent hash
    assert lines == [f'frame (ok :hash "{address}" {page.decode()})', "end"]


def test_quicgo_not_modified_and_not_found_on_one_connection(quicgo, server):
    port, ca, _ = server
    address = "sha3-" + hashlib.sha3_256(canonical(PAGE)).hexdigest()
    lines = go_client(quicgo, port, ca,
                      frame(b'(GET "/" :have "%s")' % address.encode()),
                      frame(b'(GET "/missing")'),
                      frame(b'(GET "/blog/one")'))
    assert lines[0] == f'frame (not-modified :hash "{address}")'
    assert lines[2] == 'frame (not-found :message "no page at /missing")'
    assert lines[4].startswith('frame (ok :hash "sha3-') and lines[4].endswith('(page (h1 "post one")))')


def test_quicgo_bad_input_gets_errors_and_the_connection_serves_on(quicgo, server):
    port, ca, _ = server
    lines = go_client(quicgo, port, ca,
                      frame(b"x" * 5000),            # over --max-frame 4096
                      b"\x40\x05(GET)",              # length not in shortest form
                      b"\x09(GET",                   # stream ends inside the frame
                      frame(b"(GET") ,               # not sx
                      frame(b"(GET 42)"),            # sx, not a request
                      frame(b'(POST "/")'),          # not served
                      frame(b'(GET "/broken")'),     # a page that does not read
                      frame(b'(GET "/"))'))          # back to normal
    assert lines[0] == "reset 1"  # frame-too-large
    assert lines[1] == "reset 2"  # bad-varint
    assert lines[2] == "reset 3"  # frame-truncated
    assert lines[3].startswith('frame (error :code "bad-request" :message "request is not sx: ')
    assert lines[5].startswith('frame (error :code "bad-request" :message "1:6: bad-message')
    assert lines[7] == 'frame (error :code "bad-request" :message "serve-quic answers GET only")'
    assert lines[9].startswith('frame (error :code "bad-page" :message "broken.sx: 1:')
    assert lines[11].startswith('frame (error :code "bad-request"')  # trailing ')' is not sx


# --- sexp get -> quic-go server -------------------------------------------

@pytest.fixture
def go_server(quicgo, tmp_path):
    cert = tmp_path / "go-cert.pem"
    proc = subprocess.Popen([quicgo, "server", "127.0.0.1:0", str(cert)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.match(r"listening (\d+)", line)
    assert m, line
    yield int(m.group(1)), str(cert)
    proc.kill()
    proc.wait()


def test_sexp_get_from_quicgo_verifying_its_certificate(go_server):
    port, cert = go_server
    r = get("--ca", cert, f"sexpr://127.0.0.1:{port}/blog/x/")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b'(ok (peer "quic-go") (GET "/blog/x/"))\n'
    r = get("--ca", cert, "--have", "sha3-" + "ab" * 32, f"sexpr://localhost:{port}/")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b'(ok (peer "quic-go") (GET "/" :have "sha3-' + b"ab" * 32 + b'"))\n'


def test_sexp_get_refuses_an_untrusted_quicgo(go_server):
    port, _ = go_server
    r = get(f"sexpr://127.0.0.1:{port}/")
    assert r.returncode == 1
    assert b"certificate verification failed" in r.stderr
    assert r.stdout == b""
    r = get("--insecure", f"sexpr://127.0.0.1:{port}/")
    assert r.returncode == 0, r.stderr


# --- the CLI's wire commands ----------------------------------------------

def test_get_prints_each_frame_on_its_own_line(server, site):
    port, ca, _ = server
    r = get("--ca", ca, f"sexpr://127.0.0.1:{port}/")
    assert r.returncode == 0, r.stderr
    h = subprocess.run([BIN, "hash", str(site / "index.sx")], capture_output=True, check=True)
    address = h.stdout.decode().strip()
    assert r.stdout == b'(ok :hash "%s" %s)\n' % (address.encode(), canonical(PAGE))
    r = get("--ca", ca, "--have", address, f"sexpr://127.0.0.1:{port}/")
    assert r.stdout == b'(not-modified :hash "%s")\n' % address.encode()


SITE = """
(defcomp ~page (&key title &rest children) (article (h1 title) children))
(defpage home :path "/" :content (~page :title "home"))
(defpage post :path "/posts/:slug/:n{int}/" :content (~page :title slug (p (+ n 1))))
(defroute "/about/" () (render (~page :title "about")))
(defpage broken :path "/broken/" :content (query blog nav-tree))
"""


def test_serve_quic_serves_defpage_and_defroute_sites(site, tmp_path):
    # Issue 21: a site's routes are answered before DIR's pages; the
    # handler's value is the page, with its address.
    routes = tmp_path / "routes.sx"
    routes.write_text(SITE)
    cert = tmp_path / "cert.pem"
    proc = subprocess.Popen([BIN, "serve-quic", "--addr", "127.0.0.1:0", "--write-cert", str(cert),
                             "--site", str(routes), str(site)], stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        port = int(re.search(r"listening on sexpr://127\.0\.0\.1:(\d+)", line).group(1))
        url = f"sexpr://127.0.0.1:{port}"

        def page(path, *more):
            r = get("--ca", str(cert), *more, url + path)
            assert r.returncode == 0, r.stderr
            return r.stdout.decode().rstrip("\n")
        body = '(article (h1 "apple") ((p 8)))'
        address = "sha3-" + hashlib.sha3_256(body.encode()).hexdigest()
        assert page("/posts/apple/7/") == '(ok :hash "%s" %s)' % (address, body)
        assert page("/posts/apple/7/", "--have", address) == '(not-modified :hash "%s")' % address
        assert page("/") == '(ok :hash "sha3-%s" (article (h1 "home") ()))' % hashlib.sha3_256(
            b'(article (h1 "home") ())').hexdigest()
        assert '(article (h1 "about") ())' in page("/about/")
        assert page("/posts/apple/seven/").startswith("(not-found")  # {int} only; not in DIR
        assert page("/blog/one").startswith("(ok")  # DIR's pages still served
        # No services here: an error answer, naming no file of the server's.
        broken = page("/broken/")
        assert broken.startswith('(error :code "unbound"') and str(tmp_path) not in broken
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    bad = tmp_path / "bad.sx"
    bad.write_text('(defpage a :path "/x/:id/" :content 1) (defpage b :path "/x/:slug/" :content 2)')
    r = subprocess.run([BIN, "serve-quic", "--addr", "127.0.0.1:0", "--site", str(bad), str(site)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "sexp serve-quic:" in r.stderr


def test_pages_are_reread_when_they_change(server, site):
    port, ca, _ = server
    before = get("--ca", ca, f"sexpr://127.0.0.1:{port}/blog/one").stdout
    time.sleep(0.01)
    (site / "blog" / "one.sx").write_text('(page (h1 "post one, edited"))')
    after = get("--ca", ca, f"sexpr://127.0.0.1:{port}/blog/one").stdout
    assert before != after and b"edited" in after


def test_get_failures_exit_1_with_a_message(server):
    port, _, _ = server
    for args, message in [
            ((f"sexpr://127.0.0.1:{port}/",), b"certificate verification failed"),
            (("--insecure", "http://127.0.0.1/"), b"not a sexpr:// URL"),
            (("--insecure", "--timeout-ms", "3000", "sexpr://127.0.0.1:9/"), b"cannot connect"),
            (("--insecure", f"sexpr://127.0.0.1:{port}x/"), b"bad port")]:
        r = get(*args)
        assert r.returncode == 1, args
        assert message in r.stderr, (args, r.stderr)
        assert r.stdout == b""


def test_serve_quic_usage_errors(tmp_path):
    r = subprocess.run([BIN, "serve-quic", "--addr", "nonsense", str(tmp_path)], capture_output=True)
    assert r.returncode == 1 and b"HOST:PORT" in r.stderr
    r = subprocess.run([BIN, "serve-quic", "--addr", "127.0.0.1:0", str(tmp_path / "none")],
                       capture_output=True)
    assert r.returncode == 1 and b"not a directory" in r.stderr
    r = subprocess.run([BIN, "serve-quic", "--cert", "c.pem", str(tmp_path)], capture_output=True)
    assert r.returncode == 2  # --cert needs --key
