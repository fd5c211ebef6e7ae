from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.scope import Scope
from ..types import UNSET, Unset

T = TypeVar("T", bound="PersonalAccessTokenCreate")


@_attrs_define
class PersonalAccessTokenCreate:
    """Personal access token create.

    Example:
        {'expires_at': '2026-01-31T12:00:00+00:00', 'expires_in_days': 1, 'name': 'CI deploy', 'scopes': ['items:read',
            'items:write']}

    Attributes:
        name (str):  Example: CI deploy.
        scopes (list[Scope]): What the token may do; never more than your role allows, nor more than the token making
            this request holds Example: ['items:read', 'items:write'].
        expires_at (datetime.datetime | Unset): Expiry, ISO 8601 (give this or `expires_in_days`); at most 365 days
            ahead
        expires_in_days (int | Unset): Lifetime in days (give this or `expires_at`)
    """

    name: str
    scopes: list[Scope]
    expires_at: datetime.datetime | Unset = UNSET
    expires_in_days: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        scopes = []
        for scopes_item_data in self.scopes:
            scopes_item = scopes_item_data.value
            scopes.append(scopes_item)

        expires_at: str | Unset = UNSET
        if not isinstance(self.expires_at, Unset):
            expires_at = self.expires_at.isoformat()

        expires_in_days = self.expires_in_days

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "scopes": scopes,
            }
        )
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if expires_in_days is not UNSET:
            field_dict["expires_in_days"] = expires_in_days

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        scopes = []
        _scopes = d.pop("scopes")
        for scopes_item_data in _scopes:
            scopes_item = Scope(scopes_item_data)

            scopes.append(scopes_item)

        _expires_at = d.pop("expires_at", UNSET)
        expires_at: datetime.datetime | Unset
        if isinstance(_expires_at, Unset):
            expires_at = UNSET
        else:
            expires_at = datetime.datetime.fromisoformat(_expires_at)

        expires_in_days = d.pop("expires_in_days", UNSET)

        personal_access_token_create = cls(
            name=name,
            scopes=scopes,
            expires_at=expires_at,
            expires_in_days=expires_in_days,
        )

        personal_access_token_create.additional_properties = d
        return personal_access_token_create

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
