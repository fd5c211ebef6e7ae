from collections.abc import Callable, Iterable
from typing import Any

class ParseResult(dict[str, Any]):
    def __getattr__(self, name: str) -> Any: ...

class Argument:
    name: str
    default: Any
    dest: str | None
    required: bool
    location: str | Iterable[str]
    type: Callable[..., Any]
    choices: Iterable[Any]
    help: str | None
    def __init__(
        self,
        name: str,
        default: Any = None,
        dest: str | None = None,
        required: bool = False,
        ignore: bool = False,
        type: Callable[..., Any] = ...,
        location: str | Iterable[str] = ...,
        choices: Iterable[Any] = (),
        action: str = "store",
        help: str | None = None,
        operators: Iterable[str] = ...,
        case_sensitive: bool = True,
        store_missing: bool = True,
        trim: bool = False,
        nullable: bool = True,
    ) -> None: ...
    def handle_validation_error(self, error: Exception, bundle_errors: bool) -> Any: ...

class RequestParser:
    args: list[Argument]
    argument_class: type[Argument]
    bundle_errors: bool
    def __init__(
        self,
        argument_class: type[Argument] = ...,
        result_class: type[ParseResult] = ...,
        trim: bool = False,
        bundle_errors: bool = False,
    ) -> None: ...
    def add_argument(self, *args: Any, **kwargs: Any) -> RequestParser: ...
    def parse_args(self, req: Any = None, strict: bool = False) -> ParseResult: ...
    def copy(self) -> RequestParser: ...
    def replace_argument(self, name: str, *args: Any, **kwargs: Any) -> RequestParser: ...
    def remove_argument(self, name: str) -> RequestParser: ...
