from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="User")


@_attrs_define
class User:
    """A user account as the API shows it (never the password hash).

    Example:
        {'created_at': '2026-01-31T12:00:00+00:00', 'email': 'alice@example.com', 'id': 1, 'is_active': True,
            'is_admin': False, 'last_login': '2026-01-31T12:00:00+00:00', 'username': 'alice'}

    Attributes:
        created_at (datetime.datetime): ISO 8601, UTC
        email (str):  Example: alice@example.com.
        id (int):  Example: 1.
        is_active (bool):  Example: True.
        is_admin (bool):  Example: False.
        username (str):  Example: alice.
        last_login (datetime.datetime | None | Unset): ISO 8601, UTC; null before the first login
    """

    created_at: datetime.datetime
    email: str
    id: int
    is_active: bool
    is_admin: bool
    username: str
    last_login: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        email = self.email

        id = self.id

        is_active = self.is_active

        is_admin = self.is_admin

        username = self.username

        last_login: None | str | Unset
        if isinstance(self.last_login, Unset):
            last_login = UNSET
        elif isinstance(self.last_login, datetime.datetime):
            last_login = self.last_login.isoformat()
        else:
            last_login = self.last_login

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "email": email,
                "id": id,
                "is_active": is_active,
                "is_admin": is_admin,
                "username": username,
            }
        )
        if last_login is not UNSET:
            field_dict["last_login"] = last_login

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        email = d.pop("email")

        id = d.pop("id")

        is_active = d.pop("is_active")

        is_admin = d.pop("is_admin")

        username = d.pop("username")

        def _parse_last_login(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_login_type_0 = datetime.datetime.fromisoformat(data)

                return last_login_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_login = _parse_last_login(d.pop("last_login", UNSET))

        user = cls(
            created_at=created_at,
            email=email,
            id=id,
            is_active=is_active,
            is_admin=is_admin,
            username=username,
            last_login=last_login,
        )

        user.additional_properties = d
        return user

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
