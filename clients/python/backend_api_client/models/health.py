from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.dependency_status import DependencyStatus
from ..models.health_status import HealthStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="Health")


@_attrs_define
class Health:
    """Whether the service and its dependencies answer.

    Example:
        {'database': 'ok', 'redis': 'ok', 'service': 'backend', 'status': 'healthy'}

    Attributes:
        database (DependencyStatus): Dependency status.
        service (str):  Example: backend.
        status (HealthStatus): `unhealthy` (503) when the database cannot be reached; `degraded` (200) when only Redis
            cannot: the API keeps serving and counts limits per instance
        redis (DependencyStatus | Unset): Dependency status.
    """

    database: DependencyStatus
    service: str
    status: HealthStatus
    redis: DependencyStatus | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        database = self.database.value

        service = self.service

        status = self.status.value

        redis: str | Unset = UNSET
        if not isinstance(self.redis, Unset):
            redis = self.redis.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "database": database,
                "service": service,
                "status": status,
            }
        )
        if redis is not UNSET:
            field_dict["redis"] = redis

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        database = DependencyStatus(d.pop("database"))

        service = d.pop("service")

        status = HealthStatus(d.pop("status"))

        _redis = d.pop("redis", UNSET)
        redis: DependencyStatus | Unset
        if isinstance(_redis, Unset):
            redis = UNSET
        else:
            redis = DependencyStatus(_redis)

        health = cls(
            database=database,
            service=service,
            status=status,
            redis=redis,
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
