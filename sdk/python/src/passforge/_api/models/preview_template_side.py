from typing import Literal

PreviewTemplateSide = Literal["back", "front", "google"]

PREVIEW_TEMPLATE_SIDE_VALUES: set[PreviewTemplateSide] = {
    "back",
    "front",
    "google",
}


def check_preview_template_side(value: str) -> PreviewTemplateSide:
    if value in PREVIEW_TEMPLATE_SIDE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {PREVIEW_TEMPLATE_SIDE_VALUES!r}"
    )
