"""sexp.jinja — sx and Jinja2 in each other's templates.

    >>> import jinja2, sexp, sexp.jinja
    >>> sx = sexp.Env()
    >>> _ = sx.eval('(defcomp ~badge (&key label) (span :class "badge" label))')
    >>> jj = jinja2.Environment(loader=jinja2.DictLoader({"hi.html": "<b>{{ who }}</b>"}),
    ...                         autoescape=True)
    >>> sexp.jinja.install(jj, sx)
    >>> sx.render_html('(p (jinja "hi.html" :who "<Ann>"))')
    '<p><b>&lt;Ann&gt;</b></p>'
    >>> jj.from_string("<p>{{ sexp('~badge', label=who) }}</p>").render(who="<Ann>")
    '<p><span class="badge">&lt;Ann&gt;</span></p>'

Jinja → sx, the global `sexp(...)` (returns `markupsafe.Markup`):

- `sexp("~card", title=t, post_id=3)`: a call of the component (or
  function) `~card` with Python data, through `Env.render` (the data is
  converted straight to sx values, never spliced into sx text). Keyword
  arguments name sx keywords with `_` written `-` (`post_id` is `:post-id`).
  A first argument that is one `~name` token is a call even without keyword
  arguments.
- `sexp('(p "hi")')`: any other string is sx *text*, read and rendered by
  `Env.render_html`; Python data (a list such as `[Symbol("p"), "hi"]`) is
  rendered the same way. Never format untrusted values into this text: pass
  them as keyword arguments instead. (libsexp keeps every text it evaluates
  in the environment, which grows with each call: per-request pages should
  use component calls.)

Values handed to sx: `markupsafe.Markup` (Jinja's `|safe`, `caller()`…)
stays trusted in sx too (the module takes any str with `__html__` as
markup); a Jinja `Undefined` becomes nil
(`StrictUndefined` raises); everything else goes through the usual mapping
(`sexp` module docstring); other strings are escaped by the sx renderer.

sx → Jinja, the primitive `(jinja "name.html" :k v …)`: renders the
template `name.html` of the Jinja environment with one variable per keyword,
`-` written `_` (`:post-title` is `post_title`), and returns its output as
trusted markup, which the sx renderer writes unescaped. Jinja's autoescaping
escapes the values, so the primitive refuses templates for which the Jinja
environment has autoescape off. Values arrive in Jinja through the usual
mapping, except that sx dicts become `KeywordDict`s, whose `Keyword` keys
Jinja can reach as `post.title` / `post["title"]` (`post.author_name` finds
`:author-name` too) and which go back to sx unchanged. `sexp.Markup` stays
trusted (it has `__html__`). An sx element tree passed as a value arrives as
the Python list it evaluates to, not as HTML.

Errors: any exception in the primitive (a missing template, a Jinja syntax
or undefined error) ends the sx evaluation with `sexp.EvalError`, code
`"host"`, its message naming the Python exception.

Nesting works both ways: a template's `sexp(...)` may render sx that calls
`(jinja …)`, and a template rendered by `(jinja …)` may call `sexp(...)` on
the same sx environment (libsexp runs the inner render inside the outer one;
neither may define globals while a render runs).

Async Jinja environments (`enable_async=True`, such as Quart's
`app.jinja_env`) work: the global is an ordinary call, and the primitive,
which runs inside a synchronous sx render, renders through a synchronous
overlay of the environment made at install() (same loader, globals and
filters). Templates rendered by `(jinja …)` see their keyword variables and
the environment's globals, not Quart's request context variables.
"""
from __future__ import annotations

import re
from typing import Any

import jinja2
import markupsafe

from . import Env, Keyword

__all__ = ["install", "KeywordDict"]

# One `~name` token: a component to call rather than sx text to read.
_COMPONENT = re.compile(r"~[^\s()\[\]{}\";'`,]+\Z")


class KeywordDict(dict):
    """An sx dict on the Jinja side: keys stay `Keyword`s (so the dict goes
    back to sx unchanged), and a missing `str` key `k` is looked up as
    `Keyword(k)`, then as `Keyword(k with _ as -)`, which is what Jinja's
    `d.k` and `d["k"]` ask for."""

    __slots__ = ()

    def __missing__(self, key: Any) -> Any:
        if isinstance(key, str):
            for name in (key, key.replace("_", "-")):
                k = Keyword._of(name)  # any str: a name no keyword has is simply absent
                if dict.__contains__(self, k):
                    return dict.__getitem__(self, k)
        raise KeyError(key)


