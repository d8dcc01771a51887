"""The Zalo channel (Zalo Bot Platform API): long polling or webhook, numbered menus."""

from bot.zalo.adapter import ZaloChannel, ZaloConfigError
from bot.zalo.client import ZaloApiError, ZaloClient, ZaloError, ZaloTransportError, ZaloUnauthorized

__all__ = ["ZaloApiError", "ZaloChannel", "ZaloClient", "ZaloConfigError", "ZaloError", "ZaloTransportError",
           "ZaloUnauthorized"]
