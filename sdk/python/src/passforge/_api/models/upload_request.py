from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.offline_item import OfflineItem


T = TypeVar("T", bound="UploadRequest")


@_attrs_define
class UploadRequest:
    """Uses made offline, in the order they happened.

    Example:
        {'items': [{'at': '2027-06-12T19:02:00+01:00', 'clientId': 'north-1-000042', 'gate': 'North 1', 'message':
            'TICKET-0042'}]}

    Attributes:
        items (list[OfflineItem]): 1 to 1,000 uses.
    """

    items: list[OfflineItem]

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "items": items,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.offline_item import OfflineItem

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = OfflineItem.from_dict(items_item_data)

            items.append(items_item)

        upload_request = cls(
            items=items,
        )

        return upload_request
