from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.door_entry import DoorEntry


T = TypeVar("T", bound="DoorList")


@_attrs_define
class DoorList:
    """A template's door list: what an offline gate checks scans against.

    Attributes:
        data (list[DoorEntry]): Every pass of the template, in id order.
        template_id (str): The template.
        time_zone (str): The IANA time zone its days are counted in.
        limit (int | None | Unset): Its redemption limit (none: not redeemed at the door).
        per (None | str | Unset): `day` when the limit is per day.
    """

    data: list[DoorEntry]
    template_id: str
    time_zone: str
    limit: int | None | Unset = UNSET
    per: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        template_id = self.template_id

        time_zone = self.time_zone

        limit: int | None | Unset
        if isinstance(self.limit, Unset):
            limit = UNSET
        else:
            limit = self.limit

        per: None | str | Unset
        if isinstance(self.per, Unset):
            per = UNSET
        else:
            per = self.per

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "templateId": template_id,
                "timeZone": time_zone,
            }
        )
        if limit is not UNSET:
            field_dict["limit"] = limit
        if per is not UNSET:
            field_dict["per"] = per

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.door_entry import DoorEntry

        d = dict(src_dict)
        data = []
        _data = d.pop("data")
        for data_item_data in _data:
            data_item = DoorEntry.from_dict(data_item_data)

            data.append(data_item)

        template_id = d.pop("templateId")

        time_zone = d.pop("timeZone")

        def _parse_limit(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        limit = _parse_limit(d.pop("limit", UNSET))

        def _parse_per(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        per = _parse_per(d.pop("per", UNSET))

        door_list = cls(
            data=data,
            template_id=template_id,
            time_zone=time_zone,
            limit=limit,
            per=per,
        )

        door_list.additional_properties = d
        return door_list

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
