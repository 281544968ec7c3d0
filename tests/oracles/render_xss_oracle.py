#!/usr/bin/python3
"""Oracle: XSS vectors put anywhere a template can put data render inert.

    /usr/bin/python3 render_xss_oracle.py SEXP_BIN [--vectors FILE]
        [--only POSITION] [--keep] [-v]

Each vector of render/xss/vectors.json (OWASP-cheat-sheet style: tags,
quotes, comment and CDATA markers, end tags of script/style/textarea/title,
character references, javascript:/data:/vbscript: URLs spelled the ways
browsers still read them, controls, NUL, unicode separators, noncharacters,
names that are and are not attribute names, ...) goes into every POSITION
below (element text, attribute values, URL attributes, :class items and dict
keys, :style dict values and keys, attribute names computed by `(keyword
e)`, script and style bodies, `(str ...)`), in four MODES: written as a
literal in the element form, held in a global, passed as a component
parameter named `title`, and as data built by evaluation and then rendered
(`(first (list ...))`), so both the renderer's compiled path and its data
path are exercised.

For each (position, mode, vector) the script writes the sx (the vector as an
sx string literal), runs `sexp render` and decides from the rules of
spec/rendering.md, written again here, whether the render must fail:

  * when it must fail: exit status non-zero, a `render` error on stderr,
    and nothing at all on stdout (no partial output);
  * when it must succeed: html5lib (an independent HTML5 parser) parses the
    HTML and the DOM must be exactly the one the template makes: the same
    elements, the same attributes (no extra one, so no injected on*), and
    attribute values and text equal to the vector after what every HTML
    parser does to its input (CR LF -> LF, NUL -> U+FFFD or dropped, one
    newline after <pre>/<textarea> dropped; see render_common.py).
    Accepted URLs are also checked the way a browser reads them (WHATWG URL
    scheme after stripping controls, tabs and newlines): only relative URLs
    and http, https, mailto, tel, sexpr may get through while the URL policy
    is on (the CLI's default; `--allow-any-url` turns it off, and every URL
    position is checked both ways).

Vectors that render fine are batched (one file per position and mode, each
vector in its own <div id="xN">); a batch that fails is re-run one vector at
a time to name the culprit. Vectors that must fail run one at a time.

KNOWN_BUGS lists renderer bugs found by this oracle, as (position, predicate,
description): a failure matching one counts as an expected failure; if none
of its cases fails any more, that is reported as a failure too, so the entry
gets removed when the bug is fixed. Ends with "N passed, X known-bug
failures, M failed"; exit 0 only when M is 0.
"""
import json
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from render_common import (BODY, FOREIGN, RAWTEXT, RCDATA, as_attribute, as_text,  # noqa: E402
                           binary_from_args, children_difference, parse_fragment, run, sx_string, walk)

# --- the rules of spec/rendering.md, written again ----------------------------

URL_ATTRIBUTES = set("""href src action formaction poster cite background xlink:href
srcset data codebase manifest ping longdesc usemap hx-get hx-post hx-put hx-delete
hx-patch""".split())
SAFE_SCHEMES = {"http", "https", "mailto", "tel", "sexpr"}


def valid_attribute_name(name):
    """ASCII letters, digits and - _ : . @, starting with a letter, _, : or @."""
    return re.fullmatch(r"[A-Za-z_:@][A-Za-z0-9_:.@-]*", name) is not None


def valid_css_property(name):
    return re.fullmatch(r"[A-Za-z0-9-]+", name) is not None


def policy_rejects(url):
    """The URL policy: after what browsers ignore (leading spaces and
    controls, tabs and newlines anywhere), a ':' before any '/', '?' or '#'
    must follow one of the safe schemes (any case); anything else is
    relative."""
    s = url.lstrip("".join(chr(c) for c in range(0x21)))
    s = re.sub(r"[\t\n\r]", "", s)
    m = re.match(r"[^:/?#]*", s)
    if m.end() == len(s) or s[m.end()] != ":":
        return False
    return ascii_lower(s[:m.end()]) not in SAFE_SCHEMES


