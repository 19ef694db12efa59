from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.link_pass import LinkPass


T = TypeVar("T", bound="LinkView")


@_attrs_define
class LinkView:
    """A link as the API shows it.

    Attributes:
        claims (int): Claims so far.
        created_at (datetime.datetime): When it was created.
        expires_at (datetime.datetime): When it expires.
        id (str): `lnk_…`
        max_claims (int): Most claims.
        object_ (str): Always `link`.
        pass_ids (list[str]): A multi-pass link: hands out these passes together.
        passes (list[LinkPass]): The passes it handed out.
        qr_code_url (str): A PNG QR code of the link.
        status (str): `pending`, `opened`, `issued`, `completed`, `expired` or `revoked`.
        url (str): The link to hand out.
        external_id (None | str | Unset): Your id for the link.
        pass_id (None | str | Unset): A pass link: hands out this pass.
        return_url (None | str | Unset): Where the holder returns.
        template_id (None | str | Unset): A template link: each claim issues a pass.
        user_id (None | str | Unset): The user the passes of a template link belong to.
        webhook_secret (None | str | Unset): The secret of the link's own webhook (shown once, at creation).
    """

    claims: int
    created_at: datetime.datetime
    expires_at: datetime.datetime
    id: str
    max_claims: int
    object_: str
    pass_ids: list[str]
    passes: list[LinkPass]
    qr_code_url: str
    status: str
    url: str
    external_id: None | str | Unset = UNSET
    pass_id: None | str | Unset = UNSET
    return_url: None | str | Unset = UNSET
    template_id: None | str | Unset = UNSET
    user_id: None | str | Unset = UNSET
    webhook_secret: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        claims = self.claims

        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        id = self.id

        max_claims = self.max_claims

        object_ = self.object_

        pass_ids = self.pass_ids

        passes = []
        for passes_item_data in self.passes:
            passes_item = passes_item_data.to_dict()
            passes.append(passes_item)

        qr_code_url = self.qr_code_url

        status = self.status

        url = self.url

        external_id: None | str | Unset
        if isinstance(self.external_id, Unset):
            external_id = UNSET
        else:
            external_id = self.external_id

        pass_id: None | str | Unset
        if isinstance(self.pass_id, Unset):
            pass_id = UNSET
        else:
            pass_id = self.pass_id

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

        webhook_secret: None | str | Unset
        if isinstance(self.webhook_secret, Unset):
            webhook_secret = UNSET
        else:
            webhook_secret = self.webhook_secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "claims": claims,
                "createdAt": created_at,
                "expiresAt": expires_at,
                "id": id,
                "maxClaims": max_claims,
                "object": object_,
                "passIds": pass_ids,
                "passes": passes,
                "qrCodeUrl": qr_code_url,
                "status": status,
                "url": url,
            }
        )
        if external_id is not UNSET:
            field_dict["externalId"] = external_id
        if pass_id is not UNSET:
            field_dict["passId"] = pass_id
        if return_url is not UNSET:
            field_dict["returnUrl"] = return_url
        if template_id is not UNSET:
            field_dict["templateId"] = template_id
        if user_id is not UNSET:
            field_dict["userId"] = user_id
        if webhook_secret is not UNSET:
            field_dict["webhookSecret"] = webhook_secret

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.link_pass import LinkPass

        d = dict(src_dict)
        claims = d.pop("claims")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expiresAt"))

        id = d.pop("id")

        max_claims = d.pop("maxClaims")

        object_ = d.pop("object")

        pass_ids = cast(list[str], d.pop("passIds"))

        passes = []
        _passes = d.pop("passes")
        for passes_item_data in _passes:
            passes_item = LinkPass.from_dict(passes_item_data)

            passes.append(passes_item)

        qr_code_url = d.pop("qrCodeUrl")

        status = d.pop("status")

        url = d.pop("url")

        def _parse_external_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        external_id = _parse_external_id(d.pop("externalId", UNSET))

        def _parse_pass_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pass_id = _parse_pass_id(d.pop("passId", UNSET))

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

        def _parse_webhook_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        webhook_secret = _parse_webhook_secret(d.pop("webhookSecret", UNSET))

        link_view = cls(
            claims=claims,
            created_at=created_at,
            expires_at=expires_at,
            id=id,
            max_claims=max_claims,
            object_=object_,
            pass_ids=pass_ids,
            passes=passes,
            qr_code_url=qr_code_url,
            status=status,
            url=url,
            external_id=external_id,
            pass_id=pass_id,
            return_url=return_url,
            template_id=template_id,
            user_id=user_id,
            webhook_secret=webhook_secret,
        )

        link_view.additional_properties = d
        return link_view

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
