"""ActivityStreams 2.0 JSON-LD <-> sx, as the fediverse sends it
(libsexp's sexp::ap; the mapping with vectors: spec/activitypub.md).

An inbox turns what a Mastodon or Pleroma peer posts into sx; an outbox
turns the platform's sx activities into the plain compact JSON those
servers read (no JSON-LD processor needed on either side):

    activity = sexp.ap.from_json(await request.get_data(), verified=signature_ok)
    # [Symbol('Create'), Keyword('actor'), 'https://…', …, [Symbol('Note'), …]]

    body = sexp.ap.to_json(sexp.loads('(Create :id … :actor … :to (:public) (Note …))'))
    # {'@context': [...], 'type': 'Create', …, 'object': {'type': 'Note',
    #  'content': '<p>…</p>', 'rose:sexpr': '(p "…")'}}

A post's HTML content arrives sanitized (script, style, iframe, event
handlers and unsafe URLs dropped) and leaves rendered from its sx, with its
canonical sx beside it as "rose:sexpr". A peer's "rose:sexpr" is data: it is
read (never evaluated, and held to the same sanitizing profile) and used
instead of the HTML only when the caller says the activity's signature
verified.
"""
from __future__ import annotations

import json as _json
from collections.abc import Mapping, Sequence
from typing import Any

from . import _sexp

__all__ = ["from_json", "to_json", "to_json_text", "PUBLIC"]

#: The public collection's IRI, as ``to_json`` writes ``:public``.
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def from_json(data: str | bytes | Mapping[str, Any] | Sequence[Any], *, verified: bool = False,
              max_bytes: int = 16 << 20, max_depth: int = 256,
              max_content_bytes: int = 1 << 20, content_timeout: float = 0.0,
              stats: dict[str, int] | None = None) -> Any:
    """The sx value of an AS2 document: JSON text (str or UTF-8 bytes) or
    data json.loads made (a dict or list; dumped again first).

    ``verified``: the activity's signature was checked, so a "rose:sexpr"
    replaces the HTML content. Limits: ``max_bytes`` of JSON, ``max_depth``
    of sx nesting (content included; at most 1024), ``max_content_bytes``
    per content, ``content_timeout`` seconds per content's HTML parse (0:
    none). ``stats``, when given, receives what was sanitized or merged
    (counts by name). Raises sexp.ReadError (code, line, column) on bad
    JSON, a repeated key, or a limit passed."""
    if isinstance(data, (Mapping, list, tuple)):
        data = _json.dumps(data, ensure_ascii=False, allow_nan=False)
    value, counts = _sexp._ap_from_json(data, verified, max_bytes, max_depth, max_content_bytes,
                                        content_timeout)
    if stats is not None:
        stats.update(counts)
    return value


def to_json_text(value: Any, *, sexpr: bool = True, context: bool = True,
                 max_bytes: int = 64 << 20) -> str:
    """Compact AS2 JSON text of an sx activity, object or collection (a str
    is sx text). ``sexpr``: write "rose:sexpr" beside each content;
    ``context``: give a root without ":@context" the AS2 context and the
    project's. Both off, the JSON holds exactly what the sx holds. Raises
    ValueError (its message starts with the error code) for a value with no
    JSON form, and sexp.ReadError for sx text that does not read."""
    return _sexp._ap_to_json(value, sexpr, context, max_bytes)


def to_json(value: Any, *, sexpr: bool = True, context: bool = True,
            max_bytes: int = 64 << 20) -> Any:
    """``to_json_text`` parsed: the dict (for an object) to hand to a JSON
    response or ``json.dumps``."""
    return _json.loads(to_json_text(value, sexpr=sexpr, context=context, max_bytes=max_bytes))
