from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.personalize import Personalize
from ...models.problem import Problem
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    pass_type_id: str,
    serial: str,
    *,
    body: Personalize,
    authorization: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(authorization, Unset):
        headers["Authorization"] = authorization

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/apple/v1/passes/{pass_type_id}/{serial}/personalize".format(
            pass_type_id=quote(str(pass_type_id), safe=""),
            serial=quote(str(serial), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> File | Problem | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[File | Problem]:
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
    body: Personalize,
    authorization: None | str | Unset = UNSET,
) -> Response[File | Problem]:
    """A holder signed up from Wallet (Rewards Enrollment): their answers fill the pass (a new version,
    without personalization.json) and a user; the answer is the token signed (detached PKCS#7, the pass
    certificate)

    Args:
        pass_type_id (str):
        serial (str):
        authorization (None | str | Unset):
        body (Personalize): What Wallet posts when a holder signs up (Apple Rewards Enrollment).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[File | Problem]
    """

    kwargs = _get_kwargs(
        pass_type_id=pass_type_id,
        serial=serial,
        body=body,
        authorization=authorization,
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
    body: Personalize,
    authorization: None | str | Unset = UNSET,
) -> File | Problem | None:
    """A holder signed up from Wallet (Rewards Enrollment): their answers fill the pass (a new version,
    without personalization.json) and a user; the answer is the token signed (detached PKCS#7, the pass
    certificate)

    Args:
        pass_type_id (str):
        serial (str):
        authorization (None | str | Unset):
        body (Personalize): What Wallet posts when a holder signs up (Apple Rewards Enrollment).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        File | Problem
    """

    return sync_detailed(
        pass_type_id=pass_type_id,
        serial=serial,
        client=client,
        body=body,
        authorization=authorization,
    ).parsed


async def asyncio_detailed(
    pass_type_id: str,
    serial: str,
    *,
    client: AuthenticatedClient | Client,
    body: Personalize,
    authorization: None | str | Unset = UNSET,
) -> Response[File | Problem]:
    """A holder signed up from Wallet (Rewards Enrollment): their answers fill the pass (a new version,
    without personalization.json) and a user; the answer is the token signed (detached PKCS#7, the pass
    certificate)

    Args:
        pass_type_id (str):
        serial (str):
        authorization (None | str | Unset):
        body (Personalize): What Wallet posts when a holder signs up (Apple Rewards Enrollment).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[File | Problem]
    """

    kwargs = _get_kwargs(
        pass_type_id=pass_type_id,
        serial=serial,
        body=body,
        authorization=authorization,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    pass_type_id: str,
    serial: str,
    *,
    client: AuthenticatedClient | Client,
    body: Personalize,
    authorization: None | str | Unset = UNSET,
) -> File | Problem | None:
    """A holder signed up from Wallet (Rewards Enrollment): their answers fill the pass (a new version,
    without personalization.json) and a user; the answer is the token signed (detached PKCS#7, the pass
    certificate)

    Args:
        pass_type_id (str):
        serial (str):
        authorization (None | str | Unset):
        body (Personalize): What Wallet posts when a holder signs up (Apple Rewards Enrollment).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        File | Problem
    """

    return (
        await asyncio_detailed(
            pass_type_id=pass_type_id,
            serial=serial,
            client=client,
            body=body,
            authorization=authorization,
        )
    ).parsed
