"""Messages of the wire's vocabulary (spec/wire.md §2) as Python data.

    >>> from sexp import wire
    >>> wire.get("/posts/1", have="sha3-…")
    [Symbol('GET'), '/posts/1', Keyword('have'), 'sha3-…']
    >>> sexp.frame(wire.ok(page, hash=sexp.hash(page)))   # ready for a stream

Each builder returns the message as Python data and checks it with
`sexp.check_message`, so a bad argument (a path without '/', an address that
is not one) raises `sexp.ReadError` (code "bad-message") where it is built,
not at the peer.
"""
from __future__ import annotations

from typing import Any, Iterable

from . import Keyword, Symbol, check_message

__all__ = ["get", "post", "ok", "not_modified", "redirect", "not_found", "error", "swap",
           "push", "batch", "set_class", "component_update", "message"]


def message(head: str, *items: Any, lead: Iterable[Any] = (), **keys: Any) -> list:
    """(head lead… :key value… item…): the layout the wire uses — a
    request's path before its keys, a response's or push's content after —
    which matters, as the canonical form keeps items where they are. Keys are
    named as written (`_` becomes `-`); None-valued keys are left out; the
    message is checked against the vocabulary."""
    out: list = [Symbol(head), *lead]
    for k, v in keys.items():
        if v is not None:
            out += [Keyword(k.replace("_", "-")), v]
    out += items
    check_message(out)
    return out


def get(path: str, *, have: str | None = None, auth: str | None = None,
        have_components: Iterable[str] | None = None, stream: bool | None = None) -> list:
    return message("GET", lead=(path,), have=have, auth=auth, stream=stream,
                   have_components=None if have_components is None else list(have_components))


def post(path: str, body: Any = None, *, auth: str | None = None) -> list:
    return message("POST", lead=(path,), body=body, auth=auth)


def ok(body: Any = None, *, hash: str | None = None, new_components: Any = None) -> list:
    return message("ok", *(() if body is None else (body,)), hash=hash,
                   new_components=new_components)


def not_modified(*, hash: str | None = None) -> list:
    return message("not-modified", hash=hash)


def redirect(location: str) -> list:
    return message("redirect", location=location)


def not_found(message_text: str | None = None) -> list:
    return message("not-found", message=message_text)


def error(code: str, message_text: str | None = None) -> list:
    return message("error", code=code, message=message_text)


def swap(target: str, strategy: str, content: Any = None) -> list:
    return message("swap!", *(() if content is None else (content,)), target=target,
                   strategy=Keyword(strategy))


def set_class(target: str, *, add: Any = None, remove: Any = None) -> list:
    return message("class!", target=target, add=add, remove=remove)


def component_update(name: str, hash: str, definition: Any = None) -> list:
    return message("component-update", *(() if definition is None else (definition,)),
                   name=name, hash=hash)


def batch(*operations: list) -> list:
    return message("batch!", *operations)


def push(*operations: list) -> list:
    return message("push!", *operations)
