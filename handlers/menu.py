"""The main menu: questions and the topics, then the commands' own items (handlers/commands.py)."""

from __future__ import annotations

from handlers import choices as ch
from handlers import commands, texts
from handlers.events import Choice

# choice id -> label
MENU = [
    (ch.QA.encode(), texts.MENU_QA),
    (ch.TOPIC.encode("tieu-chi"), texts.MENU_CRITERIA),
    (ch.TOPIC.encode("hinh-thuc"), texts.MENU_FORMS),
    (ch.TOPIC.encode("ho-so"), texts.MENU_DOSSIER),
    *commands.menu_items(),
]


def menu_choices() -> list[Choice]:
    return [Choice(cid, label) for cid, label in MENU]
