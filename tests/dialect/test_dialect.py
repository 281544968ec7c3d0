"""The platform's own sx runs as written (issue 21): site.sx — the design
documents' snippets — served by sexp.quart.Dispatcher with a batched
`query` service, each page compared as a DOM (html5lib) with the page
expected; and a feed whose data is hostile renders whole and inert."""
import asyncio
import json
import os

import html5lib
import quart

import sexp
import sexp.quart
from sexp import Keyword

SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "site.sx")


def kw(d):
    return {Keyword(k): v for k, v in d.items()}


POSTS = {"hello": kw({"title": "Hello", "body": "First post", "url": "https://example.org/src"})}
NAV = [kw({"href": "/", "label": "Home"}), kw({"href": "/blog/", "label": "Blog"})]
VENDORS = {"bread": [{"name": "Sourdough", "stall": 4}, {"name": "Rye", "stall": None}]}


def create_app(log):
    def setup(env):
        @env.service("query", batch=True)
        async def query(ctx, requests):
            log.append([(service, name, dict(args)) for service, name, args in requests])
            out = []
            for service, name, args in requests:
                if (service, name) == ("blog", "post-by-slug"):
                    out.append(POSTS[args["slug"]])
                elif (service, name) == ("blog", "nav-tree"):
                    out.append(NAV)
                elif (service, name) == ("cart", "cart-summary"):
                    out.append(kw({"count": args["user_id"] * 3}))
                elif (service, name) == ("market", "vendors"):
                    out.append(VENDORS[args["category"]])
                else:
                    raise LookupError((service, name))
            return out

    app = quart.Quart(__name__)
    sexp.quart.Dispatcher(
        SITE, setup=setup,
        user=lambda request: (kw({"id": 1, "name": request.headers["X-User"]})
                              if "X-User" in request.headers else None)).install(app)
    return app


def get(app, path, headers=None):
    async def go():
        response = await app.test_client().get(path, headers=headers or {})
        return response.status_code, await response.get_data(as_text=True)
    return asyncio.run(go())


def dom(html, fragment=False):
    """The parsed tree as nested tuples (tag, sorted attributes, children),
    whitespace-only text dropped: what a browser builds."""
    parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False)
    root = parser.parseFragment(html) if fragment else parser.parse(html)

    def walk(e):
        kids = []
        if e.text and e.text.strip():
            kids.append(e.text)
        for c in e:
            kids.append(walk(c))
            if c.tail and c.tail.strip():
                kids.append(c.tail)
        return (e.tag, tuple(sorted(e.attrib.items())), tuple(kids))
    return walk(root)


def test_the_post_page_as_written_with_sequential_let_and_named_queries():
    log = []
    status, page = get(create_app(log), "/blog/hello/", {"X-User": "Ann"})
    assert status == 200, page
    assert dom(page) == dom(
        "<!DOCTYPE html><html><head><title>Hello</title></head><body><header>"
        '<nav id="nav"><ul><li><a href="/">Home</a></li><li><a href="/blog/">Blog</a></li></ul></nav>'
        '<span class="user">Ann</span><span id="cart-count">3</span></header>'
        '<main id="main"><article><h1>Hello</h1><p>First post</p>'
        '<a href="https://example.org/src">source</a></article></main></body></html>')
    # The names arrive as strings, the keyword arguments as a dict. The let
    # binds in order, but its inits that do not mention a waiting name go
    # out together: the user is no request, so all three are one round.
    assert log == [[("blog", "post-by-slug", {"slug": "hello"}), ("blog", "nav-tree", {}),
                    ("cart", "cart-summary", {"user_id": 1})]]


