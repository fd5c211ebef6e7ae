from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_event_type import WebhookEventType
from ..types import UNSET, Unset

T = TypeVar("T", bound="WebhookCreate")


@_attrs_define
class WebhookCreate:
    """Webhook create.

    Example:
        {'description': 'Sync to our CRM', 'events': ['item.created', 'item.updated'], 'url':
            'https://partner.example.com/hooks/backend'}

    Attributes:
        events (list[WebhookEventType]): Event types to receive: `item.created`, `item.updated`, `item.deleted`,
            `item.restored`, `upload.created`, `upload.deleted`, `user.deactivated` (administrators only) Example:
            ['item.created', 'item.updated'].
        url (str): Where events are POSTed: http(s), resolving to a public address. A name that does not resolve, or one
            reserved for documentation (example.com, .test, .invalid, ...), like the example's, is a 400: use your
            receiver's own URL Example: https://partner.example.com/hooks/backend.
        description (str | Unset):  Example: Sync to our CRM.
    """

    events: list[WebhookEventType]
    url: str
    description: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        events = []
        for events_item_data in self.events:
            events_item = events_item_data.value
            events.append(events_item)

        url = self.url

        description = self.description

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "events": events,
                "url": url,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        events = []
        _events = d.pop("events")
        for events_item_data in _events:
            events_item = WebhookEventType(events_item_data)

            events.append(events_item)

        url = d.pop("url")

        description = d.pop("description", UNSET)

        webhook_create = cls(
            events=events,
            url=url,
            description=description,
        )

        webhook_create.additional_properties = d
        return webhook_create

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
