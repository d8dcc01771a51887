"""The one webhook handler. The secret header is checked before anything else (the body
is not even read behind a wrong one), then the body's size, its JSON, the channel's
update in it; the update is accepted into the inbox before the answer, so a 200 means
it is stored, and anything else makes the messenger send it again."""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.kernel.redact import shared
from bot.plumbing import OncePer, one_line
from bot.webserver import read_body

if TYPE_CHECKING:
    from bot.kernel.inbound import Inbound

log = logging.getLogger(__name__)


def secret_matches(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of a webhook's secret header."""
    if given is None or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


class RefusedSecrets:
    """Webhook requests refused for a missing or wrong secret: one warning per source
    address a minute, with how many came from there since, never what was sent (it may
    be a real secret pasted in the wrong place)."""

    def __init__(self, channel: str, header: str, once: OncePer | None = None):
        self.channel = channel
        self.header = header
        self.once = once or OncePer(60.0)

    def note(self, remote: str | None, given: str | None) -> None:
        held = self.once.due(remote or "?")
        if held is not None:
            log.warning("%s webhook: refused a request from %s with %s %s header%s", self.channel, remote or "?",
                        "no" if given is None else "a wrong", self.header,
                        f" ({held} more from there since the last such line)" if held else "")


def answer(status: int, description: str | None = None) -> web.Response:
    body: dict[str, object] = {"ok": status == 200}
    if description:
        body["description"] = description
    return web.json_response(body, status=status)


def add_routes(inbound: Inbound, app: web.Application) -> None:
    """Serve the channel's webhook (refused at start when the channel has no secret)."""
    inbound.channel.check_webhook()
    app.router.add_post(inbound.channel.webhook_path, handler(inbound))


def handler(inbound: Inbound):  # noqa: ANN201 - an aiohttp handler
    channel = inbound.channel
    refused = inbound.refused

    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(channel.secret_header)
        if given is None:
            refused.note(request.remote, given)
            return answer(401, "missing secret token")
        if not secret_matches(given, channel.webhook_secret):
            refused.note(request.remote, given)
            return answer(403, "wrong secret token")
        if not channel.ready or inbound.closing:
            return answer(503, "starting or stopping")
        body = await read_body(request, channel.max_body)
        if body is None:
            return answer(413, "body too large")
        try:
            update = channel.unwrap(json.loads(body))
        except (ValueError, RecursionError) as exc:
            log.warning("%s webhook: unreadable body (%s)", channel.title, type(exc).__name__)
            return answer(400, "not an update")
        try:
            await inbound.take(update)
        except Exception as exc:  # noqa: BLE001 - the database is away: the messenger sends it again
            log.error("could not store %s update (%s); answered 503", inbound.name, shared(one_line(exc)))
            return answer(503, "try again")
        return answer(200)

    return handle
