from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.connection_list import ConnectionList
from ...models.list_connections_platform import (
    ListConnectionsPlatform,
)
from ...models.list_connections_state import (
    ListConnectionsState,
)
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    pass_id: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    platform: ListConnectionsPlatform | Unset = UNSET,
    state: ListConnectionsState | Unset = UNSET,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["passId"] = pass_id

    params["userId"] = user_id

    json_platform: str | Unset = UNSET
    if not isinstance(platform, Unset):
        json_platform = platform

    params["platform"] = json_platform

    json_state: str | Unset = UNSET
    if not isinstance(state, Unset):
        json_state = state

    params["state"] = json_state

    params["limit"] = limit

    params["startingAfter"] = starting_after

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/connections",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConnectionList | Problem | None:
    if response.status_code == 200:
        response_200 = ConnectionList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ConnectionList | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    pass_id: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    platform: ListConnectionsPlatform | Unset = UNSET,
    state: ListConnectionsState | Unset = UNSET,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
) -> Response[ConnectionList | Problem]:
    """List connections (installations of passes in wallets)

    Args:
        pass_id (str | Unset):
        user_id (str | Unset):
        platform (ListConnectionsPlatform | Unset): A wallet.
        state (ListConnectionsState | Unset): A connection's state.
        limit (int | Unset):
        starting_after (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConnectionList | Problem]
    """

    kwargs = _get_kwargs(
        pass_id=pass_id,
        user_id=user_id,
        platform=platform,
        state=state,
        limit=limit,
        starting_after=starting_after,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    pass_id: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    platform: ListConnectionsPlatform | Unset = UNSET,
    state: ListConnectionsState | Unset = UNSET,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
) -> ConnectionList | Problem | None:
    """List connections (installations of passes in wallets)

    Args:
        pass_id (str | Unset):
        user_id (str | Unset):
        platform (ListConnectionsPlatform | Unset): A wallet.
        state (ListConnectionsState | Unset): A connection's state.
        limit (int | Unset):
        starting_after (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConnectionList | Problem
    """

    return sync_detailed(
        client=client,
        pass_id=pass_id,
        user_id=user_id,
        platform=platform,
        state=state,
        limit=limit,
        starting_after=starting_after,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    pass_id: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    platform: ListConnectionsPlatform | Unset = UNSET,
    state: ListConnectionsState | Unset = UNSET,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
) -> Response[ConnectionList | Problem]:
    """List connections (installations of passes in wallets)

    Args:
        pass_id (str | Unset):
        user_id (str | Unset):
        platform (ListConnectionsPlatform | Unset): A wallet.
        state (ListConnectionsState | Unset): A connection's state.
        limit (int | Unset):
        starting_after (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConnectionList | Problem]
    """

    kwargs = _get_kwargs(
        pass_id=pass_id,
        user_id=user_id,
        platform=platform,
        state=state,
        limit=limit,
        starting_after=starting_after,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    pass_id: str | Unset = UNSET,
    user_id: str | Unset = UNSET,
    platform: ListConnectionsPlatform | Unset = UNSET,
    state: ListConnectionsState | Unset = UNSET,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
) -> ConnectionList | Problem | None:
    """List connections (installations of passes in wallets)

    Args:
        pass_id (str | Unset):
        user_id (str | Unset):
        platform (ListConnectionsPlatform | Unset): A wallet.
        state (ListConnectionsState | Unset): A connection's state.
        limit (int | Unset):
        starting_after (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConnectionList | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            pass_id=pass_id,
            user_id=user_id,
            platform=platform,
            state=state,
            limit=limit,
            starting_after=starting_after,
        )
    ).parsed
