from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Item")


@_attrs_define
class Item:
    """An item owned by a user; soft-deleted items have `is_active: false`.

    Example:
        {'created_at': '2026-01-31T12:00:00+00:00', 'description': 'A5, dotted', 'id': 1, 'is_active': True, 'name':
            'Notebook', 'updated_at': '2026-01-31T12:00:00+00:00', 'user_id': 1}

    Attributes:
        created_at (datetime.datetime): ISO 8601, UTC
        description (str):  Example: A5, dotted.
        id (int):  Example: 1.
        is_active (bool): False once soft-deleted
        name (str):  Example: Notebook.
        updated_at (datetime.datetime): ISO 8601, UTC
        user_id (int | None): Owner's user id; null once the owner's account is deleted Example: 1.
    """

    created_at: datetime.datetime
    description: str
    id: int
    is_active: bool
    name: str
    updated_at: datetime.datetime
    user_id: int | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        description = self.description

        id = self.id

        is_active = self.is_active

        name = self.name

        updated_at = self.updated_at.isoformat()

        user_id: int | None
        user_id = self.user_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "description": description,
                "id": id,
                "is_active": is_active,
                "name": name,
                "updated_at": updated_at,
                "user_id": user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        description = d.pop("description")

        id = d.pop("id")

        is_active = d.pop("is_active")

        name = d.pop("name")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_user_id(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        user_id = _parse_user_id(d.pop("user_id"))

        item = cls(
            created_at=created_at,
            description=description,
            id=id,
            is_active=is_active,
            name=name,
            updated_at=updated_at,
            user_id=user_id,
        )

        item.additional_properties = d
        return item

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
