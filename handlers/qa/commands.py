"""The choices of questions and answers: the topics, an entry, its details (handlers/command.py)."""

from __future__ import annotations

from handlers.command import ChoiceRoute, on_choice
from handlers.qa import choices as qc

COMMANDS = ()
CHOICES = tuple(ChoiceRoute(codec, on_choice("qa", "on_choice"))
                for codec in (qc.QA, qc.TOPICS, qc.TOPIC, qc.ENTRY, qc.DETAILS))
