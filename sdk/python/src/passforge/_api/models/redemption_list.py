from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.redemption_view import RedemptionView


T = TypeVar("T", bound="RedemptionList")


@_attrs_define
class RedemptionList:
    """A page of a pass's uses.

    Attributes:
        data (list[RedemptionView]): Oldest first.
        has_more (bool): Whether more follow.
        next_starting_after (None | str | Unset): Pass it as `startingAfter` for the next page.
    """

    data: list[RedemptionView]
    has_more: bool
    next_starting_after: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        has_more = self.has_more

        next_starting_after: None | str | Unset
        if isinstance(self.next_starting_after, Unset):
            next_starting_after = UNSET
        else:
            next_starting_after = self.next_starting_after

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "hasMore": has_more,
            }
        )
        if next_starting_after is not UNSET:
            field_dict["nextStartingAfter"] = next_starting_after

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.redemption_view import RedemptionView

        d = dict(src_dict)
        data = []
        _data = d.pop("data")
        for data_item_data in _data:
            data_item = RedemptionView.from_dict(data_item_data)

            data.append(data_item)

        has_more = d.pop("hasMore")

        def _parse_next_starting_after(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        next_starting_after = _parse_next_starting_after(
            d.pop("nextStartingAfter", UNSET)
        )

        redemption_list = cls(
            data=data,
            has_more=has_more,
            next_starting_after=next_starting_after,
        )

        redemption_list.additional_properties = d
        return redemption_list

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
