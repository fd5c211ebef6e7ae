from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.webhook import Webhook
from ...models.webhook_update import WebhookUpdate
from ...types import UNSET, Response, Unset


def _get_kwargs(
    webhook_id: int,
    *,
    body: WebhookUpdate,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/webhooks/{webhook_id}".format(
            webhook_id=quote(str(webhook_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorResponse | Webhook:
    if response.status_code == 200:
        response_200 = Webhook.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

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
) -> Response[ErrorResponse | Webhook]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    webhook_id: int,
    *,
    client: AuthenticatedClient,
    body: WebhookUpdate,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | Webhook]:
    """Update a webhook subscription

     Change its URL, events, description or `enabled` (owner or admin). Any change needs
    the scopes `createWebhook` lists for the events it will hear. Re-enabling a
    subscription disabled after failures resets its failure count; its pending deliveries
    then go out.

    Args:
        webhook_id (int):
        x_request_id (str | Unset):
        body (WebhookUpdate): Webhook update. Example: {'description': 'string', 'enabled': True,
            'events': ['item.created', 'item.updated'], 'url':
            'https://partner.example.com/hooks/backend'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | Webhook]
    """

    kwargs = _get_kwargs(
        webhook_id=webhook_id,
        body=body,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    webhook_id: int,
    *,
    client: AuthenticatedClient,
    body: WebhookUpdate,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | Webhook | None:
    """Update a webhook subscription

     Change its URL, events, description or `enabled` (owner or admin). Any change needs
    the scopes `createWebhook` lists for the events it will hear. Re-enabling a
    subscription disabled after failures resets its failure count; its pending deliveries
    then go out.

    Args:
        webhook_id (int):
        x_request_id (str | Unset):
        body (WebhookUpdate): Webhook update. Example: {'description': 'string', 'enabled': True,
            'events': ['item.created', 'item.updated'], 'url':
            'https://partner.example.com/hooks/backend'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | Webhook
    """

    return sync_detailed(
        webhook_id=webhook_id,
        client=client,
        body=body,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    webhook_id: int,
    *,
    client: AuthenticatedClient,
    body: WebhookUpdate,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | Webhook]:
    """Update a webhook subscription

     Change its URL, events, description or `enabled` (owner or admin). Any change needs
    the scopes `createWebhook` lists for the events it will hear. Re-enabling a
    subscription disabled after failures resets its failure count; its pending deliveries
    then go out.

    Args:
        webhook_id (int):
        x_request_id (str | Unset):
        body (WebhookUpdate): Webhook update. Example: {'description': 'string', 'enabled': True,
            'events': ['item.created', 'item.updated'], 'url':
            'https://partner.example.com/hooks/backend'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | Webhook]
    """

    kwargs = _get_kwargs(
        webhook_id=webhook_id,
        body=body,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    webhook_id: int,
    *,
    client: AuthenticatedClient,
    body: WebhookUpdate,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | Webhook | None:
    """Update a webhook subscription

     Change its URL, events, description or `enabled` (owner or admin). Any change needs
    the scopes `createWebhook` lists for the events it will hear. Re-enabling a
    subscription disabled after failures resets its failure count; its pending deliveries
    then go out.

    Args:
        webhook_id (int):
        x_request_id (str | Unset):
        body (WebhookUpdate): Webhook update. Example: {'description': 'string', 'enabled': True,
            'events': ['item.created', 'item.updated'], 'url':
            'https://partner.example.com/hooks/backend'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | Webhook
    """

    return (
        await asyncio_detailed(
            webhook_id=webhook_id,
            client=client,
            body=body,
            x_request_id=x_request_id,
        )
    ).parsed
