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
import builtins as _builtins
import collections.abc as _abc
import dataclasses as _dataclasses
import datetime as _datetime
import decimal as _decimal
import enum as _enum
import asyncio as _asyncio
import inspect as _inspect
import os as _os
import re as _re
import uuid as _uuid
import weakref as _weakref

import warnings as _warnings

from . import _sexp
from ._sexp import Document, FrameDecoder, Node, Router, check_message, frame

__all__ = [
    "Symbol", "Keyword", "Markup", "Error", "ReadError", "EvalError", "RenderError", "Env",
    "Document", "Node",
    "EnvPool", "loads", "loads_all", "dumps", "hash", "cid", "hash_text", "cid_text", "html_to_sx",
    "parse", "parse_all", "canonical", "fmt", "frame", "FrameDecoder", "check_message", "Router",
    "sign", "sign_text", "cosign", "verify", "verify_async", "verify_each", "Verified",
    "SignatureError", "keys", "httpsig", "ap",
]

__version__ = _sexp.__version__

_DEFAULT_MAX_SIZE = 64 << 20


# --- values and text, as the json module does it ------------------------------

def loads(text: str | bytes, *, max_size: int = _DEFAULT_MAX_SIZE, max_depth: int = 1024):
    """The value of sx text holding exactly one expression (str or UTF-8
    bytes): `loads('(p :class "x")')` is `[Symbol('p'), Keyword('class'),
    'x']`. ReadError (with .line, .col, .offset, .code) when the text does
    not read, is empty ("empty-input") or holds more ("trailing-input")."""
    return _sexp.loads(text, max_size=max_size, max_depth=max_depth)


def loads_all(text: str | bytes, *, max_size: int = _DEFAULT_MAX_SIZE, max_depth: int = 1024):
    """The values of every expression in sx text, as a list (empty text
    gives [])."""
    return _sexp.loads_all(text, max_size=max_size, max_depth=max_depth)


def dumps(value, *, pretty: bool = False) -> str:
    """The canonical sx text of a Python value (a str is a string value:
    `dumps("a b")` is '"a b"'); `pretty=True` gives the indented form.
    `dumps(loads(text)) == canonical text of text` for all sx text.
    TypeError/ValueError (with the path to the part) for data sx cannot
    hold."""
    return _sexp.dumps(value, pretty=pretty)


def hash(value) -> str:  # noqa: A001 — the content hash, as sexp.hash always was
    """The content address of a value: "sha3-" and the hex SHA3-256 of its
    canonical text (`hash(x) == "sha3-" + sha3_256(dumps(x))`). A str is a
    string value; sx text goes through `hash_text` (or `hash(loads(text))`)."""
    if isinstance(value, str):
        _warn_str_changed("hash", "hash_text")
    return _sexp.hash(value)


def cid(value) -> str:
    """The CIDv1 (raw codec, SHA3-256, base32 "b…") of a value's canonical
    text. A str is a string value; sx text goes through `cid_text`."""
    if isinstance(value, str):
        _warn_str_changed("cid", "cid_text")
    return _sexp.cid(value)


def hash_text(text: str) -> str:
    """`hash(loads(text))` without building Python objects: the content
    address of the one expression in sx text."""
    return _sexp.hash_text(text)


def cid_text(text: str) -> str:
    """`cid(loads(text))` without building Python objects."""
    return _sexp.cid_text(text)


def html_to_sx(html: str | bytes, *, mode: str = "auto", max_size: int = _DEFAULT_MAX_SIZE,
               max_depth: int = 1024, timeout_ms: int = 0):
    """HTML5 parsed (gumbo) to the sx element tree that renders back to the
    same DOM (spec/html-reader.md): `html_to_sx('<p class=x>a &amp; b')` is
    `[Symbol('p'), Keyword('class'), 'x', 'a & b']`. `mode`: "auto" (a
    document when it starts with a doctype or <html>), "fragment" or
    "document". ReadError (.code "size-limit", "depth-limit", "timeout",
    "parser-failure") when it cannot."""
    return _sexp.html_to_sx(html, mode=mode, max_size=max_size, max_depth=max_depth,
                            timeout_ms=timeout_ms)


def _warn_str_changed(name: str, text_name: str) -> None:
    _warnings.warn(
        "sexp.%s(str) now hashes the string value; sexp 0.1 read a str as sx text "
        "(use sexp.%s(text) for that). This warning goes away in the next release."
        % (name, text_name), DeprecationWarning, stacklevel=3)


