from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.batch_item import BatchItem


T = TypeVar("T", bound="BatchCreate")


@_attrs_define
class BatchCreate:
    """A batch of passes of one template.

    Example:
        {'items': [{'customFields': {'attendee': 'Ada Lovelace', 'doorsOpen': '2027-06-12T19:00:00+01:00', 'seat':
            'A1'}}, {'customFields': {'attendee': 'Grace Hopper', 'doorsOpen': '2027-06-12T19:00:00+01:00', 'seat': 'A2'}}],
            'templateId': 'event-ticket'}

    Attributes:
        items (list[BatchItem]): The passes, 1 to 10,000. An item that fails does not stop the
            others: the job lists its problems.
        template_id (str): The template of every item.
    """

    items: list[BatchItem]
    template_id: str

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        template_id = self.template_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "items": items,
                "templateId": template_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.batch_item import BatchItem

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = BatchItem.from_dict(items_item_data)

            items.append(items_item)

        template_id = d.pop("templateId")

        batch_create = cls(
            items=items,
            template_id=template_id,
        )

        return batch_create
