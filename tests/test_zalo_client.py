"""The Zalo Bot API client: envelope checks, typed errors, no token anywhere."""

from __future__ import annotations

import json
import logging
import traceback

import httpx
import pytest

from bot.zalo.client import ZaloApiError, ZaloClient, ZaloTransportError, ZaloUnauthorized
from tests.fake_zalo import TOKEN, FakeZalo


def mock_client(handler) -> ZaloClient:  # noqa: ANN001
    return ZaloClient(TOKEN, "https://bot-api.example", transport=httpx.MockTransport(handler))


def envelope(status: int = 200, **body) -> httpx.Response:  # noqa: ANN003
    return httpx.Response(status, json=body)


async def test_calls_post_json_to_the_method_url() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return envelope(ok=True, result={"message_id": "m1", "date": 1})

    client = mock_client(handler)
    assert await client.send_message("c1", "chào") == {"message_id": "m1", "date": 1}
    await client.close()
    req = seen[0]
    assert req.method == "POST"
    assert str(req.url) == f"https://bot-api.example/bot{TOKEN}/sendMessage"
    assert req.headers["content-type"] == "application/json"
    assert json.loads(req.content) == {"chat_id": "c1", "text": "chào"}


async def test_ok_false_is_a_typed_error_even_with_http_200() -> None:
    client = mock_client(lambda r: envelope(ok=False, error_code=400, description="Bad Request: text too long"))
    with pytest.raises(ZaloApiError) as info:
        await client.send_message("c1", "x")
    await client.close()
    assert info.value.error_code == 400 and info.value.description == "Bad Request: text too long"
    assert info.value.method == "sendMessage" and info.value.http_status == 200
    assert not isinstance(info.value, ZaloUnauthorized)


@pytest.mark.parametrize("response", [
    lambda: envelope(ok=False, error_code=408, description="Request timeout"),
    lambda: envelope(408, ok=False, error_code=408, description="Request timeout"),
    lambda: httpx.Response(408, text="Request Timeout"),
    lambda: envelope(408, ok=False, description="Request timeout"),
])
async def test_408_on_get_updates_is_an_empty_poll(response) -> None:  # noqa: ANN001
    client = mock_client(lambda r: response())
    assert await client.get_updates(timeout=30) is None
    await client.close()


async def test_408_elsewhere_is_an_error() -> None:
    client = mock_client(lambda r: envelope(ok=False, error_code=408, description="Request timeout"))
    with pytest.raises(ZaloApiError):
        await client.send_message("c", "x")
    await client.close()


async def test_get_updates_returns_the_one_update() -> None:
    update = {"event_name": "message.text.received", "message": {"message_id": "1"}}
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return envelope(ok=True, result=update)

    client = mock_client(handler)
    assert await client.get_updates(timeout=30) == update
    assert seen == [{"timeout": 30}]
    await client.close()


async def test_get_updates_refuses_a_list() -> None:
    client = mock_client(lambda r: envelope(ok=True, result=[{"message": {}}]))
    with pytest.raises(ZaloTransportError):
        await client.get_updates()
    await client.close()


@pytest.mark.parametrize("response", [
    lambda: envelope(401, ok=False, error_code=401, description="Unauthorized"),
    lambda: envelope(200, ok=False, error_code=401, description="Unauthorized"),
    lambda: httpx.Response(401, text="Unauthorized"),
])
async def test_refused_token_is_unauthorized(response) -> None:  # noqa: ANN001
    """Only 401 means a refused token: Zalo's error table lists 403 as "Internal server error"."""
    client = mock_client(lambda r: response())
    with pytest.raises(ZaloUnauthorized) as info:
        await client.get_me()
    await client.close()
    message = str(info.value)
    assert "ZALO_BOT_TOKEN" in message and TOKEN not in message
    assert TOKEN.split(":")[1] not in message


@pytest.mark.parametrize("response", [
    lambda: httpx.Response(502, text="<html>Bad Gateway</html>"),
    lambda: httpx.Response(200, text="not json"),
    lambda: envelope(200, result={"x": 1}),  # no "ok"
    lambda: httpx.Response(200, json=[1, 2]),
])
async def test_unusable_answers_are_transport_errors(response) -> None:  # noqa: ANN001
    client = mock_client(lambda r: response())
    with pytest.raises(ZaloTransportError):
        await client.get_me()
    await client.close()


async def test_transport_errors_carry_no_url_or_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    client = mock_client(handler)
    with pytest.raises(ZaloTransportError) as info:
        await client.get_me()
    await client.close()
    exc = info.value
    assert exc.__cause__ is None and exc.__suppress_context__
    printed = "".join(traceback.format_exception(exc))
    assert TOKEN not in printed and TOKEN not in repr(exc) and "***" in str(exc)


async def test_description_echoing_the_token_is_redacted() -> None:
    client = mock_client(lambda r: envelope(ok=False, error_code=400, description=f"bad path /bot{TOKEN}/x"))
    with pytest.raises(ZaloApiError) as info:
        await client.get_me()
    await client.close()
    assert TOKEN not in str(info.value)


async def test_refused_connection_to_a_real_port(unused_tcp_port: int) -> None:
    client = ZaloClient(TOKEN, f"http://127.0.0.1:{unused_tcp_port}", timeout=2)
    with pytest.raises(ZaloTransportError) as info:
        await client.get_me()
    await client.close()
    assert TOKEN not in "".join(traceback.format_exception(info.value))


async def test_httpx_request_logs_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    fake = await FakeZalo().start()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # `python -m bot` commands quieten it globally
    client = ZaloClient(TOKEN, fake.url)
    try:
        await client.get_me()
    finally:
        await client.close()
        await fake.stop()
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log the URL...
    assert TOKEN not in caplog.text  # ...masked


async def test_send_message_retries_only_when_the_connection_failed() -> None:
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        return envelope(ok=True, result={"message_id": "m2", "date": 2})

    client = mock_client(handler)
    assert (await client.send_message("c", "x"))["message_id"] == "m2"
    assert len(attempts) == 2

    def read_error(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        raise httpx.ReadError("reset after sending", request=request)

    client2 = mock_client(read_error)
    attempts.clear()
    with pytest.raises(ZaloTransportError):
        await client2.send_message("c", "x")
    assert len(attempts) == 1  # it may have been delivered: no retry, no duplicate
    await client.close()
    await client2.close()


async def test_403_is_not_read_as_a_refused_token() -> None:
    client = mock_client(lambda r: envelope(200, ok=False, error_code=403, description="Internal server error"))
    with pytest.raises(ZaloApiError) as info:
        await client.get_me()
    await client.close()
    assert not isinstance(info.value, ZaloUnauthorized)
