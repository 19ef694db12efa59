from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="IntermediateSigningKey")


@_attrs_define
class IntermediateSigningKey:
    """The key that signed a callback, signed by one of Google's root keys.

    Attributes:
        signatures (list[str]): Its signatures by Google's root keys.
        signed_key (str): The key (JSON text: `keyValue`, `keyExpiration`).
    """

    signatures: list[str]
    signed_key: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        signatures = self.signatures

        signed_key = self.signed_key

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "signatures": signatures,
                "signedKey": signed_key,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        signatures = cast(list[str], d.pop("signatures"))

        signed_key = d.pop("signedKey")

        intermediate_signing_key = cls(
            signatures=signatures,
            signed_key=signed_key,
        )

        intermediate_signing_key.additional_properties = d
        return intermediate_signing_key

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
