"""Signing keys: Ed25519 (the default), RSA, ECDSA P-256 and HMAC secrets,
through OpenSSL's libcrypto (libsexp's sexp::sig).

    from sexp import keys
    key = keys.generate()                  # Ed25519, from the OS CSPRNG
    keys.save(key, "key.pem")              # PKCS#8 (mode 0600)
    pub = keys.load("pub.pem")             # SPKI or PKCS#8 PEM, path or text
    key.multikey()                         # "z6Mk…" (FEP-521a)
    keys.from_multikey("z6Mk…")            # the public key back

A Key is immutable and may be used from several threads at once.
"""
from __future__ import annotations

import os as _os

from . import _sexp

Key = _sexp.Key

__all__ = ["Key", "generate", "load", "load_pem", "save", "from_multikey", "from_secret"]

_TYPES = {"ed25519": "ed25519", "rsa": "rsa", "p256": "p256", "ecdsa-p256": "p256",
          "hmac": "hmac"}


def generate(alg: str = "ed25519", *, bits: int = 2048) -> Key:
    """A new key: `alg` is "ed25519", "rsa" (`bits` ≥ 2048), "p256" or
    "hmac" (a 32-byte shared secret)."""
    try:
        kind = _TYPES[alg]
    except KeyError:
        raise ValueError(f"alg is one of {sorted(_TYPES)} (got {alg!r})") from None
    return Key._generate(kind, bits)


def load_pem(pem: str | bytes) -> Key:
    """A key from PEM text: PKCS#8 or traditional private keys, SPKI or
    PKCS#1 public keys. SignatureError (code "malformed") otherwise."""
    if isinstance(pem, bytes):
        pem = pem.decode("ascii")
    return Key._from_pem(pem)


def load(path_or_pem: str | bytes | _os.PathLike) -> Key:
    """A key from a PEM file, or from PEM text given directly."""
    if isinstance(path_or_pem, (str, bytes)) and (
            (b"-----BEGIN" if isinstance(path_or_pem, bytes) else "-----BEGIN") in path_or_pem):
        return load_pem(path_or_pem)
    with open(path_or_pem, "rb") as f:
        return load_pem(f.read())


def save(key: Key, path: str | _os.PathLike, *, private: bool = True) -> None:
    """Writes `key` as PEM: the private key (PKCS#8, file mode 0600) or, with
    private=False or for a public key, the public key (SPKI)."""
    text = key.private_pem() if private and key.has_private else key.public_pem()
    fd = _os.open(path, _os.O_WRONLY | _os.O_CREAT | _os.O_TRUNC,
                  0o600 if private and key.has_private else 0o644)
    with _os.fdopen(fd, "w") as f:
        f.write(text)


def from_multikey(text: str) -> Key:
    """The Ed25519 public key of a Multikey ("z6Mk…")."""
    return Key._from_multikey(text)


def from_secret(secret: bytes) -> Key:
    """An HMAC-SHA256 shared secret (16 bytes at least)."""
    return Key._from_secret(secret)
