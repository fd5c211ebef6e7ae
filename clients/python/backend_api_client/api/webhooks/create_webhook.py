from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.webhook_create import WebhookCreate
from ...models.webhook_with_secret import WebhookWithSecret
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: WebhookCreate,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/webhooks",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | WebhookWithSecret:
    if response.status_code == 201:
        response_201 = WebhookWithSecret.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 409:
        response_409 = ErrorResponse.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = ErrorResponse.from_dict(response.json())

        return response_413

    if response.status_code == 414:
        response_414 = ErrorResponse.from_dict(response.json())

        return response_414

    if response.status_code == 415:
        response_415 = ErrorResponse.from_dict(response.json())

        return response_415

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
        response_503 = ErrorResponse.from_dict(response.json())

        return response_503

    response_default = ErrorResponse.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | WebhookWithSecret]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: WebhookCreate,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | WebhookWithSecret]:
    """Subscribe a URL to events

     You receive events about your own items and uploads; administrators receive events
    about everyone's, and may subscribe to `user.deactivated`. An event carries what it is
    about, so the token needs the scope that reads it: `items:read` for `item.*`,
    `uploads:read` for `upload.*`, `admin:read` (an administrator's) for `user.*` and for
    everyone's events. The URL must resolve to a public address. Each delivery is a `POST`
    signed per Standard Webhooks with the returned `secret` (`webhook-id`,
    `webhook-timestamp`, `webhook-signature`).

    Args:
        x_request_id (str | Unset):
        body (WebhookCreate): Webhook create. Example: {'description': 'Sync to our CRM',
            'events': ['item.created', 'item.updated'], 'url':
            'https://partner.example.com/hooks/backend'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | WebhookWithSecret]
    """

    kwargs = _get_kwargs(
        body=body,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: WebhookCreate,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | WebhookWithSecret | None:
    """Subscribe a URL to events

     You receive events about your own items and uploads; administrators receive events
    about everyone's, and may subscribe to `user.deactivated`. An event carries what it is
    about, so the token needs the scope that reads it: `items:read` for `item.*`,
    `uploads:read` for `upload.*`, `admin:read` (an administrator's) for `user.*` and for
    everyone's events. The URL must resolve to a public address. Each delivery is a `POST`
    signed per Standard Webhooks with the returned `secret` (`webhook-id`,
    `webhook-timestamp`, `webhook-signature`).

    Args:
        x_request_id (str | Unset):
        body (WebhookCreate): Webhook create. Example: {'description': 'Sync to our CRM',
            'events': ['item.created', 'item.updated'], 'url':
            'https://partner.example.com/hooks/backend'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | WebhookWithSecret
    """

    return sync_detailed(
        client=client,
        body=body,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: WebhookCreate,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | WebhookWithSecret]:
    """Subscribe a URL to events

     You receive events about your own items and uploads; administrators receive events
    about everyone's, and may subscribe to `user.deactivated`. An event carries what it is
    about, so the token needs the scope that reads it: `items:read` for `item.*`,
    `uploads:read` for `upload.*`, `admin:read` (an administrator's) for `user.*` and for
    everyone's events. The URL must resolve to a public address. Each delivery is a `POST`
    signed per Standard Webhooks with the returned `secret` (`webhook-id`,
    `webhook-timestamp`, `webhook-signature`).

    Args:
        x_request_id (str | Unset):
        body (WebhookCreate): Webhook create. Example: {'description': 'Sync to our CRM',
            'events': ['item.created', 'item.updated'], 'url':
            'https://partner.example.com/hooks/backend'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | WebhookWithSecret]
    """

    kwargs = _get_kwargs(
        body=body,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: WebhookCreate,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | WebhookWithSecret | None:
    """Subscribe a URL to events

     You receive events about your own items and uploads; administrators receive events
    about everyone's, and may subscribe to `user.deactivated`. An event carries what it is
    about, so the token needs the scope that reads it: `items:read` for `item.*`,
    `uploads:read` for `upload.*`, `admin:read` (an administrator's) for `user.*` and for
    everyone's events. The URL must resolve to a public address. Each delivery is a `POST`
    signed per Standard Webhooks with the returned `secret` (`webhook-id`,
    `webhook-timestamp`, `webhook-signature`).

    Args:
        x_request_id (str | Unset):
        body (WebhookCreate): Webhook create. Example: {'description': 'Sync to our CRM',
            'events': ['item.created', 'item.updated'], 'url':
            'https://partner.example.com/hooks/backend'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | WebhookWithSecret
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_request_id=x_request_id,
        )
    ).parsed
