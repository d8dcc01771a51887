"""The kernel as the tests build it: one call where each test module used to make a
channel, a pipeline and a delivery worker by hand and wire them together afterwards.
It goes through bot.kernel.wiring.assemble, as `python -m bot run` does."""

from __future__ import annotations

from typing import Any

from bot.app import App
from bot.delivery import Limits
from bot.kernel.retry import Backoff
from bot.kernel.wiring import Kernel, assemble
from bot.telegram import TelegramChannel
from bot.telegram.retry import api_retry
from bot.zalo import ZaloChannel

# No waiting on the per-chat limit (1 message a second) where a test is not about it:
# tests/test_delivery.py is where the limits are tested.
NO_LIMITS = {"telegram": Limits(1000.0, 1000.0, 100), "zalo": Limits(1000.0, 1000.0, 100)}
# Bot API calls retried in hundredths of the production's seconds.
FAST_RETRY = api_retry(attempts=4, initial=0.01, maximum=0.05)
TELEGRAM_OPTIONS = ("retry", "poll_timeout", "typing_after", "typing_every", "max_in_flight")
ZALO_OPTIONS = ("client", "poll_timeout")


def build(app: App, channels: dict[str, Any], **kernel: Any) -> Kernel:
    """The kernel for these channels; `kernel`: assemble's options (flood, backoff, sleep...)."""
    return assemble(app, channels, **kernel)


def telegram_channel(app: App, **options: Any) -> TelegramChannel:
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("poll_timeout", 1)
    return TelegramChannel(app.settings, **options)


def zalo_channel(app: App, **options: Any) -> ZaloChannel:
    options.setdefault("poll_timeout", 1)
    return ZaloChannel(app.settings, **options)


def split(options: dict[str, Any], channel_options: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the channel's options, the kernel's)."""
    return ({k: v for k, v in options.items() if k in channel_options},
            {k: v for k, v in options.items() if k not in channel_options})


def telegram(app: App, **options: Any) -> Kernel:
    """A Telegram kernel; `options`: the channel's (retry, poll_timeout, ...) and assemble's."""
    mine, kernel = split(options, TELEGRAM_OPTIONS)
    return build(app, {"telegram": telegram_channel(app, **mine)}, **kernel)


def zalo(app: App, **options: Any) -> Kernel:
    mine, kernel = split(options, ZALO_OPTIONS)
    return build(app, {"zalo": zalo_channel(app, **mine)}, **kernel)


def both(app: App, **options: Any) -> Kernel:
    """Telegram and Zalo on one app (staff on one, officers on the other)."""
    tg, kernel = split(options, TELEGRAM_OPTIONS)
    return build(app, {"telegram": telegram_channel(app, **tg), "zalo": zalo_channel(app)}, **kernel)


__all__ = ["FAST_RETRY", "NO_LIMITS", "Backoff", "api_retry", "Kernel", "both", "build", "telegram", "telegram_channel", "zalo",
           "zalo_channel"]
