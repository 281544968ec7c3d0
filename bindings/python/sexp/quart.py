"""sexp.quart — one Quart handler answering browsers with HTML and sx
clients with canonical sx, with content-addressed caching.

    import sexp, sexp.quart
    env = sexp.Env(); env.load("components.sx")

    @app.get("/posts/<int:pid>")
    async def post(pid):
        return await sexp.quart.respond(sexp.quart.call("~post", post=db[pid]), env=env)

`respond(tree)` answers the current request from one sx tree (Python data,
or sx text as a str), by the request's `Accept` header; `respond_page(page,
env=…, context=…)` resolves a page with I/O first (once) and answers with
its result:

- **HTML** by default (no `Accept`, browsers, `*/*`, anything else), type
  `text/html; charset=utf-8`: the tree rendered by `env`. A tree that is a
  call of a `~component` whose arguments are keyword pairs with literal or
  quoted values — what `call()` builds — is rendered with
  `env.render(component, **data)`; sx text with `env.render_html` (it is the
  app's code); any other Python data with `env.render_data`, as data: no
  list in it is ever called, so values from services and users never run.
- **sx** when `Accept` names `application/x-sexpr` itself (not through
  `*/*` or `application/*`) with a q-value above 0 and at least the
  q-value that `text/html` gets (itself, `text/*` or `*/*`). The body is
  the canonical text of `(ok :hash "sha3-…" tree)`, type
  `application/x-sexpr` — the gateway form of the wire's `ok` response
  (DESIGN.md "Wire") — where `tree` is **what the HTML shows**: the
  rendered page as an element tree (`sexp.html_to_sx`). A component call's
  data (a CSRF token, an internal id the page does not render) never goes
  to the client. `expose_call=True` sends the call itself instead, with the
  arguments the component declares and no others.

Caching, for 2xx responses to GET and HEAD:

- `Vary: Accept, Sexpr-Have` on every response.
- `ETag`, from what is sent: sx `"sha3-<hex>"`, the content address of the
  tree sent (`sexp.hash`); HTML `"sha3-<hex>-html"` (or
  `"…-html-<version>"` with `version=`), the SHA3-256 of the HTML's UTF-8
  bytes. The two representations get different strong tags (RFC 9110
  §8.8.3); a page whose data changed gets a new tag, never a stale 304.
- `If-None-Match` (weak comparison, `*` included) matching the tag of the
  chosen representation → `304 Not Modified`, no body (the page is
  rendered to know its tag).
- `:have` (DESIGN.md's request keyword) over HTTP is the request header
  `Sexpr-Have: sha3-<hex>` (several may be given, separated by commas or
  spaces; the CID form and a quoted ETag are accepted too). An sx request
  whose `Sexpr-Have` names the sent tree's address gets `200` with the body
  `(not-modified :hash "sha3-…")`. HTML requests ignore it.
- HEAD: the headers GET would get (`Content-Length` included), no body.

Other methods (a POST answering with a page) get the representation, ETag
and Vary, but no 304 or `(not-modified)`: a precondition there must be
checked before the action, not after. Statuses: 2xx (not 204/205/206) and
4xx/5xx; the sx head is `ok` for 2xx, `not-found` for 404, `error` for the
rest. Rendering runs on the event loop's thread: an Env is used by one
thread at a time.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
from typing import Any, Mapping

import quart

from . import EvalError, Env, Keyword, Router, Symbol, _sexp, dumps, hash, html_to_sx, parse_all

__all__ = ["SX_TYPE", "HAVE_HEADER", "call", "wants_sx", "etag", "respond", "respond_page",
           "debug_page", "install", "Dispatcher"]

SX_TYPE = "application/x-sexpr"
HTML_TYPE = "text/html; charset=utf-8"
HAVE_HEADER = "Sexpr-Have"
VARY = "Accept, " + HAVE_HEADER

_SELF_EVALUATING = (str, bytes, int, float, bool, type(None), Keyword)

_log = logging.getLogger("sexp.quart")
_default = threading.local()  # .env: the Env used when respond() gets none


def call(component: str, /, **data: Any) -> list:
    """The sx call `(component :k 'v …)`: each keyword argument (named as
    written) with its Python value, quoted when it is a list, tuple, dict or
    Symbol. `respond()` renders such a tree through `env.render`."""
    if not isinstance(component, str) or not component:
        raise TypeError("call(component, **data): component must be a non-empty str")
    tree: list = [Symbol(component)]
    for k, v in data.items():
        tree.append(Keyword(k))
        tree.append([Symbol("quote"), v] if isinstance(v, (list, tuple, dict, Symbol)) else v)
    return tree


def _as_call(tree: Any) -> tuple[str, dict] | None:
    """(component, data) when `tree` is a call respond() may render with
    Env.render: a `~name` head, then only keyword pairs whose values are
    literals or (quote x). None otherwise."""
    if not isinstance(tree, (list, tuple)) or not tree or not isinstance(tree[0], Symbol) \
            or not tree[0].name.startswith("~") or len(tree) % 2 != 1:
        return None
    data = {}
    for i in range(1, len(tree), 2):
        k, v = tree[i], tree[i + 1]
        if not isinstance(k, Keyword) or k.name in data:
            return None
        if isinstance(v, (list, tuple)) and len(v) == 2 and v[0] == Symbol("quote"):
            v = v[1]
        elif not isinstance(v, _SELF_EVALUATING):
            return None
        data[k.name] = v
    return tree[0].name, data


def wants_sx(accept: str | None) -> bool:
    """True when an Accept header value asks for sx rather than HTML (the
    rule in the module docstring)."""
    return bool(accept) and _sexp._wants_sx(accept)


def etag(sent: Any, *, sx: bool, version: str | None = None) -> str:
    """The ETag header value respond() gives what it sends, quotes included:
    for sx (`sx=True`) `sent` is the tree sent and the tag its content
    address; for HTML `sent` is the HTML text and the tag the SHA3-256 of its
    UTF-8 bytes, with "-html" (and "-<version>") after it."""
    if sx:
        return '"%s"' % hash(sent)
    return _html_etag(sent.encode("utf-8"), version)


def _html_etag(data: bytes, version: str | None) -> str:
    if version is not None and (not isinstance(version, str) or not version):
        raise ValueError("version must be a non-empty str of visible ASCII without '\"'")
    return _sexp._html_etag(data, version or "")


def _have(request: Any, address: str) -> bool:
    return _sexp._have_names(request.headers.get(HAVE_HEADER, ""), address)


def _env_for(env: Env | None) -> Env:
    if env is None:
        env = getattr(_default, "env", None)
        if env is None:
            env = _default.env = Env()
    return env


def _declared_call(env: Env, component: str, data: dict) -> list:
    """The call `(component :k 'v …)` with only the arguments the component
    declares (what `expose_call=True` sends an sx client)."""
    declared = set(env.parameters(component))
    return call(component, **{k: v for k, v in data.items() if k in declared})


async def respond(tree: Any, *, env: Env | None = None, status: int = 200,
                  headers: Mapping[str, str] | None = None,
                  version: str | None = None, html: Any = None,
                  expose_call: bool = False, offload: bool = False,
                  stream: bool = False) -> quart.Response:
    """The response to the current Quart request for `tree` (module
    docstring): sx or HTML by Accept, ETag, Vary, 304 on If-None-Match,
    `(not-modified)` on Sexpr-Have. `env` renders HTML (default: a plain
    sexp.Env per thread, enough for trees of HTML elements); `headers` are
    added to every response, 304 included; `version` goes into HTML ETags.
    `html` (a str, or a callable returning one) is the tree's HTML when the
    caller already has it (respond_page passes the resolved page's).

    What is sent is what the HTML shows: an sx client gets the rendered
    page as an element tree (`sexp.html_to_sx` of the HTML), never the data
    of a component call — a CSRF token or an internal field the page does
    not render stays on the server. `expose_call=True` sends a `~component`
    call itself instead, with only the parameters the component declares.
    The tree is rendered as code only when it is sx text or a component
    call (what `call()` builds); any other Python data is rendered as data
    (`env.render_data`: no list in it is ever called). `offload=True`
    renders on a worker thread, so that a big page does not stop the event
    loop (`html`, when a callable, renders with `env`: pass it).
    `stream=True` sends the HTML of a component call to a GET as it renders
    (`Env.render_stream`), without an ETag; sx answers are never streamed
    (they are the whole page's element tree)."""
    ok = 200 <= status < 300 and status not in (204, 205, 206)
    if not ok and not 400 <= status < 600:
        raise ValueError("respond() answers 2xx (not 204/205/206), 4xx or 5xx, not %d" % status)
    request = quart.request
    sx = wants_sx(request.headers.get("Accept"))
    found = _as_call(tree) if not isinstance(tree, str) else None
    if stream and not sx and found is not None and html is None and request.method == "GET":
        # Sent as it renders: no ETag (the body is not known before it is
        # sent), so no 304 either.
        vary = VARY + ", " + headers["Vary"] if headers and "Vary" in headers else VARY
        extra = {k: v for k, v in (headers or {}).items() if k.lower() != "vary"}
        return quart.Response(_env_for(env).render_stream(found[0], **found[1]), status=status,
                              headers={"Vary": vary, **extra}, content_type=HTML_TYPE)

    if sx and expose_call and found is not None:
        sent: Any = _declared_call(_env_for(env), *found)
    else:
        renderer = _env_for(env)
        if html is not None and not callable(html):
            page = html
        else:
            if html is not None:
                render = html
            elif isinstance(tree, str):
                render = lambda: renderer.render_html(tree)  # the app's own sx text: code
            elif found is not None:
                render = lambda: renderer.render(found[0], **found[1])
            else:
                render = lambda: renderer.render_data(tree)
            # In the Env's turn among coroutines; on a worker thread with offload.
            async with renderer._turn():
                page = await asyncio.to_thread(render) if offload else render()
        sent = html_to_sx(page) if sx else page
    if sx:
        address = hash(sent)
        tag = '"%s"' % address
    else:
        data = sent.encode("utf-8")
        tag = _html_etag(data, version)
    vary = VARY
    if getattr(quart.g, "sexp_read_hx_request", False):
        vary += ", HX-Request"  # the page asked (htmx-request?): the answer depends on it
    base = {"Vary": vary, "ETag": tag}
    if headers:
        for k, v in headers.items():
            if k.lower() == "vary":
                base["Vary"] = "%s, %s" % (vary, v)
            else:
                base[k] = v
    conditional = ok and request.method in ("GET", "HEAD")

    if conditional and _sexp._if_none_match(request.headers.get("If-None-Match", ""), tag):
        return quart.Response(b"", status=304, headers=base)
    if sx:
        if conditional and _have(request, address):
            body = dumps([Symbol("not-modified"), Keyword("hash"), address])
        else:
            head = _sexp._sx_answer_head(status)
            body = dumps([Symbol(head), Keyword("hash"), address, sent])
        data = body.encode("utf-8")
        content_type = SX_TYPE
    else:
        content_type = HTML_TYPE
    response = quart.Response(b"" if request.method == "HEAD" else data, status=status,
                              headers=base, content_type=content_type)
    if request.method == "HEAD":
        response.headers["Content-Length"] = str(len(data))
    return response


async def respond_page(page: Any, *, env: Env, context: Any = None, args: Any = None,
                       status: int = 200,
                       headers: Mapping[str, str] | None = None, version: str | None = None,
                       allow_any_url: bool = False, offload: bool = False,
                       page_components: bool = False) -> quart.Response:
    """Resolves `page` (sx text or data: `await env.resolve`, its services
    called in rounds) once, renders the result once, and answers with
    `respond`: the ETag comes from what is sent, and the services' data is
    rendered as data — never evaluated again as code. With `args`, `page`
    names a function called with them as values (`respond_page("market-page",
    args=[category], env=env)`): per-request data goes there or in
    `context`, not into the page's text, which is compiled once per text.
    `page_components=True` adds the header `SX-Page-Components: ~layout
    ~card …`, the components the page called (each once, first call first).
    The one call a page handler needs:

        @app.get("/market/")
        async def market():
            return await sexp.quart.respond_page('(~market-page)', env=env,
                                                 context={"user": user})
    """
    if page_components:
        env.start_component_log()
    resolution = await env._resolved(page, context, args)
    value = resolution.result()
    if page_components:
        used = env.stop_component_log()
        headers = {**(headers or {}), "SX-Page-Components": " ".join(used)}
    return await respond(value, env=env, status=status, headers=headers, version=version,
                         html=lambda: resolution.html(allow_any_url), offload=offload)


_FRAME = re.compile(r"(?P<name>.*) \((?P<file>.*):(?P<line>[0-9]+):(?P<col>[0-9]+)\)\Z")


def debug_page(error: EvalError) -> str:
    """An HTML page for a failed page, for development: the error's code and
    message, then its sx frames (where it failed first, then each call
    outwards) with the source line and a caret when the file is on disk.
    Never for production: it shows code and data."""
    frames = [("where it failed", error.file, error.line, error.col)] if error.line else []
    for entry in error.trace:
        m = _FRAME.match(entry)
        if m:
            frames.append((m["name"], m["file"], int(m["line"]), int(m["col"])))
        else:
            frames.append((entry, "", 0, 0))
    items = []
    for name, file, line, col in frames:
        item: list = [Symbol("li"), [Symbol("code"), name]]
        if line:
            item.append(" %s:%d:%d" % (file or "<input>", line, col))
            source = _source_line(file, line)
            if source is not None:
                item.append([Symbol("pre"), source + "\n" + " " * max(col - 1, 0) + "^"])
        items.append(item)
    tree = [Symbol("html"),
            [Symbol("head"), [Symbol("title"), "sx error: %s" % error.code]],
            [Symbol("body"), [Symbol("h1"), "sx error: %s" % error.code],
             [Symbol("p"), error.message], [Symbol("ol"), *items]]]
    return Env().render_data(tree)  # its own Env: nothing else's turn to wait for


def _source_line(file: str, line: int) -> str | None:
    if not file or not os.path.isfile(file):
        return None
    try:
        with open(file, encoding="utf-8", errors="replace") as f:
            for number, text in enumerate(f, 1):
                if number == line:
                    return text.rstrip("\n")
    except OSError:
        return None
    return None


# --- routes from sx files --------------------------------------------------

_ALL = ["core", "string", "list", "dict", "io"]


def _bound(env: Env, name: str) -> bool:
    try:
        env.eval(name)
        return True
    except EvalError:
        return False


def install(env: Env, *, user=None) -> None:
    """Gives `env` the request forms the platform's pages use, answered from
    the Quart request being handled (outside one: nil and false):

    - `(htmx-request?)`: true when the request carries `HX-Request: true`
      (a page that asks gets `HX-Request` added to its `Vary`);
    - `(current-user)`: `user(request)` converted to sx (nil without `user`).

    A name `env` already binds (a service of that name, say) is left alone.
    `Dispatcher` calls this for each environment it makes; an app that
    answers with `respond` calls it once on its Env."""
    if not _bound(env, "htmx-request?"):
        @env.primitive("htmx-request?", min_args=0, max_args=0)
        def htmx_request():
            request = quart.request if quart.has_request_context() else None
            if request is not None:
                quart.g.sexp_read_hx_request = True  # respond() adds HX-Request to Vary
            # As sexp::IsHtmxRequest reads it: "true" in any case, spaces around.
            return (request is not None and
                    request.headers.get("HX-Request", "").strip().lower() == "true")
    if not _bound(env, "current-user"):
        @env.primitive("current-user", min_args=0, max_args=0)
        def current_user():
            if user is None or not quart.has_request_context():
                return None
            return user(quart.request)


class Dispatcher:
    """Serves every `(defroute "/pattern/:p{int}/" (p q) body…)` and
    `(defpage name :path "/pattern/:p/" :content body)` of some sx
    files from one Quart catch-all route (spec/routes.md): the most specific
    pattern wins, same-shape patterns are refused when the files load, and a
    handler's parameters are bound by name — from the path (`{int}` ones as
    ints) or else from the query string (a str, or nil when absent). The page
    a handler returns is resolved (`await env.resolve`, its services called
    in rounds) and answered by `respond`: HTML, or canonical sx for
    `application/x-sexpr`, with ETags, 304 and `(not-modified)`.

        d = sexp.quart.Dispatcher("site.sx", setup=register_services,
                                  context=lambda request: {"user": ...})
        d.install(app)

    `setup(env)` registers services (`@env.service`) on each environment
    the dispatcher makes; `context(request)` gives their per-request
    context; `user(request)` answers `(current-user)` and the `HX-Request`
    header `(htmx-request?)` (see `install`) unless `setup` defines them.
    Environments keep each route's compiled code (requests leave nothing);
    one is replaced by a fresh load if it ever holds more than
    `max_env_bytes`. `reload=True` (development) loads the files again when
    one has changed, before the request that follows; `debug=True`
    (development) answers a failed page with `debug_page` — its sx frames
    and source lines."""

    def __init__(self, *files: str, setup=None, context=None, capabilities=None,
                 max_env_bytes: int = 64 << 20, version: str | None = None, user=None,
                 reload: bool = False, debug: bool = False):
        self._files = [str(f) for f in files]
        self._setup = setup
        self._context = context
        self._user = user
        self._capabilities = list(capabilities or _ALL)
        self._max_env_bytes = max_env_bytes
        self._version = version
        self._reload = reload  # development: reload changed route files before each request
        self._debug = debug    # development: failed pages answer with debug_page
        self._routes: list[tuple[str, list[tuple[str, bool]]]] = []
        self._router = None
        self.env = self._load()

    def _stamps(self) -> list:
        stamps = []
        for path in self._files:
            try:
                stamps.append(os.stat(path).st_mtime_ns)
            except OSError:
                stamps.append(None)
        return stamps

    def _load(self) -> Env:
        self._loaded_stamps = self._stamps()
        routes = []
        for path in self._files:
            with open(path, encoding="utf-8") as f:
                for form in parse_all(f.read()):
                    if not isinstance(form, list) or len(form) < 3:
                        continue
                    if form[0] == Symbol("defroute") and isinstance(form[1], str):
                        pattern, names = form[1], [p.name for p in form[2]]
                    elif form[0] == Symbol("defpage") and Keyword("path") in form[2::2]:
                        # (defpage name :path "/p/:x/" :content …): the
                        # handler's parameters are the path's, in order.
                        pattern = form[2 + form[2::2].index(Keyword("path")) + 1]
                        names = [seg[1:-5] if seg.endswith("{int}") else seg[1:]
                                 for seg in pattern.split("/") if seg.startswith(":")]
                    else:
                        continue
                    ints = {seg[1:-5] for seg in pattern.split("/")
                            if seg.startswith(":") and seg.endswith("{int}")}
                    routes.append((pattern, [(n, n in ints) for n in names]))
        router = Router()
        for i, (pattern, _) in enumerate(routes):
            router.add(pattern, i)  # ValueError on a conflict
        env = Env(capabilities=self._capabilities)
        if self._setup is not None:
            self._setup(env)
        install(env, user=self._user)
        for path in self._files:
            env.load(path)
        if routes and env.eval("(count *routes*)") != len(routes):
            raise ValueError("defroute and defpage forms must be at the top level of the route files")
        self._routes, self._router = routes, router
        return env

    def install(self, app: quart.Quart) -> None:
        """Adds the catch-all route (GET and HEAD) to `app`."""
        app.add_url_rule("/", "sexp_dispatch", self.handle, methods=["GET", "HEAD"],
                         defaults={"rest": ""})
        app.add_url_rule("/<path:rest>", "sexp_dispatch_rest", self.handle,
                         methods=["GET", "HEAD"])

    async def handle(self, rest: str = "") -> quart.Response:
        request = quart.request
        if self._reload and self._stamps() != self._loaded_stamps:
            self.env = self._load()  # components and routes alike
        target = request.full_path if request.query_string else request.path
        found = self._router.match(target)
        if found is None:
            return await respond([Symbol("h1"), "Not found"], status=404)
        index, params, query = found
        queried = dict(query)
        args = []
        for name, is_int in self._routes[index][1]:
            if name in params:
                args.append(int(params[name]) if is_int else params[name])
            else:
                args.append(queried.get(name))
        # The handler called with the parameters as values, never as text: a
        # parameter is a value whatever it contains ("(action ...)" from a
        # query string stays a string), and the handler's page is compiled
        # once for every request of the route.
        handler = "(nth (nth *routes* %d) 1)" % index
        if self.env.bytes_used > self._max_env_bytes:
            self.env = self._load()
        env = self.env
        context = self._context(request) if self._context is not None else None
        try:
            resolution = await env._resolved(handler, context, args)
            value = resolution.result()
        except EvalError as e:
            # The client sees the error's code only (HTML and sx alike); the
            # message, which may hold a service's internals, goes to the log.
            _log.error("%s %s: %s", request.method, request.path, e)
            if self._debug:
                return await respond([Symbol("error")], status=500, html=debug_page(e))
            return await respond([Symbol("<>"), [Symbol("h1"), "Error"],
                                  [Symbol("p"), Keyword("class"), "error-code", e.code]],
                                 status=500)
        return await respond(value, env=env, html=lambda: resolution.html(False),
                             version=self._version)
