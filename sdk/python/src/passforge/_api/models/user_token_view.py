from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="UserTokenView")


@_attrs_define
class UserTokenView:
    """A user token, shown once.

    Attributes:
        expires_at (datetime.datetime): When it stops working.
        id (str): `ut…`
        object_ (str): Always `user_token`.
        token (str): `pfu_<id>_<secret>`: send as `Authorization: Bearer`.
        user_id (str): Whose.
    """

    expires_at: datetime.datetime
    id: str
    object_: str
    token: str
    user_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        expires_at = self.expires_at.isoformat()

        id = self.id

        object_ = self.object_

        token = self.token

        user_id = self.user_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expiresAt": expires_at,
                "id": id,
                "object": object_,
                "token": token,
                "userId": user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        expires_at = datetime.datetime.fromisoformat(d.pop("expiresAt"))

        id = d.pop("id")

        object_ = d.pop("object")

        token = d.pop("token")

        user_id = d.pop("userId")

        user_token_view = cls(
            expires_at=expires_at,
            id=id,
            object_=object_,
            token=token,
            user_id=user_id,
        )

        user_token_view.additional_properties = d
        return user_token_view

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
