from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.pass_type import PassType, check_pass_type
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.design_barcode import DesignBarcode
    from ..models.design_field import DesignField


T = TypeVar("T", bound="TemplateDesign")


@_attrs_define
class TemplateDesign:
    """A template designed as JSON.

    Example:
        {'backgroundColor': '#1f2937', 'barcode': {'format': 'qr'}, 'description': 'Backstage access', 'fields':
            [{'key': 'customerName', 'label': 'Guest Name', 'placement': 'secondary', 'required': True, 'type': 'string'}],
            'foregroundColor': '#ffffff', 'labelColor': '#9ca3af', 'logoText': 'Passforge Live', 'name': 'VIP Event Ticket',
            'organizationName': 'Passforge Live', 'passType': 'eventTicket'}

    Attributes:
        name (str): Its name.
        organization_name (str): The issuer's name.
        pass_type (PassType): A pass type.
        background_color (None | str | Unset): `#rrggbb` or `rgb(r, g, b)`.
        barcode (DesignBarcode | None | Unset):
        description (None | str | Unset): What its passes are (the pass's description, which VoiceOver reads).
        fields (list[DesignField] | None | Unset): Its fields, in order.
        foreground_color (None | str | Unset): `#rrggbb` or `rgb(r, g, b)`.
        id (None | str | Unset): The template id (default: made from `name`, e.g. `vip-event-ticket`).
        label_color (None | str | Unset): `#rrggbb` or `rgb(r, g, b)`.
        logo_text (None | str | Unset): Text beside the logo.
        transit_type (None | str | Unset): A boarding pass's transit type (default PKTransitTypeGeneric).
    """

    name: str
    organization_name: str
    pass_type: PassType
    background_color: None | str | Unset = UNSET
    barcode: DesignBarcode | None | Unset = UNSET
    description: None | str | Unset = UNSET
    fields: list[DesignField] | None | Unset = UNSET
    foreground_color: None | str | Unset = UNSET
    id: None | str | Unset = UNSET
    label_color: None | str | Unset = UNSET
    logo_text: None | str | Unset = UNSET
    transit_type: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.design_barcode import DesignBarcode

        name = self.name

        organization_name = self.organization_name

        pass_type: str = self.pass_type

        background_color: None | str | Unset
        if isinstance(self.background_color, Unset):
            background_color = UNSET
        else:
            background_color = self.background_color

        barcode: dict[str, Any] | None | Unset
        if isinstance(self.barcode, Unset):
            barcode = UNSET
        elif isinstance(self.barcode, DesignBarcode):
            barcode = self.barcode.to_dict()
        else:
            barcode = self.barcode

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        fields: list[dict[str, Any]] | None | Unset
        if isinstance(self.fields, Unset):
            fields = UNSET
        elif isinstance(self.fields, list):
            fields = []
            for fields_type_0_item_data in self.fields:
                fields_type_0_item = fields_type_0_item_data.to_dict()
                fields.append(fields_type_0_item)

        else:
            fields = self.fields

        foreground_color: None | str | Unset
        if isinstance(self.foreground_color, Unset):
            foreground_color = UNSET
        else:
            foreground_color = self.foreground_color

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        label_color: None | str | Unset
        if isinstance(self.label_color, Unset):
            label_color = UNSET
        else:
            label_color = self.label_color

        logo_text: None | str | Unset
        if isinstance(self.logo_text, Unset):
            logo_text = UNSET
        else:
            logo_text = self.logo_text

        transit_type: None | str | Unset
        if isinstance(self.transit_type, Unset):
            transit_type = UNSET
        else:
            transit_type = self.transit_type

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "organizationName": organization_name,
                "passType": pass_type,
            }
        )
        if background_color is not UNSET:
            field_dict["backgroundColor"] = background_color
        if barcode is not UNSET:
            field_dict["barcode"] = barcode
        if description is not UNSET:
            field_dict["description"] = description
        if fields is not UNSET:
            field_dict["fields"] = fields
        if foreground_color is not UNSET:
            field_dict["foregroundColor"] = foreground_color
        if id is not UNSET:
            field_dict["id"] = id
        if label_color is not UNSET:
            field_dict["labelColor"] = label_color
        if logo_text is not UNSET:
            field_dict["logoText"] = logo_text
        if transit_type is not UNSET:
            field_dict["transitType"] = transit_type

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.design_barcode import DesignBarcode
        from ..models.design_field import DesignField

        d = dict(src_dict)
        name = d.pop("name")

        organization_name = d.pop("organizationName")

        pass_type = check_pass_type(d.pop("passType"))

        def _parse_background_color(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        background_color = _parse_background_color(d.pop("backgroundColor", UNSET))

        def _parse_barcode(data: object) -> DesignBarcode | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                barcode_type_0 = DesignBarcode.from_dict(data)

                return barcode_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DesignBarcode | None | Unset, data)

        barcode = _parse_barcode(d.pop("barcode", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_fields(data: object) -> list[DesignField] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                fields_type_0 = []
                _fields_type_0 = data
                for fields_type_0_item_data in _fields_type_0:
                    fields_type_0_item = DesignField.from_dict(fields_type_0_item_data)

                    fields_type_0.append(fields_type_0_item)

                return fields_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[DesignField] | None | Unset, data)

        fields = _parse_fields(d.pop("fields", UNSET))

        def _parse_foreground_color(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        foreground_color = _parse_foreground_color(d.pop("foregroundColor", UNSET))

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        def _parse_label_color(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        label_color = _parse_label_color(d.pop("labelColor", UNSET))

        def _parse_logo_text(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        logo_text = _parse_logo_text(d.pop("logoText", UNSET))

        def _parse_transit_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        transit_type = _parse_transit_type(d.pop("transitType", UNSET))

        template_design = cls(
            name=name,
            organization_name=organization_name,
            pass_type=pass_type,
            background_color=background_color,
            barcode=barcode,
            description=description,
            fields=fields,
            foreground_color=foreground_color,
            id=id,
            label_color=label_color,
            logo_text=logo_text,
            transit_type=transit_type,
        )

        return template_design
