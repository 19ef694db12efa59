from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.diagnostic_view import DiagnosticView
    from ..models.template_view_fields_schema_type_0 import (
        TemplateViewFieldsSchemaType0,
    )


T = TypeVar("T", bound="TemplateView")


@_attrs_define
class TemplateView:
    """A template as the API shows it.

    Attributes:
        id (str): The folder name.
        loaded_at (datetime.datetime): When the folder was last loaded.
        problems (list[DiagnosticView]): Problems and warnings of the latest load.
        status (str): `ready`; `stale` (the latest edit failed, the last good version is
            live); `invalid` (no version loads).
        apple_style (None | str | Unset): The Apple pass style.
        description (None | str | Unset): Its description (template.json).
        fields_schema (None | TemplateViewFieldsSchemaType0 | Unset): The JSON Schema of its custom fields (on `GET
            /v1/templates/{id}`).
        google_type (None | str | Unset): The Google Wallet pass type.
        name (None | str | Unset): Its name (template.json).
    """

    id: str
    loaded_at: datetime.datetime
    problems: list[DiagnosticView]
    status: str
    apple_style: None | str | Unset = UNSET
    description: None | str | Unset = UNSET
    fields_schema: None | TemplateViewFieldsSchemaType0 | Unset = UNSET
    google_type: None | str | Unset = UNSET
    name: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.template_view_fields_schema_type_0 import (
            TemplateViewFieldsSchemaType0,
        )

        id = self.id

        loaded_at = self.loaded_at.isoformat()

        problems = []
        for problems_item_data in self.problems:
            problems_item = problems_item_data.to_dict()
            problems.append(problems_item)

        status = self.status

        apple_style: None | str | Unset
        if isinstance(self.apple_style, Unset):
            apple_style = UNSET
        else:
            apple_style = self.apple_style

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        fields_schema: dict[str, Any] | None | Unset
        if isinstance(self.fields_schema, Unset):
            fields_schema = UNSET
        elif isinstance(self.fields_schema, TemplateViewFieldsSchemaType0):
            fields_schema = self.fields_schema.to_dict()
        else:
            fields_schema = self.fields_schema

        google_type: None | str | Unset
        if isinstance(self.google_type, Unset):
            google_type = UNSET
        else:
            google_type = self.google_type

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "loadedAt": loaded_at,
                "problems": problems,
                "status": status,
            }
        )
        if apple_style is not UNSET:
            field_dict["appleStyle"] = apple_style
        if description is not UNSET:
            field_dict["description"] = description
        if fields_schema is not UNSET:
            field_dict["fieldsSchema"] = fields_schema
        if google_type is not UNSET:
            field_dict["googleType"] = google_type
        if name is not UNSET:
            field_dict["name"] = name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.diagnostic_view import DiagnosticView
        from ..models.template_view_fields_schema_type_0 import (
            TemplateViewFieldsSchemaType0,
        )

        d = dict(src_dict)
        id = d.pop("id")

        loaded_at = datetime.datetime.fromisoformat(d.pop("loadedAt"))

        problems = []
        _problems = d.pop("problems")
        for problems_item_data in _problems:
            problems_item = DiagnosticView.from_dict(problems_item_data)

            problems.append(problems_item)

        status = d.pop("status")

        def _parse_apple_style(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        apple_style = _parse_apple_style(d.pop("appleStyle", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_fields_schema(
            data: object,
        ) -> None | TemplateViewFieldsSchemaType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                fields_schema_type_0 = TemplateViewFieldsSchemaType0.from_dict(data)

                return fields_schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TemplateViewFieldsSchemaType0 | Unset, data)

        fields_schema = _parse_fields_schema(d.pop("fieldsSchema", UNSET))

        def _parse_google_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        google_type = _parse_google_type(d.pop("googleType", UNSET))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        template_view = cls(
            id=id,
            loaded_at=loaded_at,
            problems=problems,
            status=status,
            apple_style=apple_style,
            description=description,
            fields_schema=fields_schema,
            google_type=google_type,
            name=name,
        )

        template_view.additional_properties = d
        return template_view

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
