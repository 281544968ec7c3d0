from typing import Any

import jinja2
import markupsafe

from . import Env, Keyword

__all__ = ["install", "KeywordDict"]

class KeywordDict(dict[Keyword, Any]):
    def __missing__(self, key: Any) -> Any: ...

def install(jinja_env: jinja2.Environment, sx_env: Env, *, global_name: str = ...,
            primitive_name: str = ...) -> None: ...

# What install() adds: the Jinja global `sexp(source, /, **kwargs)` and the
# sx primitive `(jinja name :k v …)`, both returning markupsafe.Markup.
class _Bridge:
    def sexp(self, source: Any, /, **kwargs: Any) -> markupsafe.Markup: ...
    def jinja(self, name: Any, *args: Any) -> markupsafe.Markup: ...
