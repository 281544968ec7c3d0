"""sexpr:// clients on asyncio (libsexp's sexp::quic, spec/wire.md §3): a
service that talks to sx peers without blocking its event loop.

    async with await sexp.quic.Client.connect("sexpr://peer.example:4433") as client:
        frames = await client.call('(GET "/")')        # ['(ok :hash "sha3-…" (html …))']
        page = await client.get("/posts/rounds/")        # the answer as data
        again = await client.get("/posts/rounds/", have=page[2])   # [not-modified, :hash, …]

Each request is its own QUIC stream on one connection, so concurrent
`call`s (asyncio.gather) are carried side by side. The network work runs
on the connection's own thread; results come back to the loop through
`call_soon_threadsafe`. `call` answers the response's frames as sx text;
`get` reads the one frame of a GET into Python data (sexp.loads).
"""
from __future__ import annotations

import asyncio
from typing import Any

from . import _sexp
from . import dumps as _dumps
from . import loads as _loads
from . import Keyword as _Keyword
from . import Symbol as _Symbol

__all__ = ["Client", "QuicError"]

DEFAULT_PORT = 4433


class QuicError(ConnectionError):
    """A request that did not complete: the stream was reset, the answer was
    not framed right, or the connection was lost. `frames` holds what had
    arrived."""

    def __init__(self, message: str, frames: list[str] | None = None):
        super().__init__(message)
        self.frames = frames or []


def _split(url_or_host: str, port: int | None) -> tuple[str, int, str]:
    """(host, port, path) of "sexpr://host[:port]/path" (read by libsexp's
    quic::ParseUrl), or of a bare host."""
    if url_or_host.startswith("sexpr://"):
        host, p, path = _sexp._parse_sexpr_url(url_or_host)
        return host, port or p, path
    return url_or_host, port or DEFAULT_PORT, "/"


class Client:
    """One sexpr:// connection. Make it with `await Client.connect(...)`."""

    def __init__(self, native: Any):
        self._native = native

    @classmethod
    async def connect(cls, url_or_host: str, port: int | None = None, *,
                      insecure: bool = False, ca: str | None = None,
                      server_name: str | None = None, timeout: float = 5.0,
                      max_frame_size: int = 0) -> "Client":
        """Connects (TLS 1.3, ALPN sexpr/1). `insecure` skips certificate
        verification (development servers); `ca` names a PEM file of trusted
        CAs (default: the system's). Raises ConnectionError when the server
        is unreachable, untrusted or refuses the protocol."""
        host, p, _ = _split(url_or_host, port)

        def make():
            return _sexp._QuicClient(host, p, insecure, ca or "", server_name or "",
                                     int(timeout * 1000), max_frame_size)
        try:
            native = await asyncio.to_thread(make)
        except ValueError as e:
            raise ConnectionError(str(e)) from None
        return cls(native)

    async def call(self, request: Any, *, timeout: float | None = 30.0) -> list[str]:
        """Sends one request (sx text, or data written canonically) and
        returns its response frames as sx text. Raises QuicError when the
        request does not complete and asyncio.TimeoutError after `timeout`
        seconds (the stream is left to the connection's own deadlines)."""
        payload = request if isinstance(request, str) else _dumps(request)
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()

        def done(frames: list[str], error: str | None) -> None:  # the client's thread
            def settle() -> None:
                if future.done():
                    return
                if error is None:
                    future.set_result(frames)
                else:
                    future.set_exception(QuicError(error, frames))
            try:
                loop.call_soon_threadsafe(settle)
            except RuntimeError:
                pass  # the loop is closed: nobody is waiting

        try:
            self._native.request(payload, done)
        except ValueError as e:
            raise QuicError(str(e)) from None
        return await asyncio.wait_for(future, timeout)

    async def get(self, path: str, *, have: str | None = None,
                  timeout: float | None = 30.0) -> Any:
        """`(GET path [:have address])`: the answer's one frame as data —
        [Symbol('ok'), Keyword('hash'), 'sha3-…', tree], or not-modified,
        not-found, error."""
        request: list = [_Symbol("GET"), path]
        if have is not None:
            request += [_Keyword("have"), have]
        frames = await self.call(request, timeout=timeout)
        if len(frames) != 1:
            raise QuicError("a GET is answered by one frame, not %d" % len(frames), frames)
        return _loads(frames[0])

    @property
    def connected(self) -> bool:
        return self._native.connected

    async def close(self) -> None:
        """Closes the connection; requests still pending fail with QuicError."""
        await asyncio.to_thread(self._native.close)

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
