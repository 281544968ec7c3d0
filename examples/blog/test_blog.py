"""The example blog through Quart's test client: HTML and sx answers, the
like action, 304 and (not-modified), 404s."""
import asyncio
import hashlib

import html5lib
import pytest

import sexp
import sexp.quart
from sexp import Keyword, Symbol

from .app import COMPONENTS, SEED, create_app

SX = {"Accept": "application/x-sexpr"}


def run(coro):
    return asyncio.run(coro)


async def fetch(app, path, method="GET", headers=None):
    response = await app.test_client().open(path, method=method, headers=headers or {})
    return response, await response.get_data(as_text=True)


def dom(text):
    """The page parsed by html5lib in strict mode: any parse error fails."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(text)


def text_of(element):
    return "".join(element.itertext())


def sx_body(text):
    """(ok :hash h tree) → (h, tree), checking the form and the hash."""
    head, key, address, tree = sexp.parse(text)
    assert (head, key) == (Symbol("ok"), Keyword("hash"))
    assert address == sexp.hash(tree)
    return address, tree


@pytest.fixture
def app():
    return create_app()


def test_index_html(app):
    r, body = run(fetch(app, "/"))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert body.startswith("<!DOCTYPE html>")
    page = dom(body)
    assert text_of(page.find(".//title")) == "Posts · sx blog"
    cards = page.findall(".//article[@class='post-card']")
    assert [text_of(c.find(".//h2")) for c in cards] == [p["title"] for p in SEED]
    assert [c.find(".//h2/a").get("href") for c in cards] == ["/posts/1", "/posts/2", "/posts/3"]
    assert [c.find(".//form").get("action") for c in cards] == \
        ["/posts/1/like", "/posts/2/like", "/posts/3/like"]
    # Data is text: the title's brackets and the body's script tag are escaped.
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert page.find(".//script") is None
    # HTML tags are the hash of the HTML sent, and carry the components' hash.
    version = hashlib.sha3_256(COMPONENTS.read_bytes()).hexdigest()[:16]
    assert "Accept" in r.headers["Vary"]
    assert r.headers["ETag"] == '"sha3-%s-html-%s"' % (hashlib.sha3_256(body.encode()).hexdigest(),
                                                       version)


def test_index_sx(app):
    r, body = run(fetch(app, "/", headers=SX))
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/x-sexpr"
    address, tree = sx_body(body)
    assert r.headers["ETag"] == '"%s"' % address
    assert tree[:2] == [Symbol("~index-page"), Keyword("posts")]
    quote, posts = tree[2]
    assert quote == Symbol("quote")
    assert [p[Keyword("title")] for p in posts] == [p["title"] for p in SEED]
    assert all(p[Keyword("likes")] == 0 for p in posts)
    # An sx client with the components renders the same page a browser gets.
    r2, html = run(fetch(app, "/"))
    assert app.config["SX_ENV"].render_html(tree) == html


def test_post_page(app):
    r, body = run(fetch(app, "/posts/2"))
    assert r.status_code == 200
    article = dom(body).find(".//article[@id='post-2']")
    assert text_of(article.find("h1")) == SEED[1]["title"]
    assert [text_of(p) for p in article.findall("p")] == SEED[1]["body"]
    assert text_of(article.find(".//button")) == "♥ 0"
    r, body = run(fetch(app, "/posts/2", headers=SX))
    _, tree = sx_body(body)
    assert tree[0] == Symbol("~post-page") and tree[2][1][Keyword("id")] == 2


def test_not_found(app):
    for path in ("/posts/99", "/nowhere"):
        r, body = run(fetch(app, path))
        assert r.status_code == 404 and "Nothing lives at" in body
        assert text_of(dom(body).find(".//code")) == path
        r, body = run(fetch(app, path, headers=SX))
        assert r.status_code == 404 and sexp.parse(body)[0] == Symbol("not-found")
    r, _ = run(fetch(app, "/posts/99/like", method="POST"))
    assert r.status_code == 404


def test_like_from_a_browser(app):
    r, _ = run(fetch(app, "/posts/1/like", method="POST"))
    assert r.status_code == 303 and r.headers["Location"] == "/posts/1"
    run(fetch(app, "/posts/1/like", method="POST"))
    _, body = run(fetch(app, "/posts/1"))
    assert text_of(dom(body).find(".//button")) == "♥ 2"
    _, body = run(fetch(app, "/"))
    buttons = [text_of(b) for b in dom(body).findall(".//button")]
    assert buttons == ["♥ 2", "♥ 0", "♥ 0"]
    assert app.config["POSTS"][1]["likes"] == 2


def test_like_from_an_sx_client(app):
    r, body = run(fetch(app, "/posts/3/like", method="POST", headers=SX))
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/x-sexpr"
    _, tree = sx_body(body)
    assert tree[2][1][Keyword("likes")] == 1
    # The same tree a GET now answers with.
    _, again = run(fetch(app, "/posts/3", headers=SX))
    assert sx_body(again)[1] == tree


def test_304_until_a_like_changes_the_page(app):
    for headers in ({}, SX):
        r, _ = run(fetch(app, "/posts/1", headers=headers))
        tag = r.headers["ETag"]
        r, body = run(fetch(app, "/posts/1", headers=dict(headers, **{"If-None-Match": tag})))
        assert r.status_code == 304 and body == ""
    r, _ = run(fetch(app, "/posts/1", headers=SX))
    old = r.headers["ETag"]
    run(fetch(app, "/posts/1/like", method="POST"))
    r, _ = run(fetch(app, "/posts/1", headers=dict(SX, **{"If-None-Match": old})))
    assert r.status_code == 200 and r.headers["ETag"] != old


def test_not_modified_for_what_the_client_has(app):
    _, body = run(fetch(app, "/posts/2", headers=SX))
    address, _ = sx_body(body)
    have = dict(SX, **{"Sexpr-Have": address})
    r, body = run(fetch(app, "/posts/2", headers=have))
    assert r.status_code == 200 and body == '(not-modified :hash "%s")' % address
    run(fetch(app, "/posts/2/like", method="POST"))
    r, body = run(fetch(app, "/posts/2", headers=have))
    new_address, tree = sx_body(body)
    assert new_address != address and tree[2][1][Keyword("likes")] == 1


def test_head(app):
    r, body = run(fetch(app, "/", method="HEAD"))
    get, _ = run(fetch(app, "/"))
    assert r.status_code == 200 and body == "" and r.headers["ETag"] == get.headers["ETag"]
