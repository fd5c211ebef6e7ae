from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.scope import Scope
from ..types import UNSET, Unset

T = TypeVar("T", bound="PersonalAccessToken")


@_attrs_define
class PersonalAccessToken:
    """Personal access token.

    Example:
        {'created_at': '2026-01-31T12:00:00+00:00', 'expires_at': '2026-01-31T12:00:00+00:00', 'id': 7, 'last_used_at':
            '2026-01-31T12:00:00+00:00', 'name': 'CI deploy', 'prefix': 'bapi_pat_Xy3kQ9aB', 'scopes': ['items:read'],
            'user_id': 1}

    Attributes:
        created_at (datetime.datetime): ISO 8601, UTC
        expires_at (datetime.datetime): ISO 8601, UTC
        id (int):  Example: 7.
        name (str):  Example: CI deploy.
        prefix (str): The token's first characters, to tell tokens apart Example: bapi_pat_Xy3kQ9aB.
        scopes (list[Scope]):  Example: ['items:read'].
        user_id (int): The owner Example: 1.
        last_used_at (datetime.datetime | None | Unset): ISO 8601, UTC; updated at most once a minute; null if never
            used
    """

    created_at: datetime.datetime
    expires_at: datetime.datetime
    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    user_id: int
    last_used_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        id = self.id

        name = self.name

        prefix = self.prefix

        scopes = []
        for scopes_item_data in self.scopes:
            scopes_item = scopes_item_data.value
            scopes.append(scopes_item)

        user_id = self.user_id

        last_used_at: None | str | Unset
        if isinstance(self.last_used_at, Unset):
            last_used_at = UNSET
        elif isinstance(self.last_used_at, datetime.datetime):
            last_used_at = self.last_used_at.isoformat()
        else:
            last_used_at = self.last_used_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "expires_at": expires_at,
                "id": id,
                "name": name,
                "prefix": prefix,
                "scopes": scopes,
                "user_id": user_id,
            }
        )
        if last_used_at is not UNSET:
            field_dict["last_used_at"] = last_used_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = d.pop("id")

        name = d.pop("name")

        prefix = d.pop("prefix")

        scopes = []
        _scopes = d.pop("scopes")
        for scopes_item_data in _scopes:
            scopes_item = Scope(scopes_item_data)

            scopes.append(scopes_item)

        user_id = d.pop("user_id")

        def _parse_last_used_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_used_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_used_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_used_at = _parse_last_used_at(d.pop("last_used_at", UNSET))

        personal_access_token = cls(
            created_at=created_at,
            expires_at=expires_at,
            id=id,
            name=name,
            prefix=prefix,
            scopes=scopes,
            user_id=user_id,
            last_used_at=last_used_at,
        )

        personal_access_token.additional_properties = d
        return personal_access_token

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
