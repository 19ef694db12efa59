from typing import Literal

DeleteUserPasses = Literal["delete", "detach"]

DELETE_USER_PASSES_VALUES: set[DeleteUserPasses] = {
    "delete",
    "detach",
}


def check_delete_user_passes(value: str) -> DeleteUserPasses:
    if value in DELETE_USER_PASSES_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {DELETE_USER_PASSES_VALUES!r}"
    )
