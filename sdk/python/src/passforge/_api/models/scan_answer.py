from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pass_view import PassView
    from ..models.redemption_view import RedemptionView
    from ..models.scan_answer_counters import ScanAnswerCounters
    from ..models.scan_answer_holder import ScanAnswerHolder
    from ..models.use_counts import UseCounts


T = TypeVar("T", bound="ScanAnswer")


@_attrs_define
class ScanAnswer:
    """The answer to a scan: the pass, whether it can be used now and why not.

    Attributes:
        can_use (bool): Green (true) or red (false).
        counters (ScanAnswerCounters): Its counter fields (points, balance, stamps).
        holder (ScanAnswerHolder): The fields the template shows at the door (`"showAtScan": true`).
        message (str): The answer in words for the scanner's screen, e.g. "Already used at
            2027-06-12T19:02:00Z by key3 (North door)".
        pass_ (PassView): A pass as the API and its events show it.
        redeemed (bool): The scan redeemed the pass (with `redeem: true`).
        uses (UseCounts): The redemption counts of a pass in its template's window.
        last_use (None | RedemptionView | Unset):
        reason (None | str | Unset): Why not: `already_used`, `voided`, `expired`, `wrong_template`,
            `not_redeemable`, `not_yet_valid`.
    """

    can_use: bool
    counters: ScanAnswerCounters
    holder: ScanAnswerHolder
    message: str
    pass_: PassView
    redeemed: bool
    uses: UseCounts
    last_use: None | RedemptionView | Unset = UNSET
    reason: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.redemption_view import RedemptionView

        can_use = self.can_use

        counters = self.counters.to_dict()

        holder = self.holder.to_dict()

        message = self.message

        pass_ = self.pass_.to_dict()

        redeemed = self.redeemed

        uses = self.uses.to_dict()

        last_use: dict[str, Any] | None | Unset
        if isinstance(self.last_use, Unset):
            last_use = UNSET
        elif isinstance(self.last_use, RedemptionView):
            last_use = self.last_use.to_dict()
        else:
            last_use = self.last_use

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "canUse": can_use,
                "counters": counters,
                "holder": holder,
                "message": message,
                "pass": pass_,
                "redeemed": redeemed,
                "uses": uses,
            }
        )
        if last_use is not UNSET:
            field_dict["lastUse"] = last_use
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pass_view import PassView
        from ..models.redemption_view import RedemptionView
        from ..models.scan_answer_counters import ScanAnswerCounters
        from ..models.scan_answer_holder import ScanAnswerHolder
        from ..models.use_counts import UseCounts

        d = dict(src_dict)
        can_use = d.pop("canUse")

        counters = ScanAnswerCounters.from_dict(d.pop("counters"))

        holder = ScanAnswerHolder.from_dict(d.pop("holder"))

        message = d.pop("message")

        pass_ = PassView.from_dict(d.pop("pass"))

        redeemed = d.pop("redeemed")

        uses = UseCounts.from_dict(d.pop("uses"))

        def _parse_last_use(data: object) -> None | RedemptionView | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_use_type_0 = RedemptionView.from_dict(data)

                return last_use_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RedemptionView | Unset, data)

        last_use = _parse_last_use(d.pop("lastUse", UNSET))

        def _parse_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        scan_answer = cls(
            can_use=can_use,
            counters=counters,
            holder=holder,
            message=message,
            pass_=pass_,
            redeemed=redeemed,
            uses=uses,
            last_use=last_use,
            reason=reason,
        )

        scan_answer.additional_properties = d
        return scan_answer

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
