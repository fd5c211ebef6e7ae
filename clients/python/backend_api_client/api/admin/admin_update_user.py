from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.user import User
from ...models.user_patch import UserPatch
from ...types import UNSET, Response, Unset


def _get_kwargs(
    user_id: int,
    *,
    body: UserPatch,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/admin/users/{user_id}".format(
            user_id=quote(str(user_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorResponse | User:
    if response.status_code == 200:
        response_200 = User.from_dict(response.json())

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
) -> Response[ErrorResponse | User]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    user_id: int,
    *,
    client: AuthenticatedClient,
    body: UserPatch,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | User]:
    """Change a user's role or state

     Only `is_admin` and `is_active` are read. Deactivation revokes every token the user
    holds, for good. An administrator cannot demote or deactivate itself (409), and there is
    always at least one active administrator: a change that would leave none is a 409, even
    when two administrators demote each other at the same moment.

    Args:
        user_id (int):
        x_request_id (str | Unset):
        body (UserPatch): Role and status changes for a user. Example: {'is_active': True,
            'is_admin': True}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | User]
    """

    kwargs = _get_kwargs(
        user_id=user_id,
        body=body,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    user_id: int,
    *,
    client: AuthenticatedClient,
    body: UserPatch,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | User | None:
    """Change a user's role or state

     Only `is_admin` and `is_active` are read. Deactivation revokes every token the user
    holds, for good. An administrator cannot demote or deactivate itself (409), and there is
    always at least one active administrator: a change that would leave none is a 409, even
    when two administrators demote each other at the same moment.

    Args:
        user_id (int):
        x_request_id (str | Unset):
        body (UserPatch): Role and status changes for a user. Example: {'is_active': True,
            'is_admin': True}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | User
    """

    return sync_detailed(
        user_id=user_id,
        client=client,
        body=body,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    user_id: int,
    *,
    client: AuthenticatedClient,
    body: UserPatch,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | User]:
    """Change a user's role or state

     Only `is_admin` and `is_active` are read. Deactivation revokes every token the user
    holds, for good. An administrator cannot demote or deactivate itself (409), and there is
    always at least one active administrator: a change that would leave none is a 409, even
    when two administrators demote each other at the same moment.

    Args:
        user_id (int):
        x_request_id (str | Unset):
        body (UserPatch): Role and status changes for a user. Example: {'is_active': True,
            'is_admin': True}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | User]
    """

    kwargs = _get_kwargs(
        user_id=user_id,
        body=body,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    user_id: int,
    *,
    client: AuthenticatedClient,
    body: UserPatch,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | User | None:
    """Change a user's role or state

     Only `is_admin` and `is_active` are read. Deactivation revokes every token the user
    holds, for good. An administrator cannot demote or deactivate itself (409), and there is
    always at least one active administrator: a change that would leave none is a 409, even
    when two administrators demote each other at the same moment.

    Args:
        user_id (int):
        x_request_id (str | Unset):
        body (UserPatch): Role and status changes for a user. Example: {'is_active': True,
            'is_admin': True}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | User
    """

    return (
        await asyncio_detailed(
            user_id=user_id,
            client=client,
            body=body,
            x_request_id=x_request_id,
        )
    ).parsed
