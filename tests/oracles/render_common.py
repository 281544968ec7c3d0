"""Shared by render_xss_oracle.py and render_tree_oracle.py: a small reader
for the sx that `sexp eval` prints, an sx string writer, JavaScript number
formatting, and what html5lib (an independent HTML5 parser) makes of a
rendering, as plain tuples. Nothing here comes from libsexp: the rules are
those of spec/grammar.md, spec/rendering.md and the HTML standard, written
again in Python.

A DOM node is ("#text", str) or (tag, attrs, children) where tag is the
local name, prefixed "svg:" or "math:" for foreign elements, attrs a dict
(namespaced attributes as "xlink:href", "xml:lang", "xmlns:xlink") and
children a tuple of nodes with adjacent text merged and comments dropped.
"""
import math
import os
import re
import subprocess
from decimal import Decimal

import html5lib

SVG_NS = "http://www.w3.org/2000/svg"
MATH_NS = "http://www.w3.org/1998/Math/MathML"
ATTR_NS = {
    "http://www.w3.org/1999/xlink": "xlink",
    "http://www.w3.org/XML/1998/namespace": "xml",
    "http://www.w3.org/2000/xmlns/": "xmlns",
}


# --- sx text -----------------------------------------------------------------

def sx_string(text, raw_whitespace=False):
    """`text` as an sx string literal (spec/grammar.md §6): `"` and `\\`
    escaped, controls as \\uXXXX (or \\n \\t \\r; raw when raw_whitespace),
    everything else raw UTF-8."""
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\n\t\r":
            out.append(ch if raw_whitespace else {"\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch])
        elif o < 0x20:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class Sym(str):
    """An sx symbol."""


class Kw(str):
    """An sx keyword (the name, without the colon)."""


class Dict:
    """An sx dict: its (key, value) pairs in the order printed."""

    def __init__(self, pairs):
        self.pairs = pairs

    def __repr__(self):
        return "Dict(%r)" % (self.pairs,)


class Float(float):
    """An sx float (kept apart from ints: 2.0 is not 2)."""


class SxSyntaxError(Exception):
    pass


_DELIMS = set(" \t\r\n()[]{}\";'`,")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")


def read_sx(text):
    """All the data of `text` (spec/grammar.md, the subset printed by
    `sexp eval`: lists, dicts, strings, numbers, symbols, keywords, nil,
    true, false)."""
    pos = 0
    n = len(text)

    def skip():
        nonlocal pos
        while pos < n:
            c = text[pos]
            if c in " \t\r\n":
                pos += 1
            elif c == ";":
                while pos < n and text[pos] != "\n":
                    pos += 1
            else:
                break

    def string():
        nonlocal pos
        pos += 1  # opening quote
        out = []
        while True:
            if pos >= n:
                raise SxSyntaxError("unterminated string")
            c = text[pos]
            if c == '"':
                pos += 1
                return "".join(out)
            if c != "\\":
                out.append(c)
                pos += 1
                continue
            e = text[pos + 1]
            if e in '"\\':
                out.append(e)
                pos += 2
            elif e in "ntr":
                out.append({"n": "\n", "t": "\t", "r": "\r"}[e])
                pos += 2
            elif e == "u":
                unit = int(text[pos + 2:pos + 6], 16)
                pos += 6
                if 0xD800 <= unit < 0xDC00:
                    if text[pos:pos + 2] != "\\u":
                        raise SxSyntaxError("lone high surrogate")
                    low = int(text[pos + 2:pos + 6], 16)
                    pos += 6
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                out.append(chr(unit))
            else:
                raise SxSyntaxError("bad escape \\%s" % e)

    def token():
        nonlocal pos
        start = pos
        while pos < n and text[pos] not in _DELIMS:
            pos += 1
        tok = text[start:pos]
        if tok == "nil":
            return None
        if tok in ("true", "#t"):
            return True
        if tok in ("false", "#f"):
            return False
        if _NUMBER.match(tok):
            if re.match(r"-?[0-9]+\Z", tok):
                return int(tok)
            return Float(float(tok))
        if tok.startswith("#"):
            raise SxSyntaxError("unexpected token %r" % tok)
        if tok.startswith(":") and len(tok) > 1:
            return Kw(tok[1:])
        return Sym(tok)

    def datum():
        nonlocal pos
        skip()
        if pos >= n:
            raise SxSyntaxError("unexpected end")
        c = text[pos]
        if c in "([":
            close = ")" if c == "(" else "]"
            pos += 1
            items = []
            while True:
                skip()
                if pos < n and text[pos] == close:
                    pos += 1
                    return items
                items.append(datum())
        if c == "{":
            pos += 1
            items = []
            while True:
                skip()
                if pos < n and text[pos] == "}":
                    pos += 1
                    if len(items) % 2:
                        raise SxSyntaxError("odd dict")
                    return Dict(list(zip(items[0::2], items[1::2])))
                items.append(datum())
        if c == '"':
            return string()
        if c in ")]}":
            raise SxSyntaxError("unexpected %r at %d" % (c, pos))
        if c == "'":
            pos += 1
            return [Sym("quote"), datum()]
        return token()

    out = []
    while True:
        skip()
        if pos >= n:
            return out
        out.append(datum())


# --- numbers -----------------------------------------------------------------

def js_number(x):
    """ECMAScript Number::toString(x) for a finite double."""
    if x == 0:
        return "0"
    if x < 0:
        return "-" + js_number(-x)
    sign, digits, exp = Decimal(repr(x)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    # repr gives the shortest round-trip digits; value = 0.ds * 10^n
    k = len(ds)
    n = exp + len(digits)
    if k <= n <= 21:
        return ds + "0" * (n - k)
    if 0 < n <= 21:
        return ds[:n] + "." + ds[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + ds
    e = n - 1
    es = ("+" if e >= 0 else "-") + str(abs(e))
    if k == 1:
        return ds + "e" + es
    return ds[0] + "." + ds[1:] + "e" + es


def sx_number_text(v):
    """How spec/rendering.md says a number renders: ints in decimal, floats
    in their canonical form (ECMAScript's, with `.0` added when it has
    neither `.` nor `e`, and 0.0 for both zeros)."""
    if isinstance(v, Float):
        assert math.isfinite(v)
        if v == 0:
            return "0.0"
        s = js_number(v)
        if "." not in s and "e" not in s:
            s += ".0"
        return s
    return str(v)


# --- what the HTML parser does to text ---------------------------------------
#
# Before comparing, expected text goes through what any HTML5 parser does to
# its input (the renderer escapes only & < > " ' and writes every other
# character as it is, as spec/rendering.md says): CR LF and CR become LF; a
# NUL is dropped in text the "in body"/"in select" modes insert, and becomes
# U+FFFD in attribute values, RCDATA (title, textarea), script/style text
# and foreign (SVG/MathML) text. (The parser also drops one newline right
# after <pre>, <listing> or <textarea>; the renderer writes one more before
# text that starts with a newline, so the text comes through whole.)

def newlines(s):
    return s.replace("\r\n", "\n").replace("\r", "\n")


def as_attribute(s):
    return newlines(s).replace("\0", "\ufffd")


# Text contexts
BODY, RCDATA, RAWTEXT, FOREIGN = "body", "rcdata", "rawtext", "foreign"


def as_text(s, context):
    s = newlines(s)
    return s.replace("\0", "") if context == BODY else s.replace("\0", "\ufffd")


# Where foreign content goes back to HTML rules for text.
TEXT_INTEGRATION = {"svg:foreignObject", "svg:desc", "svg:title",
                    "math:mi", "math:mo", "math:mn", "math:ms", "math:mtext"}


def text_context(tag):
    """The context of text that is a child of element `tag` (a DOM tag)."""
    if tag in ("title", "textarea"):
        return RCDATA
    if tag in ("script", "style"):
        return RAWTEXT
    if ":" in tag and tag not in TEXT_INTEGRATION:
        return FOREIGN
    return BODY


# --- html5lib DOM as tuples --------------------------------------------------

def _tag(el):
    t = el.tag
    if t.startswith("{"):
        ns, local = t[1:].split("}", 1)
        return ("svg:" if ns == SVG_NS else "math:" if ns == MATH_NS else ns + ":") + local
    return t


def _attr_name(name):
    if name.startswith("{"):
        ns, local = name[1:].split("}", 1)
        prefix = ATTR_NS.get(ns, ns)
        return local if prefix == "xmlns" and local == "xmlns" else prefix + ":" + local
    return name


def dom_node(el):
    children = []

    def text(s):
        if not s:
            return
        if children and children[-1][0] == "#text":
            children[-1] = ("#text", children[-1][1] + s)
        else:
            children.append(("#text", s))

    text(el.text)
    for child in el:
        if isinstance(child.tag, str):  # comments have a function as tag
            children.append(dom_node(child))
        text(child.tail)
    attrs = {_attr_name(k): v for k, v in el.attrib.items()}
    return (_tag(el), attrs, tuple(children))


def parse_fragment(html, container="body"):
    """The children of the fragment html5lib builds from `html`."""
    frag = html5lib.parseFragment(html, container=container, treebuilder="etree",
                                  namespaceHTMLElements=False)
    return dom_node(frag)[2]


def parse_document(html):
    """The <html> element html5lib builds from `html`."""
    root = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    return dom_node(root)


def merge_text(nodes):
    """Adjacent text merged, empty text dropped."""
    out = []
    for node in nodes:
        if node[0] == "#text":
            if not node[1]:
                continue
            if out and out[-1][0] == "#text":
                out[-1] = ("#text", out[-1][1] + node[1])
                continue
        out.append(node)
    return tuple(out)


def first_difference(want, got, path):
    """None, or where two node tuples first differ."""
    if want[0] == "#text" or got[0] == "#text":
        if want == got:
            return None
        return "%s: expected %s, got %s" % (path, show(want), show(got))
    if want[0] != got[0]:
        return "%s: expected <%s>, got <%s>" % (path, want[0], got[0])
    here = "%s/%s" % (path, want[0])
    if want[1] != got[1]:
        return "%s: attributes expected %r, got %r" % (here, want[1], got[1])
    return children_difference(want[2], got[2], here)


def children_difference(want, got, path):
    for i, (x, y) in enumerate(zip(want, got)):
        d = first_difference(x, y, "%s[%d]" % (path, i))
        if d:
            return d
    if len(want) != len(got):
        extra = (got if len(got) > len(want) else want)[min(len(want), len(got))]
        return "%s: %d children expected, got %d (first %s: %s)" % (
            path, len(want), len(got), "extra" if len(got) > len(want) else "missing",
            show(extra))
    return None


def show(node, limit=160):
    if node[0] == "#text":
        s = "text %r" % node[1]
    else:
        s = "<%s %s> with %d children" % (node[0], node[1], len(node[2]))
    return s if len(s) <= limit else s[:limit] + "..."


def walk(nodes):
    """Every element node in `nodes`, depth first."""
    for node in nodes:
        if node[0] != "#text":
            yield node
            yield from walk(node[2])


def run(argv):
    r = subprocess.run(argv, capture_output=True)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def binary_from_args(args, tool, doc):
    """The sexp binary named first in `args`, or an exit code: 2 after
    printing `doc` when it is missing, 1 when it is not an executable."""
    if not args or args[0].startswith("-"):
        print(doc)
        return None, 2
    if not (os.path.isfile(args[0]) and os.access(args[0], os.X_OK)):
        print("%s: no sexp binary at %s" % (tool, args[0]))
        return None, 1
    return args[0], 0
