from typing import Literal

DesignFieldType = Literal[
    "boolean", "date", "datetime", "email", "enum", "integer", "number", "string", "url"
]

DESIGN_FIELD_TYPE_VALUES: set[DesignFieldType] = {
    "boolean",
    "date",
    "datetime",
    "email",
    "enum",
    "integer",
    "number",
    "string",
    "url",
}


def check_design_field_type(value: str) -> DesignFieldType:
    if value in DESIGN_FIELD_TYPE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {DESIGN_FIELD_TYPE_VALUES!r}"
    )
