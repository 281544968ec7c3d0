#!/usr/bin/env python3
"""Oracle: the renderer's HTML has the DOM an independent HTML5 parser
(html5lib) builds from Jinja2's rendering of the same page.

  render_dom_oracle.py SEXP_BINARY FEED_PAGE_SX JINJA_PAGE_PY

Renders bench/html/feed_page.sx with `sexp render`, renders
bench/jinja_page.py's page (50 posts, --html), parses both with
html5lib and compares the trees: element names, attributes (as sets), and
text. Whitespace-only text nodes are dropped before comparing (Jinja's
template indents its markup; the sx page writes none), other text must be
equal byte for byte. Exits 1 with the first difference."""
import subprocess
import sys

import html5lib


def tree(html):
    doc = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    return normalise(doc)


def normalise(el):
    """(tag, attrs, children) with text as strings, whitespace-only dropped."""
    children = []
    if el.text and el.text.strip():
        children.append(el.text)
    for child in el:
        if isinstance(child.tag, str):  # comments have a function as tag
            children.append(normalise(child))
        if child.tail and child.tail.strip():
            children.append(child.tail)
    return (el.tag, tuple(sorted(el.attrib.items())), tuple(children))


def first_difference(a, b, path="document"):
    if isinstance(a, str) or isinstance(b, str):
        return None if a == b else "%s: text %r != %r" % (path, a, b)
    if a[0] != b[0]:
        return "%s: element <%s> != <%s>" % (path, a[0], b[0])
    here = "%s/%s" % (path, a[0])
    if a[1] != b[1]:
        return "%s: attributes %r != %r" % (here, a[1], b[1])
    if len(a[2]) != len(b[2]):
        return "%s: %d children != %d" % (here, len(a[2]), len(b[2]))
    for i, (x, y) in enumerate(zip(a[2], b[2])):
        d = first_difference(x, y, "%s[%d]" % (here, i))
        if d:
            return d
    return None


def main():
    sexp, page_sx, jinja_py = sys.argv[1:4]
    ours = subprocess.run([sexp, "render", page_sx], check=True, capture_output=True,
                          text=True).stdout
    theirs = subprocess.run([sys.executable, jinja_py, "50", "--html"], check=True,
                            capture_output=True, text=True).stdout
    if not ours.startswith("<!DOCTYPE html>"):
        sys.exit("sx page does not start with <!DOCTYPE html>")
    a, b = tree(ours), tree(theirs)
    d = first_difference(a, b)
    if d:
        sys.exit("DOMs differ: " + d)
    articles = ours.count("<article")
    if articles != 50:
        sys.exit("expected 50 cards, got %d" % articles)
    print("same DOM: %d bytes (sx) vs %d bytes (jinja2), 50 cards" % (len(ours), len(theirs)))


if __name__ == "__main__":
    main()