def parse(text: str | bytes, *, max_size: int = _DEFAULT_MAX_SIZE, max_depth: int = 1024):
    """The older name of `loads` (same meaning)."""
    return _sexp.loads(text, max_size=max_size, max_depth=max_depth)


def parse_all(text: str | bytes, *, max_size: int = _DEFAULT_MAX_SIZE, max_depth: int = 1024):
    """The older name of `loads_all` (same meaning)."""
    return _sexp.loads_all(text, max_size=max_size, max_depth=max_depth)


def canonical(value_or_text) -> str:
    """Deprecated: `dumps(value)`, or for sx text `dumps(loads(text))`. A
    str is read as sx text here (and warns); anything else is a value."""
    if isinstance(value_or_text, str):
        _warnings.warn("sexp.canonical(str) reads the str as sx text; use "
                       "sexp.dumps(sexp.loads(text)) (canonical goes away in the next release)",
                       DeprecationWarning, stacklevel=2)
    return _sexp._canonical_text(value_or_text)


def fmt(value_or_text) -> str:
    """Deprecated: `dumps(value, pretty=True)`. A str is read as sx text
    here (and warns)."""
    if isinstance(value_or_text, str):
        _warnings.warn("sexp.fmt(str) reads the str as sx text; use "
                       "sexp.dumps(sexp.loads(text), pretty=True) (fmt goes away in the next "
                       "release)", DeprecationWarning, stacklevel=2)
    return _sexp._fmt_text(value_or_text)


# What a name cannot hold: whitespace, the delimiters and quote characters
# of the syntax, control characters (spec/grammar.md).
_NOT_IN_NAME = _re.compile(r"[ ()\[\]{}\";'`,\x00-\x1f\x7f]")
_NUMBER_LIKE = _re.compile(r"-?[0-9]")


class _Name:
    """A name: compares, orders and hashes by name within its class."""

    __slots__ = ("name", "_hash")

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError("%s name must be a str" % type(self).__name__)
        if not name or _NOT_IN_NAME.search(name):
            raise ValueError("%r cannot be the name of a %s: it is empty or holds whitespace, a "
                             "control character or one of ()[]{}\";'`," % (name, type(self).__name__))
        object.__setattr__(self, "name", name)
        # Computed once: instances are shared per name (the module caches
        # them), and dict keys are hashed often. (sexp.hash is the content hash.)
        object.__setattr__(self, "_hash", _builtins.hash((type(self).__name__, name)))

    @classmethod
    def _of(cls, name: str):
        """The instance for a name that comes from sx (the module's
        conversions), unchecked: libsexp made it, and `::a` is a keyword
        whose name starts with a colon, which the constructor refuses."""
        self = object.__new__(cls)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "_hash", _builtins.hash((cls.__name__, name)))
        return self

    def __setattr__(self, key, value):
        raise AttributeError("%s is immutable" % type(self).__name__)

    def __eq__(self, other):
        return type(other) is type(self) and other.name == self.name

    def __ne__(self, other):
        return not self == other

    def __lt__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self.name < other.name

    def __le__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self.name <= other.name

    def __gt__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self.name > other.name

    def __ge__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self.name >= other.name

    def __hash__(self):
        return self._hash

    def __reduce__(self):
        return (type(self), (self.name,))


class Symbol(_Name):
    """An sx symbol, such as `div` or `~card`. Its name must read back as
    a symbol: not a number ("12"), nor true/false/nil."""

    __slots__ = ()

    def __init__(self, name: str) -> None:
        super().__init__(name)
        if _NUMBER_LIKE.match(name) or name in ("true", "false", "nil") or name.startswith(":"):
            raise ValueError("%r cannot be a Symbol's name (it reads as a number, a constant or "
                             "a keyword)" % name)

    def __repr__(self):
        return "Symbol(%r)" % self.name

    def __str__(self):
        return self.name


class Keyword(_Name):
    """An sx keyword; `Keyword("class")` is `:class` — the name has no colon
    (`Keyword(":class")` is a ValueError, not `::class`; the rare keyword
    whose name starts with a colon, `::a`, comes from sexp.loads)."""

    __slots__ = ()

    def __init__(self, name: str) -> None:
        if isinstance(name, str) and name.startswith(":"):
            raise ValueError("Keyword names have no colon: Keyword(%r), not Keyword(%r)"
                             % (name.lstrip(":"), name))
        super().__init__(name)

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


