"""HTTP Message Signatures for ActivityPub peers: RFC 9421 and
draft-cavage-http-signatures-12 (as Mastodon uses it), with Content-Digest /
Digest checked against the body (libsexp's sexp::sig; spec/signatures.md).

An inbox (Quart):

    @app.post("/inbox")
    async def inbox():
        try:
            who = await httpsig.verify_quart(request, keys=fetch_actor_key)
        except sexp.SignatureError as e:
            return e.code, 401 if e.code == "unknown-key" else 403
        ...

A sender:

    headers = httpsig.sign_request("POST", url, {"Content-Type": ct}, body,
                                   key=key, key_id=KEY_ID)

`verify_request` takes RFC 9421 when Signature-Input is present, else cavage
("double knock"); `deliver` signs with the scheme a peer accepted before,
and after a 401/403 retries once with the other.
"""
from __future__ import annotations

import dataclasses as _dataclasses
import inspect as _inspect
import urllib.parse as _urlparse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from . import _sexp
from .keys import Key
from ._signing import KeysArg, SignatureError, _resolve_async, _resolve_sync

PeerSchemes = _sexp.PeerSchemes

__all__ = ["HttpVerified", "PeerSchemes", "sign_request", "sign_response", "verify_request",
           "verify_request_async", "verify_response", "verify_quart", "deliver",
           "content_digest", "check_content_digest", "SignatureError"]


@_dataclasses.dataclass(frozen=True)
class HttpVerified:
    """Who signed a message: `scheme` ("rfc9421" or "cavage"), `label` (RFC
    9421; "" for cavage), `key_id`, `alg`, `created` (Unix seconds, or None)
    and the `covered` component names."""
    scheme: str
    label: str
    key_id: str
    alg: str
    created: int | None
    covered: tuple


def _pairs(headers) -> list:
    if headers is None:
        return []
    if isinstance(headers, Mapping) and not hasattr(headers, "getlist"):
        return [(str(k), str(v)) for k, v in headers.items()]
    items = headers.items() if hasattr(headers, "items") else headers
    return [(str(k), str(v)) for k, v in items]


