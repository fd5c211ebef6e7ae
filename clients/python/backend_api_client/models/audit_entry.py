from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.audit_action import AuditAction
from ..models.audit_target_type import AuditTargetType

if TYPE_CHECKING:
    from ..models.audit_details import AuditDetails


T = TypeVar("T", bound="AuditEntry")


@_attrs_define
class AuditEntry:
    """One administrative action, who did it and to what.

    Example:
        {'action': 'item.toggle', 'actor_id': 1, 'created_at': '2026-01-31T12:00:00+00:00', 'details': {}, 'id': 1,
            'request_id': 'string', 'target_id': 'string', 'target_type': 'item'}

    Attributes:
        action (AuditAction): Audit action.
        actor_id (int | None): Who acted (null if since deleted)
        created_at (datetime.datetime): ISO 8601, UTC
        details (AuditDetails): What the action changed (free-form, depends on the action). Example: {}.
        id (int):
        request_id (None | str): `X-Request-ID` of the request that did it, if any
        target_id (str): Id(s) of the target
        target_type (AuditTargetType): Audit target type.
    """

    action: AuditAction
    actor_id: int | None
    created_at: datetime.datetime
    details: AuditDetails
    id: int
    request_id: None | str
    target_id: str
    target_type: AuditTargetType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action.value

        actor_id: int | None
        actor_id = self.actor_id

        created_at = self.created_at.isoformat()

        details = self.details.to_dict()

        id = self.id

        request_id: None | str
        request_id = self.request_id

        target_id = self.target_id

        target_type = self.target_type.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "actor_id": actor_id,
                "created_at": created_at,
                "details": details,
                "id": id,
                "request_id": request_id,
                "target_id": target_id,
                "target_type": target_type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_details import AuditDetails  # noqa: PLC0415

        d = dict(src_dict)
        action = AuditAction(d.pop("action"))

        def _parse_actor_id(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        actor_id = _parse_actor_id(d.pop("actor_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        details = AuditDetails.from_dict(d.pop("details"))

        id = d.pop("id")

        def _parse_request_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        request_id = _parse_request_id(d.pop("request_id"))

        target_id = d.pop("target_id")

        target_type = AuditTargetType(d.pop("target_type"))

        audit_entry = cls(
            action=action,
            actor_id=actor_id,
            created_at=created_at,
            details=details,
            id=id,
            request_id=request_id,
            target_id=target_id,
            target_type=target_type,
        )

        audit_entry.additional_properties = d
        return audit_entry

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
