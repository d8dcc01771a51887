"""Telegram: updates in (long polling or webhook), replies out, through the shared pipeline."""

from bot.telegram.channel import TelegramChannel

__all__ = ["TelegramChannel"]
