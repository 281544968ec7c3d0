#!/usr/bin/python3
"""SHA3 oracle for `sexp canon` / `sexp hash`.

    /usr/bin/python3 sha3_oracle.py BIN [--seed N] [--count N] [--keep]

Generates --count random valid documents (gen_docs.py) into one file, runs
`BIN canon FILE` and `BIN hash FILE` once each, and checks, independently of
libsexp (hashlib's SHA3-256):

  * both print exactly one line per top-level expression;
  * hash line i == "sha3-" + sha3_256(canonical line i as UTF-8).hexdigest();
  * every canonical line has the shape of canonical form v1 (DESIGN.md):
    one space between elements, none after an opener or before a closer,
    no comments, no [ ] / sugar / #t #f left, strings escaping exactly
    " \\ and characters below U+0020 (\\u00xx lowercase), numbers in JSON /
    ECMAScript form, keyword-pair runs and dict keys sorted bytewise;
  * `BIN canon` of the canonical output reproduces it byte for byte, and
    `BIN canon -` (stdin) prints what `BIN canon FILE` prints.

If the batch is rejected, the documents it fails on are found (chunks, then
single documents) and reported with the error; the rest are still checked.
Prints `N passed, M failed` last; exits 0 only when M == 0.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_docs  # noqa: E402

DEFAULT_SEED = 20240611
TIMEOUT = 60


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.shown = {}

    def ok(self, cond, what, detail=""):
        """Counts one check; prints the first few failures of each kind."""
        if cond:
            self.passed += 1
            return True
        self.failed += 1
        n = self.shown.get(what, 0)
        self.shown[what] = n + 1
        if n < 5:
            print("FAIL %s%s" % (what, ("\n" + detail) if detail else ""))
        elif n == 5:
            print("FAIL %s: more failures of this kind not shown" % what)
        return False


def run(bin_path, args, stdin=None):
    p = subprocess.run([bin_path] + args, input=stdin, capture_output=True,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def split_lines(out):
    """Output lines (split on LF only: canonical text may hold U+2028 etc.)."""
    if not out:
        return []
    if out.endswith(b"\n"):
        out = out[:-1]
    return out.split(b"\n")


def show_doc(doc, err=b"", limit=600):
    """A document's text, with the line an error message points at marked."""
    text = doc if len(doc) <= limit else doc[:limit] + "…(%d chars)" % len(doc)
    out = "  input: %r" % text
    m = re.search(rb":(\d+):(\d+):", err or b"")
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        lines = doc.encode("utf-8").split(b"\n")
        if 1 <= line <= len(lines):
            src = lines[line - 1]
            out += "\n  line %d: %r\n  at col %d: %r" % (
                line, src.decode("utf-8", "replace"), col,
                src[col - 1:col + 30].decode("utf-8", "replace"))
    if err:
        out += "\n  stderr: %s" % err.decode("utf-8", "replace").strip()[:500]
    return out


def find_rejected(bin_path, docs, tmp, budget=600):
    """Indices of documents `canon` rejects on their own, with stderr."""
    bad = {}
    calls = 0
    chunk = 25
    for start in range(0, len(docs), chunk):
        idx = list(range(start, min(start + chunk, len(docs))))
        path = os.path.join(tmp, "chunk.sx")
        gen_docs.write_file(path, [docs[i] for i in idx])
        rc, _, _ = run(bin_path, ["canon", path])
        calls += 1
        if rc == 0:
            continue
        for i in idx:
            if calls >= budget:
                return bad, False
            path = os.path.join(tmp, "one.sx")
            gen_docs.write_file(path, [docs[i]])
            rc, _, err = run(bin_path, ["canon", path])
            calls += 1
            if rc != 0:
                bad[i] = (rc, err)
    return bad, True


# -- canonical-text shape ------------------------------------------------

INT_RE = re.compile(r"-?(0|[1-9][0-9]*)\Z")
# ECMAScript Number::toString shapes, with ".0" appended to integral forms
FLOAT_RE = re.compile(
    r"-?((0|[1-9][0-9]*)\.(0|[0-9]*[1-9])"       # 12.5  0.001  3.0
    r"|[1-9](\.[0-9]*[1-9])?e[+-][1-9][0-9]*)\Z")  # 1e+21 1.5e-7
B64_RE = re.compile(r"([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")
STR_ESC = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
ATOM_END = set(' ()[]{}";\'`,')


class ShapeError(Exception):
    pass


