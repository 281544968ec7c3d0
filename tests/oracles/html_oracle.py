#!/usr/bin/python3
"""Oracle for `sexp from-html`: html5lib (an independent HTML5 parser, in
Python) parses each file of a corpus, this script maps its DOM to sx by the
rules of spec/html-reader.md (written here again, sharing no code with
libsexp), and the result must equal what `sexp from-html` prints, compared in
canonical form (`sexp canon`), so layout does not matter.

    /usr/bin/python3 html_oracle.py BIN [--corpus DIR] [--show FILE]

Each file is checked three ways: the default (auto mode, whitespace kept),
with --no-whitespace, and in the mode auto did not pick (--fragment for a
document, --document for a fragment). Ends with "N passed, M failed"; exit 0
only when M is 0. --show FILE prints both sides for one file.

Where the two parsers disagree, the corpus avoids the construct and the
reason is written down (tests/oracles/README.md): html5lib 1.1 predates the
<rb>/<rtc> implied end tags and misplaces <template> in <head> and table
rows inside <template> (gumbo follows the standard there, checked by unit
tests); gumbo 0.10.1 turns raw control characters into U+FFFD (a documented
deviation of the reader, pinned by a unit test). KNOWN_DIFFERENCES can name
a file with the reason when a disagreement has to stay in the corpus.

Needs Debian's python3-html5lib (scripts/deps.sh installs it).
"""
import os
import re
import subprocess
import sys

import html5lib

HERE = os.path.dirname(os.path.abspath(__file__))

HTML_NS = "http://www.w3.org/1999/xhtml"

# The HTML standard's boolean attributes (plus `hidden`, whose empty value is
# its "hidden" state): an empty value maps to `true`.
BOOLEAN_ATTRIBUTES = set("""
allowfullscreen alpha async autofocus autoplay checked controls default defer
disabled formnovalidate hidden inert ismap itemscope loop multiple muted
nomodule novalidate open playsinline readonly required reversed selected
shadowrootclonable shadowrootdelegatesfocus shadowrootserializable
""".split())

# HTML elements in which whitespace-only text is always kept.
VERBATIM = set("""
pre listing textarea title script style xmp iframe noembed noframes plaintext
""".split())

HTML_SPACE = " \t\n\f\r"

# spec/grammar.md: a token is one or more characters that are neither
# delimiters (whitespace, ( ) [ ] { } " ; ' ` ,) nor controls (below U+0020,
# U+007F); U+FEFF is not allowed in names.
TOKEN = re.compile(r"[^\x00-\x20\x7f()\[\]{}\";'`,\ufeff]+\Z")


def is_keyword_name(name):
    return bool(TOKEN.match(name))


def is_tag_symbol(name):
    if not TOKEN.match(name) or name in ("true", "false", "nil", "raw!", "<>"):
        return False
    # Numbers, '#' and ':' forms; HTML tag names start with a letter anyway.
    return not re.match(r"-?[0-9]|[#:]", name)


def sx_string(text):
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def looks_like_document(text):
    """Auto mode: after whitespace, comments and <?...>, '<!doctype' or
    '<html' (followed by whitespace, '>', '/' or the end), any case."""
    i = 0
    while True:
        while i < len(text) and text[i] in HTML_SPACE:
            i += 1
        rest = text[i:]
        if rest.startswith("<!--"):
            m = re.match(r"<!--(>|->|.*?(-->|--!>))", rest, re.S)
            if not m:
                return False
            i += m.end()
        elif rest.startswith("<?"):
            j = rest.find(">")
            if j < 0:
                return False
            i += j + 1
        elif rest[:9].lower() == "<!doctype":
            return True
        elif rest[:5].lower() == "<html":
            return len(rest) == 5 or rest[5] in HTML_SPACE + ">/"
        else:
            return False


class Mapper:
    def __init__(self, keep_whitespace):
        self.keep_whitespace = keep_whitespace

    def children(self, node, verbatim):
        """The sx items of node's children: strings and lists. Text runs
        separated only by comments or unwrapped elements become one string."""
        items, pending = [], []

        def flush():
            text = "".join(pending)
            pending.clear()
            if not text:
                return
            if self.keep_whitespace or verbatim or text.strip(HTML_SPACE):
                items.append(sx_string(text))

        def walk(parent):
            for child in parent.childNodes:
                if child.nodeType in (child.TEXT_NODE, child.CDATA_SECTION_NODE):
                    pending.append(child.data)
                elif child.nodeType == child.ELEMENT_NODE:
                    if is_tag_symbol(child.tagName):
                        flush()
                        items.append(self.element(child, verbatim))
                    else:
                        walk(child)  # unwrapped: its children stay in place
                # comments, processing instructions, doctype: dropped
        walk(node)
        flush()
        return items

    def element(self, el, verbatim):
        name = el.tagName
        parts = ["(" + name]
        for i in range(el.attributes.length):
            a = el.attributes.item(i)
            if not is_keyword_name(a.name):
                continue
            if a.value == "" and a.name in BOOLEAN_ATTRIBUTES:
                parts.append(":%s true" % a.name)
            else:
                parts.append(":%s %s" % (a.name, sx_string(a.value)))
        inner = verbatim or (el.namespaceURI == HTML_NS and name in VERBATIM)
        # html5lib keeps <template> contents in the element itself.
        parts.extend(self.children(el, inner))
        return " ".join(parts) + ")"

    def document(self, doc):
        return self.element(doc.documentElement, False)

    def fragment(self, frag):
        items = self.children(frag, False)
        if len(items) == 1:
            return items[0]
        return "(" + " ".join(["<>"] + items) + ")"


