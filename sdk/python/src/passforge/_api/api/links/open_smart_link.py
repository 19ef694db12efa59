from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    template: str,
    *,
    lid: str,
    kid: str,
    sig: str,
    exp: int | Unset = UNSET,
    wallet: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["lid"] = lid

    params["kid"] = kid

    params["sig"] = sig

    params["exp"] = exp

    params["wallet"] = wallet

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/s/{template}".format(
            template=quote(str(template), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Problem | str | None:
    if response.status_code == 200:
        response_200 = response.text
        return response_200

    if response.status_code == 302:
        response_302 = cast(Any, None)
        return response_302

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 410:
        response_410 = Problem.from_dict(response.json())

        return response_410

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Problem | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    template: str,
    *,
    client: AuthenticatedClient | Client,
    lid: str,
    kid: str,
    sig: str,
    exp: int | Unset = UNSET,
    wallet: str | Unset = UNSET,
) -> Response[Any | Problem | str]:
    """Open a signed smart link (minted offline; see the README's format): the pass is made on the first
    open, once per link id, and served like /l/{code}

    Args:
        template (str):
        lid (str):
        kid (str):
        sig (str):
        exp (int | Unset):
        wallet (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem | str]
    """

    kwargs = _get_kwargs(
        template=template,
        lid=lid,
        kid=kid,
        sig=sig,
        exp=exp,
        wallet=wallet,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    template: str,
    *,
    client: AuthenticatedClient | Client,
    lid: str,
    kid: str,
    sig: str,
    exp: int | Unset = UNSET,
    wallet: str | Unset = UNSET,
) -> Any | Problem | str | None:
    """Open a signed smart link (minted offline; see the README's format): the pass is made on the first
    open, once per link id, and served like /l/{code}

    Args:
        template (str):
        lid (str):
        kid (str):
        sig (str):
        exp (int | Unset):
        wallet (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem | str
    """

    return sync_detailed(
        template=template,
        client=client,
        lid=lid,
        kid=kid,
        sig=sig,
        exp=exp,
        wallet=wallet,
    ).parsed


async def asyncio_detailed(
    template: str,
    *,
    client: AuthenticatedClient | Client,
    lid: str,
    kid: str,
    sig: str,
    exp: int | Unset = UNSET,
    wallet: str | Unset = UNSET,
) -> Response[Any | Problem | str]:
    """Open a signed smart link (minted offline; see the README's format): the pass is made on the first
    open, once per link id, and served like /l/{code}

    Args:
        template (str):
        lid (str):
        kid (str):
        sig (str):
        exp (int | Unset):
        wallet (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem | str]
    """

    kwargs = _get_kwargs(
        template=template,
        lid=lid,
        kid=kid,
        sig=sig,
        exp=exp,
        wallet=wallet,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    template: str,
    *,
    client: AuthenticatedClient | Client,
    lid: str,
    kid: str,
    sig: str,
    exp: int | Unset = UNSET,
    wallet: str | Unset = UNSET,
) -> Any | Problem | str | None:
    """Open a signed smart link (minted offline; see the README's format): the pass is made on the first
    open, once per link id, and served like /l/{code}

    Args:
        template (str):
        lid (str):
        kid (str):
        sig (str):
        exp (int | Unset):
        wallet (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem | str
    """

    return (
        await asyncio_detailed(
            template=template,
            client=client,
            lid=lid,
            kid=kid,
            sig=sig,
            exp=exp,
            wallet=wallet,
        )
    ).parsed
