"""Contract checking: every response the suite receives must match the committed openapi.json.

The test client validates each response to a documented operation with openapi-core: an
undocumented status code, a missing field or a wrong type fails the test that made the request.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import PathError
from werkzeug.test import TestResponse

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.json"


class ContractViolation(AssertionError):
    pass


class _SentRequest(WerkzeugOpenAPIRequest):
    """The request as sent; its body was consumed by the app and is not needed here."""

    @property
    def body(self) -> bytes | None:
        return None


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(json.loads(SPEC_PATH.read_text()))


def check_response(response: TestResponse) -> None:
    """Raise `ContractViolation` if a response to a documented operation breaks the spec."""
    request = _SentRequest(response.request)
    try:
        openapi().validate_response(request, WerkzeugOpenAPIResponse(response))
    except PathError:  # not a documented operation (unknown URL, 405, docs assets)
        return
    except Exception as exc:
        method = response.request.method
        raise ContractViolation(
            f"{method} {response.request.path} -> {response.status_code} breaks openapi.json: "
            f"{exc!r}; body: {response.get_data(as_text=True)[:500]}"
        ) from exc


class ContractClient(FlaskClient):
    """A Flask test client that checks every response against the spec."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        check_response(response)
        return response
