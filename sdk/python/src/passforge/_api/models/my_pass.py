from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MyPass")


@_attrs_define
class MyPass:
    """One of the user's passes.

    Attributes:
        id (str): The pass id.
        object_ (str): Always `pass`.
        serial_number (str): Its serial number.
        status (str): `active` or `voided`.
        template_id (str): Its template.
        updated_at (datetime.datetime): When the current version was made.
        version (int): Its version.
    """

    id: str
    object_: str
    serial_number: str
    status: str
    template_id: str
    updated_at: datetime.datetime
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        serial_number = self.serial_number

        status = self.status

        template_id = self.template_id

        updated_at = self.updated_at.isoformat()

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "serialNumber": serial_number,
                "status": status,
                "templateId": template_id,
                "updatedAt": updated_at,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        object_ = d.pop("object")

        serial_number = d.pop("serialNumber")

        status = d.pop("status")

        template_id = d.pop("templateId")

        updated_at = datetime.datetime.fromisoformat(d.pop("updatedAt"))

        version = d.pop("version")

        my_pass = cls(
            id=id,
            object_=object_,
            serial_number=serial_number,
            status=status,
            template_id=template_id,
            updated_at=updated_at,
            version=version,
        )

        my_pass.additional_properties = d
        return my_pass

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
