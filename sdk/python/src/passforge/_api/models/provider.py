from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.provider_result_schema import ProviderResultSchema


T = TypeVar("T", bound="Provider")


@_attrs_define
class Provider:
    """A wallet provider.

    Attributes:
        configured (bool): Whether this server is set up for it.
        id (str): `apple` or `google`.
        operations (list[str]): What it does for a pass: `issue`, `update`, `void`.
        result_schema (ProviderResultSchema): The shape of each operation's result.
        certificate_expires (datetime.datetime | None | Unset): Apple: when the certificate expires.
        issuer_id (None | str | Unset): Google: the issuer id.
        pass_type_identifier (None | str | Unset): Apple: the pass type identifier.
        team_identifier (None | str | Unset): Apple: the team identifier.
        test_certificate (bool | None | Unset): Apple: whether the signing certificate is the test one.
        test_service_account (bool | None | Unset): Google: whether the service account is the test one.
        web_service_url (None | str | Unset): Apple: the web service URL written into passes.
    """

    configured: bool
    id: str
    operations: list[str]
    result_schema: ProviderResultSchema
    certificate_expires: datetime.datetime | None | Unset = UNSET
    issuer_id: None | str | Unset = UNSET
    pass_type_identifier: None | str | Unset = UNSET
    team_identifier: None | str | Unset = UNSET
    test_certificate: bool | None | Unset = UNSET
    test_service_account: bool | None | Unset = UNSET
    web_service_url: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        configured = self.configured

        id = self.id

        operations = self.operations

        result_schema = self.result_schema.to_dict()

        certificate_expires: None | str | Unset
        if isinstance(self.certificate_expires, Unset):
            certificate_expires = UNSET
        elif isinstance(self.certificate_expires, datetime.datetime):
            certificate_expires = self.certificate_expires.isoformat()
        else:
            certificate_expires = self.certificate_expires

        issuer_id: None | str | Unset
        if isinstance(self.issuer_id, Unset):
            issuer_id = UNSET
        else:
            issuer_id = self.issuer_id

        pass_type_identifier: None | str | Unset
        if isinstance(self.pass_type_identifier, Unset):
            pass_type_identifier = UNSET
        else:
            pass_type_identifier = self.pass_type_identifier

        team_identifier: None | str | Unset
        if isinstance(self.team_identifier, Unset):
            team_identifier = UNSET
        else:
            team_identifier = self.team_identifier

        test_certificate: bool | None | Unset
        if isinstance(self.test_certificate, Unset):
            test_certificate = UNSET
        else:
            test_certificate = self.test_certificate

        test_service_account: bool | None | Unset
        if isinstance(self.test_service_account, Unset):
            test_service_account = UNSET
        else:
            test_service_account = self.test_service_account

        web_service_url: None | str | Unset
        if isinstance(self.web_service_url, Unset):
            web_service_url = UNSET
        else:
            web_service_url = self.web_service_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "configured": configured,
                "id": id,
                "operations": operations,
                "resultSchema": result_schema,
            }
        )
        if certificate_expires is not UNSET:
            field_dict["certificateExpires"] = certificate_expires
        if issuer_id is not UNSET:
            field_dict["issuerId"] = issuer_id
        if pass_type_identifier is not UNSET:
            field_dict["passTypeIdentifier"] = pass_type_identifier
        if team_identifier is not UNSET:
            field_dict["teamIdentifier"] = team_identifier
        if test_certificate is not UNSET:
            field_dict["testCertificate"] = test_certificate
        if test_service_account is not UNSET:
            field_dict["testServiceAccount"] = test_service_account
        if web_service_url is not UNSET:
            field_dict["webServiceURL"] = web_service_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.provider_result_schema import ProviderResultSchema

        d = dict(src_dict)
        configured = d.pop("configured")

        id = d.pop("id")

        operations = cast(list[str], d.pop("operations"))

        result_schema = ProviderResultSchema.from_dict(d.pop("resultSchema"))

        def _parse_certificate_expires(
            data: object,
        ) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                certificate_expires_type_0 = datetime.datetime.fromisoformat(data)

                return certificate_expires_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        certificate_expires = _parse_certificate_expires(
            d.pop("certificateExpires", UNSET)
        )

        def _parse_issuer_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        issuer_id = _parse_issuer_id(d.pop("issuerId", UNSET))

        def _parse_pass_type_identifier(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pass_type_identifier = _parse_pass_type_identifier(
            d.pop("passTypeIdentifier", UNSET)
        )

        def _parse_team_identifier(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        team_identifier = _parse_team_identifier(d.pop("teamIdentifier", UNSET))

        def _parse_test_certificate(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        test_certificate = _parse_test_certificate(d.pop("testCertificate", UNSET))

        def _parse_test_service_account(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        test_service_account = _parse_test_service_account(
            d.pop("testServiceAccount", UNSET)
        )

        def _parse_web_service_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        web_service_url = _parse_web_service_url(d.pop("webServiceURL", UNSET))

        provider = cls(
            configured=configured,
            id=id,
            operations=operations,
            result_schema=result_schema,
            certificate_expires=certificate_expires,
            issuer_id=issuer_id,
            pass_type_identifier=pass_type_identifier,
            team_identifier=team_identifier,
            test_certificate=test_certificate,
            test_service_account=test_service_account,
            web_service_url=web_service_url,
        )

        provider.additional_properties = d
        return provider

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
