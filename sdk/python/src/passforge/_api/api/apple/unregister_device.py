from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    device: str,
    pass_type_id: str,
    serial: str,
    *,
    authorization: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Authorization"] = authorization

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/apple/v1/devices/{device}/registrations/{pass_type_id}/{serial}".format(
            device=quote(str(device), safe=""),
            pass_type_id=quote(str(pass_type_id), safe=""),
            serial=quote(str(serial), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Problem | None:
    if response.status_code == 200:
        response_200 = cast(Any, None)
        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

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
    device: str,
    pass_type_id: str,
    serial: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
) -> Response[Any | Problem]:
    """Unregister a device (200 also when there was nothing to remove)

    Args:
        device (str):
        pass_type_id (str):
        serial (str):
        authorization (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        device=device,
        pass_type_id=pass_type_id,
        serial=serial,
        authorization=authorization,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    device: str,
    pass_type_id: str,
    serial: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
) -> Any | Problem | None:
    """Unregister a device (200 also when there was nothing to remove)

    Args:
        device (str):
        pass_type_id (str):
        serial (str):
        authorization (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return sync_detailed(
        device=device,
        pass_type_id=pass_type_id,
        serial=serial,
        client=client,
        authorization=authorization,
    ).parsed


async def asyncio_detailed(
    device: str,
    pass_type_id: str,
    serial: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
) -> Response[Any | Problem]:
    """Unregister a device (200 also when there was nothing to remove)

    Args:
        device (str):
        pass_type_id (str):
        serial (str):
        authorization (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        device=device,
        pass_type_id=pass_type_id,
        serial=serial,
        authorization=authorization,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    device: str,
    pass_type_id: str,
    serial: str,
    *,
    client: AuthenticatedClient | Client,
    authorization: str,
) -> Any | Problem | None:
    """Unregister a device (200 also when there was nothing to remove)

    Args:
        device (str):
        pass_type_id (str):
        serial (str):
        authorization (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return (
        await asyncio_detailed(
            device=device,
            pass_type_id=pass_type_id,
            serial=serial,
            client=client,
            authorization=authorization,
        )
    ).parsed
