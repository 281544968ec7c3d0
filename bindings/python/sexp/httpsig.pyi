from typing import Any, Awaitable, Callable, Iterable, Mapping, Sequence, Union

from . import KeysArg as KeysArg, SignatureError as SignatureError
from .keys import Key

Headers = Union[Mapping[str, str], Iterable[tuple[str, str]]]
Body = Union[bytes, bytearray, str, None]

class HttpVerified:
    scheme: str
    label: str
    key_id: str
    alg: str
    created: int | None
    covered: tuple[str, ...]

class PeerSchemes:
    def __init__(self, first: str = ..., capacity: int = ...) -> None: ...
    def scheme_for(self, peer: str) -> str: ...
    def record(self, peer: str, scheme: str) -> None: ...
    def __len__(self) -> int: ...

def verify_request(method: str, url: str, headers: Headers, body: Body = ..., *, keys: KeysArg,
                   allowed: Sequence[str] | None = ..., now: int | None = ...,
                   max_skew: int = ..., max_age: int = ..., min_rsa_bits: int = ...,
                   require_target: bool = ..., require_digest: bool = ...,
                   required: Sequence[str] = ..., label: str = ...) -> HttpVerified: ...
async def verify_request_async(method: str, url: str, headers: Headers, body: Body = ..., *,
                               keys: KeysArg, **options: Any) -> HttpVerified: ...
def verify_response(status: int, headers: Headers, body: Body = ..., *, keys: KeysArg,
                    **options: Any) -> HttpVerified: ...
async def verify_quart(request: Any, *, keys: KeysArg, **options: Any) -> HttpVerified: ...
def sign_request(method: str, url: str, headers: Headers, body: Body = ..., *, key: Key,
                 key_id: str, scheme: str = ..., alg: str | None = ...,
                 components: Sequence[str] | None = ..., created: int | None = ...,
                 expires: int | None = ..., nonce: str = ..., tag: str = ..., label: str = ...,
                 include_alg: bool = ..., digest: str | None = ...) -> dict[str, str]: ...
def sign_response(status: int, headers: Headers, body: Body = ..., *, key: Key, key_id: str,
                  **options: Any) -> dict[str, str]: ...
def content_digest(body: Body, alg: str = ...) -> str: ...
def check_content_digest(field: str, body: Body) -> None: ...
async def deliver(send: Callable[..., Any], method: str, url: str, headers: Headers,
                  body: Body = ..., *, key: Key, key_id: str, peers: PeerSchemes,
                  **options: Any) -> Any: ...
