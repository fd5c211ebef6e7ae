from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.item import Item
from ...models.item_create import ItemCreate
from ...types import UNSET, Response, Unset


def _get_kwargs(
    item_id: int,
    *,
    body: ItemCreate,
    if_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_match, Unset):
        headers["If-Match"] = if_match

    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/api/items/{item_id}".format(
            item_id=quote(str(item_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorResponse | Item:
    if response.status_code == 200:
        response_200 = Item.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = ErrorResponse.from_dict(response.json())

        return response_409

    if response.status_code == 412:
        response_412 = ErrorResponse.from_dict(response.json())

        return response_412

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
) -> Response[ErrorResponse | Item]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    item_id: int,
    *,
    client: AuthenticatedClient,
    body: ItemCreate,
    if_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | Item]:
    """Replace an item

     `name` is required; a missing `description` becomes empty. Owner or admin only.

    A soft-deleted item is read-only for its owner (409) until an administrator restores it with
    `adminToggleItem`; administrators may still edit it (it stays deleted), and their `DELETE` of a
    deleted item changes nothing (204). Someone else's deleted item is a 404 on every method, like a
    missing id.

    Args:
        item_id (int):
        if_match (str | Unset):
        x_request_id (str | Unset):
        body (ItemCreate): The fields of a new item. Example: {'description': 'A5, dotted',
            'name': 'Notebook'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | Item]
    """

    kwargs = _get_kwargs(
        item_id=item_id,
        body=body,
        if_match=if_match,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    item_id: int,
    *,
    client: AuthenticatedClient,
    body: ItemCreate,
    if_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | Item | None:
    """Replace an item

     `name` is required; a missing `description` becomes empty. Owner or admin only.

    A soft-deleted item is read-only for its owner (409) until an administrator restores it with
    `adminToggleItem`; administrators may still edit it (it stays deleted), and their `DELETE` of a
    deleted item changes nothing (204). Someone else's deleted item is a 404 on every method, like a
    missing id.

    Args:
        item_id (int):
        if_match (str | Unset):
        x_request_id (str | Unset):
        body (ItemCreate): The fields of a new item. Example: {'description': 'A5, dotted',
            'name': 'Notebook'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | Item
    """

    return sync_detailed(
        item_id=item_id,
        client=client,
        body=body,
        if_match=if_match,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    item_id: int,
    *,
    client: AuthenticatedClient,
    body: ItemCreate,
    if_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | Item]:
    """Replace an item

     `name` is required; a missing `description` becomes empty. Owner or admin only.

    A soft-deleted item is read-only for its owner (409) until an administrator restores it with
    `adminToggleItem`; administrators may still edit it (it stays deleted), and their `DELETE` of a
    deleted item changes nothing (204). Someone else's deleted item is a 404 on every method, like a
    missing id.

    Args:
        item_id (int):
        if_match (str | Unset):
        x_request_id (str | Unset):
        body (ItemCreate): The fields of a new item. Example: {'description': 'A5, dotted',
            'name': 'Notebook'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | Item]
    """

    kwargs = _get_kwargs(
        item_id=item_id,
        body=body,
        if_match=if_match,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    item_id: int,
    *,
    client: AuthenticatedClient,
    body: ItemCreate,
    if_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | Item | None:
    """Replace an item

     `name` is required; a missing `description` becomes empty. Owner or admin only.

    A soft-deleted item is read-only for its owner (409) until an administrator restores it with
    `adminToggleItem`; administrators may still edit it (it stays deleted), and their `DELETE` of a
    deleted item changes nothing (204). Someone else's deleted item is a 404 on every method, like a
    missing id.

    Args:
        item_id (int):
        if_match (str | Unset):
        x_request_id (str | Unset):
        body (ItemCreate): The fields of a new item. Example: {'description': 'A5, dotted',
            'name': 'Notebook'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | Item
    """

    return (
        await asyncio_detailed(
            item_id=item_id,
            client=client,
            body=body,
            if_match=if_match,
            x_request_id=x_request_id,
        )
    ).parsed
