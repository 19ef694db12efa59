from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="UploadResult")


@_attrs_define
class UploadResult:
    """What became of one uploaded use.

    Attributes:
        client_id (str): The gate's id for it.
        detail (str): What happened, in words.
        outcome (str): `ok` (counted now), `duplicate` (counted before: not again), or why
            it conflicts (`already_used`, `voided`, `expired`,
            `not_redeemable`, `unknown_barcode`).
        pass_id (None | str | Unset): The pass it used.
    """

    client_id: str
    detail: str
    outcome: str
    pass_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        client_id = self.client_id

        detail = self.detail

        outcome = self.outcome

        pass_id: None | str | Unset
        if isinstance(self.pass_id, Unset):
            pass_id = UNSET
        else:
            pass_id = self.pass_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "clientId": client_id,
                "detail": detail,
                "outcome": outcome,
            }
        )
        if pass_id is not UNSET:
            field_dict["passId"] = pass_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        client_id = d.pop("clientId")

        detail = d.pop("detail")

        outcome = d.pop("outcome")

        def _parse_pass_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pass_id = _parse_pass_id(d.pop("passId", UNSET))

        upload_result = cls(
            client_id=client_id,
            detail=detail,
            outcome=outcome,
            pass_id=pass_id,
        )

        upload_result.additional_properties = d
        return upload_result

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
