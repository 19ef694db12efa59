from typing import Literal

ListConnectionsState = Literal["active", "failing", "removed"]

LIST_CONNECTIONS_STATE_VALUES: set[ListConnectionsState] = {
    "active",
    "failing",
    "removed",
}


def check_list_connections_state(value: str) -> ListConnectionsState:
    if value in LIST_CONNECTIONS_STATE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {LIST_CONNECTIONS_STATE_VALUES!r}"
    )
