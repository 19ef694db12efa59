from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ScanRequest")


@_attrs_define
class ScanRequest:
    """What a scanner read.

    Example:
        {'gate': 'North door', 'message': 'TICKET-0042', 'redeem': True, 'templateIds': ['event-ticket']}

    Attributes:
        message (str): The barcode's message (or a serial number typed in).
        gate (None | str | Unset): The gate or scanner, as door staff name it (shown in the history).
        redeem (bool | Unset): Redeem the pass in the same step when it can be used.
        template_ids (list[str] | None | Unset): The templates this gate takes; a pass of another is refused
            (`wrong_template`). All when absent.
    """

    message: str
    gate: None | str | Unset = UNSET
    redeem: bool | Unset = UNSET
    template_ids: list[str] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        message = self.message

        gate: None | str | Unset
        if isinstance(self.gate, Unset):
            gate = UNSET
        else:
            gate = self.gate

        redeem = self.redeem

        template_ids: list[str] | None | Unset
        if isinstance(self.template_ids, Unset):
            template_ids = UNSET
        elif isinstance(self.template_ids, list):
            template_ids = self.template_ids

        else:
            template_ids = self.template_ids

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "message": message,
            }
        )
        if gate is not UNSET:
            field_dict["gate"] = gate
        if redeem is not UNSET:
            field_dict["redeem"] = redeem
        if template_ids is not UNSET:
            field_dict["templateIds"] = template_ids

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        message = d.pop("message")

        def _parse_gate(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        gate = _parse_gate(d.pop("gate", UNSET))

        redeem = d.pop("redeem", UNSET)

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

        scan_request = cls(
            message=message,
            gate=gate,
            redeem=redeem,
            template_ids=template_ids,
        )

        return scan_request
