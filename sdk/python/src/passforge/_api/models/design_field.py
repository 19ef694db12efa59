from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.design_field_type import DesignFieldType, check_design_field_type
from ..models.placement import Placement, check_placement
from ..types import UNSET, Unset

T = TypeVar("T", bound="DesignField")


@_attrs_define
class DesignField:
    """A field of a designed template: a custom field every pass gives (or
    its default), shown at `placement`.

        Attributes:
            key (str): Its name in `customFields` (letters, digits, `_`).
            default (Any | Unset): The value when a pass gives none (of the field's type).
            description (None | str | Unset): Free text.
            enum (list[str] | None | Unset): The allowed values (type enum).
            label (None | str | Unset): The label the pass shows.
            max_length (int | None | Unset): The longest text allowed.
            pattern (None | str | Unset): A regular expression the value must match.
            placement (None | Placement | Unset):
            required (bool | None | Unset): Whether every pass must give it.
            type_ (DesignFieldType | None | Unset):
    """

    key: str
    default: Any | Unset = UNSET
    description: None | str | Unset = UNSET
    enum: list[str] | None | Unset = UNSET
    label: None | str | Unset = UNSET
    max_length: int | None | Unset = UNSET
    pattern: None | str | Unset = UNSET
    placement: None | Placement | Unset = UNSET
    required: bool | None | Unset = UNSET
    type_: DesignFieldType | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        default = self.default

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        enum: list[str] | None | Unset
        if isinstance(self.enum, Unset):
            enum = UNSET
        elif isinstance(self.enum, list):
            enum = self.enum

        else:
            enum = self.enum

        label: None | str | Unset
        if isinstance(self.label, Unset):
            label = UNSET
        else:
            label = self.label

        max_length: int | None | Unset
        if isinstance(self.max_length, Unset):
            max_length = UNSET
        else:
            max_length = self.max_length

        pattern: None | str | Unset
        if isinstance(self.pattern, Unset):
            pattern = UNSET
        else:
            pattern = self.pattern

        placement: None | str | Unset
        if isinstance(self.placement, Unset):
            placement = UNSET
        elif isinstance(self.placement, str):
            placement = self.placement
        else:
            placement = self.placement

        required: bool | None | Unset
        if isinstance(self.required, Unset):
            required = UNSET
        else:
            required = self.required

        type_: None | str | Unset
        if isinstance(self.type_, Unset):
            type_ = UNSET
        elif isinstance(self.type_, str):
            type_ = self.type_
        else:
            type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
            }
        )
        if default is not UNSET:
            field_dict["default"] = default
        if description is not UNSET:
            field_dict["description"] = description
        if enum is not UNSET:
            field_dict["enum"] = enum
        if label is not UNSET:
            field_dict["label"] = label
        if max_length is not UNSET:
            field_dict["maxLength"] = max_length
        if pattern is not UNSET:
            field_dict["pattern"] = pattern
        if placement is not UNSET:
            field_dict["placement"] = placement
        if required is not UNSET:
            field_dict["required"] = required
        if type_ is not UNSET:
            field_dict["type"] = type_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        key = d.pop("key")

        default = d.pop("default", UNSET)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_enum(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                enum_type_0 = cast(list[str], data)

                return enum_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        enum = _parse_enum(d.pop("enum", UNSET))

        def _parse_label(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        label = _parse_label(d.pop("label", UNSET))

        def _parse_max_length(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_length = _parse_max_length(d.pop("maxLength", UNSET))

        def _parse_pattern(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        pattern = _parse_pattern(d.pop("pattern", UNSET))

        def _parse_placement(data: object) -> None | Placement | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                placement_type_0 = check_placement(data)

                return placement_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Placement | Unset, data)

        placement = _parse_placement(d.pop("placement", UNSET))

        def _parse_required(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        required = _parse_required(d.pop("required", UNSET))

        def _parse_type_(data: object) -> DesignFieldType | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                type_type_0 = check_design_field_type(data)

                return type_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DesignFieldType | None | Unset, data)

        type_ = _parse_type_(d.pop("type", UNSET))

        design_field = cls(
            key=key,
            default=default,
            description=description,
            enum=enum,
            label=label,
            max_length=max_length,
            pattern=pattern,
            placement=placement,
            required=required,
            type_=type_,
        )

        return design_field
