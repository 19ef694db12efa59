from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.intermediate_signing_key import IntermediateSigningKey


T = TypeVar("T", bound="Callback")


@_attrs_define
class Callback:
    """A Google Wallet callback (`ECv2SigningOnly`).

    Attributes:
        intermediate_signing_key (IntermediateSigningKey): The key that signed a callback, signed by one of Google's
            root keys.
        protocol_version (str): `ECv2SigningOnly`.
        signature (str): The message's signature by the intermediate key.
        signed_message (str): The message (JSON text: `eventType`, `objectId`, `nonce`, `expTimeMillis`, …).
    """

    intermediate_signing_key: IntermediateSigningKey
    protocol_version: str
    signature: str
    signed_message: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        intermediate_signing_key = self.intermediate_signing_key.to_dict()

        protocol_version = self.protocol_version

        signature = self.signature

        signed_message = self.signed_message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "intermediateSigningKey": intermediate_signing_key,
                "protocolVersion": protocol_version,
                "signature": signature,
                "signedMessage": signed_message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.intermediate_signing_key import IntermediateSigningKey

        d = dict(src_dict)
        intermediate_signing_key = IntermediateSigningKey.from_dict(
            d.pop("intermediateSigningKey")
        )

        protocol_version = d.pop("protocolVersion")

        signature = d.pop("signature")

        signed_message = d.pop("signedMessage")

        callback = cls(
            intermediate_signing_key=intermediate_signing_key,
            protocol_version=protocol_version,
            signature=signature,
            signed_message=signed_message,
        )

        callback.additional_properties = d
        return callback

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
