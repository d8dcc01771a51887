"""The conversation: one incoming event in, the replies out. No messenger here.

State that must survive between messages (the choices last offered, so a
numbered answer on Zalo or in the console can be read back) is stored per
user through the repository, never in memory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from content.loader import ContentError
from content.matcher import MatchResult
from content.normalize import fold, has_letters
from content.service import Knowledge
from handlers import texts
from handlers.events import Choice, IncomingEvent, Reply
from storage.repo import Repository

log = logging.getLogger(__name__)

MAX_QUESTION = 1000  # characters; longer messages are refused politely, not truncated silently

# Main menu: choice id -> (label, what it opens).
MENU = [
    ("m:qa", texts.MENU_QA),
    ("t:tieu-chi", texts.MENU_CRITERIA),
    ("t:hinh-thuc", texts.MENU_FORMS),
    ("t:ho-so", texts.MENU_DOSSIER),
    ("m:report", texts.MENU_REPORT),
    ("m:deadlines", texts.MENU_DEADLINES),
    ("m:help", texts.MENU_HELP),
]

COMMANDS = {
    "start": "menu", "menu": "menu", "batdau": "menu",
    "hoi": "ask", "trogiup": "help", "help": "help", "huy": "cancel", "cancel": "cancel",
    "reload": "reload", "napnoidung": "reload",
}
# Plain words that mean the same as a command, typed without the slash.
WORD_COMMANDS = {
    "menu": "menu", "bat dau": "menu", "menu chinh": "menu", "start": "menu",
    "tro giup": "help", "huong dan": "help", "help": "help",
    "huy": "cancel", "huy bo": "cancel", "thoat": "cancel",
}
GREETINGS = {"xin chao", "chao", "chao ban", "chao bot", "hello", "hi", "alo", "chao anh", "chao chi", "chao em"}
# "bạn là ai?", "chào bạn, bạn tên gì vậy": the bot introduces itself.
WHO_ARE_YOU = re.compile(r"^(?:(?:xin )?chao(?: ban| bot| em| ad)? )?(?:ban|bot|em|ad|admin) (?:la ai|ten (?:la )?gi|la gi"
                         r"|la bot gi|lam duoc gi|giup duoc gi)(?: vay| the| a| nhi| nhe| day)?$")
THANKS = {"cam on", "cam on ban", "cam on nhieu", "thanks", "thank you", "ok cam on", "cam on a", "tks"}


class Conversation:
    def __init__(self, knowledge: Knowledge, repo: Repository, is_admin: Callable[[str, str], bool] | None = None):
        self.knowledge = knowledge
        self.repo = repo
        self.is_admin = is_admin or (lambda _c, _u: False)

    # --- entry point -------------------------------------------------------
    def handle(self, event: IncomingEvent) -> list[Reply]:
        user = self.repo.get_or_create_user(event.channel, event.user_id, event.display_name)
        state = self.repo.load_state(user.id)
        offered = [Choice(**c) for c in state.get("choices", [])]
        replies = self._dispatch(event, offered, user.id)
        # Remember what was offered last so "2" in the next message means the second line.
        last = next((r for r in reversed(replies) if r.choices), None)
        state["choices"] = [{"id": c.id, "label": c.label} for c in last.choices] if last else []
        self.repo.save_state(user.id, state)
        return replies

    def _dispatch(self, event: IncomingEvent, offered: list[Choice], user_id: int) -> list[Reply]:
        choice = event.choice or self._read_choice(event.text, offered)
        if choice:
            return self._on_choice(choice, event)
        text = (event.text or "").strip()
        caption = next((a.caption.strip() for a in event.attachments if a.caption and a.caption.strip()), "")
        if not text and caption and not event.unsupported:
            # A photo with a question written under it gets the answer; a caption
            # that only describes the photo ("Ảnh trao thưởng") is not a question.
            found = self.answer(caption, record=False)
            if found.kind == "answer":
                return [Reply(texts.PHOTO_CAPTION_READ), *found.reply_list]
        if not text:
            if event.unsupported:
                return [Reply(texts.UNSUPPORTED.get(event.unsupported, texts.UNSUPPORTED["unsupported"]))]
            if event.attachments:
                return [Reply(texts.UNSUPPORTED["photo"])]
            return [Reply(texts.EMPTY_MESSAGE, self._menu_choices())]
        if text.startswith("/"):
            name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
            action = COMMANDS.get(name)
            if action:
                rest = text.split(maxsplit=1)[1] if " " in text else ""
                return self._on_command(action, event, rest)
        folded = fold(text)
        if folded in WORD_COMMANDS:
            return self._on_command(WORD_COMMANDS[folded], event, "")
        if folded in GREETINGS or WHO_ARE_YOU.match(folded):
            return self._welcome(event)
        if folded in THANKS:
            return [Reply(texts.THANKS)]
        return self.answer(text, event=event, user_id=user_id).reply_list

    # --- choices -------------------------------------------------------------
    @staticmethod
    def _read_choice(text: str, offered: list[Choice]) -> str | None:
        """A listed number ("2", "2.", "số 2") or a choice's own text picks that choice."""
        if not offered or not text:
            return None
        folded = fold(text)
        number = folded.removeprefix("so ").removeprefix("chon ").strip().rstrip(".")
        if number.isdigit() and 1 <= int(number) <= len(offered):
            return offered[int(number) - 1].id
        for c in offered:
            if fold(c.label) == folded:
                return c.id
        return None

    def _on_choice(self, choice: str, event: IncomingEvent) -> list[Reply]:
        kind, _, arg = choice.partition(":")
        kb = self.knowledge.kb
        if choice == "menu":
            return [Reply(texts.MAIN_MENU, self._menu_choices())]
        if kind == "m":
            if arg == "qa":
                return [Reply(texts.ASK_PROMPT, self._topic_choices())]
            if arg == "help":
                return [Reply(texts.HELP, [Choice("menu", texts.BACK_TO_MENU)])]
            if arg in ("report", "deadlines"):
                return [Reply(texts.COMING_SOON[arg], [Choice("menu", texts.BACK_TO_MENU)])]
            if arg == "topics":
                return [Reply(texts.MAIN_MENU, self._topic_choices())]
        if kind == "t":
            topic = kb.topic(arg)
            if topic is None:
                return [Reply(texts.STALE_CHOICE, self._menu_choices())]
            entries = kb.entries_of(topic.id)
            if not entries:
                return [Reply(texts.TOPIC_EMPTY, self._menu_choices())]
            intro = texts.TOPIC_INTRO.format(title=topic.title, description=topic.description).replace("\n\n\n", "\n\n")
            choices = [Choice(f"e:{e.id}", e.title) for e in entries]
            choices.append(Choice("menu", texts.BACK_TO_MENU))
            return [Reply(intro, choices)]
        if kind == "e":
            entry = kb.by_id.get(arg)
            if entry is None:
                return [Reply(texts.STALE_CHOICE, self._menu_choices())]
            return [self._entry_reply(entry)]
        return [Reply(texts.STALE_CHOICE, self._menu_choices())]

    # --- commands ----------------------------------------------------------
    def _on_command(self, action: str, event: IncomingEvent, rest: str) -> list[Reply]:
        if action == "menu":
            return self._welcome(event)
        if action == "help":
            return [Reply(texts.HELP, [Choice("menu", texts.BACK_TO_MENU)])]
        if action == "ask":
            if rest.strip():
                return self.answer(rest, event=event).reply_list
            return [Reply(texts.ASK_PROMPT)]
        if action == "cancel":
            return [Reply(texts.NOTHING_TO_CANCEL, self._menu_choices())]
        if action == "reload":
            if not self.is_admin(event.channel, event.user_id):
                return [Reply(texts.NOT_ADMIN)]
            try:
                kb = self.knowledge.reload()
            except ContentError as exc:
                return [Reply(texts.RELOAD_FAILED.format(problems="\n".join(exc.problems[:10])))]
            return [Reply(texts.RELOADED.format(entries=len(kb.entries), topics=len(kb.topics)))]
        return [Reply(texts.STALE_CHOICE, self._menu_choices())]

    def _welcome(self, event: IncomingEvent) -> list[Reply]:
        name = f" {event.display_name}" if event.display_name else ""
        return [Reply(texts.WELCOME.format(name=name, bot=texts.BOT_NAME), self._menu_choices())]

    # --- question answering --------------------------------------------------
    def answer(self, question: str, *, event: IncomingEvent | None = None, user_id: int | None = None,
               record: bool = True) -> AnswerResult:
        text = question.strip()
        if not text:
            return AnswerResult("fallback", [Reply(texts.EMPTY_MESSAGE, self._menu_choices())], None)
        if len(text) > MAX_QUESTION:
            reply = Reply(texts.TOO_LONG.format(length=f"{len(text):,}".replace(",", "."), limit=MAX_QUESTION))
            return AnswerResult("fallback", [reply], None)
        if not has_letters(text):
            return AnswerResult("fallback", [Reply(texts.NOT_TEXT, self._menu_choices())], None)
        result = self.knowledge.match(text)
        if result.kind == "answer":
            # A runner-up almost as good is offered first, in case it was meant.
            close = [c.entry.id for c in result.candidates[1:2]
                     if result.score - c.score <= self.knowledge.matcher.thresholds.spread]
            replies = [self._entry_reply(result.entry, prefer=close)]
            replies += [self._entry_reply(other) for other in result.also]
        elif result.kind == "clarify":
            choices = [Choice(f"e:{c.entry.id}", c.entry.title) for c in result.candidates]
            choices.append(Choice("m:topics", texts.MORE_TOPICS))
            replies = [Reply(f"{texts.CLARIFY}\n{texts.CLARIFY_TEXT_HINT}", choices)]
        else:
            replies = [Reply(texts.FALLBACK, self._topic_choices())]
        if record and event is not None:
            try:
                self.repo.log_question(
                    user_id=user_id, channel=event.channel, text=text, normalized=result.normalized,
                    outcome=result.kind, entry_id=result.entry.id if result.entry else (
                        result.candidates[0].entry.id if result.candidates else None),
                    score=result.score)
            except Exception:  # the log must never cost the user an answer
                log.exception("could not record question")
        return AnswerResult(result.kind, replies, result)

    def _entry_reply(self, entry, prefer: list[str] | None = None) -> Reply:  # noqa: ANN001
        kb = self.knowledge.kb
        body = f"{entry.answer}\n\n{texts.SOURCE_LINE.format(source=entry.source)}"
        follow = list(dict.fromkeys([*(prefer or []), *entry.related]))
        choices = [Choice(f"e:{rid}", kb.by_id[rid].title) for rid in follow if rid in kb.by_id and rid != entry.id]
        choices.append(Choice("menu", texts.BACK_TO_MENU))
        return Reply(body, choices, heading=entry.title)

    # --- menus -------------------------------------------------------------------
    @staticmethod
    def _menu_choices() -> list[Choice]:
        return [Choice(cid, label) for cid, label in MENU]

    def _topic_choices(self) -> list[Choice]:
        choices = [Choice(f"t:{t.id}", t.title) for t in self.knowledge.kb.topics]
        choices.append(Choice("menu", texts.BACK_TO_MENU))
        return choices


@dataclass(frozen=True)
class AnswerResult:
    kind: str
    reply_list: list[Reply]
    match: MatchResult | None

    @property
    def score(self) -> float:
        return self.match.score if self.match else 0.0
