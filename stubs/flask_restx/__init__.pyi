# Flask-RESTX ships no type information: these stubs declare the part of its API this project
# uses (checked against flask-restx 1.3.2), so mypy --strict can check the code that uses it.
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any, NamedTuple, NoReturn, ParamSpec, TypeVar

from flask import Blueprint, Flask, Response
from flask.typing import RouteCallable
from flask.views import MethodView
from werkzeug.utils import cached_property

from . import fields as fields
from . import inputs as inputs
from . import reqparse as reqparse
from .fields import Raw

_T = TypeVar("_T")
_P = ParamSpec("_P")
_ResourceClass = TypeVar("_ResourceClass", bound=type[Resource])

class Model(dict[str, Raw]):
    name: str
    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None: ...
    @property
    def resolved(self) -> Model: ...
    @property
    def __schema__(self) -> dict[str, Any]: ...
    def validate(self, data: Any, resolver: Any = None, format_checker: Any = None) -> None: ...

class Resource(MethodView):
    representations: dict[str, Callable[..., Response]] | None
    method_decorators: list[Callable[..., Any]]
    def __init__(self, api: Api | None = None, *args: Any, **kwargs: Any) -> None: ...

class ResourceRoute(NamedTuple):
    resource: type[Resource]
    urls: tuple[str, ...]
    route_doc: dict[str, Any]
    kwargs: dict[str, Any]

class Namespace:
    name: str
    description: str | None
    models: dict[str, Model]
    resources: list[ResourceRoute]
    def __init__(
        self,
        name: str,
        description: str | None = None,
        path: str | None = None,
        decorators: list[Callable[..., Any]] | None = None,
        validate: bool | None = None,
        authorizations: dict[str, Any] | None = None,
        ordered: bool = False,
        **kwargs: Any,
    ) -> None: ...
    @property
    def path(self) -> str: ...
    @property
    def payload(self) -> Any: ...
    def add_resource(self, resource: type[Resource], *urls: str, **kwargs: Any) -> None: ...
    def route(self, *urls: str, **kwargs: Any) -> Callable[[_ResourceClass], _ResourceClass]: ...
    def doc(self, shortcut: str | None = None, **kwargs: Any) -> Callable[[_T], _T]: ...
    def hide(self, func: _T) -> _T: ...
    def deprecated(self, func: _T) -> _T: ...
    def abort(self, *args: Any, **kwargs: Any) -> NoReturn: ...
    def add_model(self, name: str, definition: Model) -> Model: ...
    def model(
        self,
        name: str | None = None,
        model: Mapping[str, Raw] | None = None,
        mask: Any = None,
        strict: bool = False,
        **kwargs: Any,
    ) -> Model: ...
    def inherit(self, name: str, *specs: Any) -> Model: ...
    def clone(self, name: str, *specs: Any) -> Model: ...
    def expect(self, *inputs: Any, **kwargs: Any) -> Callable[[_T], _T]: ...
    def param(
        self, name: str, description: str | None = None, _in: str = "query", **kwargs: Any
    ) -> Callable[[_T], _T]: ...
    def response(
        self, code: int | HTTPStatus, description: str, model: Any = None, **kwargs: Any
    ) -> Callable[[_T], _T]: ...
    def header(
        self, name: str, description: str | None = None, **kwargs: Any
    ) -> Callable[[_T], _T]: ...
    def produces(self, mimetypes: Iterable[str]) -> Callable[[_T], _T]: ...
    def vendor(self, *args: Any, **kwargs: Any) -> Callable[[_T], _T]: ...
    # Marshalling wrappers replace the return value with its marshalled form.
    def marshal_with(
        self,
        fields: Any,
        as_list: bool = False,
        code: int | HTTPStatus = ...,
        description: str | None = None,
        **kwargs: Any,
    ) -> Callable[[Callable[_P, Any]], Callable[_P, Any]]: ...
    def marshal_list_with(
        self, fields: Any, **kwargs: Any
    ) -> Callable[[Callable[_P, Any]], Callable[_P, Any]]: ...
    def errorhandler(self, exception: type[Exception]) -> Callable[[_T], _T]: ...

class Api:
    title: str
    version: str
    description: str | None
    models: dict[str, Model]
    namespaces: list[Namespace]
    representations: dict[str, Callable[..., Response]]
    error_handlers: dict[type[Exception], Callable[..., Any]]
    def __init__(self, app: Flask | Blueprint | None = None, **kwargs: Any) -> None: ...
    def init_app(self, app: Flask | Blueprint, **kwargs: Any) -> None: ...
    @cached_property
    def __schema__(self) -> dict[str, Any]: ...
    @property
    def payload(self) -> Any: ...
    def add_namespace(self, ns: Namespace, path: str | None = None) -> None: ...
    def namespace(self, *args: Any, **kwargs: Any) -> Namespace: ...
    def documentation(self, func: RouteCallable) -> RouteCallable: ...
    def handle_error(self, e: Exception) -> Response: ...
    def errorhandler(self, exception: type[Exception]) -> Callable[[_T], _T]: ...
    def representation(self, mediatype: str) -> Callable[[_T], _T]: ...
    def url_for(self, resource: type[Resource], **values: Any) -> str: ...

def abort(code: int | HTTPStatus = ..., message: str | None = None, **kwargs: Any) -> NoReturn: ...
def marshal(
    data: Any,
    fields: Mapping[str, Raw],
    envelope: str | None = None,
    skip_none: bool = False,
    mask: Any = None,
    ordered: bool = False,
) -> Any: ...