def oracle_sx(data, mode, keep_whitespace):
    """data: the file's bytes. mode: 'auto', 'document' or 'fragment'.
    Returns (sx text, whether it was parsed as a document)."""
    text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    document = mode == "document" or (mode == "auto" and looks_like_document(text))
    mapper = Mapper(keep_whitespace)
    if document:
        tree = html5lib.parse(text, treebuilder="dom")
        return mapper.document(tree), True
    tree = html5lib.parseFragment(text, container="body", treebuilder="dom")
    return mapper.fragment(tree), False


def run(argv, stdin=None):
    return subprocess.run(argv, input=stdin, capture_output=True)


def canon(binary, sx_text):
    r = run([binary, "canon", "-"], stdin=sx_text)
    if r.returncode != 0:
        return None, r.stderr.decode("utf-8", "replace")
    return r.stdout, ""


# File name -> why gumbo and html5lib are known to differ on it (none yet).
KNOWN_DIFFERENCES = {}


def check(binary, path):
    """Yields (label, ok, detail) for the three ways of reading `path`."""
    data = open(path, "rb").read()
    _, is_doc = oracle_sx(data, "auto", True)
    other = "fragment" if is_doc else "document"
    for label, mode, keep in (("auto", "auto", True),
                              ("auto --no-whitespace", "auto", False),
                              ("--" + other, other, True)):
        expected_sx, _ = oracle_sx(data, mode, keep)
        args = [binary, "from-html", path]
        if not keep:
            args.append("--no-whitespace")
        if mode != "auto":
            args.append("--" + mode)
        got = run(args)
        if got.returncode != 0:
            yield label, False, "sexp from-html failed: " + got.stderr.decode("utf-8", "replace")
            continue
        got_canon, err = canon(binary, got.stdout)
        if got_canon is None:
            yield label, False, "from-html output does not read: " + err
            continue
        want_canon, err = canon(binary, expected_sx.encode("utf-8"))
        if want_canon is None:
            yield label, False, "oracle output does not read: " + err + "\n" + expected_sx
            continue
        if got_canon == want_canon:
            yield label, True, ""
        else:
            yield label, False, first_difference(want_canon.decode(), got_canon.decode())


def first_difference(want, got):
    i = 0
    while i < min(len(want), len(got)) and want[i] == got[i]:
        i += 1
    lo = max(0, i - 120)
    return ("first difference at character %d\n  html5lib: ...%s\n  gumbo:    ...%s"
            % (i, want[lo:i + 120], got[lo:i + 120]))


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__)
        return 2
    binary = args[0]
    corpus = os.path.join(HERE, "html")
    if "--corpus" in args:
        corpus = args[args.index("--corpus") + 1]
    if not os.access(binary, os.X_OK):
        print("html_oracle: no sexp binary at %s" % binary)
        return 1
    sys.setrecursionlimit(20000)
    if "--show" in args:
        path = args[args.index("--show") + 1]
        data = open(path, "rb").read()
        sx, _ = oracle_sx(data, "auto", True)
        print("html5lib:", canon(binary, sx.encode())[0].decode())
        print("gumbo:   ", run([binary, "from-html", path]).stdout.decode())
        return 0
    files = sorted(f for f in os.listdir(corpus) if f.endswith(".html"))
    passed = failed = 0
    for name in files:
        path = os.path.join(corpus, name)
        for label, ok, detail in check(binary, path):
            if ok:
                passed += 1
            elif name in KNOWN_DIFFERENCES:
                print("known difference %s (%s): %s" % (name, label, KNOWN_DIFFERENCES[name]))
                passed += 1
            else:
                failed += 1
                print("FAIL %s (%s): %s" % (name, label, detail))
    if len(files) < 25:
        print("FAIL corpus %s has %d files, expected at least 25" % (corpus, len(files)))
        failed += 1
    print("%d passed, %d failed (%d files)" % (passed, failed, len(files)))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
