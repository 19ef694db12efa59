from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.connection_view import ConnectionView
    from ..models.link_pass import LinkPass
    from ..models.user_token_view import UserTokenView


T = TypeVar("T", bound="ExchangeView")


@_attrs_define
class ExchangeView:
    """What a customer's server gets for a link's one-time code.

    Attributes:
        connections (list[ConnectionView]): Where they are installed.
        link_id (str): The link.
        passes (list[LinkPass]): The passes it handed out.
        external_id (None | str | Unset): Your id for the link.
        user_token (None | Unset | UserTokenView):
    """

    connections: list[ConnectionView]
    link_id: str
    passes: list[LinkPass]
    external_id: None | str | Unset = UNSET
    user_token: None | Unset | UserTokenView = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.user_token_view import UserTokenView

        connections = []
        for connections_item_data in self.connections:
            connections_item = connections_item_data.to_dict()
            connections.append(connections_item)

        link_id = self.link_id

        passes = []
        for passes_item_data in self.passes:
            passes_item = passes_item_data.to_dict()
            passes.append(passes_item)

        external_id: None | str | Unset
        if isinstance(self.external_id, Unset):
            external_id = UNSET
        else:
            external_id = self.external_id

        user_token: dict[str, Any] | None | Unset
        if isinstance(self.user_token, Unset):
            user_token = UNSET
        elif isinstance(self.user_token, UserTokenView):
            user_token = self.user_token.to_dict()
        else:
            user_token = self.user_token

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "connections": connections,
                "linkId": link_id,
                "passes": passes,
            }
        )
        if external_id is not UNSET:
            field_dict["externalId"] = external_id
        if user_token is not UNSET:
            field_dict["userToken"] = user_token

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.connection_view import ConnectionView
        from ..models.link_pass import LinkPass
        from ..models.user_token_view import UserTokenView

        d = dict(src_dict)
        connections = []
        _connections = d.pop("connections")
        for connections_item_data in _connections:
            connections_item = ConnectionView.from_dict(connections_item_data)

            connections.append(connections_item)

        link_id = d.pop("linkId")

        passes = []
        _passes = d.pop("passes")
        for passes_item_data in _passes:
            passes_item = LinkPass.from_dict(passes_item_data)

            passes.append(passes_item)

        def _parse_external_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        external_id = _parse_external_id(d.pop("externalId", UNSET))

        def _parse_user_token(data: object) -> None | Unset | UserTokenView:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                user_token_type_0 = UserTokenView.from_dict(data)

                return user_token_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UserTokenView, data)

        user_token = _parse_user_token(d.pop("userToken", UNSET))

        exchange_view = cls(
            connections=connections,
            link_id=link_id,
            passes=passes,
            external_id=external_id,
            user_token=user_token,
        )

        exchange_view.additional_properties = d
        return exchange_view

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
