from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.pass_view import PassView
    from ..models.redemption_view import RedemptionView


T = TypeVar("T", bound="UseAnswer")


@_attrs_define
class UseAnswer:
    """A redemption or adjustment, and the pass's new version.

    Attributes:
        pass_ (PassView): A pass as the API and its events show it.
        redemption (RedemptionView): A use as the API shows it.
    """

    pass_: PassView
    redemption: RedemptionView
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        pass_ = self.pass_.to_dict()

        redemption = self.redemption.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "pass": pass_,
                "redemption": redemption,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pass_view import PassView
        from ..models.redemption_view import RedemptionView

        d = dict(src_dict)
        pass_ = PassView.from_dict(d.pop("pass"))

        redemption = RedemptionView.from_dict(d.pop("redemption"))

        use_answer = cls(
            pass_=pass_,
            redemption=redemption,
        )

        use_answer.additional_properties = d
        return use_answer

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
