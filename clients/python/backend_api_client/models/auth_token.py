from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.token_type import TokenType

if TYPE_CHECKING:
    from ..models.user import User


T = TypeVar("T", bound="AuthToken")


@_attrs_define
class AuthToken:
    """An access token, a refresh token and the user they belong to.

    Example:
        {'expires_in': 1, 'refresh_expires_in': 1, 'refresh_token': 'string', 'token': 'string', 'token_type': 'Bearer',
            'user': {'created_at': '2026-01-31T12:00:00+00:00', 'email': 'alice@example.com', 'id': 1, 'is_active': True,
            'is_admin': False, 'last_login': '2026-01-31T12:00:00+00:00', 'username': 'alice'}}

    Attributes:
        expires_in (int): Seconds until expiry
        refresh_expires_in (int): Seconds until the refresh token expires
        refresh_token (str): Single-use token for `POST /api/auth/refresh`
        token (str): JWT access token
        token_type (TokenType): Token type.
        user (User): A user account as the API shows it (never the password hash). Example: {'created_at':
            '2026-01-31T12:00:00+00:00', 'email': 'alice@example.com', 'id': 1, 'is_active': True, 'is_admin': False,
            'last_login': '2026-01-31T12:00:00+00:00', 'username': 'alice'}.
    """

    expires_in: int
    refresh_expires_in: int
    refresh_token: str
    token: str
    token_type: TokenType
    user: User
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        expires_in = self.expires_in

        refresh_expires_in = self.refresh_expires_in

        refresh_token = self.refresh_token

        token = self.token

        token_type = self.token_type.value

        user = self.user.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expires_in": expires_in,
                "refresh_expires_in": refresh_expires_in,
                "refresh_token": refresh_token,
                "token": token,
                "token_type": token_type,
                "user": user,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.user import User  # noqa: PLC0415

        d = dict(src_dict)
        expires_in = d.pop("expires_in")

        refresh_expires_in = d.pop("refresh_expires_in")

        refresh_token = d.pop("refresh_token")

        token = d.pop("token")

        token_type = TokenType(d.pop("token_type"))

        user = User.from_dict(d.pop("user"))

        auth_token = cls(
            expires_in=expires_in,
            refresh_expires_in=refresh_expires_in,
            refresh_token=refresh_token,
            token=token,
            token_type=token_type,
            user=user,
        )

        auth_token.additional_properties = d
        return auth_token

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
