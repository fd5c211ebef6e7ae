from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_delivery_status import WebhookDeliveryStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="WebhookDelivery")


@_attrs_define
class WebhookDelivery:
    """Webhook delivery.

    Example:
        {'attempts': 1, 'created_at': '2026-01-31T12:00:00+00:00', 'event_id': 'msg_5b0e1c9f0d6a4f7c9a2e3b4d5f6a7b8c',
            'event_type': 'item.created', 'id': 1, 'last_attempt_at': '2026-01-31T12:00:00+00:00', 'last_error': 'string',
            'latency_ms': 1, 'next_attempt_at': '2026-01-31T12:00:00+00:00', 'response_status': 1, 'status': 'pending',
            'subscription_id': 1}

    Attributes:
        attempts (int): Attempts made so far
        created_at (datetime.datetime): ISO 8601, UTC
        event_id (str): The `webhook-id` header (same on every retry) Example: msg_5b0e1c9f0d6a4f7c9a2e3b4d5f6a7b8c.
        event_type (str):  Example: item.created.
        id (int):  Example: 1.
        next_attempt_at (datetime.datetime): When a pending delivery is tried next (ISO 8601, UTC)
        status (WebhookDeliveryStatus): Webhook delivery status.
        subscription_id (int):
        last_attempt_at (datetime.datetime | None | Unset): ISO 8601, UTC; null before the first
        last_error (None | str | Unset): Why the last attempt failed
        latency_ms (int | None | Unset): Duration of the last attempt
        response_status (int | None | Unset): HTTP status of the last attempt
    """

    attempts: int
    created_at: datetime.datetime
    event_id: str
    event_type: str
    id: int
    next_attempt_at: datetime.datetime
    status: WebhookDeliveryStatus
    subscription_id: int
    last_attempt_at: datetime.datetime | None | Unset = UNSET
    last_error: None | str | Unset = UNSET
    latency_ms: int | None | Unset = UNSET
    response_status: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        created_at = self.created_at.isoformat()

        event_id = self.event_id

        event_type = self.event_type

        id = self.id

        next_attempt_at = self.next_attempt_at.isoformat()

        status = self.status.value

        subscription_id = self.subscription_id

        last_attempt_at: None | str | Unset
        if isinstance(self.last_attempt_at, Unset):
            last_attempt_at = UNSET
        elif isinstance(self.last_attempt_at, datetime.datetime):
            last_attempt_at = self.last_attempt_at.isoformat()
        else:
            last_attempt_at = self.last_attempt_at

        last_error: None | str | Unset
        if isinstance(self.last_error, Unset):
            last_error = UNSET
        else:
            last_error = self.last_error

        latency_ms: int | None | Unset
        if isinstance(self.latency_ms, Unset):
            latency_ms = UNSET
        else:
            latency_ms = self.latency_ms

        response_status: int | None | Unset
        if isinstance(self.response_status, Unset):
            response_status = UNSET
        else:
            response_status = self.response_status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "created_at": created_at,
                "event_id": event_id,
                "event_type": event_type,
                "id": id,
                "next_attempt_at": next_attempt_at,
                "status": status,
                "subscription_id": subscription_id,
            }
        )
        if last_attempt_at is not UNSET:
            field_dict["last_attempt_at"] = last_attempt_at
        if last_error is not UNSET:
            field_dict["last_error"] = last_error
        if latency_ms is not UNSET:
            field_dict["latency_ms"] = latency_ms
        if response_status is not UNSET:
            field_dict["response_status"] = response_status

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        event_id = d.pop("event_id")

        event_type = d.pop("event_type")

        id = d.pop("id")

        next_attempt_at = datetime.datetime.fromisoformat(d.pop("next_attempt_at"))

        status = WebhookDeliveryStatus(d.pop("status"))

        subscription_id = d.pop("subscription_id")

        def _parse_last_attempt_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_attempt_at = _parse_last_attempt_at(d.pop("last_attempt_at", UNSET))

        def _parse_last_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_error = _parse_last_error(d.pop("last_error", UNSET))

        def _parse_latency_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        latency_ms = _parse_latency_ms(d.pop("latency_ms", UNSET))

        def _parse_response_status(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        response_status = _parse_response_status(d.pop("response_status", UNSET))

        webhook_delivery = cls(
            attempts=attempts,
            created_at=created_at,
            event_id=event_id,
            event_type=event_type,
            id=id,
            next_attempt_at=next_attempt_at,
            status=status,
            subscription_id=subscription_id,
            last_attempt_at=last_attempt_at,
            last_error=last_error,
            latency_ms=latency_ms,
            response_status=response_status,
        )

        webhook_delivery.additional_properties = d
        return webhook_delivery

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
