"""The blog backend of the example site: a Quart app answering the batch
protocol of spec/host.md "Services" at POST /internal/data —

    (batch (query post :slug "rounds") (query author :id 11))
    → (results (ok {:slug "rounds" …}) (ok {:name "Grace"}))

and a lone item with (ok value) / (error "message"). `(query sleep :ms N)`
answers N after N ms (the host's tests use it for slow backends).

    PYTHONPATH=build/python /usr/bin/python3 -m examples.host.backend [PORT]
"""
from __future__ import annotations

import asyncio
import sys

import quart

import sexp
from sexp import Keyword, Symbol

from . import data


async def _item(form) -> list:
    if not isinstance(form, list) or len(form) < 2 or not isinstance(form[1], Symbol):
        return [Symbol("error"), "not (query name :key value …)"]
    params = {}
    rest = form[2:]
    for k, v in zip(rest[::2], rest[1::2]):
        if isinstance(k, Keyword):
            params[k.name] = v
    if form[1].name == "sleep":  # for the host's tests: a backend that is slow
        await asyncio.sleep(params.get("ms", 0) / 1000)
        return [Symbol("ok"), params.get("ms", 0)]
    try:
        return [Symbol("ok"), data.query(form[1].name, params)]
    except (LookupError, ValueError) as e:
        return [Symbol("error"), str(e)]


def create_app(log: list | None = None) -> quart.Quart:
    """`log` collects each POST's body, for tests that count round trips."""
    app = quart.Quart(__name__)
    ports: set = set()  # the client ports seen: how many connections the host opened
    posts = [0]

    @app.get("/internal/stats")
    async def stats():
        return {"posts": posts[0], "connections": len(ports)}

    @app.post("/internal/data")
    async def internal_data():
        body = (await quart.request.get_data()).decode("utf-8")
        client = quart.request.scope.get("client")
        if client:
            ports.add(client[1])
        posts[0] += 1
        if log is not None:
            log.append(body)
        form = sexp.loads(body)
        if isinstance(form, list) and form and form[0] == Symbol("batch"):
            answer = [Symbol("results")] + [await _item(q) for q in form[1:]]
        else:
            answer = await _item(form)
        return quart.Response(sexp.dumps(answer), content_type="application/x-sexpr")

    return app


if __name__ == "__main__":
    create_app().run(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8001)
