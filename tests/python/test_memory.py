"""Memory per request stays flat (issue 22, item 4): a page's compiled code
is kept once per page text (and a route's once per route), its values live
in the request's arena, so env.bytes_used does not grow with requests."""
import asyncio
import os

import pytest
import quart

import sexp
import sexp.quart as sq

IO = ["core", "string", "list", "dict", "io"]


def test_resolving_the_same_page_again_keeps_nothing():
    env = sexp.Env(capabilities=IO)

    async def main():
        await env.resolve("(list 1 2)")
        await env.render_page('(p (str 1 2))')
        before = env.bytes_used
        for _ in range(1000):
            assert await env.resolve("(list 1 2)") == [1, 2]
            assert await env.render_page('(p (str 1 2))') == "<p>12</p>"
        return env.bytes_used - before
    # Before: +5,814 bytes per resolve and +6,245 per render_page, forever.
    assert asyncio.run(main()) == 0


def test_a_changed_definition_is_seen_by_a_kept_page():
    env = sexp.Env(capabilities=IO)
    env.eval("(defmacro twice (x) (list 'list x x))")
    env.eval("(define (greet) \"hi\")")
    assert asyncio.run(env.resolve("(twice (greet))")) == ["hi", "hi"]
    env.eval("(defmacro twice (x) (list 'list x x x))")  # expands differently now
    env.eval("(define (greet) \"yo\")")
    assert asyncio.run(env.resolve("(twice (greet))")) == ["yo", "yo", "yo"]


SITE = """
(defcomp ~card (&key item)
  (article :class "card" (h2 (:name item)) (p :class (list "price" (when (:sale item) "sale"))
    (str (:price item)))))
(defpage item :path "/item/:n{int}/"
  :content (let [row (query shop item :n n)]
             (~card :item row)))
(defroute "/search/" (q)
  (ul (map (fn (r) (li (:name r))) (query shop search :q q))))
"""


def make_app(tmp_path):
    site = tmp_path / "site.sx"
    site.write_text(SITE)

    def setup(env):
        @env.service
        async def query(context, service, name, args):
            if name == "item":
                return {"name": "item %d" % args["n"], "price": args["n"] * 3, "sale": args["n"] % 2}
            return [{"name": "%s-%d" % (args["q"], i)} for i in range(3)]

    dispatcher = sq.Dispatcher(str(site), setup=setup)
    app = quart.Quart(__name__)
    dispatcher.install(app)
    return app, dispatcher


def rss():
    """Resident set size of this process now, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


REQUESTS = int(os.environ.get("SEXP_MEMORY_REQUESTS", "100000"))
CLIENT_EVERY = 50  # one request in 50 goes through the test client (HTTP), the
                   # rest straight to the handler in a request context (faster)


def test_a_quart_app_serves_many_requests_in_flat_memory(tmp_path):
    app, dispatcher = make_app(tmp_path)

    async def get(client, path, query=None):
        if get.n % CLIENT_EVERY == 0:
            r = await client.get(path, query_string=query)
        else:
            async with app.test_request_context(path, query_string=query):
                r = await dispatcher.handle(path.lstrip("/"))
        get.n += 1
        return r
    get.n = 0

    async def main():
        client = app.test_client()
        env = dispatcher.env
        for n in range(50):  # warm: each route compiled once
            await get(client, "/item/%d/" % n)
            await get(client, "/search/", {"q": "w%d" % n})
        before = env.bytes_used
        rss_before = rss()
        for n in range(REQUESTS):
            if n % 4 == 3:
                r = await get(client, "/search/", {"q": "s%d" % n})
            else:
                r = await get(client, "/item/%d/" % n)
            assert r.status_code == 200
            if n % 9973 == 0:
                body = (await r.get_data()).decode()
                assert ("item %d" % n) in body or ("s%d-0" % n) in body, body
        assert dispatcher.env is env, "the Env was replaced (it grew past max_env_bytes)"
        return before, env.bytes_used, rss() - rss_before
    before, after, rss_growth = asyncio.run(main())
    # The process too: a leak of ~6 KB a request would be ~600 MB here.
    assert rss_growth < 48 << 20 or REQUESTS < 100000, rss_growth
    # Every request had distinct parameters; nothing of them stayed. Before:
    # each request compiled its call's text into the Env (~6 KB a request).
    assert after == before, (before, after)
