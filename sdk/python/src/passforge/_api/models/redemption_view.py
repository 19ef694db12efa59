from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.redemption_view_changes_type_0 import RedemptionViewChangesType0


T = TypeVar("T", bound="RedemptionView")


@_attrs_define
class RedemptionView:
    """A use as the API shows it.

    Attributes:
        actor (str): Who: the key id (or `jwt:<sub>`).
        at (datetime.datetime): When it happened (an offline gate's own time for an upload).
        id (str): Id (UUIDv7).
        kind (str): `scan`, `redeem` or `adjust`.
        object_ (str): Always `redemption`. Example: redemption.
        outcome (str): `ok`, or why it was refused (`already_used`, `voided`, `expired`,
            `not_yet_valid`, `wrong_template`, `not_redeemable`,
            `unknown_barcode`).
        recorded_at (datetime.datetime): When passforge recorded it.
        changes (None | RedemptionViewChangesType0 | Unset): An adjustment's changes, e.g. `{"points": 10}`.
        client_id (None | str | Unset): An offline gate's id for it.
        gate (None | str | Unset): Where: the gate or scanner's name.
        pass_id (None | str | Unset): The pass (none for a scan that found none).
        version (int | None | Unset): The pass version it made.
    """

    actor: str
    at: datetime.datetime
    id: str
    kind: str
    object_: str
    outcome: str
    recorded_at: datetime.datetime
    changes: None | RedemptionViewChangesType0 | Unset = UNSET
    client_id: None | str | Unset = UNSET
    gate: None | str | Unset = UNSET
    pass_id: None | str | Unset = UNSET
    version: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.redemption_view_changes_type_0 import RedemptionViewChangesType0

        actor = self.actor

        at = self.at.isoformat()

        id = self.id

        kind = self.kind

        object_ = self.object_

        outcome = self.outcome

        recorded_at = self.recorded_at.isoformat()

        changes: dict[str, Any] | None | Unset
        if isinstance(self.changes, Unset):
            changes = UNSET
        elif isinstance(self.changes, RedemptionViewChangesType0):
            changes = self.changes.to_dict()
        else:
            changes = self.changes

        client_id: None | str | Unset
        if isinstance(self.client_id, Unset):
            client_id = UNSET
        else:
            client_id = self.client_id

        gate: None | str | Unset
        if isinstance(self.gate, Unset):
            gate = UNSET
        else:
            gate = self.gate

        pass_id: None | str | Unset
        if isinstance(self.pass_id, Unset):
            pass_id = UNSET
        else:
            pass_id = self.pass_id

        version: int | None | Unset
        if isinstance(self.version, Unset):
            version = UNSET
        else:
            version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "actor": actor,
                "at": at,
                "id": id,
                "kind": kind,
                "object": object_,
                "outcome": outcome,
                "recordedAt": recorded_at,
            }
        )
        if changes is not UNSET:
            field_dict["changes"] = changes
        if client_id is not UNSET:
            field_dict["clientId"] = client_id
        if gate is not UNSET:
            field_dict["gate"] = gate
        if pass_id is not UNSET:
            field_dict["passId"] = pass_id
        if version is not UNSET:
            field_dict["version"] = version

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.redemption_view_changes_type_0 import RedemptionViewChangesType0

        d = dict(src_dict)
        actor = d.pop("actor")

        at = datetime.datetime.fromisoformat(d.pop("at"))

        id = d.pop("id")

        kind = d.pop("kind")

        object_ = d.pop("object")

        outcome = d.pop("outcome")

        recorded_at = datetime.datetime.fromisoformat(d.pop("recordedAt"))

        def _parse_changes(data: object) -> None | RedemptionViewChangesType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                changes_type_0 = RedemptionViewChangesType0.from_dict(data)

                return changes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RedemptionViewChangesType0 | Unset, data)

        changes = _parse_changes(d.pop("changes", UNSET))

        def _parse_client_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        client_id = _parse_client_id(d.pop("clientId", UNSET))

        def _parse_gate(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        gate = _parse_gate(d.pop("gate", UNSET))

        def _parse_pass_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pass_id = _parse_pass_id(d.pop("passId", UNSET))

        def _parse_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        version = _parse_version(d.pop("version", UNSET))

        redemption_view = cls(
            actor=actor,
            at=at,
            id=id,
            kind=kind,
            object_=object_,
            outcome=outcome,
            recorded_at=recorded_at,
            changes=changes,
            client_id=client_id,
            gate=gate,
            pass_id=pass_id,
            version=version,
        )

        redemption_view.additional_properties = d
        return redemption_view

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
