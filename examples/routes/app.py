"""Every page of site.sx served from its defroutes by sexp.quart.Dispatcher;
the data comes from async services that the resolver calls in rounds
(batched, deduplicated). See README.md.

    PYTHONPATH=build/python /usr/bin/python3 -m examples.routes.app
"""
from __future__ import annotations

import asyncio
import pathlib

import quart

import sexp
import sexp.quart as sq
from sexp import Keyword

SITE = pathlib.Path(__file__).resolve().parent / "site.sx"

POSTS = {
    1: {"title": "Hello, sx", "author": 10, "body": "Pages are sx; the wire is sx."},
    2: {"title": "Rounds, not calls", "author": 11, "body": "Independent fetches go out together."},
    3: {"title": "<Escaping> & friends", "author": 10, "body": "Text is text: <b>not bold</b>."},
}
USERS = {10: {"name": "Ada"}, 11: {"name": "Grace"}}


def kw(d):
    return {Keyword(k): v for k, v in d.items()}


def create_app(latency: float = 0.0, log: list | None = None) -> quart.Quart:
    """The app; `latency` (seconds) is added to each service round trip and
    `log` collects each call to the query service, for the tests."""

    def setup(env: sexp.Env) -> None:
        @env.service("query", batch=True)
        async def query(ctx, requests):
            if log is not None:
                log.append(list(requests))
            await asyncio.sleep(latency)
            out = []
            for kind, *args in requests:
                if kind == "post-ids":
                    out.append(sorted(POSTS))
                elif kind == "post":
                    post = POSTS.get(args[0])
                    if post is None:
                        raise LookupError("no post %r" % args[0])
                    out.append(kw({"id": args[0], **post}))
                elif kind == "user":
                    out.append(kw(USERS[args[0]]))
                elif kind == "search":
                    out.append([i for i, p in sorted(POSTS.items())
                                if args[0].lower() in p["title"].lower()])
                else:
                    raise ValueError("unknown query %r" % kind)
            return out

        @env.service("current-user")
        async def current_user(ctx):
            return ctx["user"]

    app = quart.Quart(__name__)
    sq.Dispatcher(SITE, setup=setup,
                  context=lambda request: {"user": request.headers.get("X-User", "guest")},
                  ).install(app)
    return app


if __name__ == "__main__":
    create_app().run(port=5001)
