from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.link_create_custom_fields_type_0 import LinkCreateCustomFieldsType0


T = TypeVar("T", bound="LinkCreate")


@_attrs_define
class LinkCreate:
    """A new link: `templateId` (each claim issues a pass with
    `customFields`) or `passId` (the link hands out that pass).

        Attributes:
            custom_fields (LinkCreateCustomFieldsType0 | None | Unset): …with these fields (checked now, not at the first
                claim).
            expires_in (int | None | Unset): Lifetime in seconds, 60 to a year (default a week).
            external_id (None | str | Unset): Your id for the link.
            max_claims (int | None | Unset): Most claims, 1 to 1,000,000 (default 1).
            pass_id (None | str | Unset): Or: the link hands out this pass.
            pass_ids (list[str] | None | Unset): Or: the link hands out these passes together (an order's tickets):
                a `.pkpasses` bundle on iPhone, one Google save link on Android, a
                list on a desktop.
            return_url (None | str | Unset): Where the holder returns: `https://` (`http://` only to localhost,
                for development), at most 2,048 bytes.
            template_id (None | str | Unset): Each claim issues a pass of this template…
            user_id (None | str | Unset): The user the passes of a template link belong to (with templateId).
            webhook_url (None | str | Unset): The link's own webhook: its events are posted there too (its
                secret is in the answer, once).
    """

    custom_fields: LinkCreateCustomFieldsType0 | None | Unset = UNSET
    expires_in: int | None | Unset = UNSET
    external_id: None | str | Unset = UNSET
    max_claims: int | None | Unset = UNSET
    pass_id: None | str | Unset = UNSET
    pass_ids: list[str] | None | Unset = UNSET
    return_url: None | str | Unset = UNSET
    template_id: None | str | Unset = UNSET
    user_id: None | str | Unset = UNSET
    webhook_url: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.link_create_custom_fields_type_0 import (
            LinkCreateCustomFieldsType0,
        )

        custom_fields: dict[str, Any] | None | Unset
        if isinstance(self.custom_fields, Unset):
            custom_fields = UNSET
        elif isinstance(self.custom_fields, LinkCreateCustomFieldsType0):
            custom_fields = self.custom_fields.to_dict()
        else:
            custom_fields = self.custom_fields

        expires_in: int | None | Unset
        if isinstance(self.expires_in, Unset):
            expires_in = UNSET
        else:
            expires_in = self.expires_in

        external_id: None | str | Unset
        if isinstance(self.external_id, Unset):
            external_id = UNSET
        else:
            external_id = self.external_id

        max_claims: int | None | Unset
        if isinstance(self.max_claims, Unset):
            max_claims = UNSET
        else:
            max_claims = self.max_claims

        pass_id: None | str | Unset
        if isinstance(self.pass_id, Unset):
            pass_id = UNSET
        else:
            pass_id = self.pass_id

        pass_ids: list[str] | None | Unset
        if isinstance(self.pass_ids, Unset):
            pass_ids = UNSET
        elif isinstance(self.pass_ids, list):
            pass_ids = self.pass_ids

        else:
            pass_ids = self.pass_ids

        return_url: None | str | Unset
        if isinstance(self.return_url, Unset):
            return_url = UNSET
        else:
            return_url = self.return_url

        template_id: None | str | Unset
        if isinstance(self.template_id, Unset):
            template_id = UNSET
        else:
            template_id = self.template_id

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        else:
            user_id = self.user_id

        webhook_url: None | str | Unset
        if isinstance(self.webhook_url, Unset):
            webhook_url = UNSET
        else:
            webhook_url = self.webhook_url

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if custom_fields is not UNSET:
            field_dict["customFields"] = custom_fields
        if expires_in is not UNSET:
            field_dict["expiresIn"] = expires_in
        if external_id is not UNSET:
            field_dict["externalId"] = external_id
        if max_claims is not UNSET:
            field_dict["maxClaims"] = max_claims
        if pass_id is not UNSET:
            field_dict["passId"] = pass_id
        if pass_ids is not UNSET:
            field_dict["passIds"] = pass_ids
        if return_url is not UNSET:
            field_dict["returnUrl"] = return_url
        if template_id is not UNSET:
            field_dict["templateId"] = template_id
        if user_id is not UNSET:
            field_dict["userId"] = user_id
        if webhook_url is not UNSET:
            field_dict["webhookUrl"] = webhook_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.link_create_custom_fields_type_0 import (
            LinkCreateCustomFieldsType0,
        )

        d = dict(src_dict)

        def _parse_custom_fields(
            data: object,
        ) -> LinkCreateCustomFieldsType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                custom_fields_type_0 = LinkCreateCustomFieldsType0.from_dict(data)

                return custom_fields_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LinkCreateCustomFieldsType0 | None | Unset, data)

        custom_fields = _parse_custom_fields(d.pop("customFields", UNSET))

        def _parse_expires_in(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        expires_in = _parse_expires_in(d.pop("expiresIn", UNSET))

        def _parse_external_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        external_id = _parse_external_id(d.pop("externalId", UNSET))

        def _parse_max_claims(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_claims = _parse_max_claims(d.pop("maxClaims", UNSET))

        def _parse_pass_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pass_id = _parse_pass_id(d.pop("passId", UNSET))

        def _parse_pass_ids(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                pass_ids_type_0 = cast(list[str], data)

                return pass_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        pass_ids = _parse_pass_ids(d.pop("passIds", UNSET))

        def _parse_return_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        return_url = _parse_return_url(d.pop("returnUrl", UNSET))

        def _parse_template_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        template_id = _parse_template_id(d.pop("templateId", UNSET))

        def _parse_user_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_id = _parse_user_id(d.pop("userId", UNSET))

        def _parse_webhook_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        webhook_url = _parse_webhook_url(d.pop("webhookUrl", UNSET))

        link_create = cls(
            custom_fields=custom_fields,
            expires_in=expires_in,
            external_id=external_id,
            max_claims=max_claims,
            pass_id=pass_id,
            pass_ids=pass_ids,
            return_url=return_url,
            template_id=template_id,
            user_id=user_id,
            webhook_url=webhook_url,
        )

        return link_create
