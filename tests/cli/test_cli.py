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
