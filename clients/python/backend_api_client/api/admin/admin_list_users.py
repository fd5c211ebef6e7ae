from http import HTTPStatus
from typing import Any, cast

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.user_page import UserPage
from ...models.user_sort import UserSort
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    q: str | Unset = UNSET,
    sort: UserSort | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_none_match, Unset):
        headers["If-None-Match"] = if_none_match

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

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/admin/users",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | ErrorResponse | UserPage:
    if response.status_code == 200:
        response_200 = UserPage.from_dict(response.json())

        return response_200

    if response.status_code == 304:
        response_304 = cast(Any, None)
        return response_304

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
) -> Response[Any | ErrorResponse | UserPage]:
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
    sort: UserSort | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[Any | ErrorResponse | UserPage]:
    """List all users

     Paginated; filter by `q` (username or email contains) and sort with `sort`.

    Unknown or repeated query parameters are refused (400, named in `errors`), so a misspelt or doubled
    filter never silently changes the result.

    Args:
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        q (str | Unset):
        sort (UserSort | Unset): User sort.
        if_none_match (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponse | UserPage]
    """

    kwargs = _get_kwargs(
        page=page,
        per_page=per_page,
        q=q,
        sort=sort,
        if_none_match=if_none_match,
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
    sort: UserSort | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Any | ErrorResponse | UserPage | None:
    """List all users

     Paginated; filter by `q` (username or email contains) and sort with `sort`.

    Unknown or repeated query parameters are refused (400, named in `errors`), so a misspelt or doubled
    filter never silently changes the result.

    Args:
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        q (str | Unset):
        sort (UserSort | Unset): User sort.
        if_none_match (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponse | UserPage
    """

    return sync_detailed(
        client=client,
        page=page,
        per_page=per_page,
        q=q,
        sort=sort,
        if_none_match=if_none_match,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    page: int | Unset = 1,
    per_page: int | Unset = 20,
    q: str | Unset = UNSET,
    sort: UserSort | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[Any | ErrorResponse | UserPage]:
    """List all users

     Paginated; filter by `q` (username or email contains) and sort with `sort`.

    Unknown or repeated query parameters are refused (400, named in `errors`), so a misspelt or doubled
    filter never silently changes the result.

    Args:
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        q (str | Unset):
        sort (UserSort | Unset): User sort.
        if_none_match (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponse | UserPage]
    """

    kwargs = _get_kwargs(
        page=page,
        per_page=per_page,
        q=q,
        sort=sort,
        if_none_match=if_none_match,
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
    sort: UserSort | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Any | ErrorResponse | UserPage | None:
    """List all users

     Paginated; filter by `q` (username or email contains) and sort with `sort`.

    Unknown or repeated query parameters are refused (400, named in `errors`), so a misspelt or doubled
    filter never silently changes the result.

    Args:
        page (int | Unset):  Default: 1.
        per_page (int | Unset):  Default: 20.
        q (str | Unset):
        sort (UserSort | Unset): User sort.
        if_none_match (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponse | UserPage
    """

    return (
        await asyncio_detailed(
            client=client,
            page=page,
            per_page=per_page,
            q=q,
            sort=sort,
            if_none_match=if_none_match,
            x_request_id=x_request_id,
        )
    ).parsed
