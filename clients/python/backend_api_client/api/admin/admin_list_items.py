from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.item_page import ItemPage
from ...models.item_sort import ItemSort
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    q: str | Unset = UNSET,
    sort: ItemSort | Unset = UNSET,
    owner_id: int | Unset = UNSET,
    after: str | Unset = UNSET,
    is_active: bool | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    params: dict[str, Any] = {}

    params["page"] = page

    params["per_page"] = per_page

    params["q"] = q

    json_sort: str | Unset = UNSET
    if not isinstance(sort, Unset):
        json_sort = sort.value

    params["sort"] = json_sort

    params["owner_id"] = owner_id

    params["after"] = after

    params["is_active"] = is_active

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/admin/items",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorResponse | ItemPage:
    if response.status_code == 200:
        response_200 = ItemPage.from_dict(response.json())

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

    if response.status_code == 414:
        response_414 = ErrorResponse.from_dict(response.json())

        return response_414

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    response_default = ErrorResponse.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | ItemPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    q: str | Unset = UNSET,
    sort: ItemSort | Unset = UNSET,
    owner_id: int | Unset = UNSET,
    after: str | Unset = UNSET,
    is_active: bool | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | ItemPage]:
    """List every item, inactive included

     Takes the same `page`, `per_page`, `q`, `sort` and `owner_id` parameters as
    `listItems`, plus `is_active` to show only active or only inactive items.

    Args:
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        q (str | Unset):
        sort (ItemSort | Unset): Item sort.
        owner_id (int | Unset):
        after (str | Unset):
        is_active (bool | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ItemPage]
    """

    kwargs = _get_kwargs(
        page=page,
        per_page=per_page,
        q=q,
        sort=sort,
        owner_id=owner_id,
        after=after,
        is_active=is_active,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    q: str | Unset = UNSET,
    sort: ItemSort | Unset = UNSET,
    owner_id: int | Unset = UNSET,
    after: str | Unset = UNSET,
    is_active: bool | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | ItemPage | None:
    """List every item, inactive included

     Takes the same `page`, `per_page`, `q`, `sort` and `owner_id` parameters as
    `listItems`, plus `is_active` to show only active or only inactive items.

    Args:
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        q (str | Unset):
        sort (ItemSort | Unset): Item sort.
        owner_id (int | Unset):
        after (str | Unset):
        is_active (bool | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ItemPage
    """

    return sync_detailed(
        client=client,
        page=page,
        per_page=per_page,
        q=q,
        sort=sort,
        owner_id=owner_id,
        after=after,
        is_active=is_active,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    q: str | Unset = UNSET,
    sort: ItemSort | Unset = UNSET,
    owner_id: int | Unset = UNSET,
    after: str | Unset = UNSET,
    is_active: bool | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | ItemPage]:
    """List every item, inactive included

     Takes the same `page`, `per_page`, `q`, `sort` and `owner_id` parameters as
    `listItems`, plus `is_active` to show only active or only inactive items.

    Args:
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        q (str | Unset):
        sort (ItemSort | Unset): Item sort.
        owner_id (int | Unset):
        after (str | Unset):
        is_active (bool | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ItemPage]
    """

    kwargs = _get_kwargs(
        page=page,
        per_page=per_page,
        q=q,
        sort=sort,
        owner_id=owner_id,
        after=after,
        is_active=is_active,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    q: str | Unset = UNSET,
    sort: ItemSort | Unset = UNSET,
    owner_id: int | Unset = UNSET,
    after: str | Unset = UNSET,
    is_active: bool | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | ItemPage | None:
    """List every item, inactive included

     Takes the same `page`, `per_page`, `q`, `sort` and `owner_id` parameters as
    `listItems`, plus `is_active` to show only active or only inactive items.

    Args:
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        q (str | Unset):
        sort (ItemSort | Unset): Item sort.
        owner_id (int | Unset):
        after (str | Unset):
        is_active (bool | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ItemPage
    """

    return (
        await asyncio_detailed(
            client=client,
            page=page,
            per_page=per_page,
            q=q,
            sort=sort,
            owner_id=owner_id,
            after=after,
            is_active=is_active,
            x_request_id=x_request_id,
        )
    ).parsed
