from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PushMessage")


@_attrs_define
class PushMessage:
    """A message for the lock screen.

    Example:
        {'message': 'Doors open at 19:00 at gate B'}

    Attributes:
        message (str): The text to show, 1 to 500 characters.
    """

    message: str

    def to_dict(self) -> dict[str, Any]:
        message = self.message

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        message = d.pop("message")

        push_message = cls(
            message=message,
        )

        return push_message
