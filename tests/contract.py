"""Contract checking: every response the suite receives must match the committed openapi.json.

The test client validates each response to a documented operation with openapi-core: an
undocumented status code, a missing field or a wrong type fails the test that made the request.
"""

import copy
import re
from functools import cache
from typing import Any

from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import PathError
from werkzeug.test import TestResponse

from tests.spec import RAW_SPEC


class ContractViolation(AssertionError):
    pass


class _SentRequest(WerkzeugOpenAPIRequest):
    """The request as sent; its body was consumed by the app and is not needed here."""

    @property
    def body(self) -> bytes | None:
        return None


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(copy.deepcopy(RAW_SPEC))  # a copy: the tests read RAW_SPEC too


@cache
def _declared_statuses() -> list[tuple[re.Pattern[str], str, frozenset[str]]]:
    """(path pattern, method, statuses declared by name) of every operation."""
    found = []
    for path, item in RAW_SPEC["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                declared = frozenset(operation["responses"]) - {"default"}
                found.append((pattern, method.upper(), declared))
    return found


def _undeclared_status(method: str, path: str, status: int) -> bool:
    """`default` documents the unexpected error; every status the server means to send must be
    declared by its number."""
    for pattern, declared_method, declared in _declared_statuses():
        if declared_method == method and pattern.match(path):
            return str(status) not in declared
    return False


def check_response(response: TestResponse) -> None:
    """Raise `ContractViolation` if a response to a documented operation breaks the spec."""
    request = _SentRequest(response.request)
    method, path = response.request.method, response.request.path
    try:
        openapi().validate_response(request, WerkzeugOpenAPIResponse(response))
    except PathError:  # not a documented operation (unknown URL, 405, docs assets)
        return
    except Exception as exc:
        raise ContractViolation(
            f"{method} {path} -> {response.status_code} breaks openapi.json: "
            f"{exc!r}; body: {response.get_data(as_text=True)[:500]}"
        ) from exc
    if _undeclared_status(method, path, response.status_code):
        raise ContractViolation(
            f"{method} {path} -> {response.status_code} is not declared in openapi.json "
            f"(only `default` matches); body: {response.get_data(as_text=True)[:500]}"
        )


class ContractClient(FlaskClient):
    """A Flask test client that checks every response against the spec."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        check_response(response)
        return response
