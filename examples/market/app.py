"""The market listing page on Quart and sexp, as a Jinja team would port it:
a layout, product cards with badges, an HTMX variant (the listing and an
out-of-band cart count), and batched async services over SQLite rows that
come as they are (str keys). One call answers each request:
`sexp.quart.respond_page`. See README.md.

    PYTHONPATH=build/python /usr/bin/python3 -m examples.market.app
"""
import pathlib
import sqlite3

import quart

import sexp
import sexp.quart as sq

COMPONENTS = pathlib.Path(__file__).resolve().parent / "components.sx"

PRODUCTS = [
    # id, name, category, price (cents), sale price, organic, stall, seller (internal)
    (1, "Sourdough", "bread", 450, None, 1, "Stall 4", 10),
    (2, "Rye loaf", "bread", 380, 320, 0, "Stall 4", 10),
    (3, "Spelt <rolls>", "bread", 299, None, 1, "Stall 9", 12),
    (4, "Apples", "fruit", 250, None, 1, "Stall 2", 11),
]


def create_db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("create table products (id integer, name text, category text, price integer,"
               " sale_price integer, organic integer, stall text, seller integer)")
    db.executemany("insert into products values (?, ?, ?, ?, ?, ?, ?, ?)", PRODUCTS)
    return db


def create_app(db: sqlite3.Connection | None = None) -> quart.Quart:
    db = db if db is not None else create_db()
    env = sexp.Env(capabilities=["core", "string", "list", "dict", "io"])
    batches: list[int] = []  # how many requests each call of the batch service answered

    @env.service(batch=True)
    async def query(context, requests):
        """(query market products :category c), all of a round in one call."""
        batches.append(len(requests))
        out = []
        for _service, name, args in requests:
            if name != "products":
                raise ValueError("unknown query %r" % name)
            out.append(db.execute("select * from products where category = ? order by id",
                                  (args["category"],)).fetchall())
        return out

    @env.primitive("cart-count", min_args=0, max_args=0)
    def cart_count():
        return len(quart.session.get("cart", [])) if quart.has_request_context() else 0

    sq.install(env)
    env.load(COMPONENTS)

    app = quart.Quart(__name__)
    app.secret_key = "example only"
    app.config.update(SX_ENV=env, BATCHES=batches, DB=db)

    @app.get("/market/<category>/")
    async def market(category: str) -> quart.Response:
        csrf = quart.session.setdefault("csrf", "token-for-this-session")
        # The page function, called with the request's data as values: its
        # code is compiled once, whatever the category.
        return await sq.respond_page("market-page", args=[category, csrf], env=env)

    return app


if __name__ == "__main__":
    create_app().run(port=5002)