def _body(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def _verify_args(method, url, status, headers, body, found, allowed, now, max_skew, max_age,
                 min_rsa_bits, require_target, require_digest, required, label):
    r = _sexp._http_verify(method, url, status, headers, body, found,
                           list(allowed) if allowed is not None else None, now, max_skew,
                           max_age, min_rsa_bits, require_target, require_digest,
                           list(required), label)
    return HttpVerified(r[0], r[1], r[2], r[3], r[4], tuple(r[5]))


def verify_request(method: str, url: str, headers, body=b"", *, keys: KeysArg,
                   allowed: Sequence[str] | None = None, now: int | None = None,
                   max_skew: int = 3600, max_age: int = 12 * 3600, min_rsa_bits: int = 2048,
                   require_target: bool = True, require_digest: bool = True,
                   required: Sequence[str] = (), label: str = "") -> HttpVerified:
    """Verifies a signed request (`url` absolute, `headers` a mapping or
    (name, value) pairs, `body` bytes); SignatureError otherwise.

    The signature must cover the method and target, a time (created or
    Date, inside `max_skew` seconds ahead and `max_age` behind) and, with a
    body, its digest — which must match. `keys`: mapping or callable
    key id → Key (None for unknown). RSA keys under `min_rsa_bits` and
    algorithms not in `allowed` (default: every public-key one) are refused."""
    pairs = _pairs(headers)
    found = _resolve_sync(_sexp._http_key_ids(method, url, 0, pairs), keys)
    return _verify_args(method, url, 0, pairs, _body(body), found, allowed, now, max_skew,
                        max_age, min_rsa_bits, require_target, require_digest, required, label)


async def verify_request_async(method: str, url: str, headers, body=b"", *, keys: KeysArg,
                               **options) -> HttpVerified:
    """`verify_request` with a key resolver that may be async (fetching the
    actor document of the key id)."""
    pairs = _pairs(headers)
    found = await _resolve_async(_sexp._http_key_ids(method, url, 0, pairs), keys)
    o = dict(allowed=None, now=None, max_skew=3600, max_age=12 * 3600, min_rsa_bits=2048,
             require_target=True, require_digest=True, required=(), label="")
    o.update(options)
    return _verify_args(method, url, 0, pairs, _body(body), found, o["allowed"], o["now"],
                        o["max_skew"], o["max_age"], o["min_rsa_bits"], o["require_target"],
                        o["require_digest"], o["required"], o["label"])


def verify_response(status: int, headers, body=b"", *, keys: KeysArg, **options) -> HttpVerified:
    """`verify_request` for a signed response (RFC 9421: @status, a time and
    the digest must be covered)."""
    pairs = _pairs(headers)
    found = _resolve_sync(_sexp._http_key_ids("", "", status, pairs), keys)
    o = dict(allowed=None, now=None, max_skew=3600, max_age=12 * 3600, min_rsa_bits=2048,
             require_target=True, require_digest=True, required=(), label="")
    o.update(options)
    return _verify_args("", "", status, pairs, _body(body), found, o["allowed"], o["now"],
                        o["max_skew"], o["max_age"], o["min_rsa_bits"], o["require_target"],
                        o["require_digest"], o["required"], o["label"])


async def verify_quart(request, *, keys: KeysArg, **options) -> HttpVerified:
    """`verify_request_async` for a Quart (or Werkzeug-like) request: its
    method, full URL, header lines and body."""
    body = await request.get_data()
    return await verify_request_async(request.method, request.url, list(request.headers.items()),
                                      body, keys=keys, **options)


def sign_request(method: str, url: str, headers, body=b"", *, key: Key, key_id: str,
                 scheme: str = "rfc9421", alg: str | None = None,
                 components: Sequence[str] | None = None, created: int | None = None,
                 expires: int | None = None, nonce: str = "", tag: str = "",
                 label: str = "sig1", include_alg: bool = False,
                 digest: str | None = "sha-256") -> dict:
    """The header fields to add to an outgoing request to sign it: the
    digest of a body (Content-Digest, or Digest for cavage), Date and Host
    when cavage needs them, and Signature-Input + Signature (RFC 9421) or
    Signature (cavage). Default components: RFC 9421 `@method @target-uri
    @authority [content-digest] [date]`, cavage `(request-target) host date
    [digest]`."""
    added = _sexp._http_sign(method, url, 0, _pairs(headers), _body(body), key, key_id, scheme,
                             alg, list(components or ()), created, expires, nonce, tag, label,
                             include_alg, digest)
    return dict(added)


def sign_response(status: int, headers, body=b"", *, key: Key, key_id: str, **options) -> dict:
    """`sign_request` for a response (RFC 9421: `@status [content-digest]
    [content-type]`)."""
    o = dict(scheme="rfc9421", alg=None, components=None, created=None, expires=None, nonce="",
             tag="", label="sig1", include_alg=False, digest="sha-256")
    o.update(options)
    added = _sexp._http_sign("", "", status, _pairs(headers), _body(body), key, key_id,
                             o["scheme"], o["alg"], list(o["components"] or ()), o["created"],
                             o["expires"], o["nonce"], o["tag"], o["label"], o["include_alg"],
                             o["digest"])
    return dict(added)


def content_digest(body, alg: str = "sha-256") -> str:
    """The RFC 9530 Content-Digest field value of `body`."""
    return _sexp._content_digest(_body(body), alg)


def check_content_digest(field: str, body) -> None:
    """None when the Content-Digest `field` matches `body`; SignatureError
    ("digest-mismatch" or "malformed") otherwise."""
    _sexp._check_content_digest(field, _body(body))


async def deliver(send: Callable[..., Awaitable[Any]], method: str, url: str, headers, body=b"",
                  *, key: Key, key_id: str, peers: PeerSchemes, **options):
    """Sends a signed request with `await send(method, url, headers, body)`
    (headers a dict; the result has `.status` or `.status_code`, or is the
    status). Signs with `peers.scheme_for(authority)`; on 401/403 signs again
    with the other scheme and retries once. Records the scheme that got a
    2xx/3xx answer. Returns the last result."""
    authority = _urlparse.urlsplit(url).netloc.lower()
    first = peers.scheme_for(authority)
    result = None
    for scheme in (first, "cavage" if first == "rfc9421" else "rfc9421"):
        all_headers = dict(_pairs(headers))
        all_headers.update(sign_request(method, url, headers, body, key=key, key_id=key_id,
                                        scheme=scheme, **options))
        result = send(method, url, all_headers, _body(body))
        if _inspect.isawaitable(result):
            result = await result
        status = getattr(result, "status_code", None)  # Quart/Werkzeug, httpx, requests
        if status is None:
            status = getattr(result, "status", result)   # aiohttp, or the status itself
        if status not in (401, 403):
            if isinstance(status, int) and status < 400:
                peers.record(authority, scheme)
            return result
    return result
