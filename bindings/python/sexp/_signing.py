"""Signed sx (spec/signatures.md): `sign`, `cosign`, `verify`,
`verify_async`, `verify_each`. A private module: the package re-exports
them as sexp.sign etc.
"""
from __future__ import annotations

import dataclasses as _dataclasses
import inspect as _inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import _sexp
from .keys import Key


class SignatureError(Exception):
    """A signature, key or signed message refused. `.code` is one of
    "bad-signature", "unknown-key", "expired", "not-yet-valid",
    "digest-mismatch", "alg-not-allowed", "malformed", "missing-component";
    `.message` says what was wrong (never key material)."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


_sexp._set_signature_error(SignatureError)


@_dataclasses.dataclass(frozen=True)
class Verified:
    """A verified envelope: the first signature's `key_id`, `alg` and
    `created`, the signed `value`, and every signature as
    (key_id, alg, created) in `signatures` (co-signing)."""
    key_id: str
    alg: str
    created: int
    value: Any
    signatures: tuple = ()


KeysArg = Mapping[str, Key] | Callable[[str], Any]


def sign(value, key: Key, *, key_id: str, alg: str | None = None,
         created: int | None = None):
    """`(signed :alg … :created … :key-id … :sig … value)` as a value: a
    signature by `key` over the canonical bytes of `value` (a str is a
    string value). `created` defaults to now (Unix seconds)."""
    return _sexp.loads(_sexp._sign(value, key, key_id, alg, created))


def sign_text(value, key: Key, *, key_id: str, alg: str | None = None,
              created: int | None = None) -> str:
    """`dumps(sign(value, …))` without building the Python value."""
    return _sexp._sign(value, key, key_id, alg, created)


def cosign(signed, key: Key, *, key_id: str, alg: str | None = None,
           created: int | None = None):
    """The envelope `signed` (a value, or its text) with one more signature
    over the same inner value; the others are kept, not checked."""
    return _sexp.loads(_sexp._cosign(_text_or_value(signed), key, key_id, alg, created))


def _text_or_value(signed):
    # A str is envelope text here (a string value is never an envelope).
    if isinstance(signed, bytes):
        return signed.decode("utf-8")
    return signed


def _options(allowed, now, max_skew, max_age, min_rsa_bits):
    return (list(allowed) if allowed is not None else None, now, max_skew, max_age, min_rsa_bits)


def _resolve_sync(ids: Sequence[str], keys: KeysArg) -> dict:
    found = {}
    for key_id in ids:
        if key_id in found:
            continue
        if isinstance(keys, Mapping):
            k = keys.get(key_id)
        else:
            k = keys(key_id)
            if _inspect.isawaitable(k):
                if hasattr(k, "close"):
                    k.close()
                raise TypeError("the key resolver is async: use `await sexp.verify_async(…)`")
        if k is not None:
            found[key_id] = k
    return found


async def _resolve_async(ids: Sequence[str], keys: KeysArg) -> dict:
    found = {}
    for key_id in ids:
        if key_id in found:
            continue
        k = keys.get(key_id) if isinstance(keys, Mapping) else keys(key_id)
        if _inspect.isawaitable(k):
            k = await k
        if k is not None:
            found[key_id] = k
    return found


def _verified(inner_text: str, results: list) -> Verified:
    sigs = tuple(results)
    first = sigs[0]
    return Verified(first[0], first[1], first[2], _sexp.loads(inner_text), sigs)


def verify(signed, *, keys: KeysArg, allowed: Sequence[str] | None = None,
           now: int | None = None, max_skew: int = 300, max_age: int = 0,
           min_rsa_bits: int = 2048) -> Verified:
    """Checks every signature of the envelope `signed` (a value, or its sx
    text) and returns the Verified value; SignatureError otherwise.

    `keys`: a mapping key id → Key, or a callable key id → Key or None
    (None: "unknown-key"). `allowed`: algorithm names (default every
    public-key algorithm; "hmac-sha256" only when listed). `created` may be
    `max_skew` seconds in the future, and with `max_age` > 0 no older than
    that."""
    signed = _text_or_value(signed)
    found = _resolve_sync(_sexp._envelope_key_ids(signed), keys)
    inner, results = _sexp._verify(signed, found, *_options(allowed, now, max_skew, max_age,
                                                              min_rsa_bits), False)
    return _verified(inner, results)


async def verify_async(signed, *, keys: KeysArg, allowed: Sequence[str] | None = None,
                       now: int | None = None, max_skew: int = 300, max_age: int = 0,
                       min_rsa_bits: int = 2048) -> Verified:
    """`verify` with a key resolver that may be async (fetching an actor)."""
    signed = _text_or_value(signed)
    found = await _resolve_async(_sexp._envelope_key_ids(signed), keys)
    inner, results = _sexp._verify(signed, found, *_options(allowed, now, max_skew, max_age,
                                                              min_rsa_bits), False)
    return _verified(inner, results)


def verify_each(signed, *, keys: KeysArg, allowed: Sequence[str] | None = None,
                now: int | None = None, max_skew: int = 300, max_age: int = 0,
                min_rsa_bits: int = 2048) -> list:
    """Each signature of a (co-)signed envelope on its own: a list with, per
    signature, (key_id, alg, created) when it verifies or the SignatureError
    it fails with."""
    signed = _text_or_value(signed)
    found = _resolve_sync(_sexp._envelope_key_ids(signed), keys)
    _, results = _sexp._verify(signed, found, *_options(allowed, now, max_skew, max_age,
                                                         min_rsa_bits), True)
    out: list = []
    for r in results:
        if len(r) == 2:
            out.append(SignatureError(r[0], r[1]))
        else:
            out.append(tuple(r))
    return out
