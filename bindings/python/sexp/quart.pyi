from typing import Any, Callable, Final, Mapping, Sequence

import quart

from . import Env, EvalError

__all__ = ["SX_TYPE", "HAVE_HEADER", "call", "wants_sx", "etag", "respond", "respond_page",
           "debug_page", "install", "Dispatcher"]

SX_TYPE: Final[str]
HTML_TYPE: Final[str]
HAVE_HEADER: Final[str]
VARY: Final[str]

def call(component: str, /, **data: Any) -> list[Any]: ...
def debug_page(error: EvalError) -> str: ...
def install(env: Env, *, user: Callable[[Any], Any] | None = ...) -> None: ...
def wants_sx(accept: str | None) -> bool: ...
def etag(sent: Any, *, sx: bool, version: str | None = ...) -> str: ...
async def respond(tree: Any, *, env: Env | None = ..., status: int = ...,
                  headers: Mapping[str, str] | None = ...,
                  version: str | None = ..., html: Any = ...,
                  expose_call: bool = ..., offload: bool = ...,
                  stream: bool = ...) -> quart.Response: ...
async def respond_page(page: Any, *, env: Env, context: Any = ..., args: Any = ...,
                       status: int = ...,
                       headers: Mapping[str, str] | None = ..., version: str | None = ...,
                       allow_any_url: bool = ..., offload: bool = ...,
                       page_components: bool = ...) -> quart.Response: ...

class Dispatcher:
    env: Env
    def __init__(self, *files: str, setup: Callable[[Env], None] | None = ...,
                 context: Callable[[Any], Any] | None = ..., capabilities: Sequence[str] | None = ...,
                 max_env_bytes: int = ..., version: str | None = ...,
                 user: Callable[[Any], Any] | None = ..., reload: bool = ...,
                 debug: bool = ...) -> None: ...
    def install(self, app: quart.Quart) -> None: ...
    async def handle(self, rest: str = ...) -> quart.Response: ...