def refresh_urls(content):
    """Every URL a <meta> refresh's content could be read as: what follows
    each "url" (any case) and "=" (spaces around it), up to a closing quote
    if it starts with one. The browser reads the first; the renderer checks
    them all."""
    urls = []
    ws = " \t\n\x0b\x0c\r"
    lower = ascii_lower(content)
    at = lower.find("url")
    while at != -1:
        after = content[at + 3:].lstrip(ws)
        if after.startswith("="):
            after = after[1:].lstrip(ws)
            if after[:1] in ("'", '"'):
                end = after.find(after[0], 1)
                after = after[1:] if end == -1 else after[1:end]
            urls.append(after)
        at = lower.find("url", at + 1)
    return urls


def ascii_lower(s):
    return "".join(c.lower() if c < "\x80" else c for c in s)


def browser_scheme(url):
    """The scheme a browser finds in an attribute value (WHATWG URL parser:
    leading/trailing C0 controls and spaces stripped, tab and newlines
    removed), lowercased, or None for a relative URL."""
    c0 = "".join(chr(c) for c in range(0x21))
    s = re.sub(r"[\t\n\r]", "", url.strip(c0))
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", s)
    return m.group(1).lower() if m else None


def script_rejects(text, tag):
    """spec/rendering.md: text in script/style containing </script resp.
    </style (any case) or <!-- would end or confuse the element."""
    return re.search("</" + tag, text, re.I) is not None or "<!--" in text


# spec/rendering.md, "Data that is neutralized": what an unsafe URL becomes,
# and how script/style text that would end its element is escaped.
NEUTRAL_URL = "about:invalid#unsafe-url"


def neutralized_raw_text(text, tag):
    escape = "\\3c " if tag == "style" else "\\u003c"
    return re.sub(r"<(?=[/!])", lambda m: escape, text)


# --- expected DOM -------------------------------------------------------------

def el(tag, attrs=None, *children):
    return (tag, attrs or {}, tuple(c if isinstance(c, tuple) else ("#text", c)
                                    for c in children if c != ""))


def error(kind):
    return ("error", kind)


def ok(*nodes):
    return ("ok", nodes)


def ok_or_error(*nodes):
    return ("ok_or_error", nodes)


def attr_position(tag, name, extra=None, children=("t",), template=None, foreign_wrap=None):
    """A plain (non-URL) attribute holding the vector."""
    extra = extra or {}
    extra_sx = "".join(" :%s %s" % (k, sx_string(v)) for k, v in extra.items())
    kids_sx = "".join(" " + sx_string(c) for c in children)

    def tmpl(e):
        return template(e) if template else "(%s%s :%s %s%s)" % (tag, extra_sx, name, e, kids_sx)

    def expect(v):
        attrs = dict(extra)
        attrs[name] = as_attribute(v)
        return ok(el(tag, attrs, *children))
    return tmpl, expect


class Position:
    def __init__(self, name, template, expect, url=False, modes=None):
        self.name, self.template, self.expect, self.url = name, template, expect, url
        self.modes = modes or MODES


MODES = ("lit", "var", "param", "data")
MAX_FAILURES = 200  # a broken renderer fails everything: stop early


