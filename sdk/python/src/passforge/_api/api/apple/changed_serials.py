from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.serial_numbers import SerialNumbers
from ...types import UNSET, Response, Unset


def _get_kwargs(
    device: str,
    pass_type_id: str,
    *,
    passes_updated_since: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["passesUpdatedSince"] = passes_updated_since

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/apple/v1/devices/{device}/registrations/{pass_type_id}".format(
            device=quote(str(device), safe=""),
            pass_type_id=quote(str(pass_type_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Problem | SerialNumbers | None:
    if response.status_code == 200:
        response_200 = SerialNumbers.from_dict(response.json())

        return response_200

    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Problem | SerialNumbers]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    device: str,
    pass_type_id: str,
    *,
    client: AuthenticatedClient | Client,
    passes_updated_since: str | Unset = UNSET,
) -> Response[Any | Problem | SerialNumbers]:
    """The serial numbers of a device's passes that changed since a tag

    Args:
        device (str):
        pass_type_id (str):
        passes_updated_since (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem | SerialNumbers]
    """

    kwargs = _get_kwargs(
        device=device,
        pass_type_id=pass_type_id,
        passes_updated_since=passes_updated_since,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    device: str,
    pass_type_id: str,
    *,
    client: AuthenticatedClient | Client,
    passes_updated_since: str | Unset = UNSET,
) -> Any | Problem | SerialNumbers | None:
    """The serial numbers of a device's passes that changed since a tag

    Args:
        device (str):
        pass_type_id (str):
        passes_updated_since (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem | SerialNumbers
    """

    return sync_detailed(
        device=device,
        pass_type_id=pass_type_id,
        client=client,
        passes_updated_since=passes_updated_since,
    ).parsed


async def asyncio_detailed(
    device: str,
    pass_type_id: str,
    *,
    client: AuthenticatedClient | Client,
    passes_updated_since: str | Unset = UNSET,
) -> Response[Any | Problem | SerialNumbers]:
    """The serial numbers of a device's passes that changed since a tag

    Args:
        device (str):
        pass_type_id (str):
        passes_updated_since (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem | SerialNumbers]
    """

    kwargs = _get_kwargs(
        device=device,
        pass_type_id=pass_type_id,
        passes_updated_since=passes_updated_since,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    device: str,
    pass_type_id: str,
    *,
    client: AuthenticatedClient | Client,
    passes_updated_since: str | Unset = UNSET,
) -> Any | Problem | SerialNumbers | None:
    """The serial numbers of a device's passes that changed since a tag

    Args:
        device (str):
        pass_type_id (str):
        passes_updated_since (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem | SerialNumbers
    """

    return (
        await asyncio_detailed(
            device=device,
            pass_type_id=pass_type_id,
            client=client,
            passes_updated_since=passes_updated_since,
        )
    ).parsed
