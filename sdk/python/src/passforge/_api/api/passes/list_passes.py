from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.list_passes_status import ListPassesStatus
from ...models.pass_list import PassList
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
    template_id: str | Unset = UNSET,
    status: ListPassesStatus | Unset = UNSET,
    user_id: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["startingAfter"] = starting_after

    params["templateId"] = template_id

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status

    params["status"] = json_status

    params["userId"] = user_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/passes",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PassList | Problem | None:
    if response.status_code == 200:
        response_200 = PassList.from_dict(response.json())

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
) -> Response[PassList | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
    template_id: str | Unset = UNSET,
    status: ListPassesStatus | Unset = UNSET,
    user_id: str | Unset = UNSET,
) -> Response[PassList | Problem]:
    """List passes, oldest first, a page at a time

    Args:
        limit (int | Unset):
        starting_after (str | Unset):
        template_id (str | Unset):
        status (ListPassesStatus | Unset): A pass status.
        user_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PassList | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        starting_after=starting_after,
        template_id=template_id,
        status=status,
        user_id=user_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
    template_id: str | Unset = UNSET,
    status: ListPassesStatus | Unset = UNSET,
    user_id: str | Unset = UNSET,
) -> PassList | Problem | None:
    """List passes, oldest first, a page at a time

    Args:
        limit (int | Unset):
        starting_after (str | Unset):
        template_id (str | Unset):
        status (ListPassesStatus | Unset): A pass status.
        user_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PassList | Problem
    """

    return sync_detailed(
        client=client,
        limit=limit,
        starting_after=starting_after,
        template_id=template_id,
        status=status,
        user_id=user_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
    template_id: str | Unset = UNSET,
    status: ListPassesStatus | Unset = UNSET,
    user_id: str | Unset = UNSET,
) -> Response[PassList | Problem]:
    """List passes, oldest first, a page at a time

    Args:
        limit (int | Unset):
        starting_after (str | Unset):
        template_id (str | Unset):
        status (ListPassesStatus | Unset): A pass status.
        user_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PassList | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        starting_after=starting_after,
        template_id=template_id,
        status=status,
        user_id=user_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
    template_id: str | Unset = UNSET,
    status: ListPassesStatus | Unset = UNSET,
    user_id: str | Unset = UNSET,
) -> PassList | Problem | None:
    """List passes, oldest first, a page at a time

    Args:
        limit (int | Unset):
        starting_after (str | Unset):
        template_id (str | Unset):
        status (ListPassesStatus | Unset): A pass status.
        user_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PassList | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            starting_after=starting_after,
            template_id=template_id,
            status=status,
            user_id=user_id,
        )
    ).parsed
