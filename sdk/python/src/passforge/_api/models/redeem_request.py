from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="RedeemRequest")


@_attrs_define
class RedeemRequest:
    """Where a pass is redeemed.

    Example:
        {'gate': 'North door'}

    Attributes:
        gate (None | str | Unset): The gate or scanner, as door staff name it.
        template_ids (list[str] | None | Unset): The templates this gate takes; a pass of another is refused.
    """

    gate: None | str | Unset = UNSET
    template_ids: list[str] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        gate: None | str | Unset
        if isinstance(self.gate, Unset):
            gate = UNSET
        else:
            gate = self.gate

        template_ids: list[str] | None | Unset
        if isinstance(self.template_ids, Unset):
            template_ids = UNSET
        elif isinstance(self.template_ids, list):
            template_ids = self.template_ids

        else:
            template_ids = self.template_ids

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if gate is not UNSET:
            field_dict["gate"] = gate
        if template_ids is not UNSET:
            field_dict["templateIds"] = template_ids

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_gate(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        gate = _parse_gate(d.pop("gate", UNSET))

        def _parse_template_ids(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                template_ids_type_0 = cast(list[str], data)

                return template_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        template_ids = _parse_template_ids(d.pop("templateIds", UNSET))

        redeem_request = cls(
            gate=gate,
            template_ids=template_ids,
        )

        return redeem_request
