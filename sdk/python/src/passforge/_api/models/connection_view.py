from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ConnectionView")


@_attrs_define
class ConnectionView:
    """A connection as the API and its events show it.

    Attributes:
        created_at (datetime.datetime): When it was created.
        device_library_identifier (str): The device library id (Apple) or object id (Google).
        id (str): `con_…`
        object_ (str): Always `connection`.
        pass_id (str): The pass installed.
        platform (str): `apple` or `google`.
        state (str): `active`, `failing` or `removed`.
        updated_at (datetime.datetime): When it last changed.
        serial_number (None | str | Unset): Its serial number (none once the pass is deleted).
        user_id (None | str | Unset): Its user.
    """

    created_at: datetime.datetime
    device_library_identifier: str
    id: str
    object_: str
    pass_id: str
    platform: str
    state: str
    updated_at: datetime.datetime
    serial_number: None | str | Unset = UNSET
    user_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        device_library_identifier = self.device_library_identifier

        id = self.id

        object_ = self.object_

        pass_id = self.pass_id

        platform = self.platform

        state = self.state

        updated_at = self.updated_at.isoformat()

        serial_number: None | str | Unset
        if isinstance(self.serial_number, Unset):
            serial_number = UNSET
        else:
            serial_number = self.serial_number

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        else:
            user_id = self.user_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "createdAt": created_at,
                "deviceLibraryIdentifier": device_library_identifier,
                "id": id,
                "object": object_,
                "passId": pass_id,
                "platform": platform,
                "state": state,
                "updatedAt": updated_at,
            }
        )
        if serial_number is not UNSET:
            field_dict["serialNumber"] = serial_number
        if user_id is not UNSET:
            field_dict["userId"] = user_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        device_library_identifier = d.pop("deviceLibraryIdentifier")

        id = d.pop("id")

        object_ = d.pop("object")

        pass_id = d.pop("passId")

        platform = d.pop("platform")

        state = d.pop("state")

        updated_at = datetime.datetime.fromisoformat(d.pop("updatedAt"))

        def _parse_serial_number(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        serial_number = _parse_serial_number(d.pop("serialNumber", UNSET))

        def _parse_user_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_id = _parse_user_id(d.pop("userId", UNSET))

        connection_view = cls(
            created_at=created_at,
            device_library_identifier=device_library_identifier,
            id=id,
            object_=object_,
            pass_id=pass_id,
            platform=platform,
            state=state,
            updated_at=updated_at,
            serial_number=serial_number,
            user_id=user_id,
        )

        connection_view.additional_properties = d
        return connection_view

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