def positions():
    P = []

    def add(name, template, expect, **kw):
        P.append(Position(name, template, expect, **kw))

    # Element text.
    add("text:p", lambda e: "(p %s)" % e, lambda v: ok(el("p", {}, as_text(v, BODY))))
    add("text:span", lambda e: '(div :class "c" (span %s))' % e,
        lambda v: ok(el("div", {"class": "c"}, el("span", {}, as_text(v, BODY)))))
    add("text:td", lambda e: "(table (tbody (tr (td %s))))" % e,
        lambda v: ok(el("table", {}, el("tbody", {}, el("tr", {}, el("td", {}, as_text(v, BODY)))))))
    add("text:li", lambda e: "(ul (li %s))" % e,
        lambda v: ok(el("ul", {}, el("li", {}, as_text(v, BODY)))))
    add("text:button", lambda e: '(button :type "button" %s)' % e,
        lambda v: ok(el("button", {"type": "button"}, as_text(v, BODY))))
    add("text:textarea", lambda e: '(textarea :name "t" %s)' % e,
        lambda v: ok(el("textarea", {"name": "t"}, as_text(v, RCDATA))))
    add("text:title", lambda e: "(title %s)" % e, lambda v: ok(el("title", {}, as_text(v, RCDATA))))
    add("text:pre", lambda e: "(pre %s)" % e,
        lambda v: ok(el("pre", {}, as_text(v, BODY))))
    add("text:option", lambda e: "(select (option %s))" % e,
        lambda v: ok(el("select", {}, el("option", {}, as_text(v, BODY)))))
    add("text:svg-text", lambda e: "(svg (text %s))" % e,
        lambda v: ok(el("svg:svg", {}, el("svg:text", {}, as_text(v, FOREIGN)))))
    add("text:svg-title", lambda e: "(svg (title %s))" % e,
        lambda v: ok(el("svg:svg", {}, el("svg:title", {}, as_text(v, BODY)))))
    add("text:math-mi", lambda e: "(math (mi %s))" % e,
        lambda v: ok(el("math:math", {}, el("math:mi", {}, as_text(v, BODY)))))
    add("text:str", lambda e: '(p (str "[" %s "]"))' % e,
        lambda v: ok(el("p", {}, as_text("[" + v + "]", BODY))))
    add("text:fragment", lambda e: '(<> (b "x") %s)' % e,
        lambda v: ok(el("b", {}, "x"), ("#text", as_text(v, BODY))) if as_text(v, BODY)
        else ok(el("b", {}, "x")))
    add("text:list", lambda e: '(p (list "x" (list %s)))' % e,
        lambda v: ok(el("p", {}, as_text("x" + v, BODY))))

    # Attribute values (no URL policy on these names).
    for name, tag, extra, kids in (("title", "p", None, ("t",)),
                                   ("class", "p", None, ("t",)),
                                   ("style", "p", None, ("t",)),
                                   ("data-x", "div", None, ()),
                                   ("alt", "img", {"src": "/i.png"}, ()),
                                   ("value", "input", {"type": "text"}, ()),
                                   ("aria-label", "a", {"href": "/x"}, ("t",))):
        t, x = attr_position(tag, name, extra, kids)
        add("attr:%s" % name, t, x)
    add("attr:str", lambda e: '(p :title (str %s "!") "t")' % e,
        lambda v: ok(el("p", {"title": as_attribute(v + "!")}, "t")))
    add("attr:svg-fill", lambda e: "(svg (rect :fill %s))" % e,
        lambda v: ok(el("svg:svg", {}, el("svg:rect", {"fill": as_attribute(v)}))))

    # URL attributes: the policy decides.
    for name, tmpl, wrap in (
            ("href", '(a :href %s "t")', lambda a: el("a", a, "t")),
            ("src", "(img :src %s)", lambda a: el("img", a)),
            ("action", '(form :action %s (button "b"))', lambda a: el("form", a, el("button", {}, "b"))),
            ("formaction", '(button :formaction %s "b")', lambda a: el("button", a, "b")),
            ("hx-get", "(div :hx-get %s)", lambda a: el("div", a)),
            ("iframe-src", "(iframe :src %s)", lambda a: el("iframe", a)),
            ("svg-href", '(svg (a :href %s (text "t")))',
             lambda a: el("svg:svg", {}, el("svg:a", a, el("svg:text", {}, "t"))))):
        attr = "src" if name == "iframe-src" else "href" if name == "svg-href" else name

        def expect(v, policy_on, wrap=wrap, attr=attr):
            if policy_on and policy_rejects(v):
                return ok(wrap({attr: NEUTRAL_URL}))
            return ok(wrap({attr: as_attribute(v)}))
        add("url:%s" % name, (lambda tmpl: lambda e: tmpl % e)(tmpl), expect, url=True)

    # Attributes whose values hold URLs or documents of their own.
    def srcdoc_expect(v, policy_on):
        if policy_on:
            return ok(el("iframe", {}))  # a whole document: left out under the policy
        return ok(el("iframe", {"srcdoc": as_attribute(v)}))
    add("url:srcdoc", lambda e: "(iframe :srcdoc %s)" % e, srcdoc_expect, url=True)

    def refresh_expect(v, policy_on):
        content = "0; url=" + v
        if policy_on and any(policy_rejects(u) for u in refresh_urls(content)):
            return ok(el("meta", {"http-equiv": "refresh"}))  # the content left out
        return ok(el("meta", {"http-equiv": "refresh", "content": as_attribute(content)}))
    add("url:meta-refresh", lambda e: '(meta :http-equiv "refresh" :content (str "0; url=" %s))' % e,
        refresh_expect, url=True)

    # :class and :style.
    add("class:list-item", lambda e: '(p :class (list "a" %s "b") "t")' % e,
        lambda v: ok(el("p", {"class": as_attribute("a b" if v == "" else "a %s b" % v)}, "t")))
    add("class:dict-key", lambda e: '(p :class (dict %s true) "t")' % e,
        lambda v: ok(el("p", {"class": as_attribute(v)}, "t")))
    add("style:dict-value", lambda e: '(p :style {:color %s} "t")' % e,
        lambda v: error("contains ; { or }") if re.search("[;{}]", v)
        else ok(el("p", {"style": as_attribute("color:" + v)}, "t")))
    add("style:dict-key", lambda e: '(p :style (dict %s "red") "t")' % e,
        lambda v: ok(el("p", {"style": as_attribute(v + ":red")}, "t")) if valid_css_property(v)
        else error("invalid CSS property"))

    # Attribute names computed at run time.
    def name_expect(value, children):
        def expect(v):
            if not valid_attribute_name(v):
                return error("invalid attribute name")
            name = v.lower()  # the HTML parser lowercases names on HTML elements
            if name in URL_ATTRIBUTES and value is not True and policy_rejects(value):
                return ok(el("p", {name: NEUTRAL_URL}, *children))
            return ok(el("p", {name: "" if value is True else as_attribute(value)}, *children))
        return expect
    add("name:keyword", lambda e: '(p (keyword %s) "/ok" "t")' % e, name_expect("/ok", ("t",)))
    add("name:keyword-js-url", lambda e: '(p (keyword %s) "javascript:alert(1)" "t")' % e,
        name_expect("javascript:alert(1)", ("t",)))
    add("name:keyword-boolean", lambda e: "(p (keyword %s) true)" % e,
        name_expect(True, ()))

    # script and style bodies.
    def raw_expect(tag, before="", after="", svg=None):
        def expect(v):
            text = before + v + after
            if svg:
                # In SVG/MathML, <script>/<style> are ordinary elements whose
                # text the parser reads as markup: the renderer escapes it
                # like any text (spec/rendering.md, "Foreign content").
                return ok(el(svg + ":" + svg_root(svg), {},
                             el(svg + ":" + tag, {}, as_text(text, FOREIGN))))
            if script_rejects(text, tag):
                text = neutralized_raw_text(text, tag)
            return ok(el(tag, {}, as_text(text, RAWTEXT)))
        return expect

    def raw_in(tag, ancestors):
        def expect(v):
            if script_rejects(v, tag):
                v = neutralized_raw_text(v, tag)
            node = el(tag, {}, as_text(v, RAWTEXT))
            for a in reversed(ancestors):
                node = el(a, {}, node)
            return ok(node)
        return expect

    def svg_root(prefix):
        return "svg" if prefix == "svg" else "math"
    add("script:body", lambda e: "(script %s)" % e, raw_expect("script"))
    add("style:body", lambda e: "(style %s)" % e, raw_expect("style"))
    add("script:str", lambda e: "(script (str \"var s = '\" %s \"';\"))" % e,
        raw_expect("script", "var s = '", "';"))
    add("script:after-lt", lambda e: '(script "if (a <" %s ")")' % e,
        raw_expect("script", "if (a <", ")"))
    add("script:after-comment-start", lambda e: '(script "x = 1; <!-" %s)' % e,
        raw_expect("script", "x = 1; <!-"))
    add("style:after-lt", lambda e: '(style "p::after { content: \'<\' }<" %s)' % e,
        raw_expect("style", "p::after { content: '<' }<"))
    add("script:in-svg", lambda e: "(svg (script %s))" % e, raw_expect("script", svg="svg"))
    add("style:in-svg", lambda e: "(svg (style %s))" % e, raw_expect("style", svg="svg"))
    add("style:in-math", lambda e: "(math (style %s))" % e, raw_expect("style", svg="math"))
    # Where SVG and MathML hand back to HTML, script and style are raw text again.
    add("script:in-foreignObject", lambda e: "(svg (foreignObject (script %s)))" % e,
        raw_in("script", ("svg:svg", "svg:foreignObject")))
    add("style:in-math-mi", lambda e: "(math (mi (style %s)))" % e,
        raw_in("style", ("math:math", "math:mi")))
    return P


