from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.door_entry_holder import DoorEntryHolder


T = TypeVar("T", bound="DoorEntry")


@_attrs_define
class DoorEntry:
    """One pass on a template's door list.

    Attributes:
        holder (DoorEntryHolder): The fields the template shows at the door.
        message (str): What its barcode carries (its serial number for a pass written
            before messages were stored).
        pass_id (str): The pass id.
        serial_number (str): Its serial number.
        status (str): `active` or `voided`.
        used (int): Successful redemptions in the rule's window (today, or in all).
        remaining (int | None | Unset): Uses left in the window (none: the template has no rule).
    """

    holder: DoorEntryHolder
    message: str
    pass_id: str
    serial_number: str
    status: str
    used: int
    remaining: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        holder = self.holder.to_dict()

        message = self.message

        pass_id = self.pass_id

        serial_number = self.serial_number

        status = self.status

        used = self.used

        remaining: int | None | Unset
        if isinstance(self.remaining, Unset):
            remaining = UNSET
        else:
            remaining = self.remaining

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "holder": holder,
                "message": message,
                "passId": pass_id,
                "serialNumber": serial_number,
                "status": status,
                "used": used,
            }
        )
        if remaining is not UNSET:
            field_dict["remaining"] = remaining

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.door_entry_holder import DoorEntryHolder

        d = dict(src_dict)
        holder = DoorEntryHolder.from_dict(d.pop("holder"))

        message = d.pop("message")

        pass_id = d.pop("passId")

        serial_number = d.pop("serialNumber")

        status = d.pop("status")

        used = d.pop("used")

        def _parse_remaining(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        remaining = _parse_remaining(d.pop("remaining", UNSET))

        door_entry = cls(
            holder=holder,
            message=message,
            pass_id=pass_id,
            serial_number=serial_number,
            status=status,
            used=used,
            remaining=remaining,
        )

        door_entry.additional_properties = d
        return door_entry

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
