from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pass_create_custom_fields import PassCreateCustomFields


T = TypeVar("T", bound="PassCreate")


@_attrs_define
class PassCreate:
    """A new pass.

    Example:
        {'customFields': {'attendee': {'label': 'GUEST', 'value': 'Ada Lovelace'}, 'doorsOpen':
            '2027-06-12T19:00:00+01:00', 'seat': 'A1'}, 'relevantDate': '2027-06-12T18:00:00+01:00', 'serialNumber':
            'TICKET-0042', 'templateId': 'event-ticket'}

    Attributes:
        template_id (str): The template (`GET /v1/templates`).
        custom_fields (PassCreateCustomFields | Unset): Field → value, or `{value, label}` to give the field a label of
            its
            own on this pass. The template's fields schema
            (`GET /v1/templates/{id}`) says which fields and types.
        expiration_date (datetime.datetime | None | Unset): Replaces the template's `expirationDate`.
        relevant_date (datetime.datetime | None | Unset): Replaces the template's `relevantDate`.
        serial_number (None | str | Unset): Its serial number: `A–Z a–z 0–9 . _ -`, at most 128, not starting
            with `.`; random when absent.
        user_id (None | str | Unset): Your app's user it belongs to.
    """

    template_id: str
    custom_fields: PassCreateCustomFields | Unset = UNSET
    expiration_date: datetime.datetime | None | Unset = UNSET
    relevant_date: datetime.datetime | None | Unset = UNSET
    serial_number: None | str | Unset = UNSET
    user_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        template_id = self.template_id

        custom_fields: dict[str, Any] | Unset = UNSET
        if not isinstance(self.custom_fields, Unset):
            custom_fields = self.custom_fields.to_dict()

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

        field_dict.update(
            {
                "templateId": template_id,
            }
        )
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
        from ..models.pass_create_custom_fields import PassCreateCustomFields

        d = dict(src_dict)
        template_id = d.pop("templateId")

        _custom_fields = d.pop("customFields", UNSET)
        custom_fields: PassCreateCustomFields | Unset
        if isinstance(_custom_fields, Unset):
            custom_fields = UNSET
        else:
            custom_fields = PassCreateCustomFields.from_dict(_custom_fields)

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

        pass_create = cls(
            template_id=template_id,
            custom_fields=custom_fields,
            expiration_date=expiration_date,
            relevant_date=relevant_date,
            serial_number=serial_number,
            user_id=user_id,
        )

        return pass_create