def _to_jinja(value: Any) -> Any:
    """sx data (as the primitive receives it) for a Jinja context."""
    if isinstance(value, dict):
        return KeywordDict((k, _to_jinja(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_to_jinja(v) for v in value]
    return value


def _to_sx(value: Any, seen: dict | None = None) -> Any:
    """A value from a Jinja template for sx: Undefined is nil. (Markup —
    markupsafe's or sexp's — stays trusted by itself: the module takes any
    str with __html__ as markup.) Containers holding no Undefined are
    passed on as they are, and each container is looked at once (`seen`,
    by id): data whose parts are shared stays shared here, and its
    conversion to sx is charged to the render's limits (sexp.Env.render)."""
    if isinstance(value, jinja2.Undefined):
        bool(value)  # StrictUndefined raises here
        return None
    if not isinstance(value, (list, tuple, dict)):
        return value
    if seen is None:
        seen = {}
    key = id(value)
    if key in seen:
        return seen[key]
    seen[key] = value  # (a cycle stays a cycle: Env.render refuses it)
    if isinstance(value, dict):
        items = [(k, _to_sx(v, seen)) for k, v in value.items()]
        if any(new is not old for (_, new), old in zip(items, value.values())):
            value = dict(items)
    else:
        items = [_to_sx(v, seen) for v in value]
        if any(new is not old for new, old in zip(items, value)):
            value = items
    seen[key] = value
    return value


def _autoescapes(jinja_env: jinja2.Environment, name: str) -> bool:
    ae = jinja_env.autoescape
    return bool(ae(name) if callable(ae) else ae)


class _Bridge:
    """The state shared by the global and the primitive of one install()."""

    def __init__(self, jinja_env: jinja2.Environment, sx_env: Env) -> None:
        self.jinja_env = jinja_env
        self.sx_env = sx_env
        # The primitive runs inside a synchronous sx render: an async
        # environment's templates are rendered by a synchronous overlay
        # (shared loader, globals, filters; its own template cache).
        self.sync_env = jinja_env.overlay(enable_async=False) if jinja_env.is_async else jinja_env

    def sexp(self, source: Any, /, **kwargs: Any) -> markupsafe.Markup:
        """The Jinja global `sexp(...)`."""
        if kwargs or (isinstance(source, str) and _COMPONENT.match(source)):
            if not isinstance(source, str):
                raise TypeError("sexp(name, **kwargs): the component name must be a str")
            args = {k.replace("_", "-"): _to_sx(v) for k, v in kwargs.items()}
            html = self.sx_env.render(source, **args)
        else:
            html = self.sx_env.render_html(_to_sx(source) if not isinstance(source, str)
                                           else source)
        return markupsafe.Markup(html)

    def jinja(self, name: Any, *args: Any) -> markupsafe.Markup:
        """The sx primitive `(jinja "name" :k v …)`."""
        if not isinstance(name, str):
            raise TypeError("(jinja name :k v …): the template name must be a string")
        if len(args) % 2:
            raise TypeError("(jinja name :k v …): keyword arguments come in pairs")
        variables = {}
        for k, v in zip(args[::2], args[1::2]):
            if not isinstance(k, Keyword):
                raise TypeError("(jinja name :k v …): expected a keyword, got %r" % (k,))
            variables[k.name.replace("-", "_")] = _to_jinja(v)
        if not _autoescapes(self.jinja_env, name):
            raise ValueError("template %r would render without autoescape; its output "
                             "cannot be trusted markup" % name)
        template = self.sync_env.get_template(name)
        return markupsafe.Markup(template.render(variables))


def install(jinja_env: jinja2.Environment, sx_env: Env, *, global_name: str = "sexp",
            primitive_name: str = "jinja") -> None:
    """Adds the global `sexp(...)` to `jinja_env` and the primitive
    `(jinja "name" :k v …)` to `sx_env` (see the module docstring).
    Install once per pair."""
    if not isinstance(jinja_env, jinja2.Environment):
        raise TypeError("install(jinja_env, sx_env): jinja_env must be a jinja2.Environment")
    if not isinstance(sx_env, Env):
        raise TypeError("install(jinja_env, sx_env): sx_env must be a sexp.Env")
    bridge = _Bridge(jinja_env, sx_env)
    jinja_env.globals[global_name] = bridge.sexp
    sx_env.primitive(primitive_name, min_args=1)(bridge.jinja)
