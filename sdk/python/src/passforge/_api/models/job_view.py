from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.item_error import ItemError


T = TypeVar("T", bound="JobView")


@_attrs_define
class JobView:
    """A job as the API shows it.

    Attributes:
        created_at (datetime.datetime): When it was queued.
        download_url (str): A zip of its passes, once completed.
        errors (list[ItemError]): The first failed items.
        failed (int): Items failed.
        id (str): `job_…`
        object_ (str): Always `job`.
        progress (float): Done items / total, 0 to 1.
        status (str): `queued`, `running` or `completed`.
        succeeded (int): Items issued.
        template_id (str): The template of every item.
        total (int): Items.
        finished_at (datetime.datetime | None | Unset): When it completed.
    """

    created_at: datetime.datetime
    download_url: str
    errors: list[ItemError]
    failed: int
    id: str
    object_: str
    progress: float
    status: str
    succeeded: int
    template_id: str
    total: int
    finished_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        download_url = self.download_url

        errors = []
        for errors_item_data in self.errors:
            errors_item = errors_item_data.to_dict()
            errors.append(errors_item)

        failed = self.failed

        id = self.id

        object_ = self.object_

        progress = self.progress

        status = self.status

        succeeded = self.succeeded

        template_id = self.template_id

        total = self.total

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "createdAt": created_at,
                "downloadUrl": download_url,
                "errors": errors,
                "failed": failed,
                "id": id,
                "object": object_,
                "progress": progress,
                "status": status,
                "succeeded": succeeded,
                "templateId": template_id,
                "total": total,
            }
        )
        if finished_at is not UNSET:
            field_dict["finishedAt"] = finished_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.item_error import ItemError

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        download_url = d.pop("downloadUrl")

        errors = []
        _errors = d.pop("errors")
        for errors_item_data in _errors:
            errors_item = ItemError.from_dict(errors_item_data)

            errors.append(errors_item)

        failed = d.pop("failed")

        id = d.pop("id")

        object_ = d.pop("object")

        progress = d.pop("progress")

        status = d.pop("status")

        succeeded = d.pop("succeeded")

        template_id = d.pop("templateId")

        total = d.pop("total")

        def _parse_finished_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        finished_at = _parse_finished_at(d.pop("finishedAt", UNSET))

        job_view = cls(
            created_at=created_at,
            download_url=download_url,
            errors=errors,
            failed=failed,
            id=id,
            object_=object_,
            progress=progress,
            status=status,
            succeeded=succeeded,
            template_id=template_id,
            total=total,
            finished_at=finished_at,
        )

        job_view.additional_properties = d
        return job_view

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
