"""sexp.quart: negotiation by Accept, ETag = content address, 304,
(not-modified) for Sexpr-Have, HEAD, through Quart's test client."""
import asyncio
import hashlib

import pytest
import quart

import sexp
import sexp.quart as sq
from sexp import Keyword, Symbol

SX = {"Accept": "application/x-sexpr"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
POSTS = [{Keyword("id"): 1, Keyword("title"): "A <b> & 'c'"}, {Keyword("id"): 2, Keyword("title"): "Two"}]


def make_app():
    env = sexp.Env()
    env.eval('(defcomp ~list (&key posts title) (<> (h1 title) (ul (map (fn (p) (li (count-render)'
             ' (:title p))) posts))))')
    renders = []

    @env.primitive("count-render")
    def count_render():
        renders.append(1)
        return None

    app = quart.Quart(__name__)

    @app.route("/", methods=["GET", "POST"])
    async def index():
        return await sq.respond(sq.call("~list", posts=POSTS, title="Posts"), env=env)

    @app.get("/plain")
    async def plain():
        return await sq.respond([Symbol("p"), Keyword("class"), "x", "<hi>"])

    @app.get("/text")
    async def text():
        return await sq.respond('(p "from text")', env=env, headers={"Cache-Control": "no-cache"})

    @app.get("/missing")
    async def missing():
        return await sq.respond([Symbol("p"), "no such post"], status=404)

    @app.get("/versioned")
    async def versioned():
        return await sq.respond([Symbol("p"), "v"], version="v7",
                                headers={"Vary": "Cookie"})

    app.sx_env, app.renders = env, renders
    return app


TREE = sq.call("~list", posts=POSTS, title="Posts")
HTML = "<h1>Posts</h1><ul><li>A &lt;b&gt; &amp; &#39;c&#39;</li><li>Two</li></ul>"
# What is sent is what the HTML shows: an sx client gets the page as an
# element tree, and each tag is the hash of what its representation sends.
SENT = sexp.html_to_sx(HTML, mode="fragment")
ADDRESS = sexp.hash(SENT)
HTML_TAG = "sha3-" + hashlib.sha3_256(HTML.encode()).hexdigest() + "-html"


def run(coro):
    return asyncio.run(coro)


async def fetch(app, path="/", method="GET", headers=None):
    client = app.test_client()
    response = await client.open(path, method=method, headers=headers or {})
    return response, await response.get_data(as_text=True)


# --- negotiation ---------------------------------------------------------------

@pytest.mark.parametrize("accept, sx", [
    (None, False),
    ("", False),
    ("*/*", False),
    ("application/*", False),
    (BROWSER["Accept"], False),
    ("application/json", False),
    ("application/x-sexpr", True),
    ("Application/X-Sexpr; charset=utf-8", True),
    ("text/html;q=0.5, application/x-sexpr", True),
    ("application/x-sexpr;q=0.9, text/html", False),
    ("application/x-sexpr, text/html", True),  # a tie goes to the type named on purpose
    ("application/x-sexpr;q=0.4, text/*;q=0.3", True),
    ("application/x-sexpr;q=0.4, text/html;q=0.3, */*", True),  # text/html's own q counts
    ("application/x-sexpr;q=0", False),
    ("application/x-sexpr;q=0.000, */*", False),
    ("application/x-sexpr;q=2", False),  # malformed q: the entry counts for nothing
    ("application/x-sexpr;q=nan", False),
])
def test_wants_sx(accept, sx):
    assert sq.wants_sx(accept) is sx


def test_html_by_default_and_for_browsers():
    app = make_app()
    for headers in ({}, BROWSER, {"Accept": "*/*"}):
        r, body = run(fetch(app, headers=headers))
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert body == app.sx_env.render_html(TREE)  # the same page as rendering the tree
        assert body == HTML
        assert [v.strip() for v in r.headers["Vary"].split(",")] == ["Accept", "Sexpr-Have"]
        assert r.headers["ETag"] == '"%s"' % HTML_TAG == sq.etag(HTML, sx=False)


def test_sx_for_sx_clients():
    app = make_app()
    r, body = run(fetch(app, headers=SX))
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/x-sexpr"
    assert "Accept" in r.headers["Vary"]
    assert r.headers["ETag"] == '"%s"' % ADDRESS
    # (ok :hash "sha3-…" tree), canonical; the hash is SHA3-256 of the tree's canonical bytes.
    assert body == sexp.dumps(sexp.loads(body))
    assert sexp.loads(body) == [Symbol("ok"), Keyword("hash"), ADDRESS, SENT]
    assert body.endswith(" " + sexp.dumps(SENT) + ")")
    assert ADDRESS == "sha3-" + hashlib.sha3_256(sexp.dumps(SENT).encode()).hexdigest()
    # The element tree of the rendered page, not the call with its data.
    assert SENT == [Symbol("<>"), [Symbol("h1"), "Posts"],
                    [Symbol("ul"), [Symbol("li"), "A <b> & 'c'"], [Symbol("li"), "Two"]]]


def test_sx_text_trees_and_extra_headers():
    app = make_app()
    r, body = run(fetch(app, "/text", headers=SX))
    address = sexp.hash_text('(p "from text")')
    assert body == '(ok :hash "%s" (p "from text"))' % address
    assert r.headers["ETag"] == '"%s"' % address and r.headers["Cache-Control"] == "no-cache"
    r, body = run(fetch(app, "/text"))
    assert body == "<p>from text</p>"


def test_default_env_renders_element_trees():
    r, body = run(fetch(make_app(), "/plain"))
    assert body == '<p class="x">&lt;hi&gt;</p>'


# --- 304 on If-None-Match --------------------------------------------------------

@pytest.mark.parametrize("inm", [
    '"{tag}"', 'W/"{tag}"', '"sha3-other", "{tag}"', "*",
])
def test_304_when_if_none_match_matches(inm):
    app = make_app()
    for headers, tag in ((SX, ADDRESS), ({}, HTML_TAG)):
        h = dict(headers, **{"If-None-Match": inm.format(tag=tag)})
        r, body = run(fetch(app, headers=h))
        assert r.status_code == 304 and body == ""
        assert r.headers["ETag"] == '"%s"' % tag and "Accept" in r.headers["Vary"]


def test_each_representation_has_its_own_tag():
    app = make_app()
    r, _ = run(fetch(app, headers={"If-None-Match": '"%s"' % ADDRESS}))  # the sx tag, for HTML
    assert r.status_code == 200
    r, _ = run(fetch(app, headers=dict(SX, **{"If-None-Match": '"%s"' % HTML_TAG})))
    assert r.status_code == 200
    r, _ = run(fetch(app, headers=dict(SX, **{"If-None-Match": '"sha3-%s"' % ("0" * 64)})))
    assert r.status_code == 200


def test_no_304_for_post_or_errors():
    app = make_app()
    r, body = run(fetch(app, method="POST", headers={"If-None-Match": "*"}))
    assert r.status_code == 200 and body.startswith("<h1>")
    tag = sq.etag([Symbol("p"), "no such post"], sx=True)
    r, body = run(fetch(app, "/missing", headers=dict(SX, **{"If-None-Match": tag})))
    assert r.status_code == 404
    assert body == '(not-found :hash "%s" (p "no such post"))' % tag.strip('"')


def test_version_goes_into_html_tags_only():
    app = make_app()
    address = sexp.hash([Symbol("p"), "v"])
    r, _ = run(fetch(app, "/versioned"))
    assert r.headers["ETag"] == sq.etag("<p>v</p>", sx=False, version="v7")
    assert r.headers["ETag"].endswith('-html-v7"')
    assert r.headers["Vary"] == "Accept, Sexpr-Have, Cookie"
    r, _ = run(fetch(app, "/versioned", headers=SX))
    assert r.headers["ETag"] == '"%s"' % address
    with pytest.raises(ValueError):
        sq.etag("<p></p>", sx=False, version='a"b')


# --- (not-modified) for :have ------------------------------------------------------

@pytest.mark.parametrize("have", [
    "{address}", '"{address}"', "sha3-{zeros}, {address}", "{cid}",
])
def test_not_modified_when_the_client_has_it(have):
    app = make_app()
    value = have.format(address=ADDRESS, cid=sexp.cid(SENT), zeros="0" * 64)
    r, body = run(fetch(app, headers=dict(SX, **{"Sexpr-Have": value})))
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/x-sexpr"
    assert body == '(not-modified :hash "%s")' % ADDRESS
    assert r.headers["ETag"] == '"%s"' % ADDRESS


def test_have_something_else_or_html_gets_the_content():
    app = make_app()
    r, body = run(fetch(app, headers=dict(SX, **{"Sexpr-Have": "sha3-" + "0" * 64})))
    assert sexp.parse(body)[0] == Symbol("ok")
    r, body = run(fetch(app, headers={"Sexpr-Have": ADDRESS}))
    assert body.startswith("<h1>Posts</h1>")


# --- HEAD ---------------------------------------------------------------------------

def test_head_has_the_headers_of_get_and_no_body():
    app = make_app()
    for headers in ({}, SX):
        get, get_body = run(fetch(app, headers=headers))
        head, head_body = run(fetch(app, method="HEAD", headers=headers))
        assert head.status_code == 200 and head_body == ""
        for name in ("ETag", "Vary", "Content-Type"):
            assert head.headers[name] == get.headers[name]

    async def direct():  # the response itself (the test client recounts the length)
        async with app.test_request_context("/", method="HEAD", headers=SX):
            return await sq.respond(TREE, env=app.sx_env)
    r = run(direct())
    assert r.headers["Content-Length"] == str(len(get_body.encode()))
    assert run(r.get_data()) == b""


# --- the tree respond() renders --------------------------------------------------------

def test_call_quotes_data_and_renders_like_the_tree():
    tree = sq.call("~x", a=[1, 2], b={Keyword("k"): "v"}, c=Symbol("s"), d="str", e=None)
    assert sexp.canonical(tree) == \
        '(~x :a (quote (1 2)) :b (quote {:k "v"}) :c (quote s) :d "str" :e nil)'
    assert sq._as_call(tree) == ("~x", {"a": [1, 2], "b": {Keyword("k"): "v"},
                                        "c": Symbol("s"), "d": "str", "e": None})
    # Not calls respond() may hand to Env.render: evaluated through render_html.
    for other in ([Symbol("div"), Keyword("a"), 1], [Symbol("~x"), "child"],
                  [Symbol("~x"), Keyword("a"), [Symbol("f"), 1]], [Symbol("~x"), Keyword("a")]):
        assert sq._as_call(other) is None


def test_call_trees_leave_nothing_in_the_environment():
    app = make_app()
    run(fetch(app))
    before = app.sx_env.bytes_used
    for _ in range(20):
        run(fetch(app))
    assert app.sx_env.bytes_used == before


def test_bad_status():
    app = make_app()

    async def direct(status):
        async with app.test_request_context("/"):
            return await sq.respond([Symbol("p")], status=status)
    for status in (204, 301, 304, 100):
        with pytest.raises(ValueError):
            run(direct(status))
    assert run(direct(201)).status_code == 201


def test_negotiation_follows_the_shared_vectors():
    """spec/vectors/negotiation.jsonl, the file the C++ host is tested
    with (tests/web/negotiate_test.cc): one set of rules for both hosts."""
    import json
    import pathlib
    path = pathlib.Path(__file__).resolve().parents[2] / "spec" / "vectors" / "negotiation.jsonl"
    checked = 0
    for line in path.read_text().splitlines():
        v = json.loads(line)
        if "accept" in v:
            assert sexp.quart.wants_sx(v["accept"]) == v["sx"], v["name"]
        elif "html" in v:
            assert sexp.quart.etag(v["html"], sx=False, version=v["version"] or None) == v["etag"]
        elif "if_none_match" in v:
            assert sexp._sexp._if_none_match(v["if_none_match"], v["etag"]) == v["match"], v["name"]
        elif "sexpr_have" in v:
            address = sexp.hash(sexp.loads(v["tree"]))
            assert sexp._sexp._have_names(v["sexpr_have"], address) == v["have"], v["name"]
        else:
            assert sexp._sexp._sx_answer_head(v["status"]) == v["head"], v["name"]
        checked += 1
    assert checked >= 30
