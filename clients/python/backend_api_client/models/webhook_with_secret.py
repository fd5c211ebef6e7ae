from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_event_type import WebhookEventType
from ..types import UNSET, Unset

T = TypeVar("T", bound="WebhookWithSecret")


@_attrs_define
class WebhookWithSecret:
    """Webhook with secret.

    Example:
        {'created_at': '2026-01-31T12:00:00+00:00', 'description': 'Sync to our CRM', 'disabled_reason': 'string',
            'enabled': True, 'events': ['item.created'], 'failure_count': 1, 'id': 1, 'secret':
            'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'updated_at': '2026-01-31T12:00:00+00:00', 'url':
            'https://partner.example.com/hooks/backend', 'user_id': 1}

    Attributes:
        created_at (datetime.datetime): ISO 8601, UTC
        description (str):  Example: Sync to our CRM.
        enabled (bool): False: nothing is delivered
        events (list[WebhookEventType]):
        failure_count (int): Consecutive failed attempts; the subscription is disabled when it reaches the configured
            limit
        id (int):  Example: 1.
        secret (str): Signing secret (Standard Webhooks `whsec_...`): shown only now; store it to verify `webhook-
            signature` Example: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw.
        updated_at (datetime.datetime): ISO 8601, UTC
        url (str):  Example: https://partner.example.com/hooks/backend.
        user_id (int): Owner's user id Example: 1.
        disabled_reason (None | str | Unset): Why it was disabled; null while enabled
    """

    created_at: datetime.datetime
    description: str
    enabled: bool
    events: list[WebhookEventType]
    failure_count: int
    id: int
    secret: str
    updated_at: datetime.datetime
    url: str
    user_id: int
    disabled_reason: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        description = self.description

        enabled = self.enabled

        events = []
        for events_item_data in self.events:
            events_item = events_item_data.value
            events.append(events_item)

        failure_count = self.failure_count

        id = self.id

        secret = self.secret

        updated_at = self.updated_at.isoformat()

        url = self.url

        user_id = self.user_id

        disabled_reason: None | str | Unset
        if isinstance(self.disabled_reason, Unset):
            disabled_reason = UNSET
        else:
            disabled_reason = self.disabled_reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "description": description,
                "enabled": enabled,
                "events": events,
                "failure_count": failure_count,
                "id": id,
                "secret": secret,
                "updated_at": updated_at,
                "url": url,
                "user_id": user_id,
            }
        )
        if disabled_reason is not UNSET:
            field_dict["disabled_reason"] = disabled_reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        description = d.pop("description")

        enabled = d.pop("enabled")

        events = []
        _events = d.pop("events")
        for events_item_data in _events:
            events_item = WebhookEventType(events_item_data)

            events.append(events_item)

        failure_count = d.pop("failure_count")

        id = d.pop("id")

        secret = d.pop("secret")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        url = d.pop("url")

        user_id = d.pop("user_id")

        def _parse_disabled_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        disabled_reason = _parse_disabled_reason(d.pop("disabled_reason", UNSET))

        webhook_with_secret = cls(
            created_at=created_at,
            description=description,
            enabled=enabled,
            events=events,
            failure_count=failure_count,
            id=id,
            secret=secret,
            updated_at=updated_at,
            url=url,
            user_id=user_id,
            disabled_reason=disabled_reason,
        )

        webhook_with_secret.additional_properties = d
        return webhook_with_secret

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
