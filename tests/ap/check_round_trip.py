#!/usr/bin/python3
"""Round-trip oracle for the ActivityStreams JSON-LD <-> sx bridge (`sexp ap`).

Per fixture in tests/ap/fixtures (sorted), through the CLI:
1. Structure: `from-json F` gives sx; `to-json SX --no-sexpr` must give the
   original back as a Python value (key order free, array order significant)
   after the normalisations below. In the default `to-json SX` output, each
   "content" of a typed object must be sanitized already (the profile below
   removes nothing from it) and have a "rose:sexpr" string beside it.
2. Graph (pyld; else "known"): the normalised original and the default output
   ((a) applied, "rose:sexpr" removed; its added @context entry {"rose": ...}
   only defines a prefix) are expanded offline (vendored contexts, README's
   expand-context on both), canonicalised with URDNA2015, and their N-Quads
   sets compared. README's ```known block applies as in check_fixtures.py.

Normalisations, and why each is legitimate:
(a) The "content" of a typed object (a dict whose "type" is one string that
    starts with an ASCII capital or holds ':': the header's list-form
    objects) becomes a canonical form of its HTML: html5lib fragment parse,
    the profile below, a fixed serialisation (attributes sorted, whitespace
    exact). The bridge keeps no HTML bytes; it sanitizes content into sx and
    renders it again, so quoting, attribute order, entity spelling and what
    the profile removes change. Other "content" (Lemmy's untyped "source")
    is compared verbatim.
(b) In to/cc/bto/bcc/audience (outside @context) "Public" and "as:Public"
    become https://www.w3.org/ns/activitystreams#Public, and its repeats in an
    array go: ActivityPub §5.6 (Public Addressing) makes the three spellings
    one public collection, and these properties are unordered sets in JSON-LD
    (no @list), so a repeat adds no triple. The http:// spelling is kept, as
    the bridge keeps it. Applied to the original only: the header says
    :public is written once, as the https IRI, so the output is held to that.
(c) Numbers: int and float are equal when float(a) == float(b) (JSON has one
    number type). For the graph, integral floats become ints on both sides:
    JSON-LD 1.1 (object to RDF) makes both xsd:integer; pyld 2.0.3 still
    follows JSON-LD 1.0 (xsd:double for Mastodon's focalPoint 0.0).

Sanitizing profile (the bridge's, implemented here independently): DROP
elements go with their content, KEEP ones stay, others are unwrapped; any
attribute outside ATTRS goes, and href/src/cite/poster unless relative or of
a SAFE_SCHEMES scheme (case-insensitive, after stripping leading/trailing C0
controls, space and DEL, and tab/LF/CR anywhere, as URL parsers do);
comments go; adjacent text merges.

Usage: /usr/bin/python3 tests/ap/check_round_trip.py [--sexp PATH] [fixture ...]
(PATH: else $SEXP_BIN, else ../../build/tools/sexp from here). Prints "ok PATH
...", "known PATH: why" or "FAIL PATH: why" (diff lines indented below), then
"N passed, N failed, N known". Exit 1 if anything failed; 2 if the binary or
html5lib is missing.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
from xml.sax.saxutils import escape

try:
    import html5lib
except ImportError:
    html5lib = None
try:
    from pyld import jsonld
except ImportError:
    jsonld = None

sys.dont_write_bytecode = True  # no __pycache__ beside the fixtures
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_fixtures import (FIXTURES, HERE, context_urls, describe,  # noqa: E402
                            install_loader, load_json, read_known, vendored_contexts)

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AUDIENCE = frozenset("to cc bto bcc audience".split())
DROP = frozenset("""script style iframe frame frameset object embed applet noscript
    template svg math form input button select option textarea head title meta link
    base noembed noframes xmp plaintext param canvas dialog portal""".split())
KEEP = frozenset("""a abbr b bdi bdo blockquote br caption cite code col colgroup dd
    del details dfn div dl dt em figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd
    li mark ol p pre q rp rt ruby s samp small span strong sub summary sup table tbody
    td tfoot th thead time tr u ul var wbr section article aside header footer nav main
    audio video source picture""".split())
VOID = frozenset("br col hr img source wbr".split())  # written with no end tag
ATTRS = frozenset("""href src alt title class rel target lang dir translate width
    height cite datetime start reversed type value colspan rowspan controls loop muted
    poster""".split())
URL_ATTRS = frozenset("href src cite poster".split())
SAFE_SCHEMES = frozenset("http https mailto tel sexpr".split())
_EDGE = "".join(map(chr, range(0x21))) + "\x7f"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
TIMEOUT = 120  # seconds per CLI call


# ---- HTML: sanitize, serialise canonically --------------------------------

def safe_url(url):
    m = _SCHEME.match(re.sub(r"[\t\n\r]", "", url.strip(_EDGE)))
    return m is None or m.group(1).lower() in SAFE_SCHEMES


def _walk(el, out, removed):
    """Write el's children (etree: .text, children, their .tail) to out."""
    out.append(escape(el.text or ""))
    for child in el:
        if isinstance(child.tag, str):  # else a comment: dropped
            ns, _, name = child.tag.rpartition("}")  # svg/math: '{ns}name'
            if name in DROP:
                removed["elements"] += 1
            elif name in KEEP and not ns:
                attrs = []
                for k, v in sorted(child.attrib.items()):
                    if k in ATTRS and (k not in URL_ATTRS or safe_url(v)):
                        attrs.append(' %s="%s"' % (k, escape(v, {'"': "&quot;"})))
                    else:
                        removed["attributes"] += 1
                out.append("<%s%s>" % (name, "".join(attrs)))
                _walk(child, out, removed)
                out.append("" if name in VOID else "</%s>" % name)
            else:
                removed["unwrapped"] += 1
                _walk(child, out, removed)
        out.append(escape(child.tail or ""))  # adjacent text merges as it is joined


