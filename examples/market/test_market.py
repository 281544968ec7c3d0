"""The market page through Quart's test client: HTML checked with html5lib,
the HTMX variant, the sx answer without internal fields, one batch call per
round, ETags that follow the data, and flat memory."""
import asyncio
import hashlib

import html5lib

import sexp
from sexp import Symbol

from .app import create_app

SX = {"Accept": "application/x-sexpr"}
HTMX = {"HX-Request": "true"}


def run(coro):
    return asyncio.run(coro)


async def fetch(app, path, headers=None):
    response = await app.test_client().get(path, headers=headers or {})
    return response, await response.get_data(as_text=True)


def dom(text):
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)


def text_of(element):
    return "".join(element.itertext())


def test_the_listing_page():
    app = create_app()
    r, body = run(fetch(app, "/market/bread/"))
    assert r.status_code == 200 and body.startswith("<!DOCTYPE html>")
    page = dom(body)
    assert text_of(page.find(".//title")) == "Market: bread · market"
    cards = page.findall(".//article")
    assert [text_of(c.find(".//h2")) for c in cards] == ["Sourdough", "Rye loaf", "Spelt <rolls>"]
    assert [c.get("class") for c in cards] == ["product-card", "product-card on-sale",
                                               "product-card"]
    assert [text_of(c.find(".//span[@class='price']")) for c in cards] == ["4.50", "3.20", "2.99"]
    badges = [[text_of(b) for b in c.findall(".//span")if "badge" in b.get("class", "")]
              for c in cards]
    assert badges == [["organic"], ["sale"], ["organic"]]
    assert text_of(page.find(".//span[@id='cart-count']")) == "0 in cart"
    assert r.headers["ETag"] == '"sha3-%s-html"' % hashlib.sha3_256(body.encode()).hexdigest()
    assert app.config["BATCHES"] == [1]  # one round, one call of the batch service


def test_the_htmx_variant_is_the_listing_and_an_oob_cart_count():
    app = create_app()
    r, body = run(fetch(app, "/market/bread/", HTMX))
    assert r.status_code == 200 and not body.startswith("<!DOCTYPE")
    assert body.startswith('<section id="listing">')
    assert body.endswith('<span id="cart-count" hx-swap-oob="true">0 in cart</span>')
    assert "HX-Request" in r.headers["Vary"]


def test_sx_clients_get_the_page_without_internal_fields():
    app = create_app()
    _, html = run(fetch(app, "/market/bread/"))
    r, body = run(fetch(app, "/market/bread/", SX))
    head, _, address, tree = sexp.loads(body)
    assert head == Symbol("ok") and address == sexp.hash(tree)
    assert r.headers["ETag"] == '"%s"' % address
    assert "seller" not in body  # the rows' internal column
    assert sexp.dumps(tree) == sexp.dumps(sexp.html_to_sx(html))


def test_an_empty_category_and_a_price_change():
    app = create_app()
    _, body = run(fetch(app, "/market/fish/"))
    assert "Nothing here today." in body
    r, _ = run(fetch(app, "/market/fruit/"))
    tag = r.headers["ETag"]
    assert run(fetch(app, "/market/fruit/", {"If-None-Match": tag}))[0].status_code == 304
    app.config["DB"].execute("update products set price = 275 where id = 4")
    r, body = run(fetch(app, "/market/fruit/", {"If-None-Match": tag}))
    assert r.status_code == 200 and "2.75" in body and r.headers["ETag"] != tag


def test_many_requests_leave_the_env_as_it_was():
    app = create_app()
    env = app.config["SX_ENV"]
    run(fetch(app, "/market/bread/"))
    before = env.bytes_used
    for i in range(200):
        run(fetch(app, "/market/%s/" % ("bread", "fruit", "c%d" % i)[i % 3], HTMX if i % 2 else None))
    assert env.bytes_used == before