class CanonParser:
    """A strict parser for canonical text only; raises ShapeError."""

    def __init__(self, text):
        self.s = text
        self.i = 0

    def fail(self, msg):
        raise ShapeError("%s at char %d: %r" % (msg, self.i,
                                                self.s[max(0, self.i - 20):self.i + 20]))

    def parse(self):
        if not self.s:
            self.fail("empty line")
        node = self.datum()
        if self.i != len(self.s):
            self.fail("text after the expression")
        return node

    def seq(self, closer):
        self.i += 1
        items = []
        if self.s[self.i:self.i + 1] == closer:
            self.i += 1
            return items
        while True:
            items.append(self.datum())
            c = self.s[self.i:self.i + 1]
            if c == closer:
                self.i += 1
                return items
            if c != " ":
                self.fail("expected one space or %r" % closer)
            self.i += 1

    def datum(self):
        c = self.s[self.i:self.i + 1]
        if c == "":
            self.fail("expected a datum")
        if c == "(":
            return ("list", self.seq(")"))
        if c == "{":
            items = self.seq("}")
            if len(items) % 2:
                self.fail("odd dict")
            return ("dict", items)
        if c == '"':
            return ("str", self.string())
        if self.s.startswith('#b64"', self.i):
            self.i += 4
            j = self.s.find('"', self.i + 1)
            if j < 0:
                self.fail("unterminated bytes")
            body = self.s[self.i + 1:j]
            if not B64_RE.match(body):
                self.fail("bad base64 %r" % body)
            self.i = j + 1
            return ("bytes", body)
        j = self.i
        while j < len(self.s) and self.s[j] not in ATOM_END \
                and ord(self.s[j]) > 0x20:
            j += 1
        t = self.s[self.i:j]
        if not t:
            self.fail("unexpected character %r" % c)
        self.i = j
        if t[0].isdigit() or (t[0] == "-" and t[1:2].isdigit()):
            if INT_RE.match(t):
                if t == "-0":
                    self.fail("integer -0 is written 0")
                return ("int", t)
            if FLOAT_RE.match(t):
                if t.startswith("-") and float(t) == 0:
                    self.fail("-0.0 is written 0.0")
                return ("float", t)
            self.fail("number %r not in canonical form" % t)
        if t.startswith("#"):
            self.fail("# form %r in canonical text" % t)
        if t.startswith(":"):
            if len(t) < 2:
                self.fail("bare ':'")
            return ("kw", t[1:])
        return ("sym", t)

    def string(self):
        self.i += 1
        out = []
        s = self.s
        while True:
            if self.i >= len(s):
                self.fail("unterminated string")
            c = s[self.i]
            if c == '"':
                self.i += 1
                return "".join(out)
            if ord(c) < 0x20:
                self.fail("raw control character U+%04X in string" % ord(c))
            if c == "\\":
                e = s[self.i + 1:self.i + 2]
                if e in STR_ESC:
                    out.append(STR_ESC[e])
                    self.i += 2
                    continue
                m = re.match(r"u00([01][0-9a-f])", s[self.i + 1:self.i + 6])
                if not m:
                    self.fail("escape not allowed in canonical strings")
                cp = int(m.group(1), 16)
                if cp in (9, 10, 13):
                    self.fail("\\u%04x must be written as \\t \\n \\r" % cp)
                out.append(chr(cp))
                self.i += 6
                continue
            out.append(c)
            self.i += 1


def check_sorted(node, problems):
    kind, v = node
    if kind == "list":
        for x in v:
            check_sorted(x, problems)
        run, seen, i = [], set(), 1
        runs = []
        while i < len(v):
            if v[i][0] == "kw" and i + 1 < len(v):
                name = v[i][1].encode("utf-8")
                if name in seen:
                    problems.append("keyword :%s repeated among pairs"
                                    % v[i][1])
                seen.add(name)
                run.append(name)
                i += 2
            else:
                runs.append(run)
                run = []
                i += 1
        runs.append(run)
        for r in runs:
            if r != sorted(r):
                problems.append("keyword pairs not sorted: %s" % [
                    x.decode("utf-8") for x in r])
    elif kind == "dict":
        keys = v[0::2]
        for x in v:
            check_sorted(x, problems)
        order = []
        for k in keys:
            if k[0] == "kw":
                order.append((0, k[1].encode("utf-8")))
            elif k[0] == "str":
                order.append((1, k[1].encode("utf-8")))
            else:
                problems.append("dict key of kind %s" % k[0])
        if order != sorted(order) or len(set(order)) != len(order):
            problems.append("dict keys not sorted/unique: %r" % (order,))


def shape_problems(line_bytes):
    try:
        text = line_bytes.decode("utf-8")
    except UnicodeDecodeError as e:
        return ["not UTF-8: %s" % e]
    try:
        node = CanonParser(text).parse()
    except ShapeError as e:
        return [str(e)]
    problems = []
    check_sorted(node, problems)
    return problems


