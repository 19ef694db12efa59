from typing import Literal

PreviewPassSide = Literal["back", "front", "google"]

PREVIEW_PASS_SIDE_VALUES: set[PreviewPassSide] = {
    "back",
    "front",
    "google",
}


def check_preview_pass_side(value: str) -> PreviewPassSide:
    if value in PREVIEW_PASS_SIDE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {PREVIEW_PASS_SIDE_VALUES!r}"
    )
