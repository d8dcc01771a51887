"""Long lists in pages, for channels that show choices as numbered lines (Zalo, the
console): a phone shows about ten lines at a glance, so a list of 18 units or 35
entries goes a page at a time, with "Xem thêm" for the next page.

The rest of the list waits in the conversation state (`ChatState.pages`); the lines
that leave the list ("Quay lại", "Hủy", "Menu chính") stay on every page. A page's
choices keep their ids, so picking on page two is what picking the same line of the
whole list was."""

from __future__ import annotations

from handlers import choices as ch
from handlers import texts
from handlers.events import Choice, Reply
from handlers.flows import BACK, CANCEL
from storage.state import ChatState

PAGE_MAX = 10  # numbered lines a message shows at most


def _leaves(c: Choice) -> bool:
    """"Menu chính", and a form's "Quay lại" and "Hủy": kept on every page."""
    option = ch.FLOW_OPTION.decode(c.id)
    return ch.MENU.matches(c.id) or (option is not None and option[1] in (BACK, CANCEL))


def _as_dicts(choices: list[Choice]) -> list[dict]:
    return [{"id": c.id, "label": c.label} for c in choices]


def _page(items: list[Choice], tail: list[Choice], start: int) -> tuple[list[Choice], int]:
    """The choices of the page that begins at `start`, and where the next one begins."""
    per = PAGE_MAX - 1 - len(tail)
    end = min(start + per, len(items))
    if end == len(items) and start == 0:
        return items + tail, 0
    more = (texts.PAGE_MORE.format(left=len(items) - end) if end < len(items) else texts.PAGE_FIRST)
    return [*items[start:end], Choice(ch.MORE_PAGE.encode(), more), *tail], (end if end < len(items) else 0)


def paged(reply: Reply, state: ChatState) -> Reply:
    """`reply` with its first page of choices; the whole list kept in `state` for "Xem thêm"."""
    state.pages = None
    if len(reply.choices) <= PAGE_MAX:
        return reply
    cut = len(reply.choices)
    while cut and _leaves(reply.choices[cut - 1]):
        cut -= 1
    items, tail = reply.choices[:cut], reply.choices[cut:]
    if len(tail) > 3:  # a list of exits only: nothing to page sensibly
        return reply
    choices, nxt = _page(items, tail, 0)
    state.pages = {"items": _as_dicts(items), "tail": _as_dicts(tail), "next": nxt}
    return Reply(reply.text, choices, reply.documents, reply.heading)


def next_page(state: ChatState) -> Reply | None:
    """The next page of the list kept in `state` (after the last, the first again)."""
    kept = state.pages
    if kept is None:
        return None
    try:
        items = [Choice(**c) for c in kept["items"]]
        tail = [Choice(**c) for c in kept["tail"]]
        start = int(kept["next"])
    except (KeyError, TypeError, ValueError):
        return None
    choices, nxt = _page(items, tail, start)
    kept["next"] = nxt
    shown = [c for c in choices if c in items]
    first = items.index(shown[0]) + 1 if shown else 1
    return Reply(texts.PAGE_HEAD.format(first=first, last=first + len(shown) - 1, total=len(items)), choices)
