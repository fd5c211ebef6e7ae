from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.direct_upload_request import DirectUploadRequest
from ...models.direct_upload_ticket import DirectUploadTicket
from ...models.error_response import ErrorResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: DirectUploadRequest,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/upload/direct",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DirectUploadTicket | ErrorResponse:
    if response.status_code == 200:
        response_200 = DirectUploadTicket.from_dict(response.json())

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
) -> Response[DirectUploadTicket | ErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: DirectUploadRequest,
    x_request_id: str | Unset = UNSET,
) -> Response[DirectUploadTicket | ErrorResponse]:
    """Start a direct upload to the object store (large files)

     Returns a presigned POST: send `fields` and then the file (field `file`) as
    `multipart/form-data` to `url`, then call `completeDirectUpload` with `token`. The
    store refuses a file over the size limit or of another `Content-Type`. Needs the S3
    backend (409 otherwise); the type, size and quota rules of `uploadFile` apply.

    Args:
        x_request_id (str | Unset):
        body (DirectUploadRequest): Direct upload request. Example: {'filename': 'video-
            frames.zip', 'size': 52428800}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DirectUploadTicket | ErrorResponse]
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
    client: AuthenticatedClient,
    body: DirectUploadRequest,
    x_request_id: str | Unset = UNSET,
) -> DirectUploadTicket | ErrorResponse | None:
    """Start a direct upload to the object store (large files)

     Returns a presigned POST: send `fields` and then the file (field `file`) as
    `multipart/form-data` to `url`, then call `completeDirectUpload` with `token`. The
    store refuses a file over the size limit or of another `Content-Type`. Needs the S3
    backend (409 otherwise); the type, size and quota rules of `uploadFile` apply.

    Args:
        x_request_id (str | Unset):
        body (DirectUploadRequest): Direct upload request. Example: {'filename': 'video-
            frames.zip', 'size': 52428800}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DirectUploadTicket | ErrorResponse
    """

    return sync_detailed(
        client=client,
        body=body,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: DirectUploadRequest,
    x_request_id: str | Unset = UNSET,
) -> Response[DirectUploadTicket | ErrorResponse]:
    """Start a direct upload to the object store (large files)

     Returns a presigned POST: send `fields` and then the file (field `file`) as
    `multipart/form-data` to `url`, then call `completeDirectUpload` with `token`. The
    store refuses a file over the size limit or of another `Content-Type`. Needs the S3
    backend (409 otherwise); the type, size and quota rules of `uploadFile` apply.

    Args:
        x_request_id (str | Unset):
        body (DirectUploadRequest): Direct upload request. Example: {'filename': 'video-
            frames.zip', 'size': 52428800}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DirectUploadTicket | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: DirectUploadRequest,
    x_request_id: str | Unset = UNSET,
) -> DirectUploadTicket | ErrorResponse | None:
    """Start a direct upload to the object store (large files)

     Returns a presigned POST: send `fields` and then the file (field `file`) as
    `multipart/form-data` to `url`, then call `completeDirectUpload` with `token`. The
    store refuses a file over the size limit or of another `Content-Type`. Needs the S3
    backend (409 otherwise); the type, size and quota rules of `uploadFile` apply.

    Args:
        x_request_id (str | Unset):
        body (DirectUploadRequest): Direct upload request. Example: {'filename': 'video-
            frames.zip', 'size': 52428800}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DirectUploadTicket | ErrorResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_request_id=x_request_id,
        )
    ).parsed
