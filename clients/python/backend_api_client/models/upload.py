from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Upload")


@_attrs_define
class Upload:
    """An uploaded file's metadata and where to download it.

    Example:
        {'content_type': 'image/png', 'filename': 'string', 'id': 1, 'size': 1, 'url': '/api/uploads/3f2a9c0e.png'}

    Attributes:
        content_type (str):  Example: image/png.
        filename (str): Sanitised original name
        id (int):  Example: 1.
        size (int): Bytes
        url (str):  Example: /api/uploads/3f2a9c0e.png.
    """

    content_type: str
    filename: str
    id: int
    size: int
    url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        content_type = self.content_type

        filename = self.filename

        id = self.id

        size = self.size

        url = self.url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "content_type": content_type,
                "filename": filename,
                "id": id,
                "size": size,
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        content_type = d.pop("content_type")

        filename = d.pop("filename")

        id = d.pop("id")

        size = d.pop("size")

        url = d.pop("url")

        upload = cls(
            content_type=content_type,
            filename=filename,
            id=id,
            size=size,
            url=url,
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
