from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.webhook_with_secret import WebhookWithSecret
from ...types import UNSET, Response, Unset


def _get_kwargs(
    webhook_id: int,
    *,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/webhooks/{webhook_id}/rotate-secret".format(
            webhook_id=quote(str(webhook_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | WebhookWithSecret:
    if response.status_code == 200:
        response_200 = WebhookWithSecret.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

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
    webhook_id: int,
    *,
    client: AuthenticatedClient,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | WebhookWithSecret]:
    """Rotate the signing secret

     The new secret is returned only in this response. For a grace period (24 hours by
    default) deliveries carry two signatures, one per secret, so you can switch without
    rejecting any; then only the new one signs. Owner or admin only, with the scopes
    `createWebhook` lists for the subscription's events.

    Args:
        webhook_id (int):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | WebhookWithSecret]
    """

    kwargs = _get_kwargs(
        webhook_id=webhook_id,
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
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | WebhookWithSecret | None:
    """Rotate the signing secret

     The new secret is returned only in this response. For a grace period (24 hours by
    default) deliveries carry two signatures, one per secret, so you can switch without
    rejecting any; then only the new one signs. Owner or admin only, with the scopes
    `createWebhook` lists for the subscription's events.

    Args:
        webhook_id (int):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | WebhookWithSecret
    """

    return sync_detailed(
        webhook_id=webhook_id,
        client=client,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    webhook_id: int,
    *,
    client: AuthenticatedClient,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | WebhookWithSecret]:
    """Rotate the signing secret

     The new secret is returned only in this response. For a grace period (24 hours by
    default) deliveries carry two signatures, one per secret, so you can switch without
    rejecting any; then only the new one signs. Owner or admin only, with the scopes
    `createWebhook` lists for the subscription's events.

    Args:
        webhook_id (int):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | WebhookWithSecret]
    """

    kwargs = _get_kwargs(
        webhook_id=webhook_id,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    webhook_id: int,
    *,
    client: AuthenticatedClient,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | WebhookWithSecret | None:
    """Rotate the signing secret

     The new secret is returned only in this response. For a grace period (24 hours by
    default) deliveries carry two signatures, one per secret, so you can switch without
    rejecting any; then only the new one signs. Owner or admin only, with the scopes
    `createWebhook` lists for the subscription's events.

    Args:
        webhook_id (int):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | WebhookWithSecret
    """

    return (
        await asyncio_detailed(
            webhook_id=webhook_id,
            client=client,
            x_request_id=x_request_id,
        )
    ).parsed
