"""The main menu: questions and the topics, then the commands' own items (handlers/commands.py)."""

from __future__ import annotations

from handlers import commands, texts
from handlers.events import Choice
from handlers.qa import choices as qc

# choice id -> label
MENU = [
    (qc.QA.encode(), texts.MENU_QA),
    (qc.TOPIC.encode("tieu-chi"), texts.MENU_CRITERIA),
    (qc.TOPIC.encode("hinh-thuc"), texts.MENU_FORMS),
    (qc.TOPIC.encode("ho-so"), texts.MENU_DOSSIER),
    *commands.menu_items(),
]


def menu_choices() -> list[Choice]:
    return [Choice(cid, label) for cid, label in MENU]