class Error(Exception):
    """The base of the errors sexp raises for sx reasons: `ReadError` (text
    that does not read), `EvalError` (evaluation, with `RenderError` for
    rendering). Python data that sx cannot hold is a TypeError/ValueError
    naming the part, as the json module does; a missing file an OSError."""


class ReadError(Error, ValueError):
    """sx text that does not read: `.message`, `.file` ("" for a string),
    `.line`, `.col` (1-based), `.offset` (bytes) and `.code` (e.g.
    "unexpected-eof"). Also a ValueError, as json's decode errors are."""

    def __init__(self, message, line=0, col=0, offset=None, code="syntax", file=""):
        where = "%s:%d:%d: " % (file or "<input>", line, col) if line else ""
        super().__init__("%s%s: %s" % (where, code, message))
        self.message, self.line, self.col, self.offset, self.code = message, line, col, offset, code
        self.file = file


class EvalError(Error):
    """An evaluation error: `.message`, `.code` ("type", "unbound",
    "step-limit"…), `.file`, `.line`, `.col` and `.trace` (innermost call
    first)."""

    def __init__(self, message, code="error", file="", line=0, col=0, trace=()):
        where = "%s:%d:%d: " % (file or "<input>", line, col) if line else ""
        super().__init__("%s%s: %s" % (where, code, message))
        self.message, self.code, self.file = message, code, file
        self.line, self.col, self.trace = line, col, list(trace)


class RenderError(EvalError):
    """An EvalError of rendering (`.code` "render"): an element HTML does not
    have, a value that has no HTML form…"""


