from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="UserCreate")


@_attrs_define
class UserCreate:
    """A new user.

    Example:
        {'externalId': 'customer-1234'}

    Attributes:
        external_id (str): Your app's id for the person, 1 to 200 characters (unique).
    """

    external_id: str

    def to_dict(self) -> dict[str, Any]:
        external_id = self.external_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "externalId": external_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        external_id = d.pop("externalId")

        user_create = cls(
            external_id=external_id,
        )

        return user_create
