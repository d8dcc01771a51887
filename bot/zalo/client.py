"""A thin client for the Zalo Bot API: one httpx.AsyncClient, JSON in and out.

Every call is `POST {base}/bot{token}/{method}` and answers an envelope
`{"ok": bool, "result": ..., "error_code": int?, "description": str?}`; HTTP 200
alone is not success. The token sits in the URL, so nothing this module raises
or logs carries the URL: httpx errors are wrapped in `ZaloTransportError` with a
redacted message, and the httpx/httpcore loggers get a filter that masks the
token even when the application's own logging setup was skipped (bot/kernel/redact.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx

from bot.channel import ChannelError
from bot.kernel import tls
from bot.kernel.redact import guard_loggers, shared
from bot.kernel.retry import Backoff

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 15.0  # seconds for ordinary calls
POLL_GRACE = 10.0  # extra seconds a long poll may take beyond the timeout it asks for
# Only 401: Zalo's error table lists 403 as "Internal server error", not a refused token.
UNAUTHORIZED_CODES = frozenset({401})


GATEWAY_ERRORS = (502, 503, 504)  # a proxy or load balancer in front of the API: the call did not run


class ZaloError(Exception):
    """Anything that went wrong talking to Zalo. The message never holds the token."""


class ZaloTransportError(ZaloError):
    """The request did not get a usable answer (network, timeout, 5xx, not JSON): retry later."""


class ZaloApiError(ZaloError):
    """Zalo answered `ok: false`."""

    def __init__(self, method: str, error_code: int | None, description: str, http_status: int | None = None):
        self.method = method
        self.error_code = error_code
        self.description = description
        self.http_status = http_status
        super().__init__(f"Zalo {method} failed: error {error_code}: {description}")


class ZaloUnauthorized(ZaloApiError, ChannelError):
    """The bot token was refused. Retrying will not help."""

    def __init__(self, method: str, error_code: int | None, description: str, http_status: int | None = None):
        super().__init__(method, error_code, description, http_status)
        self.args = (
            f"Zalo refused the bot token ({method}: error {error_code}: {description}). "
            "Check ZALO_BOT_TOKEN: copy it again from Zalo Bot Manager (it looks like <digits>:<secret>).",
        )


# httpx logs every request URL, and Zalo's carry the token.
guard_loggers("httpx", "httpcore")
# Retrying a call that surely did not run (no connection, a gateway's 502): 0.5 s, then 1 s.
CALL_RETRY = Backoff(0.5, 2.0)


class ZaloClient:
    """Calls Zalo Bot API methods; `call` returns the envelope's `result` or raises a ZaloError."""

    def __init__(self, token: str, base_url: str = "https://bot-api.zaloplatforms.com",
                 timeout: float = DEFAULT_TIMEOUT, transport: httpx.AsyncBaseTransport | None = None):
        if not token:
            raise ValueError("a Zalo bot token is needed")
        self._token = token
        shared.add(token)
        self._base = f"{base_url.rstrip('/')}/bot{token}"
        self.timeout = timeout
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                                       transport=transport, follow_redirects=False, verify=tls.client_context(),
                                       headers={"User-Agent": "thidua-bot"})

    def redact(self, text: str) -> str:
        return shared.text(text)

    async def close(self) -> None:
        await self._http.aclose()

    # --- the one way a method is called ------------------------------------
    async def call(self, method: str, payload: dict[str, Any] | None = None, *, timeout: float | None = None,
                   empty_on_408: bool = False, connect_retries: int = 0, gateway_retries: int = 0) -> Any:
        """POST the method with a JSON body and return `result`.

        Raises ZaloUnauthorized for a refused token, ZaloApiError for any other
        `ok: false`, ZaloTransportError when no usable answer came back. With
        `empty_on_408`, Zalo's "Request timeout" (error 408, the empty long poll)
        returns None instead of raising. `connect_retries` retries only when the
        connection could not be made, so the request surely was not sent;
        `gateway_retries` when a gateway answered 502/503/504 in front of Zalo.
        """
        attempt = gateway_attempt = 0
        while True:
            try:
                response = await self._http.post(
                    f"{self._base}/{method}", json=payload or {},
                    timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)
                if response.status_code in GATEWAY_ERRORS and gateway_attempt < gateway_retries:
                    gateway_attempt += 1
                    await asyncio.sleep(CALL_RETRY.delay(gateway_attempt))
                    continue
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt >= connect_retries:
                    raise ZaloTransportError(
                        f"Zalo {method}: {type(exc).__name__}: {self.redact(str(exc))}") from None
                attempt += 1
                await asyncio.sleep(CALL_RETRY.delay(attempt))
            except httpx.TimeoutException as exc:
                raise ZaloTransportError(f"Zalo {method}: timed out ({type(exc).__name__})") from None
            except httpx.HTTPError as exc:
                raise ZaloTransportError(f"Zalo {method}: {type(exc).__name__}: {self.redact(str(exc))}") from None
        return self._result(method, response, empty_on_408)

    def _result(self, method: str, response: httpx.Response, empty_on_408: bool) -> Any:
        """Check the envelope; the result, None for an empty poll, or a typed error."""
        status = response.status_code
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
            if empty_on_408 and status == 408:
                return None
            if status in UNAUTHORIZED_CODES:
                raise ZaloUnauthorized(method, status, f"HTTP {status}", status)
            raise ZaloTransportError(f"Zalo {method}: HTTP {status}, not a Bot API answer")
        if body["ok"]:
            return body.get("result")

        code = body.get("error_code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        description = self.redact(str(body.get("description") or "no description"))[:300]
        if empty_on_408 and (code == 408 or (code is None and status == 408)):
            return None
        if code in UNAUTHORIZED_CODES or (code is None and status in UNAUTHORIZED_CODES):
            raise ZaloUnauthorized(method, code if code is not None else status, description, status)
        raise ZaloApiError(method, code, description, status)

    # --- methods ---------------------------------------------------------------
    async def get_me(self) -> dict:
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def get_updates(self, timeout: int = 30) -> dict | None:
        """One update, or None when the long poll ended empty. Zalo has no offsets:
        each answer carries one update and the next call gets the next one."""
        result = await self.call("getUpdates", {"timeout": timeout}, timeout=timeout + POLL_GRACE,
                                 empty_on_408=True)
        if result is None:
            return None
        if not isinstance(result, dict):
            raise ZaloTransportError(f"Zalo getUpdates: expected one update object, got {type(result).__name__}")
        return result

    async def send_message(self, chat_id: str, text: str) -> dict:
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text}, connect_retries=2,
                                 gateway_retries=2)
        return result if isinstance(result, dict) else {}

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def set_webhook(self, url: str, secret_token: str) -> dict:
        result = await self.call("setWebhook", {"url": url, "secret_token": secret_token})
        return result if isinstance(result, dict) else {}

    async def delete_webhook(self) -> dict:
        result = await self.call("deleteWebhook")
        return result if isinstance(result, dict) else {}

    async def get_webhook_info(self) -> dict:
        result = await self.call("getWebhookInfo")
        return result if isinstance(result, dict) else {}