def _adapt(value):
    """The core Python value for one of the other shapes data comes in, or
    NotImplemented (then the conversion raises TypeError). The rule (README,
    "Data from Python"): a dataclass is the dict of its fields, a Mapping
    (and a row with keys(), such as sqlite3.Row) a dict, an Enum its value, a
    Decimal an int when integral (within 64 bits) else the nearest float, a
    datetime/date/time its ISO 8601 text, a UUID its text."""
    if _dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in _dataclasses.fields(value)}
    if isinstance(value, _enum.Enum):
        return value.value
    if isinstance(value, _decimal.Decimal):
        if not value.is_finite():
            raise ValueError("a Decimal that is not finite (%s) has no sx form" % value)
        if value == value.to_integral_value() and -2 ** 63 <= value < 2 ** 63:
            return int(value)
        return float(value)
    if isinstance(value, (_datetime.date, _datetime.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, _uuid.UUID):
        return str(value)
    if isinstance(value, _abc.Mapping):
        return dict(value)
    keys = getattr(value, "keys", None)
    if callable(keys) and hasattr(value, "__getitem__"):
        return {key: value[key] for key in keys()}
    return NotImplemented


_sexp._set_types(Symbol, Keyword, Markup, ReadError, EvalError, _adapt, RenderError)

# Signatures (spec/signatures.md): sexp.keys, sexp.sign/verify, sexp.httpsig.
from . import keys  # noqa: E402
from ._signing import (SignatureError, Verified, cosign, sign, sign_text, verify,  # noqa: E402
                      verify_async, verify_each)
from . import httpsig  # noqa: E402

# ActivityStreams 2.0 JSON-LD <-> sx (spec/activitypub.md): sexp.ap.
from . import ap  # noqa: E402


class Env(_sexp.Env):
    """An sx environment: definitions, components, primitives.

    `capabilities`: primitive groups bound ("core", "string", "list",
    "dict", "io"; default all but "io"). `limits`: a dict of `max_steps`
    (default 50,000,000), `max_depth` (2000 nested calls), `max_bytes`
    (256 MiB) and `timeout_ms` (none) applying to each call.

    Limits bind the whole call, conversions included. Each call — eval,
    load, render_html, render, and a whole resolve/render_page — has one
    budget of steps, bytes and time that the evaluation and every
    conversion between Python and sx made for it share: its arguments
    (Python data given to eval/render_html/render), its result, each
    primitive's arguments and result, each service's arguments and result.
    A conversion is charged a step per value it visits and the bytes it
    makes (Python objects at about their size), so data whose parts are
    shared — `d = [d, d]` twenty times, or an sx value built the same way —
    ends with the limit's EvalError (`.code` "memory-limit", "step-limit",
    "timeout" or "interrupted") rather than a walk of 2^20 nodes. A limit is
    not caught by sx's `try`, and a primitive's conversion that reaches one
    ends the evaluation with it. A call a primitive makes back into its Env
    has its own budget, which also charges the running call's.

    sx values of any depth convert to Python (iteratively); Python data
    nested deeper than 1024 is refused (ValueError). Very deep results may
    still be too deep for Python's recursive functions (repr, ==, pickle
    raise RecursionError).

    Interrupting: `interrupt()` (from another thread) ends the running call
    with EvalError "interrupted". On the main thread, Ctrl-C (SIGINT) during
    a call ends it within a few thousand steps and raises KeyboardInterrupt
    (under asyncio.run, resolve/render_page let asyncio's own handling of
    it through: asyncio.run raises KeyboardInterrupt). Calls on other
    threads are not interrupted by SIGINT. A Python primitive's
    KeyboardInterrupt or SystemExit ends the evaluation and is raised again.

    Unsafe data never fails a page: a URL attribute the policy refuses
    (`javascript:`…) is written `about:invalid#unsafe-url`, and script/style
    text that would end its element is escaped. `env.render_stats` says what
    the last render neutralized: {"unsafe_urls": n, "raw_text_escaped": n,
    "first": "unsafe URL in :href of <a> …"} — worth a log line.
    """

    #: What the last resolve/render_page did ({"rounds", "requests", "merged",
    #: "memo_hits", "failures"}); None before the first.
    last_resolve_stats = None

    def __repr__(self):
        return "<sexp.Env bytes_used=%d>" % self.bytes_used

    def primitive(self, name: str | None = None, *, min_args: int = 0, max_args: int = -1,
                  io: bool = False):
        """Decorator registering a Python callable as the sx primitive `name`
        (default: the function's name, `_` as `-`). It receives and returns
        Python data (converted under the running call's limits). A function
        with keyword-only parameters or **kwargs gets the call's keyword
        pairs as Python keyword arguments (`:currency "EUR"` is
        `currency="EUR"`, `-` written `_`); an
        exception becomes an sx `host` error, which `try` can catch — a
        limit reached converting its arguments or result ends the evaluation
        instead, and a KeyboardInterrupt or SystemExit ends it and is raised
        again. `io=True` puts it in the "io" group (bound only where that
        capability is)."""
        def register(fn):
            self._primitive(name or fn.__name__.replace("_", "-"), _with_keywords(fn), min_args,
                            max_args, io)
            return fn
        if callable(name):  # used bare: @env.primitive
            fn, name = name, None
            return register(fn)
        return register

    def load(self, path) -> object:
        """Reads and evaluates an sx file (a str or os.PathLike); the value of
        its last form. FileNotFoundError (or another OSError) when it cannot
        be opened, ReadError (with the file, line and column) when it does
        not read, EvalError when it fails."""
        path = _os.fspath(path)
        with open(path, "rb") as f:  # the OSError Python would raise, as it would raise it
            mtime = _os.fstat(f.fileno()).st_mtime_ns
        value = self._load(path)
        self.__dict__.setdefault("_loaded", {})[path] = mtime  # for reload_changed
        return value

    def render(self, component: str, *, allow_any_url: bool = False, **kwargs) -> str:
        """Renders the component or function `component` (e.g. "~page")
        called with keyword arguments from Python data, which is converted
        straight to sx values under the call's limits. Nothing of the data
        is kept in the environment — not even the names of its Keywords and
        Symbols (or of the keyword arguments) that the Env does not know
        already: those live for the one call."""
        return self._render(component, kwargs, allow_any_url)

    async def render_async(self, component: str, *, allow_any_url: bool = False,
                           **kwargs) -> str:
        """`render` on a worker thread: the event loop goes on serving while a
        big page renders (the C++ render runs without the GIL). Calls on
        this Env from coroutines — render_async, resolve, render_page and
        sexp.quart's offloaded renders — take turns; a plain (sync) call on
        the Env while one runs raises RuntimeError (one thread at a time)."""
        async with self._turn():
            return await _asyncio.to_thread(self.render, component, allow_any_url=allow_any_url,
                                            **kwargs)

    async def render_stream(self, component: str, *, allow_any_url: bool = False,
                            chunk_size: int = 16384, **kwargs):
        """`render` as an async iterator of UTF-8 byte chunks of about
        `chunk_size` bytes, made on a worker thread while the first ones are
        sent (a streaming response: `quart.Response(env.render_stream(…))`).
        At most two chunks wait for the consumer: a client that stops reading
        holds the render, and closing the iterator (the client gone) ends it.
        An error part-way ends the stream with the EvalError; what was sent
        stays sent. Takes the Env's turn while it runs (see render_async)."""
        import concurrent.futures
        import threading
        loop = _asyncio.get_running_loop()
        queue: _asyncio.Queue = _asyncio.Queue(maxsize=2)
        stop = threading.Event()

        def write(chunk: bytes) -> bool:  # on the worker thread
            if stop.is_set():
                return False
            put = _asyncio.run_coroutine_threadsafe(queue.put(chunk), loop)
            while True:
                try:
                    put.result(timeout=0.05)
                    return not stop.is_set()
                except concurrent.futures.TimeoutError:
                    if stop.is_set():
                        put.cancel()
                        return False

        def render() -> None:
            self._render_chunks(component, kwargs, allow_any_url, write, chunk_size)

        async with self._turn():
            worker = _asyncio.ensure_future(_asyncio.to_thread(render))
            try:
                while True:
                    get = _asyncio.ensure_future(queue.get())
                    await _asyncio.wait({get, worker}, return_when=_asyncio.FIRST_COMPLETED)
                    if get.done():
                        yield get.result()
                        continue
                    get.cancel()
                    while not queue.empty():
                        yield queue.get_nowait()
                    worker.result()  # the render's error, if it failed
                    return
            finally:
                stop.set()
                if not worker.done():
                    try:
                        await worker
                    except Error:
                        pass  # ended because the consumer left: the sink refused

    def _turn(self):
        """The lock that gives coroutines using this Env turns (one per
        event loop: asyncio locks belong to the loop they wait on)."""
        locks = self.__dict__.setdefault("_locks", _weakref.WeakKeyDictionary())
        loop = _asyncio.get_running_loop()
        lock = locks.get(loop)
        if lock is None:
            lock = locks[loop] = _asyncio.Lock()
        return lock

    def search_path(self, *directories) -> None:
        """Defines `(include "partials/nav.sx")`: loads that file from the
        first of `directories` that has it, once (later includes of it do
        nothing; `reload_changed` reloads it when it changes). Names are
        relative, '/'-separated and stay inside their directory: an absolute
        name, `..` or a link out of it is refused. For files loaded at
        startup (a render cannot define anything)."""
        roots = [_os.path.realpath(_os.fspath(d)) for d in directories]
        included = self.__dict__.setdefault("_included", set())

        @self.primitive("include", min_args=1, max_args=1)
        def include(name):
            if (not isinstance(name, str) or not name or name.startswith("/")
                    or ".." in name.split("/")):
                raise ValueError("include takes a relative name without '..', not %r" % (name,))
            for root in roots:
                path = _os.path.realpath(_os.path.join(root, name))
                if not path.startswith(root + _os.sep) or not _os.path.isfile(path):
                    continue
                if path not in included:
                    included.add(path)
                    self.load(path)
                return None
            raise FileNotFoundError("%r is in none of %s" % (name, roots))

    def translations(self, gettext) -> None:
        """Defines `(_ "text")` as `gettext("text")` — the i18n hook Jinja's
        `_()` is (gettext.gettext, a Babel `Translations.gettext`, or any
        str → str). The result is text, escaped when rendered."""
        @self.primitive("_", min_args=1, max_args=1)
        def translate(text):
            return gettext(text)

    def reload_changed(self) -> list:
        """Loads again every file `load` read whose modification time has
        changed since (for development servers: call it before each
        request; `sexp.quart.Dispatcher(reload=True)` does). Returns the
        paths reloaded. Each reload keeps the old code: not for production."""
        files = self.__dict__.setdefault("_loaded", {})
        changed = []
        for path, mtime in list(files.items()):
            try:
                now = _os.stat(path).st_mtime_ns
            except OSError:
                continue
            if now != mtime:
                self.load(path)
                changed.append(path)
        return changed

    # --- I/O through the resolver (libsexp's sexp/web/resolver.h) -------------

    def service(self, name: str | None = None, *, batch: bool = False):
        """Decorator registering a function (async or not) as the I/O primitive
        `name` (default: the function's name, `_` as `-`). The Env needs the
        "io" capability. Called from sx as `(name arg…)`, it runs inside
        `await env.resolve(...)`: `async def fn(context, *args)` per request,
        or with batch=True `async def fn(context, requests)` once per round
        with every request's args tuple, returning one result per request.
        A request written with names, `(query blog post-by-slug :slug s)`,
        arrives as the args ("blog", "post-by-slug", {"slug": s}).
        Results are Python data; an exception fails only that request (an sx
        `io` error that `try` can catch)."""
        def register(fn):
            service = name or fn.__name__.replace("_", "-")
            self._service(service)
            services = self.__dict__.setdefault("_services", {})
            services[service] = (fn, batch)
            return fn
        if callable(name):  # used bare: @env.service
            fn, name = name, None
            return register(fn)
        return register

    async def resolve(self, page, *, context=None, args=None):
        """Evaluates the expression `page` (sx text or data) with its I/O
        done in rounds: every request that does not wait on another goes out
        together — merged when identical, one call per round for batch
        services, all awaited concurrently — then the page is evaluated again
        with the results. Returns the page's value. `context` (the current
        user, headers…) is passed to every service as its first argument.
        With `args` (a sequence), `page` names a function, which is called
        with them as values: `resolve("market-page", args=[category])`.
        Each distinct page text is compiled once and kept, so per-request
        data belongs in `args` or `context`, never in the text. Runs on the
        calling event loop's thread only.

        The Env's limits bind the whole resolution: all its rounds, the
        conversions of the services' arguments and results, and the waits for
        the services — `timeout_ms` is a deadline for all of it. Services
        still running when it passes are cancelled and the resolution ends
        with EvalError "timeout" (a service that never returns cannot hang
        the page; a plain, non-async service blocks the loop and cannot be
        cut short). A limit reached converting a service's result ends the
        resolution with that limit's EvalError. The values the page makes
        (and names the Env does not know) live for the one resolution, so a
        page cannot `set!` a global; the page's code (its text compiled)
        stays in this Env (libsexp has no collector yet): a server should
        start a fresh Env now and then — sexp.quart.Dispatcher does once its
        Env passes a size."""
        resolution = await self._resolved(page, context, args)
        return resolution.result()

    async def render_page(self, page, *, context=None, args=None, allow_any_url: bool = False,
                          offload: bool = False) -> str:
        """`resolve`, then the value rendered as HTML (as data: nothing the
        services returned runs). `offload=True` renders on a worker thread
        (see render_async)."""
        resolution = await self._resolved(page, context, args)
        async with self._turn():
            if offload:
                return await _asyncio.to_thread(resolution.html, allow_any_url)
            return resolution.html(allow_any_url)

    async def _resolved(self, page, context, args=None):
        """The finished resolution of `page`; with `args`, of the callable
        `page` names called with them (compiled once, whatever the args)."""
        import asyncio
        turn = self._turn()
        async with turn:
            resolution = self._resolution(page, args)
        services = self.__dict__.get("_services", {})
        while True:
            async with turn:  # not while the services run: other requests go on
                if resolution.step():
                    break
            jobs = []
            for service, requests in resolution.batches():
                entry = services.get(service)
                if entry is None:
                    for rid, _args, _key in requests:
                        resolution.fail(rid, f"no Python service '{service}' (use @env.service)")
                    continue
                fn, batch = entry
                if batch:
                    jobs.append(_run_batch(resolution, fn, context, requests))
                else:
                    jobs.extend(_run_one(resolution, fn, context, rid, args)
                                for rid, args, _key in requests)
            if not jobs:
                continue
            # The evaluation's deadline bounds the wait for its services: the
            # calls still out when it passes are cancelled and the resolution
            # ends with a `timeout` EvalError. A limit reached converting a
            # result (an EvalError raised by supply) ends it at once too.
            tasks = [asyncio.ensure_future(job) for job in jobs]
            try:
                done, pending = await asyncio.wait(tasks, timeout=resolution.time_left(),
                                                   return_when=asyncio.FIRST_EXCEPTION)
            except BaseException:
                for task in tasks:
                    task.cancel()
                raise
            errors = [t.exception() for t in done if not t.cancelled()]
            for task in pending:
                task.cancel()
            error = next((e for e in errors if e is not None), None)
            if error is not None:
                raise error
            if pending:
                resolution.abandon_timeout(len(pending))
                break
        if resolution.interrupted():
            # A SIGINT under asyncio.run cancels the main task (its handler
            # ran when the step returned): let that cancellation through, so
            # that asyncio.run raises KeyboardInterrupt, not EvalError.
            await asyncio.sleep(0)
        self.__dict__["last_resolve_stats"] = resolution.stats()
        return resolution


def _with_keywords(fn):
    """`fn` as a primitive: when it takes keyword arguments (keyword-only
    parameters or **kwargs), the call's trailing keyword pairs
    `:name value` become `name=value` (`-` as `_`); else `fn` itself."""
    try:
        params = _inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return fn
    if not any(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in params):
        return fn

    def call(*args):
        positional, keywords = [], {}
        i = 0
        while i < len(args):
            arg = args[i]
            if type(arg) is Keyword and i + 1 < len(args):
                keywords[arg.name.replace("-", "_")] = args[i + 1]
                i += 2
            else:
                positional.append(arg)
                i += 1
        return fn(*positional, **keywords)
    call.__name__ = getattr(fn, "__name__", "primitive")
    return call


def _failure(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


async def _call(fn, *args):
    """A service's result: awaited when it is a coroutine (or other
    awaitable), as it is otherwise — plain functions may be services too."""
    value = fn(*args)
    if _inspect.isawaitable(value):
        value = await value
    return value


def _named(args):
    """A request written with names, `(query blog post-by-slug :slug s)`,
    is `(query "blog" "post-by-slug" {:slug s})`: its service gets the
    keyword arguments as a dict with str keys, {"slug": s}."""
    if (len(args) == 3 and isinstance(args[0], str) and isinstance(args[1], str)
            and isinstance(args[2], dict) and all(type(k) is Keyword for k in args[2])):
        return (args[0], args[1], {k.name: v for k, v in args[2].items()})
    return args


async def _run_one(resolution, fn, context, rid, args):
    try:
        value = await _call(fn, context, *_named(args))
    except Exception as e:  # noqa: BLE001 — the page sees it as an io error
        resolution.fail(rid, _failure(e))
        return
    try:
        resolution.supply(rid, value)
    except (TypeError, ValueError) as e:
        resolution.fail(rid, "result is not sx data: " + _failure(e))


async def _run_batch(resolution, fn, context, requests):
    try:
        values = await _call(fn, context, [_named(args) for _rid, args, _key in requests])
        values = list(values)
        if len(values) != len(requests):
            raise ValueError(f"returned {len(values)} results for {len(requests)} requests")
    except Exception as e:  # noqa: BLE001
        for rid, _args, _key in requests:
            resolution.fail(rid, _failure(e))
        return
    for (rid, _args, _key), value in zip(requests, values):
        try:
            resolution.supply(rid, value)
        except (TypeError, ValueError) as e:
            resolution.fail(rid, "result is not sx data: " + _failure(e))


class EnvPool:
    """One Env per worker thread, made by `factory()` the first time that
    thread needs one, for renders that run off the event loop and in
    parallel (the C++ render runs without the GIL):

        pool = sexp.EnvPool(make_env, threads=2)      # make_env() -> Env
        html = await pool.render("~feed", items=rows)

    Each Env is used by its thread only, so no call waits for another's
    turn; each holds its own copy of the definitions (`factory` loads them),
    so memory is `threads` times an Env's `bytes_used`."""

    def __init__(self, factory, threads: int = 2) -> None:
        import concurrent.futures
        import threading
        self._factory = factory
        self._local = threading.local()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="sexp-env")

    def _env(self) -> "Env":
        env = getattr(self._local, "env", None)
        if env is None:
            env = self._local.env = self._factory()
        return env

    async def run(self, fn, *args, **kwargs):
        """`fn(env, *args, **kwargs)` on a worker thread with that thread's Env."""
        loop = _asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor,
                                          lambda: fn(self._env(), *args, **kwargs))

    async def render(self, component: str, *, allow_any_url: bool = False, **kwargs) -> str:
        """`Env.render` on a worker thread's Env."""
        return await self.run(lambda env: env.render(component, allow_any_url=allow_any_url,
                                                     **kwargs))

    async def render_data(self, tree, *, allow_any_url: bool = False) -> str:
        """`Env.render_data` on a worker thread's Env."""
        return await self.run(lambda env: env.render_data(tree, allow_any_url=allow_any_url))

    def close(self) -> None:
        """Stops the worker threads (their Envs go with them)."""
        self._executor.shutdown(wait=True)