# Renderer bugs this oracle found (see the report in the commit history and
# tests/oracles/README.md). position -> [(predicate on the vector, what)].
KNOWN_BUGS = {
    # None open. Fixed: the end-tag check saw one text child at a time
    # (("<" "/script>…") closed the element); script/style inside svg/math
    # were written as raw text, which the parser reads as markup there; the
    # URL policy matched attribute names case-sensitively (HREF).
}


def known_bug(position, vector):
    for pred, what in KNOWN_BUGS.get(position, ()):
        if pred(vector):
            return what
    return None


def injected(want, got):
    """'INJECTED ...: ' naming elements and on* attributes the DOM has and the
    template did not make, or ''."""
    def inventory(nodes):
        tags, handlers = {}, {}
        for node in walk(nodes):
            tags[node[0]] = tags.get(node[0], 0) + 1
            for name in node[1]:
                if name.startswith("on"):
                    handlers[name] = handlers.get(name, 0) + 1
        return tags, handlers
    (wt, wh), (gt, gh) = inventory(want), inventory(got)
    extra = ["<%s>" % t for t in sorted(gt) if gt[t] > wt.get(t, 0)]
    extra += [h for h in sorted(gh) if gh[h] > wh.get(h, 0)]
    return "INJECTED %s: " % " ".join(extra) if extra else ""