def canon_html(html):
    """(canonical sanitized HTML, counts of what the profile removed)."""
    root = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    out, removed = [], {"elements": 0, "unwrapped": 0, "attributes": 0}
    _walk(root, out, removed)
    return "".join(out), removed


# ---- JSON: normalise, compare ---------------------------------------------

def is_typed(obj):
    t = obj.get("type")
    return isinstance(t, str) and t != "" and ("A" <= t[0] <= "Z" or ":" in t)


def typed_contents(node, path="$"):
    """(path, object) for each typed object with a string "content"."""
    if isinstance(node, dict):
        if is_typed(node) and isinstance(node.get("content"), str):
            yield path, node
        for k, v in node.items():
            if k != "@context":
                yield from typed_contents(v, "%s.%s" % (path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from typed_contents(v, "%s[%d]" % (path, i))


def normalise(node, public=True, ints=False, no_sexpr=False, key=None):
    """(a); (b) if public; integral floats to ints if ints; "rose:sexpr" removed
    if no_sexpr. @context values are left as they are."""
    again = (public, ints, no_sexpr)
    if isinstance(node, dict):
        typed, out = is_typed(node), {}
        for k, v in node.items():
            if k == "@context":
                out[k] = v
            elif k == "content" and typed and isinstance(v, str):
                out[k] = canon_html(v)[0]
            elif not (no_sexpr and k == "rose:sexpr"):
                out[k] = normalise(v, *again, key=k)
        return out
    if isinstance(node, list):
        items = [normalise(v, *again, key=key) for v in node]
        if public and key in AUDIENCE and PUBLIC in items:
            first = items.index(PUBLIC)
            items = [v for i, v in enumerate(items) if v != PUBLIC or i == first]
        return items
    if public and key in AUDIENCE and node in ("Public", "as:Public"):
        return PUBLIC
    if ints and isinstance(node, float) and node.is_integer() and abs(node) < 1e21:
        return int(node)
    return node


def _short(v, at=0):
    s = v[max(0, at - 25):] if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    s = s[:70] + ("…" if len(s) > 70 else "")
    return json.dumps(s, ensure_ascii=False) if isinstance(v, str) else s


def diff(a, b, path, out, limit=6):
    """Append "path: original vs output" lines, at most limit of them."""
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            p = "%s.%s" % (path, k)
            if k not in b:
                out.append("%s: only in original: %s" % (p, _short(a[k])))
            elif k not in a:
                out.append("%s: only in output: %s" % (p, _short(b[k])))
            else:
                diff(a[k], b[k], p, out, limit)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append("%s: %d items in original, %d in output" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, "%s[%d]" % (path, i), out, limit)
    elif all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
        try:
            same = float(a) == float(b)
        except OverflowError:  # an int too big for a float
            same = a == b
        if not same:
            out.append("%s: %r vs %r" % (path, a, b))
    elif type(a) is not type(b) or a != b:
        at = 0
        if isinstance(a, str) and isinstance(b, str):
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        where = " (from char %d)" % at if at else ""
        out.append("%s%s: %s vs %s" % (path, where, _short(a, at), _short(b, at)))


# ---- the CLI, the graph ------------------------------------------------------

class Failure(Exception):
    pass


def run(sexp, args, out_path):
    """`sexp ap ARGS`; its stdout goes to out_path."""
    what = "sexp ap " + " ".join(args[:1] + args[2:])
    try:
        p = subprocess.run([sexp, "ap"] + args, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure("%s: timed out after %ds" % (what, TIMEOUT))
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").strip().splitlines() or ["(no message)"]
        raise Failure("%s exited %d: %s" % (what, p.returncode, err[0]))
    if not p.stdout.endswith(b"\n"):
        raise Failure("%s: output does not end with a newline" % what)
    with open(out_path, "wb") as f:
        f.write(p.stdout)


def make_loader():
    return install_loader(jsonld, vendored_contexts())


def nquads(doc, extra, loader):
    opts = {"documentLoader": loader}
    if extra:
        opts["expandContext"] = {"@context": extra}
    expanded = jsonld.expand(doc, opts)
    if not expanded:
        raise ValueError("expands to nothing")
    text = jsonld.normalize(expanded, {"algorithm": "URDNA2015", "documentLoader": loader,
                                       "format": "application/n-quads"})
    return {ln for ln in text.splitlines() if ln.strip()}


# ---- one fixture -------------------------------------------------------------

def check(path, sexp, known, loader):
    """-> (status, message, diff lines)."""
    missing, expand_ctx, known_fail = known
    key = os.path.relpath(path, os.path.dirname(FIXTURES))  # fixtures/x/y.json
    orig = load_json(path)
    with tempfile.TemporaryDirectory(prefix="sexp-ap-") as tmp:
        sx, plain, full = (os.path.join(tmp, n) for n in ("in.sx", "plain.json", "full.json"))
        run(sexp, ["from-json", path], sx)
        run(sexp, ["to-json", sx, "--no-sexpr"], plain)
        run(sexp, ["to-json", sx], full)
        try:  # strict UTF-8, no duplicate keys
            plain, full = load_json(plain), load_json(full)
        except ValueError as e:
            raise Failure("sexp ap to-json: output is not JSON: %s" % e)

    fails, lines = [], []
    diff(normalise(orig), normalise(plain, public=False), "$", lines)
    if lines:
        fails.append("JSON -> sx -> JSON differs")
    for p, obj in typed_contents(full):
        removed = canon_html(obj["content"])[1]
        if any(removed.values()):
            fails.append("output content not sanitized at %s.content (would remove %s)" % (
                p, ", ".join("%d %s" % (n, k) for k, n in removed.items() if n)))
        if not isinstance(obj.get("rose:sexpr"), str):
            fails.append("no rose:sexpr string beside %s.content" % p)
    if fails:
        return "FAIL", "; ".join(fails[:4]), lines

    refs, extra = set(), expand_ctx.get(key)
    context_urls(orig, refs)
    gone = sorted(r for r in refs.union(extra or ()) if r in missing)
    if gone:
        return "known", "JSON equal; graph: context %s cannot be had (%s)" % (
            gone[0], missing[gone[0]]), []
    if loader is None:
        return "known", "JSON equal; graph check skipped: pyld missing", []
    why = None
    try:
        a = nquads(normalise(orig, ints=True), extra, loader)
        b = nquads(normalise(full, public=False, ints=True, no_sexpr=True), extra, loader)
        if a != b:
            why = "graphs differ: %d triples only in original, %d only in output" % (
                len(a - b), len(b - a))
        lines = (["only in original: " + q for q in sorted(a - b)[:5]]
                 + ["only in output:   " + q for q in sorted(b - a)[:5]])
    except Exception as e:  # noqa: BLE001 - report any pyld error
        why = "graph: " + describe(e)
    if why and key in known_fail:
        return "known", "%s (README: %s)" % (why, known_fail[key]), []
    if why:
        return "FAIL", why, lines
    return "ok", "JSON equal, %d triples equal%s" % (
        len(a), " (expandContext from README)" if extra else ""), []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sexp", default=os.environ.get("SEXP_BIN") or os.path.normpath(
        os.path.join(HERE, "..", "..", "build", "tools", "sexp")), help="the sexp binary")
    ap.add_argument("fixtures", nargs="*", help="fixture files (default: all)")
    args = ap.parse_args()
    if html5lib is None:
        print("error: html5lib not importable (Debian: apt-get install python3-html5lib)")
        return 2
    sexp = os.path.abspath(args.sexp)
    if not (os.path.isfile(sexp) and os.access(sexp, os.X_OK)):
        print("error: sexp binary not found or not executable: %s" % sexp)
        return 2
    # Fixtures as given, else relative to tests/ap/fixtures (a missing one fails).
    paths = sorted(os.path.abspath(f if os.path.exists(f) else os.path.join(FIXTURES, f))
                   for f in args.fixtures)
    paths = paths or sorted(glob.glob(os.path.join(FIXTURES, "**", "*.json"), recursive=True))
    if jsonld is None:
        print("note: pyld not importable; graph checks skipped (Debian: python3-pyld)")
    loader = make_loader() if jsonld else None
    known = read_known()

    counts = {"ok": 0, "FAIL": 0, "known": 0}
    for path in paths:
        try:
            status, msg, lines = check(path, sexp, known, loader)
        except Exception as e:  # noqa: BLE001 - the CLI failed, bad JSON, ...
            msg = str(e) if isinstance(e, Failure) else "%s: %s" % (type(e).__name__, e)
            status, lines = "FAIL", []
        sep = " " if status == "ok" else ": "
        print("%s %s%s%s" % (status, os.path.relpath(path, HERE), sep, msg))
        for ln in lines:
            print("    " + ln)
        counts[status] += 1
    print("%d passed, %d failed, %d known" % (counts["ok"], counts["FAIL"], counts["known"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
