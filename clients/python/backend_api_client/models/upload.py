from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Upload")


@_attrs_define
class Upload:
    """An uploaded file's metadata and where to download it.

    Example:
        {'content_type': 'image/png', 'created_at': '2026-01-31T12:00:00+00:00', 'download_path':
            '/api/uploads/3f2a9c0e.png', 'filename': 'string', 'id': 1, 'sha256':
            '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'size': 1, 'url':
            '/api/uploads/3f2a9c0e.png?expires=1767225600&signature=9b1f...', 'url_expires_at': '2026-01-31T12:00:00+00:00',
            'user_id': 1}

    Attributes:
        content_type (str):  Example: image/png.
        created_at (datetime.datetime): ISO 8601, UTC
        download_path (str): Token-authenticated download (`downloadFile`); does not expire Example:
            /api/uploads/3f2a9c0e.png.
        filename (str): Sanitised original name
        id (int):  Example: 1.
        size (int): Bytes
        url (str): Short-lived signed download link: works with no `Authorization` header (e.g. `<img src>`) until
            `url_expires_at`; a relative link is served by this API, an absolute one by the object store. `getUpload` gives
            a fresh one. Example: /api/uploads/3f2a9c0e.png?expires=1767225600&signature=9b1f....
        url_expires_at (datetime.datetime): When `url` stops working (ISO 8601, UTC)
        user_id (int): Owner's user id Example: 1.
        sha256 (str | Unset): Hex SHA-256 of the content (absent for files stored before it was recorded) Example:
            9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.
    """

    content_type: str
    created_at: datetime.datetime
    download_path: str
    filename: str
    id: int
    size: int
    url: str
    url_expires_at: datetime.datetime
    user_id: int
    sha256: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        content_type = self.content_type

        created_at = self.created_at.isoformat()

        download_path = self.download_path

        filename = self.filename

        id = self.id

        size = self.size

        url = self.url

        url_expires_at = self.url_expires_at.isoformat()

        user_id = self.user_id

        sha256 = self.sha256

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "content_type": content_type,
                "created_at": created_at,
                "download_path": download_path,
                "filename": filename,
                "id": id,
                "size": size,
                "url": url,
                "url_expires_at": url_expires_at,
                "user_id": user_id,
            }
        )
        if sha256 is not UNSET:
            field_dict["sha256"] = sha256

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        content_type = d.pop("content_type")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        download_path = d.pop("download_path")

        filename = d.pop("filename")

        id = d.pop("id")

        size = d.pop("size")

        url = d.pop("url")

        url_expires_at = datetime.datetime.fromisoformat(d.pop("url_expires_at"))

        user_id = d.pop("user_id")

        sha256 = d.pop("sha256", UNSET)

        upload = cls(
            content_type=content_type,
            created_at=created_at,
            download_path=download_path,
            filename=filename,
            id=id,
            size=size,
            url=url,
            url_expires_at=url_expires_at,
            user_id=user_id,
            sha256=sha256,
        )

        upload.additional_properties = d
        return upload

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
