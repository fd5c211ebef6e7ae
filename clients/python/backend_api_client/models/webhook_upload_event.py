from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_upload_event_type import WebhookUploadEventType

if TYPE_CHECKING:
    from ..models.upload import Upload


T = TypeVar("T", bound="WebhookUploadEvent")


@_attrs_define
class WebhookUploadEvent:
    """The body of a webhook delivery

    Example:
        {'data': {'content_type': 'image/png', 'created_at': '2026-01-31T12:00:00+00:00', 'download_path':
            '/api/uploads/3f2a9c0e.png', 'filename': 'string', 'id': 1, 'sha256':
            '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'size': 1, 'url':
            '/api/uploads/3f2a9c0e.png?expires=1767225600&signature=9b1f...', 'url_expires_at': '2026-01-31T12:00:00+00:00',
            'user_id': 1}, 'id': 'msg_5b0e1c9f0d6a4f7c9a2e3b4d5f6a7b8c', 'timestamp': '2026-01-31T12:00:00+00:00', 'type':
            'upload.created'}

    Attributes:
        data (Upload): An uploaded file's metadata and where to download it. Example: {'content_type': 'image/png',
            'created_at': '2026-01-31T12:00:00+00:00', 'download_path': '/api/uploads/3f2a9c0e.png', 'filename': 'string',
            'id': 1, 'sha256': '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'size': 1, 'url':
            '/api/uploads/3f2a9c0e.png?expires=1767225600&signature=9b1f...', 'url_expires_at': '2026-01-31T12:00:00+00:00',
            'user_id': 1}.
        id (str): Event id, equal to the `webhook-id` header Example: msg_5b0e1c9f0d6a4f7c9a2e3b4d5f6a7b8c.
        timestamp (datetime.datetime): When the change happened (ISO 8601, UTC)
        type_ (WebhookUploadEventType): Webhook upload event type.
    """

    data: Upload
    id: str
    timestamp: datetime.datetime
    type_: WebhookUploadEventType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data.to_dict()

        id = self.id

        timestamp = self.timestamp.isoformat()

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "id": id,
                "timestamp": timestamp,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.upload import Upload  # noqa: PLC0415

        d = dict(src_dict)
        data = Upload.from_dict(d.pop("data"))

        id = d.pop("id")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        type_ = WebhookUploadEventType(d.pop("type"))

        webhook_upload_event = cls(
            data=data,
            id=id,
            timestamp=timestamp,
            type_=type_,
        )

        webhook_upload_event.additional_properties = d
        return webhook_upload_event

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
