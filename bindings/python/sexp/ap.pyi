from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["from_json", "to_json", "to_json_text", "PUBLIC"]

PUBLIC: str

def from_json(data: str | bytes | Mapping[str, Any] | Sequence[Any], *, verified: bool = ...,
              max_bytes: int = ..., max_depth: int = ..., max_content_bytes: int = ...,
              content_timeout: float = ..., stats: dict[str, int] | None = ...) -> Any: ...
def to_json_text(value: Any, *, sexpr: bool = ..., context: bool = ...,
                 max_bytes: int = ...) -> str: ...
def to_json(value: Any, *, sexpr: bool = ..., context: bool = ..., max_bytes: int = ...) -> Any: ...
