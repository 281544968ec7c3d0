"""The example site served by sexp.quart.Dispatcher, the Python host, with
the backend's queries answered in-process: the same pages `sexp host
examples/host/site` serves (the tests compare them byte for byte).

    PYTHONPATH=build/python /usr/bin/python3 -m examples.host.app
"""
from __future__ import annotations

import pathlib

import quart

import sexp
import sexp.quart as sq

from . import data

SITE = pathlib.Path(__file__).resolve().parent / "site"
FILES = sorted(str(p) for p in SITE.rglob("*.sx") if "static" not in p.relative_to(SITE).parts)


def create_app() -> quart.Quart:
    def setup(env: sexp.Env) -> None:
        @env.service("query", batch=True)
        async def query(ctx, requests):
            out = []
            for service, name, *rest in requests:
                params = rest[0] if rest and isinstance(rest[0], dict) else {}
                out.append(data.query(name, {getattr(k, "name", k): v for k, v in params.items()}))
            return out

    app = quart.Quart(__name__, static_folder=str(SITE / "static"))
    sq.Dispatcher(*FILES, setup=setup).install(app)
    return app


if __name__ == "__main__":
    create_app().run(port=5002)
