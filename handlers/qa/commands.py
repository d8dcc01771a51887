"""The choices of questions and answers: the topics, an entry, its details (handlers/command.py)."""

from __future__ import annotations

from handlers import choices as ch
from handlers.command import ChoiceRoute, on_choice

COMMANDS = ()
CHOICES = tuple(ChoiceRoute(codec, on_choice("qa", "on_choice"))
                for codec in (ch.QA, ch.TOPICS, ch.TOPIC, ch.ENTRY, ch.DETAILS))
