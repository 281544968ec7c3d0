from typing import Any, Final, Mapping

import quart

from . import Env

__all__ = ["SX_TYPE", "HAVE_HEADER", "call", "wants_sx", "etag", "respond"]

SX_TYPE: Final[str]
HTML_TYPE: Final[str]
HAVE_HEADER: Final[str]
VARY: Final[str]

def call(component: str, /, **data: Any) -> list[Any]: ...
def wants_sx(accept: str | None) -> bool: ...
def etag(tree: Any, *, sx: bool, version: str | None = ...) -> str: ...
async def respond(tree: Any, *, env: Env | None = ..., status: int = ...,
                  headers: Mapping[str, str] | None = ...,
                  version: str | None = ...) -> quart.Response: ...
