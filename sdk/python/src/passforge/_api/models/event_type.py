from typing import Literal

EventType = Literal[
    "connection.created",
    "connection.deleted",
    "link.completed",
    "link.issued",
    "link.opened",
    "pass.adjusted",
    "pass.created",
    "pass.deleted",
    "pass.personalized",
    "pass.redeemed",
    "pass.updated",
    "pass.voided",
    "template.created",
    "template.updated",
    "user.created",
    "user.deleted",
]

EVENT_TYPE_VALUES: set[EventType] = {
    "connection.created",
    "connection.deleted",
    "link.completed",
    "link.issued",
    "link.opened",
    "pass.adjusted",
    "pass.created",
    "pass.deleted",
    "pass.personalized",
    "pass.redeemed",
    "pass.updated",
    "pass.voided",
    "template.created",
    "template.updated",
    "user.created",
    "user.deleted",
}


def check_event_type(value: str) -> EventType:
    if value in EVENT_TYPE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {EVENT_TYPE_VALUES!r}"
    )
