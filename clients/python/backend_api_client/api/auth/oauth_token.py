from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.o_auth_error import OAuthError
from ...models.o_auth_token import OAuthToken
from ...models.oauth_token_data_body import OauthTokenDataBody
from ...models.oauth_token_files_body import OauthTokenFilesBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: OauthTokenDataBody | OauthTokenFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/auth/token",
    }

    if isinstance(body, OauthTokenDataBody):
        _kwargs["data"] = body.to_dict()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if isinstance(body, OauthTokenFilesBody):
        _kwargs["files"] = body.to_multipart()

        headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | OAuthError | OAuthToken:
    if response.status_code == 200:
        response_200 = OAuthToken.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = OAuthError.from_dict(response.json())

        return response_400

    if response.status_code == 413:
        response_413 = ErrorResponse.from_dict(response.json())

        return response_413

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
) -> Response[ErrorResponse | OAuthError | OAuthToken]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: OauthTokenDataBody | OauthTokenFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | OAuthError | OAuthToken]:
    """Get an access token (OAuth2 password or refresh-token grant)

     Form-encoded as RFC 6749 says: `grant_type=password` with `username` and `password`
    (and optionally `scope`), or `grant_type=refresh_token` with `refresh_token`. Failed
    password grants count like failed logins (429 with `Retry-After`). Unknown parameters
    are ignored (RFC 6749 §3.2).

    Args:
        x_request_id (str | Unset):
        body (OauthTokenDataBody):
        body (OauthTokenFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | OAuthError | OAuthToken]
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
    body: OauthTokenDataBody | OauthTokenFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | OAuthError | OAuthToken | None:
    """Get an access token (OAuth2 password or refresh-token grant)

     Form-encoded as RFC 6749 says: `grant_type=password` with `username` and `password`
    (and optionally `scope`), or `grant_type=refresh_token` with `refresh_token`. Failed
    password grants count like failed logins (429 with `Retry-After`). Unknown parameters
    are ignored (RFC 6749 §3.2).

    Args:
        x_request_id (str | Unset):
        body (OauthTokenDataBody):
        body (OauthTokenFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | OAuthError | OAuthToken
    """

    return sync_detailed(
        client=client,
        body=body,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: OauthTokenDataBody | OauthTokenFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | OAuthError | OAuthToken]:
    """Get an access token (OAuth2 password or refresh-token grant)

     Form-encoded as RFC 6749 says: `grant_type=password` with `username` and `password`
    (and optionally `scope`), or `grant_type=refresh_token` with `refresh_token`. Failed
    password grants count like failed logins (429 with `Retry-After`). Unknown parameters
    are ignored (RFC 6749 §3.2).

    Args:
        x_request_id (str | Unset):
        body (OauthTokenDataBody):
        body (OauthTokenFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | OAuthError | OAuthToken]
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
    body: OauthTokenDataBody | OauthTokenFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | OAuthError | OAuthToken | None:
    """Get an access token (OAuth2 password or refresh-token grant)

     Form-encoded as RFC 6749 says: `grant_type=password` with `username` and `password`
    (and optionally `scope`), or `grant_type=refresh_token` with `refresh_token`. Failed
    password grants count like failed logins (429 with `Retry-After`). Unknown parameters
    are ignored (RFC 6749 §3.2).

    Args:
        x_request_id (str | Unset):
        body (OauthTokenDataBody):
        body (OauthTokenFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | OAuthError | OAuthToken
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_request_id=x_request_id,
        )
    ).parsed
