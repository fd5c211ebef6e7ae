from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.user_counts import UserCounts


T = TypeVar("T", bound="Stats")


@_attrs_define
class Stats:
    """Item and user counts.

    Example:
        {'active': 1, 'inactive': 1, 'total': 1, 'users': {'active': 1, 'admins': 1, 'total': 1}}

    Attributes:
        active (int):
        inactive (int):
        total (int): All items
        users (UserCounts): User counts. Example: {'active': 1, 'admins': 1, 'total': 1}.
    """

    active: int
    inactive: int
    total: int
    users: UserCounts
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        active = self.active

        inactive = self.inactive

        total = self.total

        users = self.users.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "active": active,
                "inactive": inactive,
                "total": total,
                "users": users,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.user_counts import UserCounts  # noqa: PLC0415

        d = dict(src_dict)
        active = d.pop("active")

        inactive = d.pop("inactive")

        total = d.pop("total")

        users = UserCounts.from_dict(d.pop("users"))

        stats = cls(
            active=active,
            inactive=inactive,
            total=total,
            users=users,
        )

        stats.additional_properties = d
        return stats

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
