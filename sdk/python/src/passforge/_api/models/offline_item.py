from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="OfflineItem")


@_attrs_define
class OfflineItem:
    """One use an offline gate made.

    Attributes:
        at (datetime.datetime): When, by the gate's clock.
        client_id (str): The gate's unique id for this use (e.g. `north-1-000042`): an upload
            sent again counts it once.
        message (str): What the gate scanned.
        gate (None | str | Unset): Which gate.
    """

    at: datetime.datetime
    client_id: str
    message: str
    gate: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        client_id = self.client_id

        message = self.message

        gate: None | str | Unset
        if isinstance(self.gate, Unset):
            gate = UNSET
        else:
            gate = self.gate

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "at": at,
                "clientId": client_id,
                "message": message,
            }
        )
        if gate is not UNSET:
            field_dict["gate"] = gate

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        client_id = d.pop("clientId")

        message = d.pop("message")

        def _parse_gate(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        gate = _parse_gate(d.pop("gate", UNSET))

        offline_item = cls(
            at=at,
            client_id=client_id,
            message=message,
            gate=gate,
        )

        return offline_item
