from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.auth_token import AuthToken
from ...models.error_response import ErrorResponse
from ...models.login_request import LoginRequest
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: LoginRequest,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/auth/login",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> AuthToken | ErrorResponse:
    if response.status_code == 200:
        response_200 = AuthToken.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

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
) -> Response[AuthToken | ErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: LoginRequest,
    x_request_id: str | Unset = UNSET,
) -> Response[AuthToken | ErrorResponse]:
    """Log in with a username (or email) and password

     Failed attempts are limited per account and client address, and per client address
    (429 with `Retry-After`), so failures elsewhere never lock the owner out.

    Args:
        x_request_id (str | Unset):
        body (LoginRequest): Credentials: a username or an email, and the password. Example:
            {'password': 'correct horse battery', 'username': 'alice'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuthToken | ErrorResponse]
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
    client: AuthenticatedClient | Client,
    body: LoginRequest,
    x_request_id: str | Unset = UNSET,
) -> AuthToken | ErrorResponse | None:
    """Log in with a username (or email) and password

     Failed attempts are limited per account and client address, and per client address
    (429 with `Retry-After`), so failures elsewhere never lock the owner out.

    Args:
        x_request_id (str | Unset):
        body (LoginRequest): Credentials: a username or an email, and the password. Example:
            {'password': 'correct horse battery', 'username': 'alice'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuthToken | ErrorResponse
    """

    return sync_detailed(
        client=client,
        body=body,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: LoginRequest,
    x_request_id: str | Unset = UNSET,
) -> Response[AuthToken | ErrorResponse]:
    """Log in with a username (or email) and password

     Failed attempts are limited per account and client address, and per client address
    (429 with `Retry-After`), so failures elsewhere never lock the owner out.

    Args:
        x_request_id (str | Unset):
        body (LoginRequest): Credentials: a username or an email, and the password. Example:
            {'password': 'correct horse battery', 'username': 'alice'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuthToken | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: LoginRequest,
    x_request_id: str | Unset = UNSET,
) -> AuthToken | ErrorResponse | None:
    """Log in with a username (or email) and password

     Failed attempts are limited per account and client address, and per client address
    (429 with `Retry-After`), so failures elsewhere never lock the owner out.

    Args:
        x_request_id (str | Unset):
        body (LoginRequest): Credentials: a username or an email, and the password. Example:
            {'password': 'correct horse battery', 'username': 'alice'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuthToken | ErrorResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_request_id=x_request_id,
        )
    ).parsed
