from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.webhook_delivery_page import WebhookDeliveryPage
from ...models.webhook_delivery_status import WebhookDeliveryStatus
from ...types import UNSET, Response, Unset


def _get_kwargs(
    webhook_id: int,
    *,
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    status: WebhookDeliveryStatus | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    params: dict[str, Any] = {}

    params["page"] = page

    params["per_page"] = per_page

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/webhooks/{webhook_id}/deliveries".format(
            webhook_id=quote(str(webhook_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | WebhookDeliveryPage:
    if response.status_code == 200:
        response_200 = WebhookDeliveryPage.from_dict(response.json())

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
) -> Response[ErrorResponse | WebhookDeliveryPage]:
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
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    status: WebhookDeliveryStatus | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | WebhookDeliveryPage]:
    """List a subscription's deliveries

     The delivery log, newest first: status, attempts, the last response code, latency and
    error, and when a pending delivery is tried next. Filter with `status`.

    Args:
        webhook_id (int):
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        status (WebhookDeliveryStatus | Unset): Webhook delivery status.
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | WebhookDeliveryPage]
    """

    kwargs = _get_kwargs(
        webhook_id=webhook_id,
        page=page,
        per_page=per_page,
        status=status,
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
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    status: WebhookDeliveryStatus | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | WebhookDeliveryPage | None:
    """List a subscription's deliveries

     The delivery log, newest first: status, attempts, the last response code, latency and
    error, and when a pending delivery is tried next. Filter with `status`.

    Args:
        webhook_id (int):
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        status (WebhookDeliveryStatus | Unset): Webhook delivery status.
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | WebhookDeliveryPage
    """

    return sync_detailed(
        webhook_id=webhook_id,
        client=client,
        page=page,
        per_page=per_page,
        status=status,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    webhook_id: int,
    *,
    client: AuthenticatedClient,
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    status: WebhookDeliveryStatus | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | WebhookDeliveryPage]:
    """List a subscription's deliveries

     The delivery log, newest first: status, attempts, the last response code, latency and
    error, and when a pending delivery is tried next. Filter with `status`.

    Args:
        webhook_id (int):
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        status (WebhookDeliveryStatus | Unset): Webhook delivery status.
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | WebhookDeliveryPage]
    """

    kwargs = _get_kwargs(
        webhook_id=webhook_id,
        page=page,
        per_page=per_page,
        status=status,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    webhook_id: int,
    *,
    client: AuthenticatedClient,
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    status: WebhookDeliveryStatus | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | WebhookDeliveryPage | None:
    """List a subscription's deliveries

     The delivery log, newest first: status, attempts, the last response code, latency and
    error, and when a pending delivery is tried next. Filter with `status`.

    Args:
        webhook_id (int):
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        status (WebhookDeliveryStatus | Unset): Webhook delivery status.
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | WebhookDeliveryPage
    """

    return (
        await asyncio_detailed(
            webhook_id=webhook_id,
            client=client,
            page=page,
            per_page=per_page,
            status=status,
            x_request_id=x_request_id,
        )
    ).parsed
