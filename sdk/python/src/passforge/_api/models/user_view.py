from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.user_view_personal_info_type_0 import UserViewPersonalInfoType0


T = TypeVar("T", bound="UserView")


@_attrs_define
class UserView:
    """A user as the API shows it.

    Attributes:
        created_at (datetime.datetime): When it was created.
        external_id (str): Your app's id for the person.
        id (str): `usr_…`
        object_ (str): Always `user`.
        passes (int): How many passes belong to the user.
        personal_info (None | Unset | UserViewPersonalInfoType0): What they typed into Wallet's sign-up form (Apple
            Rewards
            Enrollment: fullName, emailAddress, …), if they signed up there.
    """

    created_at: datetime.datetime
    external_id: str
    id: str
    object_: str
    passes: int
    personal_info: None | Unset | UserViewPersonalInfoType0 = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.user_view_personal_info_type_0 import UserViewPersonalInfoType0

        created_at = self.created_at.isoformat()

        external_id = self.external_id

        id = self.id

        object_ = self.object_

        passes = self.passes

        personal_info: dict[str, Any] | None | Unset
        if isinstance(self.personal_info, Unset):
            personal_info = UNSET
        elif isinstance(self.personal_info, UserViewPersonalInfoType0):
            personal_info = self.personal_info.to_dict()
        else:
            personal_info = self.personal_info

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "createdAt": created_at,
                "externalId": external_id,
                "id": id,
                "object": object_,
                "passes": passes,
            }
        )
        if personal_info is not UNSET:
            field_dict["personalInfo"] = personal_info

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.user_view_personal_info_type_0 import UserViewPersonalInfoType0

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        external_id = d.pop("externalId")

        id = d.pop("id")

        object_ = d.pop("object")

        passes = d.pop("passes")

        def _parse_personal_info(
            data: object,
        ) -> None | Unset | UserViewPersonalInfoType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                personal_info_type_0 = UserViewPersonalInfoType0.from_dict(data)

                return personal_info_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UserViewPersonalInfoType0, data)

        personal_info = _parse_personal_info(d.pop("personalInfo", UNSET))

        user_view = cls(
            created_at=created_at,
            external_id=external_id,
            id=id,
            object_=object_,
            passes=passes,
            personal_info=personal_info,
        )

        user_view.additional_properties = d
        return user_view

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
