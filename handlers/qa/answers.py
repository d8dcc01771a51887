"""Questions and answers from the curated content: the reply to a question (short in a chat,
its details behind "Xem chi tiết"), several questions in one message, the whole answers
("chi tiết"), and the topics and entries picked from a list.

Nothing here reads storage beyond logging the question asked, so `python -m bot ask`
loads only this and the content."""

from __future__ import annotations

from dataclasses import dataclass

from content import expansions
from content.matcher import MatchResult
from content.normalize import has_letters
from content.service import Knowledge
from handlers import choices as ch
from handlers import texts
from handlers.context import TurnContext
from handlers.events import Choice, Reply
from handlers.menu import menu_choices
from handlers.office import choices as oc
from handlers.qa import choices as qc

MAX_QUESTION = 1000  # characters; longer messages are refused politely, not truncated silently
SHORT_FOLLOW_UPS = 2  # related entries offered beside "Xem chi tiết" under a short answer
NOTE_LENGTH = 80  # characters: a paragraph this long said again in the same reply is left out
PHONE_LENGTH = 700  # characters an answer with its list stays under (README: under 700 with its choices)


@dataclass(frozen=True)
class AnswerResult:
    kind: str
    reply_list: list[Reply]
    match: MatchResult | None

    @property
    def score(self) -> float:
        return self.match.score if self.match else 0.0


