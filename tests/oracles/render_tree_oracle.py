#!/usr/bin/python3
"""Oracle: the DOM of `sexp render PAGE` is the tree `sexp eval PAGE` gives,
rendered by the rules of spec/rendering.md written again in Python.

    /usr/bin/python3 render_tree_oracle.py SEXP_BIN [DIR] [--show PAGE]

For each DIR/*.sx (default: render/ next to this script):

 1. `sexp eval PAGE` prints the last value: the evaluated element tree as
    sx (components expanded, conditionals and maps done; `raw!` values
    print as `(raw! "...")`). A small reader here parses it.
 2. The rules of spec/rendering.md, re-implemented here without looking at
    libsexp, turn that tree into the DOM it should give: elements with
    their attributes (true -> bare, nil/false -> omitted, numbers in their
    canonical text, :class lists/dicts joined, :style dicts as k:v;k:v),
    text, list splicing, fragments, void elements, script/style text,
    raw! markup (parsed by html5lib in its context), SVG/MathML namespaces,
    the doctype before (html ...). What any HTML5 parser does to text (CR
    LF -> LF, one newline after <pre>/<textarea> dropped, NUL) is applied
    to the expected side (render_common.py).
 3. `sexp render PAGE` is parsed by html5lib, as a document when it starts
    with <!DOCTYPE html> (it must exactly when the tree is an (html ...)
    element), else as a fragment in <body>.
 4. The two trees are compared: element names (with namespace), attributes
    as sets, text byte for byte. The first difference is printed with its
    path.

`sexp eval` prints dicts and each run of keyword pairs sorted by key (its
canonical order), while the renderer writes them in the order written; so
a :style value or a :class value made from a dict is compared as a set of
declarations / names, and attributes are compared as sets.

A page whose first lines hold `; expect-error: TEXT` must fail: the oracle's
rules must predict a render error, and `sexp render` must exit non-zero with
TEXT on stderr and nothing on stdout.

Ends with "N passed, M failed (P pages)"; exit 0 only when M is 0.
"""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from render_common import (RAWTEXT, Dict, Kw, Sym,  # noqa: E402
                           SxSyntaxError, as_attribute, binary_from_args, as_text, children_difference,
                           first_difference, merge_text, parse_document, parse_fragment,
                           read_sx, run, sx_number_text, text_context)

# --- element names (the HTML standard's elements, SVG and MathML) -------------

HTML_ELEMENTS = set("""
a abbr address area article aside audio b base bdi bdo blockquote body br button
canvas caption cite code col colgroup data datalist dd del details dfn dialog div dl
dt em embed fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header
hgroup hr html i iframe img input ins kbd label legend li link main map mark menu
meta meter nav noscript object ol optgroup option output p param picture pre
progress q rp rt ruby s samp script search section select slot small source span
strong style sub summary sup table tbody td template textarea tfoot th thead time
title tr track u ul var video wbr
""".split())
SVG_ELEMENTS = set("""
svg g defs symbol use image path rect circle ellipse line polyline polygon text
tspan textPath marker mask pattern clipPath linearGradient radialGradient stop
filter foreignObject title desc
""".split())
MATH_ELEMENTS = set("math mi mn mo ms mtext mrow msup msub msubsup mfrac msqrt mroot".split())
VOID = set("area base br col embed hr img input link meta param source track wbr".split())
URL_ATTRIBUTES = set("""href src action formaction poster cite background xlink:href
srcset data codebase manifest ping longdesc usemap hx-get hx-post hx-put hx-delete
hx-patch""".split())
SAFE_SCHEMES = {"http", "https", "mailto", "tel", "sexpr"}

# The HTML parser's case fixes for SVG attributes it has lowercased (the
# table in the standard, "adjust SVG attributes"; the ones a page may use).
SVG_ATTRIBUTE_CASE = {a.lower(): a for a in """
attributeName attributeType baseFrequency baseProfile calcMode clipPathUnits
diffuseConstant edgeMode filterUnits glyphRef gradientTransform gradientUnits
kernelMatrix kernelUnitLength keyPoints keySplines keyTimes lengthAdjust
limitingConeAngle markerHeight markerUnits markerWidth maskContentUnits maskUnits
numOctaves pathLength patternContentUnits patternTransform patternUnits pointsAtX
pointsAtY pointsAtZ preserveAlpha preserveAspectRatio primitiveUnits refX refY
repeatCount repeatDur requiredExtensions requiredFeatures specularConstant
specularExponent spreadMethod startOffset stdDeviation stitchTiles surfaceScale
systemLanguage tableValues targetX targetY textLength viewBox viewTarget
xChannelSelector yChannelSelector zoomAndPan""".split()}
HTML_INTEGRATION = {"svg:foreignObject", "svg:desc", "svg:title",
                    "math:mi", "math:mo", "math:mn", "math:ms", "math:mtext"}


