from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.health import Health
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/health",
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorResponse | Health:
    if response.status_code == 200:
        response_200 = Health.from_dict(response.json())

        return response_200

    if response.status_code == 414:
        response_414 = ErrorResponse.from_dict(response.json())

        return response_414

    if response.status_code == 429:
        response_429 = ErrorResponse.from_dict(response.json())

        return response_429

    if response.status_code == 431:
        response_431 = ErrorResponse.from_dict(response.json())

        return response_431

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Health.from_dict(response.json())

        return response_503

    response_default = ErrorResponse.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | Health]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | Health]:
    """Report whether the service and its dependencies are up

     `database` (and `redis`, `storage`, `mail`, when configured) is `ok` or `unreachable`.
    Without the database nothing works: 503 with `status: unhealthy` and `Retry-After`, so a
    load balancer takes the instance out. Without Redis everything still works (limits count
    per instance until it is back), without the object store everything but files, and
    without SMTP everything (reset mail waits in the outbox): 200 with `status: degraded`, so
    such an outage never empties the pool.

    Args:
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | Health]
    """

    kwargs = _get_kwargs(
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | Health | None:
    """Report whether the service and its dependencies are up

     `database` (and `redis`, `storage`, `mail`, when configured) is `ok` or `unreachable`.
    Without the database nothing works: 503 with `status: unhealthy` and `Retry-After`, so a
    load balancer takes the instance out. Without Redis everything still works (limits count
    per instance until it is back), without the object store everything but files, and
    without SMTP everything (reset mail waits in the outbox): 200 with `status: degraded`, so
    such an outage never empties the pool.

    Args:
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | Health
    """

    return sync_detailed(
        client=client,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | Health]:
    """Report whether the service and its dependencies are up

     `database` (and `redis`, `storage`, `mail`, when configured) is `ok` or `unreachable`.
    Without the database nothing works: 503 with `status: unhealthy` and `Retry-After`, so a
    load balancer takes the instance out. Without Redis everything still works (limits count
    per instance until it is back), without the object store everything but files, and
    without SMTP everything (reset mail waits in the outbox): 200 with `status: degraded`, so
    such an outage never empties the pool.

    Args:
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | Health]
    """

    kwargs = _get_kwargs(
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | Health | None:
    """Report whether the service and its dependencies are up

     `database` (and `redis`, `storage`, `mail`, when configured) is `ok` or `unreachable`.
    Without the database nothing works: 503 with `status: unhealthy` and `Retry-After`, so a
    load balancer takes the instance out. Without Redis everything still works (limits count
    per instance until it is back), without the object store everything but files, and
    without SMTP everything (reset mail waits in the outbox): 200 with `status: degraded`, so
    such an outage never empties the pool.

    Args:
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | Health
    """

    return (
        await asyncio_detailed(
            client=client,
            x_request_id=x_request_id,
        )
    ).parsed
