"""The example site's data and the queries over it, shared by the backend
service (backend.py, which `sexp host` calls over HTTP) and by the Quart
Dispatcher version of the site (app.py, which calls it in-process) — so the
two serve the same pages."""
from __future__ import annotations

from sexp import Keyword

POSTS = {
    "hello-sx": {"title": "Hello, sx", "author": 10, "body": "Pages are sx; the wire is sx."},
    "rounds": {"title": "Rounds, not calls", "author": 11,
               "body": "Independent fetches go out together."},
    "escaping": {"title": "<Escaping> & friends", "author": 10,
                 "body": "Text is text: <b>not bold</b>."},
}
AUTHORS = {10: {"name": "Ada"}, 11: {"name": "Grace"}}


def _kw(d: dict) -> dict:
    return {Keyword(k): v for k, v in d.items()}


def query(name: str, params: dict):
    """One query's result (Python data), or LookupError/ValueError."""
    if name == "post-slugs":
        return sorted(POSTS)
    if name == "post":
        slug = params.get("slug")
        if slug not in POSTS:
            raise LookupError("no post %r" % (slug,))
        return _kw({"slug": slug, **POSTS[slug]})
    if name == "author":
        return _kw(AUTHORS[params["id"]])
    if name == "search":
        text = str(params.get("text", "")).lower()
        return [s for s, p in sorted(POSTS.items()) if text in p["title"].lower()]
    raise ValueError("unknown query %r" % (name,))
