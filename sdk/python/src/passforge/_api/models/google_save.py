from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="GoogleSave")


@_attrs_define
class GoogleSave:
    """A Google Wallet save link.

    Attributes:
        class_id (str): Its class.
        object_id (str): The Google Wallet object.
        save_url (str): `https://pay.google.com/gp/v/save/<JWT>`
    """

    class_id: str
    object_id: str
    save_url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        class_id = self.class_id

        object_id = self.object_id

        save_url = self.save_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "classId": class_id,
                "objectId": object_id,
                "saveUrl": save_url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        class_id = d.pop("classId")

        object_id = d.pop("objectId")

        save_url = d.pop("saveUrl")

        google_save = cls(
            class_id=class_id,
            object_id=object_id,
            save_url=save_url,
        )

        google_save.additional_properties = d
        return google_save

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