# -- main ---------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="SHA3 oracle for sexp hash")
    ap.add_argument("bin", help="path of the sexp binary")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--keep", action="store_true",
                    help="keep the temp dir (kept anyway on failure)")
    a = ap.parse_args(argv)

    if not (os.path.isfile(a.bin) and os.access(a.bin, os.X_OK)):
        print("sha3_oracle: sexp binary not found or not executable: %s"
              % a.bin)
        print("0 passed, 1 failed")
        return 1

    t = Tally()
    tmp = tempfile.mkdtemp(prefix="sexp-sha3-oracle-")
    try:
        docs = gen_docs.generate(seed=a.seed, count=a.count)
        src = os.path.join(tmp, "docs.sx")
        gen_docs.write_file(src, docs)
        print("sha3_oracle: seed %d, %d documents, %d bytes, in %s"
              % (a.seed, len(docs), os.path.getsize(src), tmp))

        rc, out, err = run(a.bin, ["canon", src])
        if not t.ok(rc == 0, "canon accepts the batch of valid documents",
                    "  exit %d, stderr: %s" % (rc, err.decode("utf-8",
                                                               "replace")[:500])):
            bad, complete = find_rejected(a.bin, docs, tmp)
            for i in sorted(bad):
                rc1, err1 = bad[i]
                t.ok(False, "canon rejects valid document #%d (exit %d)"
                     % (i, rc1), show_doc(docs[i], err1))
            if not complete:
                t.ok(False, "locating rejected documents (gave up: budget)")
            if not bad:
                t.ok(False, "batch rejected but no single document is")
            docs = [d for i, d in enumerate(docs) if i not in bad]
            gen_docs.write_file(src, docs)
            rc, out, err = run(a.bin, ["canon", src])
            if not t.ok(rc == 0, "canon accepts the remaining documents",
                        "  exit %d, stderr: %s" % (rc, err[:500])):
                return finish(t, tmp, keep=True)

        canon = split_lines(out)
        t.ok(out.endswith(b"\n"), "canon output ends with a newline")
        t.ok(len(canon) == len(docs),
             "canon prints one line per expression",
             "  %d lines for %d expressions" % (len(canon), len(docs)))

        rc, hout, herr = run(a.bin, ["hash", src])
        t.ok(rc == 0, "hash exits 0", "  exit %d, stderr: %s"
             % (rc, herr.decode("utf-8", "replace")[:500]))
        hashes = split_lines(hout)
        t.ok(len(hashes) == len(docs), "hash prints one line per expression",
             "  %d lines for %d expressions" % (len(hashes), len(docs)))

        hash_re = re.compile(rb"sha3-[0-9a-f]{64}\Z")
        for i in range(min(len(canon), len(hashes), len(docs))):
            line = canon[i]
            want = b"sha3-" + hashlib.sha3_256(line).hexdigest().encode()
            got = hashes[i]
            if not t.ok(hash_re.match(got) is not None,
                        "hash line is sha3-<64 lowercase hex>",
                        "  #%d: %r" % (i, got)):
                continue
            t.ok(got == want, "sha3 of canonical line matches hash line",
                 "  #%d canonical: %r\n  expected %s\n  got      %s\n%s"
                 % (i, line.decode("utf-8", "replace")[:300], want.decode(),
                    got.decode("utf-8", "replace"), show_doc(docs[i])))

        for i, line in enumerate(canon[:len(docs)]):
            probs = shape_problems(line)
            t.ok(not probs, "canonical line has canonical shape",
                 "  #%d: %s\n  canonical: %r\n%s"
                 % (i, "; ".join(probs[:3]),
                    line.decode("utf-8", "replace")[:300], show_doc(docs[i])))

        # idempotence: canon(canon(x)) == canon(x), byte for byte
        csrc = os.path.join(tmp, "canon.sx")
        with open(csrc, "wb") as f:
            f.write(out)
        rc, out2, err2 = run(a.bin, ["canon", csrc])
        t.ok(rc == 0, "canon accepts its own output",
             "  exit %d, stderr: %s" % (rc, err2.decode("utf-8", "replace")[:500]))
        if rc == 0:
            same = out2 == out
            detail = ""
            if not same:
                l2 = split_lines(out2)
                for i, (x, y) in enumerate(zip(canon, l2)):
                    if x != y:
                        detail = ("  first difference at line %d:\n  canon:  %r"
                                  "\n  recanon: %r" % (i, x[:300], y[:300]))
                        break
                else:
                    detail = "  %d vs %d lines" % (len(canon), len(l2))
            t.ok(same, "canon is idempotent (byte for byte)", detail)

        # stdin
        with open(src, "rb") as f:
            data = f.read()
        rc, out3, _ = run(a.bin, ["canon", "-"], stdin=data)
        t.ok(rc == 0 and out3 == out, "canon - (stdin) matches canon FILE")

        return finish(t, tmp, keep=a.keep or t.failed > 0)
    except subprocess.TimeoutExpired as e:
        t.ok(False, "sexp finished within %ds" % TIMEOUT, "  %s" % e)
        return finish(t, tmp, keep=True)


def finish(t, tmp, keep):
    if keep:
        print("sha3_oracle: temp files kept in %s" % tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (t.passed, t.failed))
    return 0 if t.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
