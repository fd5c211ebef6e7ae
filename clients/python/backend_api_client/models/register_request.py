from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RegisterRequest")


@_attrs_define
class RegisterRequest:
    """A new account.

    Example:
        {'email': 'alice@example.com', 'password': 'correct horse battery', 'username': 'alice'}

    Attributes:
        email (str):  Example: alice@example.com.
        password (str): At least 8 characters and at most 72 bytes in UTF-8 (bcrypt's limit: a non-ASCII character takes
            2-4 bytes). Common, breached and easily guessed passwords, and ones built from the username or email, are
            refused (NIST SP 800-63B); `errors.password` says why. Example: correct horse battery.
        username (str): 3-80 characters of letters, digits, `_`, `.` and `-` Example: alice.
    """

    email: str
    password: str
    username: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        email = self.email

        password = self.password

        username = self.username

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "email": email,
                "password": password,
                "username": username,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        email = d.pop("email")

        password = d.pop("password")

        username = d.pop("username")

        register_request = cls(
            email=email,
            password=password,
            username=username,
        )

        register_request.additional_properties = d
        return register_request

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
