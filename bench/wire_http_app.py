"""The HTTP/1.1 peer of bench/bench_wire.py: a Quart app (served by
hypercorn) answering GET /feed with the same bytes `sexp serve-quic` sends for
that page, `(ok :hash "sha3-..." PAGE)`, read once at startup from the file
named by SEXP_WIRE_ANSWER — like serve-quic, it answers from memory."""
import os

from quart import Quart, Response

app = Quart(__name__)
with open(os.environ["SEXP_WIRE_ANSWER"], "rb") as f:
    ANSWER = f.read().rstrip(b"\n")


@app.route("/feed")
async def feed():
    return Response(ANSWER, content_type="application/x-sexpr")
