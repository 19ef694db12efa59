from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.personalize_required_personalization_info import (
        PersonalizeRequiredPersonalizationInfo,
    )


T = TypeVar("T", bound="Personalize")


@_attrs_define
class Personalize:
    """What Wallet posts when a holder signs up (Apple Rewards Enrollment).

    Attributes:
        personalization_token (str): The token to sign.
        required_personalization_info (PersonalizeRequiredPersonalizationInfo): The holder's answers: `fullName`,
            `givenName`, `familyName`,
            `emailAddress`, `phoneNumber`, `postalCode`, `ISOCountryCode`.
    """

    personalization_token: str
    required_personalization_info: PersonalizeRequiredPersonalizationInfo
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        personalization_token = self.personalization_token

        required_personalization_info = self.required_personalization_info.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "personalizationToken": personalization_token,
                "requiredPersonalizationInfo": required_personalization_info,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.personalize_required_personalization_info import (
            PersonalizeRequiredPersonalizationInfo,
        )

        d = dict(src_dict)
        personalization_token = d.pop("personalizationToken")

        required_personalization_info = (
            PersonalizeRequiredPersonalizationInfo.from_dict(
                d.pop("requiredPersonalizationInfo")
            )
        )

        personalize = cls(
            personalization_token=personalization_token,
            required_personalization_info=required_personalization_info,
        )

        personalize.additional_properties = d
        return personalize

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
