from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    filename: str,
    *,
    expires: str | Unset = UNSET,
    signature: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    params: dict[str, Any] = {}

    params["expires"] = expires

    params["signature"] = signature

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/uploads/{filename}".format(
            filename=quote(str(filename), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorResponse | File:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

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
) -> Response[ErrorResponse | File]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    filename: str,
    *,
    client: AuthenticatedClient,
    expires: str | Unset = UNSET,
    signature: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | File]:
    """Download an uploaded file

     Either with a token (owner or admin) or with a signed link (`expires` and `signature`,
    as in an upload's `url`) and no token. Served with `X-Content-Type-Options: nosniff`.

    Args:
        filename (str):
        expires (str | Unset):
        signature (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | File]
    """

    kwargs = _get_kwargs(
        filename=filename,
        expires=expires,
        signature=signature,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    filename: str,
    *,
    client: AuthenticatedClient,
    expires: str | Unset = UNSET,
    signature: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | File | None:
    """Download an uploaded file

     Either with a token (owner or admin) or with a signed link (`expires` and `signature`,
    as in an upload's `url`) and no token. Served with `X-Content-Type-Options: nosniff`.

    Args:
        filename (str):
        expires (str | Unset):
        signature (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | File
    """

    return sync_detailed(
        filename=filename,
        client=client,
        expires=expires,
        signature=signature,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    filename: str,
    *,
    client: AuthenticatedClient,
    expires: str | Unset = UNSET,
    signature: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | File]:
    """Download an uploaded file

     Either with a token (owner or admin) or with a signed link (`expires` and `signature`,
    as in an upload's `url`) and no token. Served with `X-Content-Type-Options: nosniff`.

    Args:
        filename (str):
        expires (str | Unset):
        signature (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | File]
    """

    kwargs = _get_kwargs(
        filename=filename,
        expires=expires,
        signature=signature,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    filename: str,
    *,
    client: AuthenticatedClient,
    expires: str | Unset = UNSET,
    signature: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | File | None:
    """Download an uploaded file

     Either with a token (owner or admin) or with a signed link (`expires` and `signature`,
    as in an upload's `url`) and no token. Served with `X-Content-Type-Options: nosniff`.

    Args:
        filename (str):
        expires (str | Unset):
        signature (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | File
    """

    return (
        await asyncio_detailed(
            filename=filename,
            client=client,
            expires=expires,
            signature=signature,
            x_request_id=x_request_id,
        )
    ).parsed
