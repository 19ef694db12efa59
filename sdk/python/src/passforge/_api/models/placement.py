from typing import Literal

Placement = Literal["auxiliary", "back", "header", "primary", "secondary"]

PLACEMENT_VALUES: set[Placement] = {
    "auxiliary",
    "back",
    "header",
    "primary",
    "secondary",
}


def check_placement(value: str) -> Placement:
    if value in PLACEMENT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {PLACEMENT_VALUES!r}")
