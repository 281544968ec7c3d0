"""A small blog on Quart and sexp: components in components.sx, pages
rendered from Python data, every answer negotiated by sexp.quart.respond
(HTML for browsers, canonical sx for application/x-sexpr clients, ETags,
304 and (not-modified)). See README.md.

    PYTHONPATH=build/python /usr/bin/python3 -m examples.blog.app
"""
from __future__ import annotations

import hashlib
import pathlib
from typing import Any

import quart

import sexp
import sexp.quart as sq
from sexp import Keyword

COMPONENTS = pathlib.Path(__file__).resolve().parent / "components.sx"

SEED = [
    {"id": 1, "title": "Hello, sx",
     "body": ["One language at every boundary: pages, components and the wire.",
              "This page is a component call rendered on the server."]},
    {"id": 2, "title": "Escaping <angle> brackets & \"quotes\"",
     "body": ["Strings are text: <script>alert(1)</script> stays visible, never runs."]},
    {"id": 3, "title": "Content addresses",
     "body": ["Every answer carries the SHA3-256 of its canonical sx as its ETag."]},
]


def as_sx(post: dict[str, Any]) -> dict[Keyword, Any]:
    """A post as sx data: keyword keys, which components read as (:title post)."""
    return {Keyword(k): v for k, v in post.items()}


def create_app(posts: list[dict[str, Any]] | None = None) -> quart.Quart:
    """The blog with its own store (a copy of `posts`, default SEED, each
    starting at its "likes" or 0) and its own sx environment."""
    env = sexp.Env()
    env.load(str(COMPONENTS))
    # HTML depends on the components too: their hash goes into HTML ETags.
    version = hashlib.sha3_256(COMPONENTS.read_bytes()).hexdigest()[:16]
    store = {p["id"]: dict(p, likes=p.get("likes", 0)) for p in (SEED if posts is None else posts)}

    app = quart.Quart(__name__)
    app.config["SX_ENV"] = env
    app.config["POSTS"] = store

    # sx clients of this blog get the component call with its data (the
    # declared parameters only): an explicit choice, since by default they
    # get the rendered page as an element tree (sexp.quart.respond).
    async def respond(tree: list, status: int = 200) -> quart.Response:
        return await sq.respond(tree, env=env, status=status, version=version, expose_call=True)

    async def not_found() -> quart.Response:
        return await respond(sq.call("~not-found-page", path=quart.request.path), status=404)

    @app.get("/")
    async def index() -> quart.Response:
        posts = [as_sx(p) for p in sorted(store.values(), key=lambda p: p["id"])]
        return await respond(sq.call("~index-page", posts=posts))

    @app.get("/posts/<int:pid>")
    async def post(pid: int) -> quart.Response:
        if pid not in store:
            return await not_found()
        return await respond(sq.call("~post-page", post=as_sx(store[pid])))

    @app.post("/posts/<int:pid>/like")
    async def like(pid: int) -> quart.Response:
        if pid not in store:
            return await not_found()
        store[pid]["likes"] += 1
        # sx clients get the updated post; browsers go back to it (POST, then GET).
        if sq.wants_sx(quart.request.headers.get("Accept")):
            return await respond(sq.call("~post-page", post=as_sx(store[pid])))
        return quart.redirect("/posts/%d" % pid, 303)

    @app.errorhandler(404)
    async def unknown(_: Exception) -> quart.Response:
        return await not_found()

    return app


app = create_app()  # for `hypercorn examples.blog.app:app`

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
