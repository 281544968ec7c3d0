"""examples/routes through Quart's test client: every page comes from a
defroute in site.sx, dispatched by sexp.quart.Dispatcher and resolved in
rounds by libsexp's resolver."""
import asyncio

import html5lib
import pytest

import sexp
import sexp.quart

from .app import create_app

SX = {"Accept": "application/x-sexpr"}


def run(coro):
    return asyncio.run(coro)


async def fetch(app, path, headers=None):
    response = await app.test_client().get(path, headers=headers or {})
    return response, await response.get_data(as_text=True)


def text_of(page):
    tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    return " ".join(" ".join(t.strip() for t in tree.itertext() if t.strip()).split())


def test_home_page_is_resolved_in_rounds_with_batched_merged_queries():
    log = []
    response, page = run(fetch(create_app(log=log), "/"))
    assert response.status_code == 200
    assert "Hello, sx by Ada Rounds, not calls by Grace <Escaping> & friends by Ada" in text_of(page)
    # One call per round: the ids, then every post, then every author once.
    assert log == [[("post-ids",)],
                   [("post", 1), ("post", 2), ("post", 3)],
                   [("user", 10), ("user", 11)]]


def test_typed_parameters_and_most_specific_route():
    app = create_app()
    response, page = run(fetch(app, "/posts/2/", {"X-User": "ada"}))
    assert response.status_code == 200
    assert text_of(page).endswith("Rounds, not calls Independent fetches go out together. by Grace")
    assert "signed in as ada" in text_of(page)  # the per-request context
    assert run(fetch(app, "/posts/two/"))[0].status_code == 404  # {int} only
    response, page = run(fetch(app, "/posts/new/"))  # the literal beats {int}
    assert response.status_code == 200 and "New post" in page
    assert run(fetch(app, "/posts/2"))[0].status_code == 404  # trailing slash matters
    assert run(fetch(app, "/no/such/page/"))[0].status_code == 404


def test_query_parameters_are_values_never_code():
    app = create_app()
    _, page = run(fetch(app, "/search/?q=ROUNDS"))
    assert "Search: ROUNDS Rounds, not calls by Grace" in text_of(page)
    _, page = run(fetch(app, "/search/?q=%28current-user%29"))
    assert "Search: (current-user)" in text_of(page)  # not evaluated
    _, page = run(fetch(app, "/search/"))
    assert "Search:" in text_of(page)  # absent: nil


def test_sx_answers_etags_and_not_modified():
    app = create_app()
    response, body = run(fetch(app, "/posts/1/", SX))
    assert response.content_type.startswith("application/x-sexpr")
    tree = sexp.parse(body)
    assert tree[0] == sexp.Symbol("ok")
    assert tree[2] == sexp.hash(tree[3])
    tag = response.headers["ETag"]
    again, _ = run(fetch(app, "/posts/1/", {**SX, "If-None-Match": tag}))
    assert again.status_code == 304
    html, _ = run(fetch(app, "/posts/1/"))
    assert html.headers["ETag"] != tag  # the two representations differ


def test_a_failing_service_is_a_500_with_the_error():
    response, body = run(fetch(create_app(), "/posts/9/", SX))
    assert response.status_code == 500
    head, _, _, tree = sexp.loads(body)
    assert head == sexp.Symbol("error")
    # The page shows the error's code; its message (a service's internals) is logged only.
    assert tree == sexp.loads('(<> (h1 "Error") (p :class "error-code" "io"))')
    assert "no post 9" not in body


def test_conflicting_routes_are_refused_when_loading(tmp_path):
    site = tmp_path / "site.sx"
    site.write_text('(defroute "/a/:x/" (x) (p x))\n(defroute "/a/:y/" (y) (p y))\n')
    with pytest.raises(ValueError, match="conflicts"):
        sexp.quart.Dispatcher(site)