class Answers:
    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge

    def on_choice(self, ctx: TurnContext, choice: str) -> list[Reply]:
        """A topic, an entry or its details picked from a list (the choices of handlers/qa/commands.py)."""
        if qc.QA.matches(choice):
            return [Reply(texts.ASK_PROMPT, self.topic_choices())]
        if qc.TOPICS.matches(choice):
            return [Reply(texts.MAIN_MENU, self.topic_choices())]
        if (topic_id := qc.TOPIC.one(choice)) is not None:
            topic = self.knowledge.kb.topic(str(topic_id))
            if topic is None:
                return [Reply(texts.STALE_CHOICE, menu_choices())]
            entries = self.knowledge.kb.entries_of(topic.id)
            if not entries:
                return [Reply(texts.TOPIC_EMPTY, menu_choices())]
            intro = texts.TOPIC_INTRO.format(title=topic.title, description=topic.description).replace("\n\n\n", "\n\n")
            choices = [Choice(qc.ENTRY.encode(e.id), e.title) for e in entries]
            choices.append(ch.menu())
            return [Reply(intro, choices)]
        if (entry_id := qc.ENTRY.one(choice)) is not None:
            entry = self.knowledge.kb.by_id.get(str(entry_id))
            if entry is None:
                return [Reply(texts.STALE_CHOICE, menu_choices())]
            ctx.state.about = self.knowledge.about(entry)  # "còn giấy khen thì sao" after picking it
            ctx.state.last_entries = [entry.id]
            return [self.entry_reply(entry)]
        if (entry_id := qc.DETAILS.one(choice)) is not None:
            return self.details([str(entry_id)], ctx)
        return [Reply(texts.STALE_CHOICE, menu_choices())]

    def answer(self, question: str, *, ctx: TurnContext | None = None, record: bool = True,
               full: bool = False) -> AnswerResult:
        """The reply to a question. In a chat an answer is short, its details behind "Xem chi
        tiết"; `full` gives the whole answers at once (`ask`, where nobody can ask for more)."""
        text = question.strip()
        if not text:
            return AnswerResult("fallback", [Reply(texts.EMPTY_MESSAGE, menu_choices())], None)
        if len(text) > MAX_QUESTION:
            reply = Reply(texts.TOO_LONG.format(length=f"{len(text):,}".replace(",", "."), limit=MAX_QUESTION))
            return AnswerResult("fallback", [reply], None)
        if not has_letters(text):
            return AnswerResult("fallback", [Reply(texts.NOT_TEXT, menu_choices())], None)
        # Read with what the previous answer was about (a follow-up fills its gaps from
        # it), and split into its questions when it asks several.
        reading = self.knowledge.read(text, ctx.state.about if ctx is not None else None)
        if ctx is not None and reading.about is not None:
            ctx.state.about = reading.about
        elif ctx is not None:  # a question not answered: what came before it does not fill the next
            ctx.state.about = None
        if ctx is not None:  # what "chi tiết" opens next
            shown = [e.id for _, r in reading.parts if r.kind == "answer" and r.entry is not None
                     for e in (r.entry, *r.also)]
            ctx.state.last_entries = shown
        if len(reading.parts) > 1:
            return self.several(reading.parts, ctx if record else None, full)
        result = reading.parts[0][1]
        if result.kind == "answer":
            # A runner-up almost as good is offered first, in case it was meant.
            close = [c.entry.id for c in result.candidates[1:2]
                     if result.score - c.score <= self.knowledge.matcher.thresholds.spread]
            replies = [self.entry_reply(result.entry, prefer=close, full=full)]
            replies += [self.entry_reply(other, full=full) for other in result.also]
            # A comparison's answers share one list of choices (the last), so "1" is never ambiguous.
            replies = self.together(replies, [result.entry, *result.also], fit=not full)
        elif result.kind == "clarify":
            choices = [Choice(qc.ENTRY.encode(c.entry.id), c.entry.title) for c in result.candidates]
            choices.append(Choice(qc.TOPICS.encode(), texts.MORE_TOPICS))
            replies = [Reply(f"{texts.CLARIFY}\n{texts.CLARIFY_TEXT_HINT}", choices)]
        else:
            choices = [Choice(oc.ASK_OFFICE.encode(), texts.MENU_ASK_OFFICE), *self.topic_choices()]
            # "Luật Thi đua, khen thưởng 2022 có hiệu lực khi nào": not in the plans, but what is
            # known of it (content/sources.yaml) is said, with whom to confirm it.
            note = self.knowledge.kb.note_asked(text)
            replies = [Reply(texts.FALLBACK_NOTED.format(note=note) if note else texts.FALLBACK, choices)]
            if reading.filled and reading.filled[0]:
                # A follow-up about a text of the conversation the content says nothing about:
                # said with the question as it was understood ("người ký chỉ thị 19/CT-TTg").
                replies = [Reply(texts.PART_NOT_FOUND.format(question=reading.filled[0]), choices)]
        if record and ctx is not None:
            ctx.store.log_question(
                user_id=ctx.user_id, channel=ctx.event.channel, text=text, normalized=result.normalized,
                outcome=result.kind, entry_id=result.entry.id if result.entry else (
                    result.candidates[0].entry.id if result.candidates else None),
                score=result.score)
        return AnswerResult(result.kind, replies, result)

    def several(self, parts: list[tuple[str, MatchResult]], ctx: TurnContext | None,
                 full: bool = False) -> AnswerResult:
        """Several questions in one message, answered in order. Only the last reply
        carries choices (the follow-ups of all the answers), so the whole reply has
        at most one numbered list; each question the content lacks is said so, and
        logged for the curators on its own."""
        replies, entries = [], []
        for part, r in parts:
            if r.kind == "answer" and r.entry is not None:
                replies.append(self.entry_reply(r.entry, full=full))
                entries.append(r.entry)
            else:
                replies.append(Reply(texts.PART_NOT_FOUND.format(question=part.strip())))
                entries.append(None)
            if ctx is not None:
                ctx.store.log_question(
                    user_id=ctx.user_id, channel=ctx.event.channel, text=part[:MAX_QUESTION], normalized=r.normalized,
                    outcome=r.kind, entry_id=r.entry.id if r.entry else (
                        r.candidates[0].entry.id if r.candidates else None), score=r.score)
        first = next(r for _, r in parts if r.kind == "answer")
        return AnswerResult("answer", self.together(replies, entries, fit=not full), first)

    @staticmethod
    def together(replies: list[Reply], entries: list, fit: bool = False) -> list[Reply]:
        """Answers sent together (a comparison, several questions, their details): each long
        name spelt out once in all of them, and one list of choices, on the last, so "1" is
        never ambiguous: the details of each answer, then the follow-ups of all. `fit`: short
        answers in a chat, whose last message stays under PHONE_LENGTH."""
        said: set[str] = set()
        for r, text in zip(replies, expansions.once([r.text for r in replies]), strict=True):
            # A note two answers share (the 2022 Law) is said once, with the first of them.
            paragraphs = text.split("\n\n")
            r.text = "\n\n".join(p for p in paragraphs if len(p) < NOTE_LENGTH or p not in said)
            said.update(paragraphs)
        if len(replies) < 2:
            return replies
        answered = {e.id for e in entries if e is not None}
        details, follow = [], []
        for r, e in zip(replies, entries, strict=True):
            details += [Choice(c.id, texts.SEE_DETAILS_OF.format(title=e.title)) for c in r.choices
                        if qc.DETAILS.matches(c.id)]
            follow += [c for c in r.choices if qc.ENTRY.matches(c.id) and qc.ENTRY.one(c.id) not in answered]
            r.choices = []
        follow = list(dict((c.id, c) for c in follow).values())[:max(2, 5 - len(details))]
        last = replies[-1]
        last.choices = [*details, *follow, ch.menu()]
        # The last answer carries every list line: the follow-ups go first when it would not
        # fit a phone's screen (the details of what was asked stay).
        while fit and follow and _shown_length(last) > PHONE_LENGTH:
            last.choices.remove(follow.pop())
        return replies

    def entry_reply(self, entry, prefer: list[str] | None = None, full: bool = False) -> Reply:  # noqa: ANN001
        """An entry's answer, shaped for a phone: the direct answer with its source first,
        "Xem chi tiết" for the rest (the whole answer and its notes) when there is more;
        `full`: the whole answer."""
        kb = self.knowledge.kb
        source = texts.SOURCE_LINE.format(source=kb.source_text(entry))
        follow = list(dict.fromkeys([*(prefer or []), *entry.related]))
        choices = [Choice(qc.ENTRY.encode(rid), kb.by_id[rid].title) for rid in follow if rid in kb.by_id and rid != entry.id]
        if full or not kb.has_details(entry):
            body = f"{kb.answer_text(entry)}\n\n{source}"
        else:
            # A one-line note (the 2022 Law now governs procedures) is said with the answer itself.
            note = kb.short_note(entry)
            body = f"{kb.short_text(entry)}\n\n{source}" + (f"\n\n{note}" if note else "")
            follow = choices[:SHORT_FOLLOW_UPS]
            # Fewer follow-ups (all of them are behind "Xem chi tiết") where the note would
            # push the reply past a phone screen.
            while follow and _shown_length(Reply(body, [Choice(qc.DETAILS.encode(entry.id), texts.SEE_DETAILS), *follow,
                                                        ch.menu()],
                                                  heading=entry.title)) > PHONE_LENGTH:
                follow.pop()
            choices = [Choice(qc.DETAILS.encode(entry.id), texts.SEE_DETAILS), *follow]
        choices.append(ch.menu())
        return Reply(expansions.once([body])[0], choices, heading=entry.title)

    def details(self, ids: list[str], ctx: TurnContext) -> list[Reply]:
        """The whole answers of these entries ("Xem chi tiết", or "chi tiết" typed)."""
        kb = self.knowledge.kb
        entries = [kb.by_id[i] for i in ids if i in kb.by_id][:3]
        if not entries:
            return [Reply(texts.NO_DETAILS, self.topic_choices())]
        ctx.state.last_entries = [e.id for e in entries]
        ctx.state.about = self.knowledge.about(entries[-1])
        return self.together([self.entry_reply(e, full=True) for e in entries], entries)

    def topic_choices(self) -> list[Choice]:
        choices = [Choice(qc.TOPIC.encode(t.id), t.title) for t in self.knowledge.kb.topics]
        choices.append(ch.menu())
        return choices


def _shown_length(reply: Reply) -> int:
    """About how long a reply is as numbered lines ("1. ...", and the line saying how to answer)."""
    return len(reply.full_text) + sum(len(c.label) + 5 for c in reply.choices) + 35
