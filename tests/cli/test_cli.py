"""The sexp CLI driven as a user would: files and stdin, exit codes, error
format, and no partial output on bad input. Run by ctest (label `cli`) with
SEXP_BIN pointing at the built binary; uses only the standard library and
pytest from Debian's /usr/bin/python3."""
import hashlib
import os
import subprocess

import pytest

BIN = os.environ.get("SEXP_BIN", "build/tools/sexp")


def run(*args, stdin=None):
    return subprocess.run([BIN, *args], input=stdin, capture_output=True)


@pytest.fixture
def sx(tmp_path):
    def write(text, name="doc.sx"):
        p = tmp_path / name
        p.write_bytes(text.encode() if isinstance(text, str) else text)
        return str(p)
    return write


def test_canon_one_line_per_expression(sx):
    r = run("canon", sx("(Create :id 1 :actor a (Note))\n; c\n[x  'y]\n42"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"(Create :actor a :id 1 (Note))\n(x (quote y))\n42\n"
    assert r.stderr == b""


def test_stdin_dash():
    r = run("canon", "-", stdin=b'(p   "hello")')
    assert r.returncode == 0
    assert r.stdout == b'(p "hello")\n'


def test_hash_matches_hashlib_and_cid_matches_design_example(sx):
    path = sx('(p "hello")\n(a :b 1)')
    r = run("hash", path)
    assert r.returncode == 0
    lines = r.stdout.decode().splitlines()
    assert lines == ["sha3-" + hashlib.sha3_256(b'(p "hello")').hexdigest(),
                     "sha3-" + hashlib.sha3_256(b"(a :b 1)").hexdigest()]
    r = run("hash", "--cid", path)
    assert r.returncode == 0
    assert r.stdout.decode().splitlines()[0] == \
        "bafkrmidwcvtmu5jpuqc2yesf263ca6achethqsbam5w7cuqdbucahqxde4"


def test_fmt_reads_back_to_same_canonical(sx):
    text = ("(defcomp ~card (&key title subtitle &rest children) (div :class \"card rounded\" "
            ":id \"x\" (h2 :class \"title\" title) (p :class \"subtitle\" subtitle) children))")
    path = sx(text)
    f = run("fmt", path)
    assert f.returncode == 0
    assert b"\n  " in f.stdout  # it wrapped
    assert all(len(line) <= 100 for line in f.stdout.decode().splitlines())
    back = run("canon", "-", stdin=f.stdout)
    assert back.stdout == run("canon", path).stdout
    # Formatting formatted text changes nothing.
    assert run("fmt", "-", stdin=f.stdout).stdout == f.stdout


def test_check_ok_and_bad(sx):
    assert run("check", sx("(a b) (c)")).returncode == 0
    path = sx("(a\n  (b \"x\\q\"))")
    r = run("check", path)
    assert r.returncode == 1
    assert r.stdout == b""
    assert r.stderr.decode().startswith(path + ":2:8: invalid-escape: ")


def test_check_rejects_what_has_no_canonical_form(sx):
    path = sx("(ok)\n(f :a 1\n   :a 2)")
    r = run("check", path)
    assert r.returncode == 1
    assert r.stderr.decode().startswith(path + ":3:4: duplicate-key: ")


@pytest.mark.parametrize("cmd", [["canon"], ["hash"], ["hash", "--cid"], ["fmt"]])
def test_bad_input_never_leaves_partial_output(sx, cmd):
    # The error is in the third expression; the first two are fine.
    path = sx('(a) (b "ok")\n(c "unterminated')
    r = run(*cmd, path)
    assert r.returncode == 1
    assert r.stdout == b""
    assert b":2:17: unexpected-eof:" in r.stderr
    # Same when the failure is found by the writer after reading succeeded.
    path = sx("(a) (b) (f :k 1 :k 2)", name="dup.sx")
    r = run(*cmd, path)
    if cmd != ["fmt"]:  # fmt needs no canonical form
        assert r.returncode == 1
        assert r.stdout == b""


def test_stdin_errors_name_stdin():
    r = run("check", "-", stdin=b"(a")
    assert r.returncode == 1
    assert r.stderr.decode().startswith("<stdin>:1:3: unexpected-eof:")


def test_usage_errors_exit_2(sx):
    assert run().returncode == 2
    assert run("bogus").returncode == 2
    assert run("canon").returncode == 2
    assert run("canon", sx("a"), "extra").returncode == 2
    assert run("hash", "--nope", sx("a")).returncode == 2


def test_missing_file_is_bad_input():
    r = run("canon", "/nonexistent/file.sx")
    assert r.returncode == 1
    assert b"cannot open" in r.stderr


def test_help_and_version():
    assert run("--help").returncode == 0
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip()


def test_limits_options(sx):
    deep = sx("(" * 50 + ")" * 50)
    r = run("check", "--max-depth", "10", deep)
    assert r.returncode == 1
    assert b"depth-limit" in r.stderr
    assert run("check", "--max-depth", "60", deep).returncode == 0
    r = run("check", "--max-size", "4", sx("(a b c)"))
    assert r.returncode == 1
    assert b"size-limit" in r.stderr


def test_invalid_utf8_file(sx):
    r = run("canon", sx(b'(p "caf\xe9")'))
    assert r.returncode == 1
    assert b":1:8: invalid-utf8" in r.stderr
    assert r.stdout == b""


def test_empty_file_prints_nothing(sx):
    r = run("canon", sx(""))
    assert r.returncode == 0 and r.stdout == b""


# --- sexp from-html ---------------------------------------------------------

def test_from_html_document_and_fragment(sx):
    page = sx("<!DOCTYPE html><html lang=en><title>T</title><p class=x>a &amp; b",
              name="page.html")
    r = run("from-html", page)
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""
    assert r.stdout == b'(html :lang "en" (head (title "T")) (body (p :class "x" "a & b")))\n'
    # A fragment: one node is the root; several are wrapped in (<> ...).
    r = run("from-html", "-", stdin=b"<p>one</p><p>two")
    assert r.stdout == b'(<> (p "one") (p "two"))\n'
    r = run("from-html", "-", stdin=b"<input disabled>")
    assert r.stdout == b"(input :disabled true)\n"


def test_from_html_mode_flags(sx):
    path = sx("<!DOCTYPE html><p>x", name="d.html")
    assert run("from-html", "--fragment", path).stdout == b'(p "x")\n'
    frag = sx("<p>x", name="f.html")
    assert run("from-html", "--document", frag).stdout == b'(html (head) (body (p "x")))\n'
    r = run("from-html", "--fragment", "--document", frag)
    assert r.returncode == 2


def test_from_html_whitespace(sx):
    path = sx("<ul>\n  <li>a</li>\n</ul>\n<pre> </pre>", name="w.html")
    assert run("from-html", path).stdout == b'(<> (ul "\\n  " (li "a") "\\n") "\\n" (pre " "))\n'
    assert run("from-html", "--no-whitespace", path).stdout == b'(<> (ul (li "a")) (pre " "))\n'


def test_from_html_output_is_pretty_and_reads_back(sx):
    rows = "".join("<tr><td class=cell>%d<td>item number %d" % (i, i) for i in range(20))
    path = sx("<table>" + rows + "</table>", name="t.html")
    r = run("from-html", path)
    assert r.returncode == 0
    assert b"\n  " in r.stdout  # wrapped like sexp fmt
    assert all(len(line) <= 100 for line in r.stdout.decode().splitlines())
    assert run("fmt", "-", stdin=r.stdout).stdout == r.stdout
    assert run("canon", "-", stdin=r.stdout).returncode == 0


def test_from_html_notes_dropped_names(sx):
    r = run("from-html", "-", stdin=b'<p a(b=1 ok=2><x;y>t</x;y></p>')
    assert r.returncode == 0
    assert r.stdout == b'(p :ok "2" "t")\n'
    assert r.stderr.decode() == ("<stdin>: note: dropped 1 attribute(s) and unwrapped 1 "
                                 "element(s) whose names are not sx keywords/symbols\n")


def test_from_html_errors_exit_1_without_output(sx):
    deep = sx("\n" + "<span>" * 50, name="deep.html")
    r = run("from-html", "--max-depth", "10", deep)
    assert r.returncode == 1
    assert r.stdout == b""
    # Two roots ("\n" and the outer span), so (<> ...) is level 1 and the
    # 10th <span> level 11.
    assert r.stderr.decode().startswith(deep + ":2:55: depth-limit: ")
    r = run("from-html", "--max-size", "4", sx("<p>hello", name="big.html"))
    assert r.returncode == 1
    assert b"size-limit" in r.stderr
    r = run("from-html", "/nonexistent/x.html")
    assert r.returncode == 1
    assert b"cannot open" in r.stderr


def test_from_html_invalid_utf8_and_empty(sx):
    r = run("from-html", "-", stdin=b"caf\xe9")
    assert r.returncode == 0
    assert r.stdout == '"caf\ufffd"\n'.encode()
    assert run("from-html", "-", stdin=b"").stdout == b"(<>)\n"


# --- signatures: keygen, sign, verify, httpsig (issue 23) -------------------

VECTORS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sig", "vectors")


def test_keygen_sign_verify_round_trip(tmp_path):
    key = tmp_path / "key.pem"
    r = run("keygen", "-o", str(key))
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.startswith("-----BEGIN PUBLIC KEY-----")
    multikey = out.strip().splitlines()[-1]
    assert multikey.startswith("z6Mk")
    assert oct(os.stat(key).st_mode & 0o777) == "0o600"
    (tmp_path / "pub.pem").write_text(out[: out.index("-----END PUBLIC KEY-----") + 25])
    (tmp_path / "pub.mk").write_text(multikey + "\n")
    doc = tmp_path / "doc.sx"
    doc.write_text('(Create :id 1 :actor "a" (Note "hi"))\n; two\n(b :y 2 :x 1)\n')
    r = run("sign", "--key", str(key), "--key-id", "https://a.example/u/a#k", "--created",
            "1733500000", str(doc))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith('(signed :alg "ed25519" :created 1733500000 :key-id "https://a.example/u/a#k" :sig "')
    assert lines[1].endswith(" (b :x 1 :y 2))")  # the inner expression, canonical
    signed = tmp_path / "signed.sx"
    signed.write_text("\n".join(lines) + "\n")
    for pub in ("pub.pem", "pub.mk"):
        r = run("verify", "--pub", str(tmp_path / pub), "--at", "1733500000", str(signed))
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode().count("valid https://a.example/u/a#k ed25519 1733500000") == 2
    # One tampered expression: exit 1, its reason on stderr with its position.
    signed.write_text(lines[0] + "\n" + lines[1].replace(":x 1", ":x 9") + "\n")
    r = run("verify", "--pub", str(tmp_path / "pub.pem"), "--at", "1733500000", str(signed))
    assert r.returncode == 1
    assert "signed.sx:2:1: bad-signature" in r.stderr.decode()
    # In the future as of --at.
    r = run("verify", "--pub", str(tmp_path / "pub.pem"), "--at", "1733400000", str(signed))
    assert r.returncode == 1 and "not-yet-valid" in r.stderr.decode()
    # Usage errors.
    assert run("verify", str(signed)).returncode == 2
    assert run("keygen", "--alg", "dsa", "-o", str(tmp_path / "x")).returncode == 2


def _vector_message(name, section):
    base = open(os.path.join(VECTORS, "rfc9421", name), "rb").read()
    head, _, body = base.partition(b"\n\n")
    sig_input = open(os.path.join(VECTORS, "rfc9421", section, "signature-input.txt"), "rb").read()
    sig = open(os.path.join(VECTORS, "rfc9421", section, "signature.txt"), "rb").read()
    return head + b"\nSignature-Input: " + sig_input + b"\nSignature: " + sig + b"\n\n" + body


@pytest.mark.parametrize("section,message,key", [
    ("b2_1", "test-request.http", "test-key-rsa-pss.pub.pem"),
    ("b2_2", "test-request.http", "test-key-rsa-pss.pub.pem"),
    ("b2_3", "test-request.http", "test-key-rsa-pss.pub.pem"),
    ("b2_4", "test-response.http", "test-key-ecc-p256.pub.pem"),
    ("b2_5", "test-request.http", None),
    ("b2_6", "test-request.http", "test-key-ed25519.pub.pem"),
])
def test_httpsig_verifies_rfc9421_appendix_b(tmp_path, section, message, key):
    msg = tmp_path / "m.http"
    msg.write_bytes(_vector_message(message, section))
    keyargs = (["--pub", os.path.join(VECTORS, "rfc9421", "keys", key)] if key else
               ["--secret", os.path.join(VECTORS, "rfc9421", "keys", "test-shared-secret.b64")])
    args = ["httpsig", "verify", *keyargs, "--at", "1618884473", "--no-require-target",
            "--no-require-digest", str(msg)]
    r = run(*args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().startswith("valid rfc9421 ")
    # The same vector checked now (2026): the signature is years old.
    r = run(*[a for a in args if a not in ("--at", "1618884473")])
    assert r.returncode == 1 and b"expired" in r.stderr
    if section == "b2_1":
        return  # B.2.1 covers no component: a changed message still verifies, as the RFC says
    # A changed covered header fails.
    msg.write_bytes(_vector_message(message, section).replace(b"example.com", b"example.org")
                    .replace(b"application/json", b"application/jsom"))
    assert run(*args).returncode == 1


def test_httpsig_sign_then_verify_both_schemes(tmp_path):
    key = tmp_path / "k.pem"
    pub = run("keygen", "--alg", "p256", "-o", str(key)).stdout
    (tmp_path / "pub.pem").write_bytes(pub)
    req = tmp_path / "req.http"
    req.write_bytes(b"POST /users/bob/inbox HTTP/1.1\r\nHost: b.example\r\n"
                    b"Content-Type: application/activity+json\r\nContent-Length: 17\r\n\r\n"
                    b'{"type":"Follow"}')
    for scheme, field in (("rfc9421", b"Signature-Input: sig1="), ("cavage", b"Signature: keyId=")):
        r = run("httpsig", "sign", "--key", str(key), "--key-id", "https://a.example/a#k",
                "--scheme", scheme, "--at", "1733500000", str(req))
        assert r.returncode == 0, r.stderr
        assert field in r.stdout
        signed = tmp_path / f"{scheme}.http"
        signed.write_bytes(r.stdout)
        r = run("httpsig", "verify", "--pub", str(tmp_path / "pub.pem"), "--at", "1733500100",
                str(signed))
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode().startswith(f"valid {scheme} https://a.example/a#k ecdsa-p256-sha256")
        signed.write_bytes(signed.read_bytes().replace(b"Follow", b"Undo!!"))
        r = run("httpsig", "verify", "--pub", str(tmp_path / "pub.pem"), "--at", "1733500100",
                str(signed))
        assert r.returncode == 1 and b"digest-mismatch" in r.stderr


def test_httpsig_cavage_appendix_c(tmp_path):
    c = os.path.join(VECTORS, "cavage12")
    head, _, body = open(os.path.join(c, "request.http"), "rb").read().partition(b"\n\n")
    header = open(os.path.join(c, "c2", "signature-header.txt"), "rb").read()
    value = b"".join(line.strip() if i else line for i, line in enumerate(header.split(b"\n")))
    msg = tmp_path / "c2.http"
    msg.write_bytes(head + b"\nAuthorization: " + value + b"\n\n" + body)
    args = ["httpsig", "verify", "--pub", os.path.join(c, "keys", "public.pem"), "--at",
            "1388957500", "--no-require-digest", str(msg)]
    r = run(*args)
    assert r.returncode == 1 and b"alg-not-allowed" in r.stderr  # the key is RSA 1024
    r = run(*args, "--min-rsa-bits", "1024")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"valid cavage Test rsa-v1_5-sha256\n"


# --- sexp ap from-json | to-json (spec/activitypub.md) -----------------------

AP_FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ap", "fixtures")


def test_ap_round_trip_through_files(sx, tmp_path):
    note = os.path.join(AP_FIXTURES, "mastodon", "create-note-reply-mention.json")
    r = run("ap", "from-json", note)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"(Create :@context ") and r.stdout.endswith(b")\n")
    path = sx(r.stdout.decode(), name="note.sx")
    out = run("ap", "to-json", "--no-sexpr", path)
    assert out.returncode == 0, out.stderr
    import json
    back, sent = json.loads(out.stdout), json.load(open(note))
    assert back["object"]["tag"] == sent["object"]["tag"]
    assert back["to"] == sent["to"] and back["@context"] == sent["@context"]
    # Default: the rendered content and its canonical sx beside it.
    full = json.loads(run("ap", "to-json", path).stdout)
    assert full["object"]["rose:sexpr"].startswith("(p ")
    # stdin works both ways
    assert run("ap", "from-json", "-", stdin=open(note, "rb").read()).stdout == r.stdout


def test_ap_from_json_bad_input_exits_1_with_position(sx):
    path = sx('{"type": "Note",\n  "id": "a",\n  "id": "b"}', name="dup.json")
    r = run("ap", "from-json", path)
    assert r.returncode == 1 and r.stdout == b""
    assert r.stderr.decode().startswith(path + ":3:3: duplicate-key: ")
    r = run("ap", "from-json", sx('{"a": [1, 2', name="cut.json"))
    assert r.returncode == 1 and b"unexpected-eof" in r.stderr
    r = run("ap", "from-json", sx(b'{"a": "\xff"}', name="bad.json"))
    assert r.returncode == 1 and b":1:8: invalid-utf8" in r.stderr  # the byte 0xff
    deep = sx("[" * 10000 + "]" * 10000, name="deep.json")
    r = run("ap", "from-json", deep)
    assert r.returncode == 1 and b"depth-limit" in r.stderr


def test_ap_from_json_sanitizes_and_reports(sx):
    path = sx('{"type":"Note","content":"<p onclick=\\"x()\\">hi<script>evil()</script></p>"}',
              name="x.json")
    r = run("ap", "from-json", "--stats", path)
    assert r.returncode == 0
    assert r.stdout == b'(Note (p "hi"))\n'
    assert b"1 elements dropped" in r.stderr and b"1 attributes dropped" in r.stderr
    # A peer's rose:sexpr counts only with --verified.
    path = sx('{"type":"Note","content":"<p>html</p>","rose:sexpr":"(p \\"sx\\")"}', name="r.json")
    assert run("ap", "from-json", path).stdout.endswith(b'(p "html"))\n')
    assert run("ap", "from-json", "--verified", path).stdout == b'(Note (p "sx"))\n'


def test_ap_to_json_errors_name_the_node(sx):
    r = run("ap", "to-json", sx('(Note :id "x"\n  :name foo)', name="bad.sx"))
    assert r.returncode == 1 and r.stdout == b""
    assert b"bad.sx:2:9: unrepresentable: the symbol foo" in r.stderr
    r = run("ap", "to-json", sx("(Note", name="cut.sx"))
    assert r.returncode == 1 and b"unexpected-eof" in r.stderr


def test_from_html_sanitize(sx):
    path = sx('<p onclick="x">a<script>b</script><a href="javascript:c">d</a></p>', name="s.html")
    r = run("from-html", "--sanitize", path)
    assert r.returncode == 0
    assert r.stdout.strip() == b'(p "a" (a "d"))'
    assert b"dropped 1 element(s)" in r.stderr and b"1 unsafe URL(s)" in r.stderr
