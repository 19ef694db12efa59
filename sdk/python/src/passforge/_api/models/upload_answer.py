from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.upload_result import UploadResult


T = TypeVar("T", bound="UploadAnswer")


@_attrs_define
class UploadAnswer:
    """What became of each uploaded use.

    Attributes:
        conflicts (int): Items the passes no longer allowed (e.g. another gate used the
            ticket first).
        duplicates (int): Items counted before (not again).
        redeemed (int): Items counted now.
        results (list[UploadResult]): One per item, in order.
    """

    conflicts: int
    duplicates: int
    redeemed: int
    results: list[UploadResult]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conflicts = self.conflicts

        duplicates = self.duplicates

        redeemed = self.redeemed

        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conflicts": conflicts,
                "duplicates": duplicates,
                "redeemed": redeemed,
                "results": results,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.upload_result import UploadResult

        d = dict(src_dict)
        conflicts = d.pop("conflicts")

        duplicates = d.pop("duplicates")

        redeemed = d.pop("redeemed")

        results = []
        _results = d.pop("results")
        for results_item_data in _results:
            results_item = UploadResult.from_dict(results_item_data)

            results.append(results_item)

        upload_answer = cls(
            conflicts=conflicts,
            duplicates=duplicates,
            redeemed=redeemed,
            results=results,
        )

        upload_answer.additional_properties = d
        return upload_answer

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
