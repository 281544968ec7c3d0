"""sexp.quic.Client: sexpr:// requests from asyncio against `sexp serve-quic`
(the C++ server, a separate process), without blocking the event loop."""
from __future__ import annotations

import asyncio
import os
import pathlib
import re
import signal
import socket
import subprocess
import time

import pytest

import sexp
import sexp.quic
from sexp import Keyword, Symbol

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEXP = os.environ.get("SEXP_BIN", str(ROOT / "build" / "tools" / "sexp"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    cert = tmp_path_factory.mktemp("quic") / "dev.pem"
    proc = subprocess.Popen([SEXP, "serve-quic", "--addr", "127.0.0.1:0", str(ROOT / "examples/site"),
                             "--write-cert", str(cert)], stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    m = re.search(r"sexpr://127\.0\.0\.1:(\d+)", line)
    assert m, line
    yield "sexpr://127.0.0.1:%s" % m.group(1), str(cert)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)


def run(coro):
    return asyncio.run(coro)


def test_call_and_get(server):
    url, _ = server

    async def go():
        async with await sexp.quic.Client.connect(url, insecure=True) as client:
            frames = await client.call('(GET "/")')
            page = await client.get("/")
            again = await client.get("/", have=page[2])
            missing = await client.get("/no/such/page")
            return frames, page, again, missing
    frames, page, again, missing = run(go())
    assert len(frames) == 1 and frames[0].startswith('(ok :hash "sha3-')
    assert page[0] == Symbol("ok") and page[1] == Keyword("hash")
    assert sexp.loads(frames[0]) == page
    # The address is the hash of the tree it names.
    assert page[2] == sexp.hash(page[3])
    assert again == [Symbol("not-modified"), Keyword("hash"), page[2]]
    assert missing[0] == Symbol("not-found")


def test_requests_run_side_by_side_and_the_loop_keeps_running(server):
    url, _ = server

    async def go():
        ticks = 0
        stop = False

        async def ticker():
            nonlocal ticks
            while not stop:
                ticks += 1
                await asyncio.sleep(0.001)

        client = await sexp.quic.Client.connect(url, insecure=True)
        t = asyncio.create_task(ticker())
        pages = await asyncio.gather(*(client.get("/") for _ in range(50)))
        stop = True
        await t
        await client.close()
        return pages, ticks
    pages, ticks = run(go())
    assert len(pages) == 50 and all(p == pages[0] for p in pages)
    assert ticks > 0  # the loop ran while the requests were out


def test_certificate_is_verified_unless_insecure(server):
    url, cert = server

    async def trusted():
        async with await sexp.quic.Client.connect(url, ca=cert) as client:
            return await client.get("/")
    assert run(trusted())[0] == Symbol("ok")
    with pytest.raises(ConnectionError):
        run(sexp.quic.Client.connect(url, timeout=3))  # the system store does not know it


def test_nobody_listening_is_a_connection_error():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(ConnectionError):
        run(sexp.quic.Client.connect("127.0.0.1", port, insecure=True, timeout=1))
    assert time.monotonic() - start < 10


def test_closed_client_refuses_requests(server):
    url, _ = server

    async def go():
        client = await sexp.quic.Client.connect(url, insecure=True)
        await client.close()
        assert not client.connected
        with pytest.raises(sexp.quic.QuicError):
            await client.call('(GET "/")')
    run(go())


def test_bad_request_is_answered_not_raised(server):
    url, _ = server

    async def go():
        async with await sexp.quic.Client.connect(url, insecure=True) as client:
            return await client.call("(GET)")
    frames = run(go())
    assert sexp.loads(frames[0])[0] == Symbol("error")
