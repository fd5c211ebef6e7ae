from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.token_type import TokenType

T = TypeVar("T", bound="OAuthToken")


@_attrs_define
class OAuthToken:
    """O auth token.

    Example:
        {'access_token': 'string', 'expires_in': 1, 'refresh_expires_in': 1, 'refresh_token': 'string', 'scope':
            'items:read', 'token_type': 'Bearer'}

    Attributes:
        access_token (str): JWT access token
        expires_in (int): Seconds until expiry
        refresh_expires_in (int): Seconds until the refresh token expires
        refresh_token (str): Single-use; exchange it with `grant_type=refresh_token`
        scope (str): Granted scopes, space-delimited Example: items:read.
        token_type (TokenType): Token type.
    """

    access_token: str
    expires_in: int
    refresh_expires_in: int
    refresh_token: str
    scope: str
    token_type: TokenType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        expires_in = self.expires_in

        refresh_expires_in = self.refresh_expires_in

        refresh_token = self.refresh_token

        scope = self.scope

        token_type = self.token_type.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "access_token": access_token,
                "expires_in": expires_in,
                "refresh_expires_in": refresh_expires_in,
                "refresh_token": refresh_token,
                "scope": scope,
                "token_type": token_type,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        access_token = d.pop("access_token")

        expires_in = d.pop("expires_in")

        refresh_expires_in = d.pop("refresh_expires_in")

        refresh_token = d.pop("refresh_token")

        scope = d.pop("scope")

        token_type = TokenType(d.pop("token_type"))

        o_auth_token = cls(
            access_token=access_token,
            expires_in=expires_in,
            refresh_expires_in=refresh_expires_in,
            refresh_token=refresh_token,
            scope=scope,
            token_type=token_type,
        )

        o_auth_token.additional_properties = d
        return o_auth_token

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
