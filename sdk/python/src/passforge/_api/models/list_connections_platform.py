from typing import Literal

ListConnectionsPlatform = Literal["apple", "google"]

LIST_CONNECTIONS_PLATFORM_VALUES: set[ListConnectionsPlatform] = {
    "apple",
    "google",
}


def check_list_connections_platform(value: str) -> ListConnectionsPlatform:
    if value in LIST_CONNECTIONS_PLATFORM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {LIST_CONNECTIONS_PLATFORM_VALUES!r}"
    )