# --- running ------------------------------------------------------------------

class Oracle:
    def __init__(self, binary, vectors, workdir, verbose):
        self.binary, self.vectors, self.dir, self.verbose = binary, vectors, workdir, verbose
        self.passed = self.failed = self.xfailed = 0
        self.rendered = self.rejected = 0
        self.failures = []
        self.xfail_seen = {}  # position -> number of expected failures seen
        self.files = 0

    # sx for one batch of (index, vector) in one position and mode
    def program(self, pos, mode, items):
        prelude, body = [], []
        if mode == "param":
            prelude.append("(defcomp ~pos (&key title) %s)" % pos.template("title"))
        for i, v in items:
            if mode == "lit" or mode == "data":
                item = pos.template(sx_string(v))
            elif mode == "var":
                prelude.append("(define v%d %s)" % (i, sx_string(v, raw_whitespace=True)))
                item = pos.template("v%d" % i)
            else:
                item = "(~pos :title %s)" % sx_string(v)
            body.append('(div :id "x%d" %s)' % (i, item))
        page = '(div :id "batch" %s)' % " ".join(body)
        if mode == "data":
            page = "(first (list %s))" % page
        return "\n".join(prelude + [page]) + "\n"

    def render(self, text, args):
        self.files += 1
        path = os.path.join(self.dir, "case%d.sx" % self.files)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        rc, out, err = run([self.binary, "render"] + args + [path])
        return path, rc, out, err

    def record(self, ok, pos, mode, policy, i, v, detail, path):
        label = "%s [%s%s] vector %d (%s)" % (pos.name, mode, "" if policy is None else
                                              ", policy " + ("on" if policy else "off"),
                                              i, self.notes[i])
        if ok:
            self.passed += 1
            return
        bug = known_bug(pos.name, v)
        if bug:
            self.xfailed += 1
            self.xfail_seen[pos.name] = self.xfail_seen.get(pos.name, 0) + 1
            if self.verbose:
                print("known bug (%s): %s: %s" % (bug, label, detail))
            return
        self.failed += 1
        self.failures.append("FAIL %s: %s\n  vector %r\n  file %s" % (label, detail, v, path))

    def run_position(self, pos):
        policies = (True, False) if pos.url else (None,)
        for policy in policies:
            args = [] if policy in (None, True) else ["--allow-any-url"]
            expect = (lambda v: pos.expect(v, policy)) if pos.url else pos.expect
            for mode in pos.modes:
                good, bad, suspect = [], [], []
                for i, v in enumerate(self.vectors):
                    if expect(v)[0] == "error":
                        bad.append((i, v))
                    elif known_bug(pos.name, v):
                        suspect.append((i, v))  # one at a time: expected to fail
                    else:
                        good.append((i, v))
                self.batch(pos, mode, policy, args, expect, good)
                # Cases that run one at a time (errors, known-bug suspects)
                # are spread over the modes to keep the run short: each runs
                # in one mode, the modes taking turns.
                turn = pos.modes[:]
                for i, v in suspect:
                    if mode == turn[i % len(turn)]:
                        self.batch(pos, mode, policy, args, expect, [(i, v)])
                for i, v in bad:
                    if mode == turn[i % len(turn)]:
                        self.one_error(pos, mode, policy, args, expect(v)[1], i, v)

    def batch(self, pos, mode, policy, args, expect, items):
        if not items:
            return
        path, rc, out, err = self.render(self.program(pos, mode, items), args)
        if rc == 0 and self.compare(pos, policy, expect, items, out) is None:
            for i, v in items:
                self.record(True, pos, mode, policy, i, v, "", path)
                self.rendered += 1
            return
        for i, v in items:  # find the culprits one by one
            if len(items) > 1:
                path, rc, out, err = self.render(self.program(pos, mode, [(i, v)]), args)
            if rc != 0:
                ok = expect(v)[0] == "ok_or_error" and out == "" and ": render: " in err
                self.record(ok, pos, mode, policy, i, v, "render failed: " + err.strip(), path)
                self.rejected += ok
                continue
            d = self.compare(pos, policy, expect, [(i, v)], out)
            self.record(d is None, pos, mode, policy, i, v, d, path)
            self.rendered += d is None

    def compare(self, pos, policy, expect, items, out):
        if not out.endswith("\n"):
            return "output does not end with the CLI's newline"
        html = out[:-1]
        got = parse_fragment(html)
        want = (("div", {"id": "batch"}, tuple(("div", {"id": "x%d" % i}, expect(v)[1])
                                               for i, v in items)),)
        d = children_difference(want, got, "fragment")
        if d:
            return "%s%s\n  html: %s" % (injected(want, got), d, html[:600])
        # Inert as a browser reads it: no URL with a scheme outside the safe
        # list while the policy is on (but the renderer's own inert value,
        # about:invalid, which loads and runs nothing).
        if policy:
            for node in walk(got):
                for name, value in node[1].items():
                    if value == NEUTRAL_URL:
                        continue
                    if name in URL_ATTRIBUTES and browser_scheme(value) not in (None,) + tuple(SAFE_SCHEMES):
                        return "a browser reads <%s %s=%r> as a %s: URL" % (
                            node[0], name, value, browser_scheme(value))
        return None

    def one_error(self, pos, mode, policy, args, kind, i, v):
        path, rc, out, err = self.render(self.program(pos, mode, [(i, v)]), args)
        problems = []
        if rc == 0:
            problems.append("rendered (exit 0) where an error (%s) was expected: %s" % (kind, out[:400]))
        else:
            if out != "":
                problems.append("partial output on stdout: %r" % out[:400])
            # A computed attribute name that could not even be a keyword is
            # refused earlier, by `keyword` itself (a type error): refused all
            # the same, and nothing is written.
            refused_name = (kind == "invalid attribute name"
                            and ": type: 'keyword' needs a name that reads back" in err)
            if not refused_name and (": render: " not in err or kind not in err):
                problems.append("stderr is not a render error about %r: %s" % (kind, err.strip()))
        self.record(not problems, pos, mode, policy, i, v, "; ".join(problems), path)
        self.rejected += not problems


