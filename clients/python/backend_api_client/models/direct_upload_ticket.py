from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.direct_upload_ticket_fields import DirectUploadTicketFields


T = TypeVar("T", bound="DirectUploadTicket")


@_attrs_define
class DirectUploadTicket:
    """Direct upload ticket.

    Example:
        {'expires_at': '2026-01-31T12:00:00+00:00', 'fields': {}, 'token': 'string', 'url': 'string'}

    Attributes:
        expires_at (datetime.datetime): The POST is refused after
        fields (DirectUploadTicketFields): Form fields to send first, as given, then the file as the field `file`
        token (str): Pass to `completeDirectUpload` once the POST succeeded
        url (str): POST the file here (the object store)
    """

    expires_at: datetime.datetime
    fields: DirectUploadTicketFields
    token: str
    url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        expires_at = self.expires_at.isoformat()

        fields = self.fields.to_dict()

        token = self.token

        url = self.url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expires_at": expires_at,
                "fields": fields,
                "token": token,
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.direct_upload_ticket_fields import DirectUploadTicketFields  # noqa: PLC0415

        d = dict(src_dict)
        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        fields = DirectUploadTicketFields.from_dict(d.pop("fields"))

        token = d.pop("token")

        url = d.pop("url")

        direct_upload_ticket = cls(
            expires_at=expires_at,
            fields=fields,
            token=token,
            url=url,
        )

        direct_upload_ticket.additional_properties = d
        return direct_upload_ticket

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
