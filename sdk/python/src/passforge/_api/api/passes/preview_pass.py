from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.preview_pass_side import PreviewPassSide
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    side: PreviewPassSide | Unset = UNSET,
    lang: str | Unset = UNSET,
    scale: int | Unset = UNSET,
    if_none_match: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_none_match, Unset):
        headers["If-None-Match"] = if_none_match

    params: dict[str, Any] = {}

    json_side: str | Unset = UNSET
    if not isinstance(side, Unset):
        json_side = side

    params["side"] = json_side

    params["lang"] = lang

    params["scale"] = scale

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/passes/{id}/preview.png".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Problem | None:
    if response.status_code == 304:
        response_304 = cast(Any, None)
        return response_304

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

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
) -> Response[Any | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    side: PreviewPassSide | Unset = UNSET,
    lang: str | Unset = UNSET,
    scale: int | Unset = UNSET,
    if_none_match: None | str | Unset = UNSET,
) -> Response[Any | Problem]:
    """A picture of the pass's current version as Wallet shows it

    Args:
        id (str):
        side (PreviewPassSide | Unset): Which picture.
        lang (str | Unset):
        scale (int | Unset):
        if_none_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        side=side,
        lang=lang,
        scale=scale,
        if_none_match=if_none_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient,
    side: PreviewPassSide | Unset = UNSET,
    lang: str | Unset = UNSET,
    scale: int | Unset = UNSET,
    if_none_match: None | str | Unset = UNSET,
) -> Any | Problem | None:
    """A picture of the pass's current version as Wallet shows it

    Args:
        id (str):
        side (PreviewPassSide | Unset): Which picture.
        lang (str | Unset):
        scale (int | Unset):
        if_none_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return sync_detailed(
        id=id,
        client=client,
        side=side,
        lang=lang,
        scale=scale,
        if_none_match=if_none_match,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    side: PreviewPassSide | Unset = UNSET,
    lang: str | Unset = UNSET,
    scale: int | Unset = UNSET,
    if_none_match: None | str | Unset = UNSET,
) -> Response[Any | Problem]:
    """A picture of the pass's current version as Wallet shows it

    Args:
        id (str):
        side (PreviewPassSide | Unset): Which picture.
        lang (str | Unset):
        scale (int | Unset):
        if_none_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        side=side,
        lang=lang,
        scale=scale,
        if_none_match=if_none_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient,
    side: PreviewPassSide | Unset = UNSET,
    lang: str | Unset = UNSET,
    scale: int | Unset = UNSET,
    if_none_match: None | str | Unset = UNSET,
) -> Any | Problem | None:
    """A picture of the pass's current version as Wallet shows it

    Args:
        id (str):
        side (PreviewPassSide | Unset): Which picture.
        lang (str | Unset):
        scale (int | Unset):
        if_none_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            side=side,
            lang=lang,
            scale=scale,
            if_none_match=if_none_match,
        )
    ).parsed