def main():
    args = sys.argv[1:]
    binary, code = binary_from_args(args, "render_xss_oracle", __doc__)
    if binary is None:
        return code
    vectors_path = os.path.join(HERE, "render", "xss", "vectors.json")
    if "--vectors" in args:
        vectors_path = args[args.index("--vectors") + 1]
    entries = json.load(open(vectors_path, encoding="utf-8"))
    vectors = [e["v"] for e in entries]
    all_positions = positions()
    if "--only" in args:
        want = args[args.index("--only") + 1]
        all_positions = [p for p in all_positions if p.name == want or p.name.startswith(want + ":")]
    keep = "--keep" in args
    workdir = tempfile.mkdtemp(prefix="render_xss.")
    oracle = Oracle(binary, vectors, workdir, "-v" in args)
    oracle.notes = [e.get("note", "") for e in entries]
    start = time.time()
    for pos in all_positions:
        if oracle.failed >= MAX_FAILURES:
            print("stopping after %d failures (positions from %s on not run)" % (oracle.failed, pos.name))
            break
        oracle.run_position(pos)
    # A known bug none of whose cases failed any more has been fixed.
    for name in (KNOWN_BUGS if oracle.failed < MAX_FAILURES else ()):
        if any(p.name == name for p in all_positions) and not oracle.xfail_seen.get(name):
            oracle.failed += 1
            oracle.failures.append("FAIL %s: listed in KNOWN_BUGS but no case fails any more "
                                   "(fixed? remove the entry)" % name)
    for f in oracle.failures[:25]:
        print(f)
    if len(oracle.failures) > 25:
        print("... %d more failures" % (len(oracle.failures) - 25))
    if len(vectors) < 80:
        print("FAIL only %d vectors, expected at least 80" % len(vectors))
        oracle.failed += 1
    checks = oracle.passed + oracle.failed + oracle.xfailed
    n_modes = sum(len(p.modes) * (2 if p.url else 1) for p in all_positions)
    print("%d vectors x %d positions (%d position/mode/URL-policy combinations) = %d checks: "
          "%d rendered and inert, %d rejected as they must be; %d sx files, %.1f s"
          % (len(vectors), len(all_positions), n_modes, checks, oracle.rendered,
             oracle.rejected, oracle.files, time.time() - start))
    if oracle.xfailed:
        print("known renderer bugs (KNOWN_BUGS): %s" % ", ".join(
            "%s x%d" % (k, n) for k, n in sorted(oracle.xfail_seen.items())))
    print("%d passed, %d known-bug failures, %d failed" % (oracle.passed, oracle.xfailed,
                                                         oracle.failed))
    if oracle.failed == 0 and not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print("files kept in %s" % workdir)
    return 0 if oracle.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
