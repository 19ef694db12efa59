from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.batch_item_custom_fields_type_0 import BatchItemCustomFieldsType0


T = TypeVar("T", bound="BatchItem")


@_attrs_define
class BatchItem:
    """One pass of a batch (a new pass without its template: the job's
    applies).

        Attributes:
            custom_fields (BatchItemCustomFieldsType0 | None | Unset): Field → value, or `{value, label}`.
            expiration_date (datetime.datetime | None | Unset): Replaces the template's `expirationDate`.
            relevant_date (datetime.datetime | None | Unset): Replaces the template's `relevantDate`.
            serial_number (None | str | Unset): Its serial number (random when absent).
            user_id (None | str | Unset): Your app's user it belongs to.
    """

    custom_fields: BatchItemCustomFieldsType0 | None | Unset = UNSET
    expiration_date: datetime.datetime | None | Unset = UNSET
    relevant_date: datetime.datetime | None | Unset = UNSET
    serial_number: None | str | Unset = UNSET
    user_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.batch_item_custom_fields_type_0 import BatchItemCustomFieldsType0

        custom_fields: dict[str, Any] | None | Unset
        if isinstance(self.custom_fields, Unset):
            custom_fields = UNSET
        elif isinstance(self.custom_fields, BatchItemCustomFieldsType0):
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

        field_dict.update({})
        if custom_fields is not UNSET:
            field_dict["customFields"] = custom_fields
        if expiration_date is not UNSET:
            field_dict["expirationDate"] = expiration_date
        if relevant_date is not UNSET:
            field_dict["relevantDate"] = relevant_date
        if serial_number is not UNSET:
            field_dict["serialNumber"] = serial_number
        if user_id is not UNSET:
            field_dict["userId"] = user_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.batch_item_custom_fields_type_0 import BatchItemCustomFieldsType0

        d = dict(src_dict)

        def _parse_custom_fields(
            data: object,
        ) -> BatchItemCustomFieldsType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                custom_fields_type_0 = BatchItemCustomFieldsType0.from_dict(data)

                return custom_fields_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(BatchItemCustomFieldsType0 | None | Unset, data)

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

        batch_item = cls(
            custom_fields=custom_fields,
            expiration_date=expiration_date,
            relevant_date=relevant_date,
            serial_number=serial_number,
            user_id=user_id,
        )

        return batch_item
