"""The ids of the buttons the features offer (an event's `choice`), each kind built and read
through one `Codec`, grouped by feature. No imports of the features: the routing table
reads them without loading the features (and storage) behind them, so answering a question
alone (`python -m bot ask`) starts fast.

An id is the codec's prefix and its typed fields joined by ":" ("oq:reply:12"); the last
field takes the rest of the id. Button data can be forged on Telegram: `decode` returns None
for anything that is not a well-formed id of its kind, and the feature says the choice is stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.events import Choice
from handlers.texts import BACK_TO_MENU


@dataclass(frozen=True)
class Codec:
    prefix: str
    fields: tuple[type, ...] = ()  # int or str, in order
    optional: int = 0  # how many trailing fields an older id may leave out (decoded as None)

    def encode(self, *values: object) -> str:
        if len(values) != len(self.fields):
            raise TypeError(f"{self.prefix}: {len(self.fields)} values expected, got {len(values)}")
        return ":".join((self.prefix, *(str(v) for v in values)))

    def matches(self, choice: str | None) -> bool:
        """Whether the id is of this kind, well-formed or not (it goes to this codec's feature)."""
        if not choice:
            return False
        return choice == self.prefix if not self.fields else choice.startswith(self.prefix + ":")

    def decode(self, choice: str | None) -> tuple | None:
        """The typed values of an id of this kind; () for a kind without fields; None when the
        id is not of this kind or not well-formed."""
        if not self.matches(choice):
            return None
        if not self.fields:
            return ()
        assert choice is not None
        parts = choice[len(self.prefix) + 1:].split(":", len(self.fields) - 1)
        if not len(self.fields) - self.optional <= len(parts) <= len(self.fields):
            return None
        values: list[object] = []
        for kind, part in zip(self.fields, parts, strict=False):
            if kind is int:
                if not part.isdigit():
                    return None
                values.append(int(part))
            else:
                values.append(part)
        return (*values, *([None] * (len(self.fields) - len(values))))

    def one(self, choice: str | None) -> object | None:
        """The single field of an id of a one-field kind, or None."""
        values = self.decode(choice)
        return values[0] if values else None


def kind_of(choice: str | None, *codecs: Codec) -> Codec | None:
    """Which of these codecs the id belongs to."""
    return next((c for c in codecs if c.matches(choice)), None)


# Everywhere
MENU = Codec("menu")  # "Menu chính"
MORE_PAGE = Codec("pg:more")  # "Xem thêm": the next page of a long list (handlers/pages.py)

# Questions and answers (handlers/qa/answers.py)
QA = Codec("m:qa")  # "Hỏi đáp": ask, with the topics
TOPICS = Codec("m:topics")  # "Các chủ đề khác"
TOPIC = Codec("t", (str,))  # + topic id
ENTRY = Codec("e", (str,))  # + entry id: its answer
DETAILS = Codec("d", (str,))  # + entry id: its whole answer ("Xem chi tiết")

# Forms (handlers/flows.py): + step name and the option's value
FLOW_OPTION = Codec("f", (str, str), optional=1)  # "f:step" alone: a value not offered

# Questions to the Office (handlers/office/flow.py)
ASK_OFFICE = Codec("oq:ask")  # the "Hỏi Văn phòng" button
OFFICE_REPLY = Codec("oq:reply", (int,))  # + question id: an officer's "Trả lời" button
OPEN_QUESTIONS = Codec("oq:open")  # the questions waiting for an answer (/cauhoi)

# Deadlines and reminders (handlers/deadlines/flow.py, handlers/deadlines/reminders.py)
ACK = Codec("rem:ack", (int, int), optional=1)  # + deadline id and occurrence: "Đã nộp" under a reminder
DEADLINES = Codec("m:deadlines")  # the deadlines (the main-menu item)
REMINDERS_ON, REMINDERS_OFF = Codec("dl:on"), Codec("dl:off")
NEW_DEADLINE = Codec("dl:new")
DEADLINE_ICS = Codec("dl:ics", (int,))  # + deadline id: its calendar file
DEADLINE_EDIT = Codec("dl:edit", (int,))  # + deadline id
DEADLINE_CANCEL = Codec("dl:cancel", (int,))  # + deadline id
DEADLINE_ANY = Codec("dl", (str,))  # any deadline choice, well-formed or not (the feature reads it)

# Profile (handlers/profile/flow.py, handlers/profile/erasure.py)
PROFILE_EDIT = Codec("p:edit", (str,))  # + full_name | unit | leader | all
PROFILE_DELETE = Codec("p:delete")

# Good-example reports (handlers/reports/flow.py)
REPORT_START = Codec("m:report")
MINE = Codec("r:mine")
WITHDRAW = Codec("r:wd", (int,))  # + report id: asks first
WITHDRAW_SURE = Codec("r:wdy", (int,))  # + report id: the confirmation
ADD_MORE = Codec("r:add", (int,))  # + report id: "Bổ sung"

# Review by officers (handlers/reports/review.py)
APPROVE, ASK_MORE, REJECT = Codec("r:ok", (int,)), Codec("r:more", (int,)), Codec("r:no", (int,))  # + report id
DECISIONS = {APPROVE: "approve", ASK_MORE: "more", REJECT: "reject"}
REVIEW = Codec("r:review")
EXPORT = Codec("r:export")

# Main menu items of commands (handlers/commands.py)
HELP = Codec("m:help")

# Officers' choices: the router refuses them to staff (the features check again).
OFFICERS_ONLY = (OFFICE_REPLY, OPEN_QUESTIONS, REVIEW, EXPORT, *DECISIONS, NEW_DEADLINE, DEADLINE_EDIT, DEADLINE_CANCEL)

# Choices that start a form: during another form they are refused, not stacked.
STARTS_FLOW = (ASK_OFFICE, OFFICE_REPLY, NEW_DEADLINE, DEADLINE_CANCEL, DEADLINE_EDIT, REMINDERS_ON, REPORT_START,
               ADD_MORE, PROFILE_EDIT, PROFILE_DELETE, REVIEW, EXPORT, *DECISIONS)


def menu() -> Choice:
    """"Menu chính", under most replies."""
    return Choice(MENU.encode(), BACK_TO_MENU)
