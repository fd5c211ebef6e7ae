from typing import Any

class Raw:
    __schema_type__: str
    __schema_format__: str | None
    __schema_example__: Any
    attribute: str | None
    default: Any
    title: str | None
    description: str | None
    required: bool | None
    readonly: bool | None
    example: Any
    nullable: bool | None
    def __init__(
        self,
        default: Any = None,
        attribute: str | None = None,
        title: str | None = None,
        description: str | None = None,
        required: bool | None = None,
        readonly: bool | None = None,
        example: Any = None,
        mask: Any = None,
        nullable: bool | None = None,
        **kwargs: Any,
    ) -> None: ...
    def format(self, value: Any) -> Any: ...
    def output(self, key: str, obj: Any, **kwargs: Any) -> Any: ...
    @property
    def __schema__(self) -> dict[str, Any]: ...
    def schema(self) -> dict[str, Any]: ...

class Nested(Raw):
    model: Any
    as_list: bool
    allow_null: bool
    skip_none: bool
    def __init__(
        self,
        model: Any,
        allow_null: bool = False,
        skip_none: bool = False,
        as_list: bool = False,
        **kwargs: Any,
    ) -> None: ...
    # The resolved model (a `flask_restx.Model`), typed loosely to keep this stub acyclic.
    @property
    def nested(self) -> Any: ...

class List(Raw):
    container: Raw
    min_items: int | None
    max_items: int | None
    unique: bool | None
    def __init__(self, cls_or_instance: Raw | type[Raw], **kwargs: Any) -> None: ...

class String(Raw):
    min_length: int | None
    max_length: int | None
    pattern: str | None
    enum: Any
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...

class Integer(Raw):
    minimum: int | None
    maximum: int | None
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...

class Float(Raw):
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...

class Boolean(Raw): ...

class DateTime(Raw):
    def __init__(self, dt_format: str = "iso8601", **kwargs: Any) -> None: ...

class Date(DateTime):
    def __init__(self, **kwargs: Any) -> None: ...

class Url(Raw):
    def __init__(
        self,
        endpoint: str | None = None,
        absolute: bool = False,
        scheme: str | None = None,
        **kwargs: Any,
    ) -> None: ...

class Wildcard(Raw):
    def __init__(self, cls_or_instance: Raw | type[Raw], **kwargs: Any) -> None: ...
