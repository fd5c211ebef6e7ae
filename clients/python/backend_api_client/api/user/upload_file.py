from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.upload import Upload
from ...models.upload_file_body import UploadFileBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: UploadFileBody,
    idempotency_key: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    if not isinstance(x_request_id, Unset):
        headers["X-Request-ID"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/upload",
    }

    _kwargs["files"] = body.to_multipart()

    headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorResponse | Upload:
    if response.status_code == 201:
        response_201 = Upload.from_dict(response.json())

        return response_201

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

    if response.status_code == 422:
        response_422 = ErrorResponse.from_dict(response.json())

        return response_422

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
) -> Response[ErrorResponse | Upload]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: UploadFileBody,
    idempotency_key: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | Upload]:
    """Upload a file

     Send `multipart/form-data` with the field `file`. Allowed types and the size limit are
    configurable (default: png, jpg, jpeg, gif, webp, pdf, txt, csv, json, zip; 16 MB).
    The content must match the extension (checked by its magic bytes; 415 otherwise).
    Each user has a quota of files and bytes (`UPLOAD_QUOTA_FILES`, `UPLOAD_QUOTA_MB`):
    an upload beyond it is 409 until some are deleted. The response's `url` is a
    short-lived signed link; a replay of an `Idempotency-Key` returns the original body.

    Args:
        idempotency_key (str | Unset):
        x_request_id (str | Unset):
        body (UploadFileBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | Upload]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: UploadFileBody,
    idempotency_key: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | Upload | None:
    """Upload a file

     Send `multipart/form-data` with the field `file`. Allowed types and the size limit are
    configurable (default: png, jpg, jpeg, gif, webp, pdf, txt, csv, json, zip; 16 MB).
    The content must match the extension (checked by its magic bytes; 415 otherwise).
    Each user has a quota of files and bytes (`UPLOAD_QUOTA_FILES`, `UPLOAD_QUOTA_MB`):
    an upload beyond it is 409 until some are deleted. The response's `url` is a
    short-lived signed link; a replay of an `Idempotency-Key` returns the original body.

    Args:
        idempotency_key (str | Unset):
        x_request_id (str | Unset):
        body (UploadFileBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | Upload
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: UploadFileBody,
    idempotency_key: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorResponse | Upload]:
    """Upload a file

     Send `multipart/form-data` with the field `file`. Allowed types and the size limit are
    configurable (default: png, jpg, jpeg, gif, webp, pdf, txt, csv, json, zip; 16 MB).
    The content must match the extension (checked by its magic bytes; 415 otherwise).
    Each user has a quota of files and bytes (`UPLOAD_QUOTA_FILES`, `UPLOAD_QUOTA_MB`):
    an upload beyond it is 409 until some are deleted. The response's `url` is a
    short-lived signed link; a replay of an `Idempotency-Key` returns the original body.

    Args:
        idempotency_key (str | Unset):
        x_request_id (str | Unset):
        body (UploadFileBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | Upload]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: UploadFileBody,
    idempotency_key: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorResponse | Upload | None:
    """Upload a file

     Send `multipart/form-data` with the field `file`. Allowed types and the size limit are
    configurable (default: png, jpg, jpeg, gif, webp, pdf, txt, csv, json, zip; 16 MB).
    The content must match the extension (checked by its magic bytes; 415 otherwise).
    Each user has a quota of files and bytes (`UPLOAD_QUOTA_FILES`, `UPLOAD_QUOTA_MB`):
    an upload beyond it is 409 until some are deleted. The response's `url` is a
    short-lived signed link; a replay of an `Idempotency-Key` returns the original body.

    Args:
        idempotency_key (str | Unset):
        x_request_id (str | Unset):
        body (UploadFileBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | Upload
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
            x_request_id=x_request_id,
        )
    ).parsed
