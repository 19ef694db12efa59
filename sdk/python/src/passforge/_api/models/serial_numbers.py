from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SerialNumbers")


@_attrs_define
class SerialNumbers:
    """Serial numbers that changed.

    Attributes:
        last_updated (str): The tag to send next time.
        serial_numbers (list[str]): The changed passes.
    """

    last_updated: str
    serial_numbers: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        last_updated = self.last_updated

        serial_numbers = self.serial_numbers

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "lastUpdated": last_updated,
                "serialNumbers": serial_numbers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        last_updated = d.pop("lastUpdated")

        serial_numbers = cast(list[str], d.pop("serialNumbers"))

        serial_numbers = cls(
            last_updated=last_updated,
            serial_numbers=serial_numbers,
        )

        serial_numbers.additional_properties = d
        return serial_numbers

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
