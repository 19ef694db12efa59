from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pass_update_custom_fields_type_0 import PassUpdateCustomFieldsType0


T = TypeVar("T", bound="PassUpdate")


@_attrs_define
class PassUpdate:
    """A change of a pass (a new version, pushed to its devices).

    Attributes:
        custom_fields (None | PassUpdateCustomFieldsType0 | Unset): Members replace the stored fields; `null` removes
            one; `{value,
            label}` sets its label too (a `null` label removes it).
        expiration_date (datetime.datetime | None | Unset): The new `expirationDate`; `null` removes it.
        relevant_date (datetime.datetime | None | Unset): The new `relevantDate`; `null` removes it.
        user_id (None | str | Unset): The new user; `null` detaches the pass.
    """

    custom_fields: None | PassUpdateCustomFieldsType0 | Unset = UNSET
    expiration_date: datetime.datetime | None | Unset = UNSET
    relevant_date: datetime.datetime | None | Unset = UNSET
    user_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.pass_update_custom_fields_type_0 import (
            PassUpdateCustomFieldsType0,
        )

        custom_fields: dict[str, Any] | None | Unset
        if isinstance(self.custom_fields, Unset):
            custom_fields = UNSET
        elif isinstance(self.custom_fields, PassUpdateCustomFieldsType0):
            custom_fields = self.custom_fields.to_dict()
        else:
            custom_fields = self.custom_fields

        expiration_date: None | str | Unset
        if isinstance(self.expiration_date, Unset):
            expiration_date = UNSET
        elif isinstance(self.expiration_date, datetime.datetime):
            expiration_date = self.expiration_date.isoformat()
        else:
            expiration_date = self.expiration_date

        relevant_date: None | str | Unset
        if isinstance(self.relevant_date, Unset):
            relevant_date = UNSET
        elif isinstance(self.relevant_date, datetime.datetime):
            relevant_date = self.relevant_date.isoformat()
        else:
            relevant_date = self.relevant_date

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        else:
            user_id = self.user_id

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if custom_fields is not UNSET:
            field_dict["customFields"] = custom_fields
        if expiration_date is not UNSET:
            field_dict["expirationDate"] = expiration_date
        if relevant_date is not UNSET:
            field_dict["relevantDate"] = relevant_date
        if user_id is not UNSET:
            field_dict["userId"] = user_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pass_update_custom_fields_type_0 import (
            PassUpdateCustomFieldsType0,
        )

        d = dict(src_dict)

        def _parse_custom_fields(
            data: object,
        ) -> None | PassUpdateCustomFieldsType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                custom_fields_type_0 = PassUpdateCustomFieldsType0.from_dict(data)

                return custom_fields_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PassUpdateCustomFieldsType0 | Unset, data)

        custom_fields = _parse_custom_fields(d.pop("customFields", UNSET))

        def _parse_expiration_date(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expiration_date_type_0 = datetime.datetime.fromisoformat(data)

                return expiration_date_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expiration_date = _parse_expiration_date(d.pop("expirationDate", UNSET))

        def _parse_relevant_date(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                relevant_date_type_0 = datetime.datetime.fromisoformat(data)

                return relevant_date_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        relevant_date = _parse_relevant_date(d.pop("relevantDate", UNSET))

        def _parse_user_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_id = _parse_user_id(d.pop("userId", UNSET))

        pass_update = cls(
            custom_fields=custom_fields,
            expiration_date=expiration_date,
            relevant_date=relevant_date,
            user_id=user_id,
        )

        return pass_update
