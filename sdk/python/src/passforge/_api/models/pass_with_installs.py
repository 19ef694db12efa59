from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.installs import Installs
    from ..models.pass_view_custom_fields import PassViewCustomFields
    from ..models.pass_view_labels import PassViewLabels


T = TypeVar("T", bound="PassWithInstalls")


@_attrs_define
class PassWithInstalls:
    """A pass and where it is installed.

    Attributes:
        created_at (datetime.datetime): When it was created.
        custom_fields (PassViewCustomFields): Custom field values (normalized: defaults filled in, types fixed).
        download_url (str): `GET` this for the signed `.pkpass`.
        google_url (str): `GET` this for the Google save link.
        id (str): Pass id (UUIDv7: ids sort by creation).
        labels (PassViewLabels): Label overrides by field.
        object_ (str): Always `pass`. Example: pass.
        serial_number (str): Its serial number.
        status (str): `active` or `voided`.
        template_id (str): The template it is issued from.
        updated_at (datetime.datetime): When its current version was made (its signing time).
        version (int): From 1, increased by every change.
        installs (Installs): Installations per wallet.
        expiration_date (datetime.datetime | None | Unset): Replaces the template's `expirationDate`.
        relevant_date (datetime.datetime | None | Unset): Replaces the template's `relevantDate`.
        user_id (None | str | Unset): The app's user it belongs to.
    """

    created_at: datetime.datetime
    custom_fields: PassViewCustomFields
    download_url: str
    google_url: str
    id: str
    labels: PassViewLabels
    object_: str
    serial_number: str
    status: str
    template_id: str
    updated_at: datetime.datetime
    version: int
    installs: Installs
    expiration_date: datetime.datetime | None | Unset = UNSET
    relevant_date: datetime.datetime | None | Unset = UNSET
    user_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        custom_fields = self.custom_fields.to_dict()

        download_url = self.download_url

        google_url = self.google_url

        id = self.id

        labels = self.labels.to_dict()

        object_ = self.object_

        serial_number = self.serial_number

        status = self.status

        template_id = self.template_id

        updated_at = self.updated_at.isoformat()

        version = self.version

        installs = self.installs.to_dict()

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
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "createdAt": created_at,
                "customFields": custom_fields,
                "downloadUrl": download_url,
                "googleUrl": google_url,
                "id": id,
                "labels": labels,
                "object": object_,
                "serialNumber": serial_number,
                "status": status,
                "templateId": template_id,
                "updatedAt": updated_at,
                "version": version,
                "installs": installs,
            }
        )
        if expiration_date is not UNSET:
            field_dict["expirationDate"] = expiration_date
        if relevant_date is not UNSET:
            field_dict["relevantDate"] = relevant_date
        if user_id is not UNSET:
            field_dict["userId"] = user_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.installs import Installs
        from ..models.pass_view_custom_fields import PassViewCustomFields
        from ..models.pass_view_labels import PassViewLabels

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        custom_fields = PassViewCustomFields.from_dict(d.pop("customFields"))

        download_url = d.pop("downloadUrl")

        google_url = d.pop("googleUrl")

        id = d.pop("id")

        labels = PassViewLabels.from_dict(d.pop("labels"))

        object_ = d.pop("object")

        serial_number = d.pop("serialNumber")

        status = d.pop("status")

        template_id = d.pop("templateId")

        updated_at = datetime.datetime.fromisoformat(d.pop("updatedAt"))

        version = d.pop("version")

        installs = Installs.from_dict(d.pop("installs"))

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

        pass_with_installs = cls(
            created_at=created_at,
            custom_fields=custom_fields,
            download_url=download_url,
            google_url=google_url,
            id=id,
            labels=labels,
            object_=object_,
            serial_number=serial_number,
            status=status,
            template_id=template_id,
            updated_at=updated_at,
            version=version,
            installs=installs,
            expiration_date=expiration_date,
            relevant_date=relevant_date,
            user_id=user_id,
        )

        pass_with_installs.additional_properties = d
        return pass_with_installs

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
