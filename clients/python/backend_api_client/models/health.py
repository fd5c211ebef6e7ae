from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.dependency_status import DependencyStatus
from ..models.health_mail import HealthMail
from ..models.health_status import HealthStatus
from ..models.health_storage import HealthStorage
from ..types import UNSET, Unset

T = TypeVar("T", bound="Health")


@_attrs_define
class Health:
    """Whether the service and its dependencies answer.

    Example:
        {'database': 'ok', 'mail': 'ok', 'redis': 'ok', 'service': 'backend', 'status': 'healthy', 'storage': 'ok'}

    Attributes:
        database (DependencyStatus): Dependency status.
        service (str):  Example: backend.
        status (HealthStatus): `unhealthy` (503) when the database cannot be reached; `degraded` (200) when only Redis,
            the object store or the SMTP server cannot: the API keeps serving (limits count per instance; file operations
            answer 503; mail waits)
        mail (HealthMail | Unset): Present only when mail goes over SMTP (`SMTP_URL`); checked at most every 30 s. While
            it is unreachable, reset mail waits in the outbox
        redis (DependencyStatus | Unset): Dependency status.
        storage (HealthStorage | Unset): Present only with the object-store backend (`STORAGE_BACKEND=s3`)
    """

    database: DependencyStatus
    service: str
    status: HealthStatus
    mail: HealthMail | Unset = UNSET
    redis: DependencyStatus | Unset = UNSET
    storage: HealthStorage | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        database = self.database.value

        service = self.service

        status = self.status.value

        mail: str | Unset = UNSET
        if not isinstance(self.mail, Unset):
            mail = self.mail.value

        redis: str | Unset = UNSET
        if not isinstance(self.redis, Unset):
            redis = self.redis.value

        storage: str | Unset = UNSET
        if not isinstance(self.storage, Unset):
            storage = self.storage.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "database": database,
                "service": service,
                "status": status,
            }
        )
        if mail is not UNSET:
            field_dict["mail"] = mail
        if redis is not UNSET:
            field_dict["redis"] = redis
        if storage is not UNSET:
            field_dict["storage"] = storage

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        database = DependencyStatus(d.pop("database"))

        service = d.pop("service")

        status = HealthStatus(d.pop("status"))

        _mail = d.pop("mail", UNSET)
        mail: HealthMail | Unset
        if isinstance(_mail, Unset):
            mail = UNSET
        else:
            mail = HealthMail(_mail)

        _redis = d.pop("redis", UNSET)
        redis: DependencyStatus | Unset
        if isinstance(_redis, Unset):
            redis = UNSET
        else:
            redis = DependencyStatus(_redis)

        _storage = d.pop("storage", UNSET)
        storage: HealthStorage | Unset
        if isinstance(_storage, Unset):
            storage = UNSET
        else:
            storage = HealthStorage(_storage)

        health = cls(
            database=database,
            service=service,
            status=status,
            mail=mail,
            redis=redis,
            storage=storage,
        )

        health.additional_properties = d
        return health

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
