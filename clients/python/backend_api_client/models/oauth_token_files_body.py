from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..models.grant_type import GrantType
from ..types import UNSET, Unset

T = TypeVar("T", bound="OauthTokenFilesBody")


@_attrs_define
class OauthTokenFilesBody:
    """
    Attributes:
        grant_type (GrantType): The grant
        password (str | Unset): `password` grant: the password
        refresh_token (str | Unset): `refresh_token` grant: the refresh token
        scope (str | Unset): Space-delimited scopes to narrow the token to (default: every scope of your role; a refresh
            may only narrow further): items:read, items:write, uploads:read, uploads:write, account, admin:read, admin:write
        username (str | Unset): `password` grant: username or email address
    """

    grant_type: GrantType
    password: str | Unset = UNSET
    refresh_token: str | Unset = UNSET
    scope: str | Unset = UNSET
    username: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        grant_type = self.grant_type.value

        password = self.password

        refresh_token = self.refresh_token

        scope = self.scope

        username = self.username

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "grant_type": grant_type,
            }
        )
        if password is not UNSET:
            field_dict["password"] = password
        if refresh_token is not UNSET:
            field_dict["refresh_token"] = refresh_token
        if scope is not UNSET:
            field_dict["scope"] = scope
        if username is not UNSET:
            field_dict["username"] = username

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("grant_type", (None, str(self.grant_type.value).encode(), "text/plain")))

        if not isinstance(self.password, Unset):
            files.append(("password", (None, str(self.password).encode(), "text/plain")))

        if not isinstance(self.refresh_token, Unset):
            files.append(("refresh_token", (None, str(self.refresh_token).encode(), "text/plain")))

        if not isinstance(self.scope, Unset):
            files.append(("scope", (None, str(self.scope).encode(), "text/plain")))

        if not isinstance(self.username, Unset):
            files.append(("username", (None, str(self.username).encode(), "text/plain")))

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        grant_type = GrantType(d.pop("grant_type"))

        password = d.pop("password", UNSET)

        refresh_token = d.pop("refresh_token", UNSET)

        scope = d.pop("scope", UNSET)

        username = d.pop("username", UNSET)

        oauth_token_files_body = cls(
            grant_type=grant_type,
            password=password,
            refresh_token=refresh_token,
            scope=scope,
            username=username,
        )

        oauth_token_files_body.additional_properties = d
        return oauth_token_files_body

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
