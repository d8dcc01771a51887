"""Building the kernel in one place, each piece given what it needs when it is made:
channels first (they need only settings), then the delivery worker (it sends through
the channels), the pipeline (it sends through the delivery, and knows what each channel
can show and how it fetches files), and last one `Inbound` per channel (it runs turns
through the pipeline)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.app import App
from bot.channel import Channel
from bot.delivery import Delivery, Limits
from bot.kernel.inbound import ALBUM_WAIT, Inbound
from bot.kernel.retry import Backoff
from bot.pipeline import FloodGuard, Pipeline
from bot.settings import Settings
from handlers.conversation import Conversation


@dataclass(frozen=True)
class Kernel:
    channels: dict[str, Channel]
    delivery: Delivery
    pipeline: Pipeline
    inbound: dict[str, Inbound]


def make_channels(settings: Settings) -> dict[str, Channel]:
    """The channels whose token is set."""
    channels: dict[str, Channel] = {}
    if settings.telegram_bot_token:
        from bot.telegram import TelegramChannel

        channels["telegram"] = TelegramChannel(settings)
    if settings.zalo_bot_token:
        from bot.zalo import ZaloChannel

        channels["zalo"] = ZaloChannel(settings)
    return channels


def rate_limits(settings: Settings) -> dict[str, Limits]:
    return {"telegram": Limits(settings.telegram_rate_limit, 1.0, 3), "zalo": Limits(settings.zalo_rate_limit, 1.0, 3)}


def assemble(app: App, channels: Mapping[str, Channel], *, conversation: Conversation | None = None,
             limits: dict[str, Limits] | None = None, lease: timedelta | None = None,
             flood: FloodGuard | None = None, recover_after: timedelta = timedelta(0),
             backoff: Backoff | None = None, album_wait: float = ALBUM_WAIT,
             sleep: Callable[[float], Awaitable[Any]] | None = None) -> Kernel:
    """The delivery worker, the pipeline and the inbound side of these channels.
    `conversation`: the app's, unless the caller built one with other links."""
    channels = dict(channels)
    s = app.settings
    delivery = Delivery(app.outbox, channels, limits=rate_limits(s) if limits is None else limits,
                        lease=lease or timedelta(seconds=s.outbox_lease_seconds), files=app.files)
    pipeline = Pipeline(conversation or app.conversation, app.repo, delivery, channels=channels, files=app.files,
                        flood=flood, recover_after=recover_after)
    extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
    inbound = {name: Inbound(ch, pipeline, backoff=backoff, album_wait=album_wait, **extra)
               for name, ch in channels.items()}
    return Kernel(channels, delivery, pipeline, inbound)
