"""sexp — s-expressions ("sx") for Python, on libsexp's C++ core.

    >>> import sexp
    >>> sexp.parse('(p :class "x" "hi")')
    [Symbol('p'), Keyword('class'), 'x', 'hi']
    >>> sexp.canonical({Keyword("b"): 1, Keyword("a"): [1, 2.5]})
    '{:a (1 2.5) :b 1}'
    >>> env = sexp.Env()
    >>> env.render_html('(p :class "x" "<hi>")')
    '<p class="x">&lt;hi&gt;</p>'

Mapping: list ↔ list (tuples are written as lists), dict ↔ dict (keys are
Keyword or str), symbol ↔ Symbol, keyword ↔ Keyword, string ↔ str,
#b64"…" ↔ bytes, ints (64-bit), finite floats, true/false ↔ True/False,
nil ↔ None. A `str` argument to canonical/fmt/hash/cid/eval/render_html is
sx *text*; anything else (bytes included) is Python data. parse, parse_all
and Document read text given as str or UTF-8 bytes.
"""
from __future__ import annotations

import builtins

from . import _sexp
from ._sexp import (Document, FrameDecoder, Node, canonical, check_message, cid, fmt, frame,
                    hash, parse, parse_all)

__all__ = [
    "Symbol", "Keyword", "Markup", "ReadError", "EvalError", "Env", "Document", "Node",
    "parse", "parse_all", "canonical", "fmt", "hash", "cid", "frame", "FrameDecoder",
    "check_message",
]


class _Name:
    """A name: compares and hashes by name within its class."""

    __slots__ = ("name", "_hash")

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError("%s name must be a str" % type(self).__name__)
        object.__setattr__(self, "name", name)
        # Computed once: instances are shared per name (the module caches
        # them), and dict keys are hashed often. (sexp.hash is the content hash.)
        object.__setattr__(self, "_hash", builtins.hash((type(self).__name__, name)))

    def __setattr__(self, key, value):
        raise AttributeError("%s is immutable" % type(self).__name__)

    def __eq__(self, other):
        return type(other) is type(self) and other.name == self.name

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return self._hash

    def __reduce__(self):
        return (type(self), (self.name,))


class Symbol(_Name):
    """An sx symbol, such as `div` or `~card`."""

    __slots__ = ()

    def __repr__(self):
        return "Symbol(%r)" % self.name

    def __str__(self):
        return self.name


class Keyword(_Name):
    """An sx keyword; `Keyword("class")` is `:class` (the name has no colon)."""

    __slots__ = ()

    def __repr__(self):
        return "Keyword(%r)" % self.name

    def __str__(self):
        return ":" + self.name


class Markup(str):
    """Trusted HTML (what `(raw! s)` makes): rendered unescaped. Jinja's
    `markupsafe.Markup` is accepted the same way by the Jinja bridge."""

    __slots__ = ()

    def __html__(self):
        return self

    def __repr__(self):
        return "Markup(%s)" % str.__repr__(self)


class ReadError(ValueError):
    """sx text that does not read: `.message`, `.line`, `.col` (1-based),
    `.offset` (bytes) and `.code` (e.g. "unexpected-end")."""

    def __init__(self, message, line=0, col=0, offset=None, code="syntax"):
        super().__init__("%d:%d: %s: %s" % (line, col, code, message) if line else message)
        self.message, self.line, self.col, self.offset, self.code = message, line, col, offset, code


class EvalError(Exception):
    """An evaluation or rendering error: `.message`, `.code` ("type",
    "render", "step-limit"…), `.file`, `.line`, `.col` and `.trace`
    (innermost call first)."""

    def __init__(self, message, code="error", file="", line=0, col=0, trace=()):
        where = "%s:%d:%d: " % (file or "<input>", line, col) if line else ""
        super().__init__("%s%s: %s" % (where, code, message))
        self.message, self.code, self.file = message, code, file
        self.line, self.col, self.trace = line, col, list(trace)


_sexp._set_types(Symbol, Keyword, Markup, ReadError, EvalError)


class Env(_sexp.Env):
    """An sx environment: definitions, components, primitives.

    `capabilities`: primitive groups bound ("core", "string", "list",
    "dict", "io"; default all but "io"). `limits`: a dict of `max_steps`,
    `max_depth`, `max_bytes`, `timeout_ms` applying to each call.
    """

    def primitive(self, name: str | None = None, *, min_args: int = 0, max_args: int = -1,
                  io: bool = False):
        """Decorator registering a Python callable as the sx primitive `name`
        (default: the function's name, `_` as `-`). It receives and returns
        Python data; an exception becomes an sx `host` error. `io=True`
        puts it in the "io" group (bound only where that capability is)."""
        def register(fn):
            self._primitive(name or fn.__name__.replace("_", "-"), fn, min_args, max_args, io)
            return fn
        if callable(name):  # used bare: @env.primitive
            fn, name = name, None
            return register(fn)
        return register

    def render(self, component: str, *, allow_any_url: bool = False, **kwargs) -> str:
        """Renders the component or function `component` (e.g. "~page")
        called with keyword arguments from Python data, which is converted
        straight to sx values (nothing is kept in the environment)."""
        return self._render(component, kwargs, allow_any_url)