class RenderError(Exception):
    pass


class Unordered(str):
    """An attribute value whose parts (split on `sep`) may come in any order
    (they came from a dict, which `sexp eval` prints sorted)."""

    def __new__(cls, parts, sep):
        s = str.__new__(cls, sep.join(parts))
        s.parts, s.sep = sorted(parts), sep
        return s

    def __eq__(self, other):
        return isinstance(other, str) and sorted(other.split(self.sep) if other else []) == self.parts

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


def truthy(v):
    return v is not None and v is not False


def is_raw(v):
    return isinstance(v, list) and len(v) == 2 and v[0] == Sym("raw!") and isinstance(v[1], str) \
        and type(v[0]) is Sym


def name_text(v, what):
    if isinstance(v, bool) or v is None:
        raise RenderError("%s cannot be %r" % (what, v))
    if isinstance(v, (Kw, Sym)):
        return str(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return sx_number_text(v)
    raise RenderError("%s cannot be %r" % (what, v))


class Interpreter:
    """Data -> expected DOM nodes, by spec/rendering.md."""

    def render_top(self, value):
        """(is_document, nodes)"""
        if isinstance(value, list) and value and type(value[0]) is Sym and value[0] == "html":
            return True, self.nodes(value, "html-top")
        return False, merge_text(self.nodes(value, "body"))

    # parent: the DOM tag of the parent element ("body" at the top of a fragment)
    def nodes(self, v, parent):
        if v is None or isinstance(v, bool):
            return []
        if isinstance(v, (int, float)):
            return [("#text", as_text(sx_number_text(v), text_context(parent)))]
        if isinstance(v, (Kw, Sym)):
            raise RenderError("cannot render the %s %s" % (type(v).__name__, v))
        if isinstance(v, str):
            return [("#text", as_text(v, text_context(parent)))]
        if isinstance(v, Dict):
            raise RenderError("cannot render a dict")
        if not isinstance(v, list):
            raise RenderError("cannot render %r" % (v,))
        if not v:
            return []
        head = v[0]
        if type(head) is not Sym:
            out = []
            for item in v:
                out.extend(self.nodes(item, parent))
            return out
        if head == "raw!":
            if not is_raw(v):
                raise RenderError("malformed raw!")
            return self.raw(v[1], parent)
        if head == "<>":
            out = []
            for item in v[1:]:
                if isinstance(item, Kw):
                    raise RenderError("a fragment takes no attributes")
                out.extend(self.nodes(item, parent))
            return out
        return [self.element(v, parent)]

    def raw(self, markup, parent):
        if parent in ("script", "style"):
            return [("#text", markup)]
        container = parent if ":" not in parent and parent not in ("html-top",) else "body"
        return list(parse_fragment(markup, container=container))

    def dom_tag(self, name, parent):
        """The DOM tag an HTML parser gives the element `name` whose parent
        has DOM tag `parent`, or an error if `name` is not an element."""
        foreign_parent = ":" in parent and parent not in HTML_INTEGRATION
        if name == "svg":
            return "svg:svg"
        if name == "math":
            return "math:math"
        if foreign_parent and parent.startswith("svg:"):
            if name not in SVG_ELEMENTS and not (name in HTML_ELEMENTS or is_custom(name)):
                raise RenderError("%s is not an element" % name)
            if name not in SVG_ELEMENTS:
                raise RenderError("corpus: <%s> inside SVG would leave it" % name)
            return "svg:" + name
        if foreign_parent and parent.startswith("math:"):
            if name not in MATH_ELEMENTS:
                raise RenderError("corpus: <%s> inside MathML" % name)
            return "math:" + name
        if name in HTML_ELEMENTS or is_custom(name):
            return name
        if name in SVG_ELEMENTS or name in MATH_ELEMENTS:
            raise RenderError("corpus: <%s> outside <svg>/<math>" % name)
        raise RenderError("%s is neither an element nor callable" % name)

    def element(self, v, parent):
        name = str(v[0])
        tag = self.dom_tag(name, parent)
        attrs, children = {}, []
        i = 1
        while i < len(v):
            item = v[i]
            if isinstance(item, Kw):
                if i + 1 >= len(v):
                    raise RenderError("attribute :%s has no value" % item)
                self.attribute(tag, str(item), v[i + 1], attrs)
                i += 2
            else:
                children.append(item)
                i += 1
        if name in VOID:
            for c in children:
                if self.nodes(c, tag):
                    raise RenderError("<%s> is void" % name)
            return (tag, attrs, ())
        if name in ("script", "style") and ":" not in tag:
            return (tag, attrs, self.raw_text(name, children))
        kids = []
        for c in children:
            kids.extend(self.nodes(c, tag))
        kids = merge_text(kids)
        if name in ("pre", "textarea") and kids and kids[0][0] == "#text" \
                and kids[0][1].startswith("\n"):
            kids = merge_text((("#text", kids[0][1][1:]),) + kids[1:])
        return (tag, attrs, kids)

    def raw_text(self, name, children):
        parts, joined = [], ""
        for c in children:
            if c is None or isinstance(c, bool):
                continue
            if is_raw(c):
                parts.append(c[1])
                joined += c[1]
                continue
            if isinstance(c, str):
                text = c
            elif isinstance(c, (int, float)):
                text = sx_number_text(c)
            else:
                raise RenderError("<%s> can contain only text" % name)
            parts.append(as_text(text, RAWTEXT))
            joined += text
        if re.search("</" + name, joined, re.I) or "<!--" in joined:
            # Escaped so that it cannot end the element (spec/rendering.md,
            # "Data that is neutralized"): every "<" before "/" or "!".
            escape = "\\3c " if name == "style" else "\\u003c"
            parts = [as_text(re.sub(r"<(?=[/!])", lambda m: escape, joined), RAWTEXT)]
        return merge_text(tuple(("#text", p) for p in parts))

    def attribute(self, tag, name, value, attrs):
        if not re.fullmatch(r"[A-Za-z_:@][A-Za-z0-9_:.@-]*", name):
            raise RenderError("invalid attribute name %r" % name)
        if value is None or value is False:
            return
        if value is True:
            text = ""
        elif is_raw(value):
            text = value[1]
        elif isinstance(value, (str, Kw, Sym, int, float)) and not isinstance(value, bool):
            text = name_text(value, "attribute :" + name)
        elif name == "class" and isinstance(value, (list, Dict)):
            words, ordered = [], [True]
            self.class_words(value, words, ordered)
            text = " ".join(words) if ordered[0] else Unordered(words, " ")
        elif name == "style" and isinstance(value, Dict):
            text = self.style(value)
        else:
            raise RenderError("attribute :%s cannot be %r" % (name, value))
        if name.lower() in URL_ATTRIBUTES and not isinstance(text, Unordered) and unsafe_url(text):
            text = "about:invalid#unsafe-url"  # neutralized (spec/rendering.md)
        dom_name = name.lower()
        if tag.startswith("svg:"):
            dom_name = SVG_ATTRIBUTE_CASE.get(dom_name, dom_name)
        if dom_name in attrs:
            return  # the HTML parser keeps the first
        attrs[dom_name] = text if isinstance(text, Unordered) else as_attribute(text)

    def class_words(self, v, words, ordered):
        if v is None or v is False:
            return
        if v is True:
            raise RenderError(":class items cannot be true")
        if isinstance(v, list):
            for x in v:
                self.class_words(x, words, ordered)
            return
        if isinstance(v, Dict):
            ordered[0] = False
            for k, x in v.pairs:
                if truthy(x) and name_text(k, ":class name"):
                    words.append(name_text(k, ":class name"))
            return
        w = name_text(v, ":class item")
        if w:
            words.append(w)

    def style(self, d):
        decls = []
        for k, x in d.pairs:
            if not truthy(x):
                continue
            prop = name_text(k, ":style property")
            if not re.fullmatch(r"[A-Za-z0-9-]+", prop):
                raise RenderError("invalid CSS property %r" % prop)
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                val = sx_number_text(x)
            elif isinstance(x, (str, Kw)):
                val = str(x)
                if re.search("[;{}]", val):
                    raise RenderError(":style value contains ; { or }")
            else:
                raise RenderError(":style value %r" % (x,))
            decls.append("%s:%s" % (prop, as_attribute(val)))
        return Unordered(decls, ";")


def is_custom(name):
    return re.fullmatch(r"[a-z][a-z0-9_.-]*", name) is not None and "-" in name


def unsafe_url(url):
    s = url.lstrip("".join(chr(c) for c in range(0x21)))
    s = re.sub(r"[\t\n\r]", "", s)
    m = re.match(r"[^:/?#]*", s)
    if m.end() == len(s) or s[m.end()] != ":":
        return False
    return s[:m.end()].lower() not in SAFE_SCHEMES


# --- checking a page ------------------------------------------------------------

def check_page(binary, path):
    """None when the page passes, else a message."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^; expect-error: (.*)$", text, re.M)
    expect_error = m.group(1).strip() if m else None

    rc, out, err = run([binary, "eval", path])
    if rc != 0:
        return "sexp eval failed: " + err.strip()
    try:
        values = read_sx(out)
    except (SxSyntaxError, ValueError, IndexError) as e:
        return "cannot read what sexp eval printed (%s): %s" % (e, out[:300])
    if len(values) != 1:
        return "sexp eval printed %d values" % len(values)
    try:
        is_doc, want = Interpreter().render_top(values[0])
        predicted = None
    except RenderError as e:
        predicted = str(e)
    if predicted and predicted.startswith("corpus:"):
        return "page is not parser-stable: " + predicted

    rc, out, err = run([binary, "render", path])
    if expect_error is not None:
        if predicted is None:
            return "marked expect-error but the oracle's rules render it"
        if rc == 0:
            return "rendered where an error was expected (%s): %s" % (predicted, out[:300])
        if out:
            return "partial output on stdout with the error: %r" % out[:300]
        if expect_error not in err:
            return "stderr lacks %r: %s" % (expect_error, err.strip())
        return None
    if predicted is not None:
        return "the oracle's rules say this cannot render (%s); sexp render %s" % (
            predicted, "exited %d: %s" % (rc, err.strip()) if rc else "rendered it")
    if rc != 0:
        return "sexp render failed: " + err.strip()
    if not out.endswith("\n"):
        return "render output does not end with the CLI's newline"
    html = out[:-1]
    if html.startswith("<!DOCTYPE html>") != is_doc:
        return "doctype %s, but the tree %s an (html ...) element" % (
            "present" if not is_doc else "missing", "is" if is_doc else "is not")
    if is_doc:
        d = first_difference(want[0], parse_document(html), "document")
    else:
        d = children_difference(want, parse_fragment(html), "fragment")
    return d


def main():
    args = sys.argv[1:]
    binary, code = binary_from_args(args, "render_tree_oracle", __doc__)
    if binary is None:
        return code
    corpus = args[1] if len(args) > 1 and not args[1].startswith("-") \
        else os.path.join(HERE, "render")
    sys.setrecursionlimit(20000)
    if "--show" in args:
        path = args[args.index("--show") + 1]
        rc, out, err = run([binary, "eval", path])
        print("eval:", out, err)
        print("expected:", Interpreter().render_top(read_sx(out)[0]))
        rc, out, err = run([binary, "render", path])
        print("render:", out, err)
        return 0
    start = time.time()
    pages = sorted(f for f in os.listdir(corpus) if f.endswith(".sx"))
    passed = failed = errors = 0
    for name in pages:
        d = check_page(binary, os.path.join(corpus, name))
        if d is None:
            passed += 1
            errors += bool(re.search(r"^; expect-error:", open(os.path.join(corpus, name),
                                                                encoding="utf-8").read(), re.M))
        else:
            failed += 1
            print("FAIL %s: %s" % (name, d))
    if len(pages) < 25:
        print("FAIL corpus %s has %d pages, expected at least 25" % (corpus, len(pages)))
        failed += 1
    print("%d pages (%d rendered and compared, %d expected errors): %.1f s"
          % (len(pages), passed - errors, errors, time.time() - start))
    print("%d passed, %d failed (%d pages)" % (passed, failed, len(pages)))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
