from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    pass_type_id: str,
    serial: str,
    *,
    authorization: str,
    if_modified_since: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Authorization"] = authorization

    if not isinstance(if_modified_since, Unset):
        headers["If-Modified-Since"] = if_modified_since

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/apple/v1/passes/{pass_type_id}/{serial}".format(
            pass_type_id=quote(str(pass_type_id), safe=""),
            serial=quote(str(serial), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Problem | None:
    if response.status_code == 304:
        response_304 = cast(Any, None)
        return response_304

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    pass_type_id: str,
    serial: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
    if_modified_since: None | str | Unset = UNSET,
) -> Response[Any | Problem]:
    """The latest version of a pass

    Args:
        pass_type_id (str):
        serial (str):
        authorization (str):
        if_modified_since (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        pass_type_id=pass_type_id,
        serial=serial,
        authorization=authorization,
        if_modified_since=if_modified_since,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    pass_type_id: str,
    serial: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
    if_modified_since: None | str | Unset = UNSET,
) -> Any | Problem | None:
    """The latest version of a pass

    Args:
        pass_type_id (str):
        serial (str):
        authorization (str):
        if_modified_since (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return sync_detailed(
        pass_type_id=pass_type_id,
        serial=serial,
        client=client,
        authorization=authorization,
        if_modified_since=if_modified_since,
    ).parsed


async def asyncio_detailed(
    pass_type_id: str,
    serial: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
    if_modified_since: None | str | Unset = UNSET,
) -> Response[Any | Problem]:
    """The latest version of a pass

    Args:
        pass_type_id (str):
        serial (str):
        authorization (str):
        if_modified_since (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        pass_type_id=pass_type_id,
        serial=serial,
        authorization=authorization,
        if_modified_since=if_modified_since,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    pass_type_id: str,
    serial: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
    if_modified_since: None | str | Unset = UNSET,
) -> Any | Problem | None:
    """The latest version of a pass

    Args:
        pass_type_id (str):
        serial (str):
        authorization (str):
        if_modified_since (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return (
        await asyncio_detailed(
            pass_type_id=pass_type_id,
            serial=serial,
            client=client,
            authorization=authorization,
            if_modified_since=if_modified_since,
        )
    ).parsed
