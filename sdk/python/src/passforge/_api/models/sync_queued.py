from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.connection_view import ConnectionView


T = TypeVar("T", bound="SyncQueued")


@_attrs_define
class SyncQueued:
    """A push queued to one installation.

    Attributes:
        connection (ConnectionView): A connection as the API and its events show it.
        push_id (str): The push.
    """

    connection: ConnectionView
    push_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        connection = self.connection.to_dict()

        push_id = self.push_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "connection": connection,
                "pushId": push_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.connection_view import ConnectionView

        d = dict(src_dict)
        connection = ConnectionView.from_dict(d.pop("connection"))

        push_id = d.pop("pushId")

        sync_queued = cls(
            connection=connection,
            push_id=push_id,
        )

        sync_queued.additional_properties = d
        return sync_queued

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