def test_htmx_requests_get_the_out_of_band_fragments_and_guests_no_cart():
    log = []
    status, page = get(create_app(log), "/blog/hello/", {"HX-Request": "true"})
    assert status == 200, page
    assert dom(page, fragment=True) == dom(
        '<main id="main" hx-swap-oob="true"><article><h1>Hello</h1><p>First post</p></article></main>'
        '<nav id="nav" hx-swap-oob="true"><ul><li>Home</li><li>Blog</li></ul></nav>', fragment=True)
    assert [name for batch in log for _, name, _ in batch] == ["post-by-slug", "nav-tree"]
    status, page = get(create_app([]), "/blog/hello/")  # no user: no cart, no name
    assert 'class="user"' not in page and "cart-count" not in page


def test_defpage_each_and_use_render_the_vendor_cards():
    log = []
    status, page = get(create_app(log), "/markets/bread/")
    assert status == 200, page
    assert dom(page) == dom(
        "<!DOCTYPE html><html><head><title>Markets</title></head><body><section>"
        '<div class="vendor-card"><h3>Sourdough</h3><p>Stall 4</p></div>'
        '<div class="vendor-card"><h3>Rye</h3></div></section>'
        '<svg><use href="#logo"></use></svg></body></html>')
    assert log == [[("market", "vendors", {"category": "bread"})]]
    status, page = get(create_app([]), "/images/3/")
    assert status == 200, page
    assert dom(page) == dom("<!DOCTYPE html><html><head><title>Images</title></head>"
                            "<body><p>/cache/bafy3.sx</p><p>3</p></body></html>")


def test_the_dispatcher_asks_an_identical_request_once():
    log = []
    status, page = get(create_app(log), "/twice/")
    assert status == 200, page
    assert dom(page) == dom("<!DOCTYPE html><html><head><title>Twice</title></head>"
                            "<body><p>2</p><p>2</p></body></html>")
    assert log == [[("blog", "nav-tree", {})]]


def test_identical_named_requests_in_one_round_are_merged():
    env = sexp.Env(capabilities=["core", "string", "list", "dict", "io"])
    asked = []

    @env.service(batch=True)
    async def query(ctx, requests):
        asked.append(list(requests))
        return [len(r[2]) for r in requests]
    env.eval('(define (page) (list (query blog nav-tree) (query blog nav-tree)'
             ' (query blog post-by-slug :slug "a" :x 1) (query "blog" "post-by-slug" {:x 1 :slug "a"})))')
    resolution = asyncio.run(env._resolved("(page)", None))
    assert resolution.result() == [0, 0, 2, 2]
    assert asked == [[("blog", "nav-tree", {}), ("blog", "post-by-slug", {"slug": "a", "x": 1})]]
    assert resolution.stats()["merged"] == 2


def test_a_feed_with_hostile_data_in_every_tenth_post_renders_whole_and_inert():
    env = sexp.Env()
    env.load(SITE)
    hostile_json = json.dumps({"note": "</script><img src=x onerror=alert(1)><!--"})
    posts = []
    for i in range(1000):
        bad = i % 10 == 0
        posts.append(kw({"title": "post %d" % i,
                         "url": "javascript:alert(%d)" % i if bad else "/p/%d" % i,
                         "json": hostile_json if bad else json.dumps({"n": i})}))
    html = env.render("~feed", posts=posts)
    assert env.render_stats["unsafe_urls"] == 100
    assert env.render_stats["raw_text_escaped"] == 100
    tree = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False).parse(html)
    items = tree.findall(".//ol/li")
    assert len(items) == 1000
    assert not tree.findall(".//img")  # no text escaped its <script>
    for i, li in enumerate(items):
        a, script = li.find("a"), li.find("script")
        assert a.text == "post %d" % i
        assert a.get("href") == ("about:invalid#unsafe-url" if i % 10 == 0 else "/p/%d" % i)
        # The JSON stays JSON, with the same value.
        assert json.loads(script.text) == json.loads(posts[i][Keyword("json")])


def test_a_macro_may_redefine_a_built_in_form():
    env = sexp.Env()
    env.eval("(defmacro when (test &rest body) (list 'if test (cons 'begin body) nil))")
    assert env.eval("(list (when true 1 2) (when false 3))") == [2, None]
