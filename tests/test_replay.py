"""Crash and replay: a recorded Zalo conversation (menu, numbered choices, questions,
the 'Hỏi Văn phòng' flow with several steps) is played once without trouble, then
again with the process killed at one point of one update, restarted on the same
database, and the rest played on. The user must see exactly the replies of the run
without crashes: none missing, none twice, in the same order.

Each run uses the real Pipeline and Delivery on a fresh SQLite file; the messenger is
a recording fake that keeps what each chat was shown (text and numbered choices, as a
Zalo user reads them) across the restart, like the user's phone does.

Crash points, for update k:

    before_commit  the turn ran and wrote everything (state, inbox, log, office
                   question, outbox rows), the transaction is not committed; the
                   database is then as after a crash between accept and the turn
    after_commit   the turn is committed, nothing is sent
    after_claim    the first outbox row of the turn is claimed (status 'sending',
                   with a lease), the messenger never got it
    after_send     every row was sent and marked sent

`SimulatedCrash` derives from BaseException on purpose: a killed process runs no
`except Exception`, and the Delivery treats an unknown Exception from a channel as a
failed attempt (retried later), which is not what a crash does.

Updates 0..k-1 are played once, by the run without crashes, which keeps a copy of
its database as it was before each update (SQLite's backup API); the process that
crashes at update k starts on a copy of that, as after a clean restart there (the
bot keeps nothing a turn needs in memory), which keeps the 48 runs near 10 s.

The restart is a new App (a new engine), Pipeline and Delivery on the same file. It
(a) re-runs the updates left pending, from the payload kept in the inbox, (b) runs
one delivery pass, then (c) the messenger delivers update k again (the inbox
refuses it: it was accepted before) and the remaining updates follow.

About leases and "late" replies: bot/delivery.py prefixes a reply sent more than
LATE_AFTER (30 s) after its turn with an apology and drops its choices. The
Delivery here uses a lease of LEASE = 5 s (the production default is 60 s, see
test_a_crash_between_claim_and_send_is_sent_once_when_the_lease_expires for that
case), and the one delivery pass of the restart runs at now = utcnow() + LEASE +
1 s: a row left claimed by the dead process has its lease expired, and the rows
of the crashed turn are 6 s old, far from late. So every crash point is recovered the same way and
the texts are compared verbatim, without stripping anything.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage.repo
from bot.app import App, build_app
from bot.channel import Parsed
from bot.delivery import Delivery, Limits, late_notice
from bot.pipeline import FloodGuard, Pipeline
from bot.runner import RECOVER_AFTER
from bot.settings import Settings, load_settings
from handlers import texts
from handlers.events import Capabilities, IncomingEvent, Reply
from storage.models import utcnow
from storage.turns import TurnStore
from tests.conftest import REAL_CONTENT

CHANNEL = "zalo"
USER = "u1"
OFFICER = "officer"
CAPS = Capabilities(buttons=False, documents=False, text_limit=2000)
FAST = Limits(overall=1000.0, per_chat=1000.0, chat_burst=100)  # no waiting on the rate limiter in tests
LEASE = timedelta(seconds=5)

# One staff member on Zalo (text only). The comments say where the conversation is;
# test_the_recorded_conversation_goes_where_intended checks it does go there.
CONVERSATION = [
    "xin chào",  # 0  main menu
    "4",  # 1  "Hồ sơ - thủ tục": the topic's entries
    "1",  # 2  the first entry
    "bằng khen thủ tướng cần mấy bộ hồ sơ",  # 3  answered from the content
    "thủ tục làm hộ chiếu",  # 4  fallback; "1. Hỏi Văn phòng"
    "1",  # 5  the flow starts at its confirm step, with the question above
    "quay lại",  # 6  back to the question step
    "cho em hỏi thủ tục làm hộ chiếu công vụ cho cán bộ đi học",  # 7  the question; confirm again
    "hcld là gì",  # 8  a question in the middle of the flow: answered, the step shown again
    "1",  # 9  Gửi: the question goes to the Office, the officer gets a notice
    "cảm ơn",  # 10
    "/menu",  # 11
]
CRASH_POINTS = ("before_commit", "after_commit", "after_claim", "after_send")


class SimulatedCrash(BaseException):
    """The process dies here (kill -9): nothing after this point runs."""


def seen(reply: Reply) -> str:
    """What a Zalo user reads: the text, then the choices as numbered lines."""
    lines = [f"{i}. {c.label}" for i, c in enumerate(reply.choices, 1)]
    return "\n".join([reply.full_text, *lines]) if lines else reply.full_text


@dataclass
class Phone:
    """Everything the messenger showed, per chat; it outlives any process of the bot."""

    shown: list[tuple[str, str]] = field(default_factory=list)

    def of(self, chat_id: str) -> list[str]:
        return [text for chat, text in self.shown if chat == chat_id]


class RecordingChannel:
    name = CHANNEL
    capabilities = CAPS

    def __init__(self, phone: Phone):
        self.phone = phone

    async def deliver(self, chat_id: str, reply: Reply, reply_to: str | None = None) -> None:
        self.phone.shown.append((chat_id, seen(reply)))

    def parse(self, payload: dict) -> Parsed:
        """A stored update read back (the pipeline catching up after a crash)."""
        return Parsed("", payload, event_of("", payload), payload["user"])


def event_of(key: str, payload: dict) -> IncomingEvent:
    """The event an adapter parses from the stored payload (this fake's payload is minimal)."""
    return IncomingEvent(channel=CHANNEL, chat_id=payload["user"], user_id=payload["user"], text=payload["text"],
                         message_id=key)


def payload_of(text: str) -> dict:
    return {"user": USER, "text": text}


class Process:
    """One running bot process: its own engine, pipeline and delivery worker."""

    def __init__(self, settings: Settings, phone: Phone, lease: timedelta = LEASE,
                 recover_after: timedelta = timedelta(0)):
        self.app: App = build_app(settings)
        self.channel = RecordingChannel(phone)
        self.delivery = Delivery(self.app.outbox, {CHANNEL: self.channel}, limits={CHANNEL: FAST}, lease=lease)
        self.pipeline = Pipeline(self.app.conversation, self.app.repo, self.delivery,
                                 channels={CHANNEL: self.channel}, flood=FloodGuard(limit=1_000_000),
                                 recover_after=recover_after)

    async def receive(self, key: str, text: str) -> bool:
        """The messenger hands over one update; False when the inbox knew it already."""
        if not await self.pipeline.accept(CHANNEL, key, payload_of(text), USER):
            return False
        await self.pipeline.process(event_of(key, payload_of(text)), update_key=key)
        return True

    async def recover(self, now: datetime | None = None) -> list[str]:
        """What a start does: re-run the updates left pending, then one delivery pass."""
        pending = await self.pipeline.recover(CHANNEL)
        for key, payload in pending:
            await self.pipeline.process(event_of(key, payload), update_key=key)
        await self.delivery.run_once(now=now or utcnow() + LEASE + timedelta(seconds=1))
        return [key for key, _ in pending]

    def die(self) -> None:
        self.app.repo.engine.dispose()


def key_of(k: int) -> str:
    return f"msg-{k:02d}"


def make_settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, admin_ids=f"{CHANNEL}:{OFFICER}")


@dataclass(frozen=True)
class Outcome:
    to_user: list[str]
    to_officer: list[str]
    office_questions: list[str]
    question_log: int
    outbox: dict[str, int]
    inbox: list[str | None]


def outcome_of(process: Process, phone: Phone) -> Outcome:
    repo = process.app.repo
    return Outcome(to_user=phone.of(USER), to_officer=phone.of(OFFICER),
                   office_questions=[q.question for q in repo.office_questions()],
                   question_log=len(repo.question_log()), outbox=process.app.outbox.counts(),
                   inbox=[repo.update_status(CHANNEL, key_of(k)) for k in range(len(CONVERSATION))])


def db_file(settings: Settings) -> Path:
    return Path(settings.db_url.removeprefix("sqlite:///"))


@dataclass(frozen=True)
class Baseline:
    outcome: Outcome
    # Before update k: a copy of the database, and what the messenger had shown.
    before: list[tuple[Path, list[tuple[str, str]]]]


_BASELINE: dict[str, Baseline] = {}


async def baseline_run(tmp_path: Path) -> Baseline:
    """The run without crashes (played once per test session)."""
    if "run" not in _BASELINE:
        phone = Phone()
        settings = make_settings(tmp_path)
        process = Process(settings, phone)
        before = []
        for k, text in enumerate(CONVERSATION):
            copy = tmp_path / "before" / f"{k:02d}.sqlite3"
            copy.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(db_file(settings))) as src, closing(sqlite3.connect(copy)) as dst:
                src.backup(dst)
            before.append((copy, list(phone.shown)))
            assert await process.receive(key_of(k), text)
        _BASELINE["run"] = Baseline(outcome_of(process, phone), before)
        process.die()
    return _BASELINE["run"]


async def baseline(tmp_path: Path) -> Outcome:
    return (await baseline_run(tmp_path)).outcome


# --- the run without crashes ---------------------------------------------------------------


async def test_the_recorded_conversation_goes_where_intended(tmp_path: Path):
    """Guards the recording itself: if content or wording changes so that the
    conversation no longer reaches the flow, the replay tests would test less."""
    phone = Phone()
    process = Process(make_settings(tmp_path), phone)
    per_update: list[list[str]] = []
    for k, text in enumerate(CONVERSATION):
        before = len(phone.of(USER))
        assert await process.receive(key_of(k), text)
        per_update.append(phone.of(USER)[before:])
    assert all(per_update), "every update gets at least one reply"
    menu = per_update[0][0]
    assert f"4. {texts.MENU_DOSSIER}" in menu
    assert "Nguồn:" in per_update[2][0] and "Nguồn:" in per_update[3][0]
    assert per_update[4][0].startswith(texts.FALLBACK) and f"\n1. {texts.MENU_ASK_OFFICE}" in per_update[4][0]
    assert texts.OFFICE_CONFIRM.format(question=CONVERSATION[4]) in per_update[5][0]
    assert per_update[6][0].startswith(texts.OFFICE_ASK_PROMPT)
    assert texts.OFFICE_CONFIRM.format(question=CONVERSATION[7]) in per_update[7][0]
    aside, resumed = per_update[8]
    assert not aside.startswith(texts.FALLBACK)
    assert resumed.startswith(texts.FLOW_RESUME.format(title=texts.OFFICE_TITLE))
    assert per_update[9][0].startswith(texts.OFFICE_SENT.format(qid=1).split("\n")[0])
    assert per_update[10] == [texts.THANKS]
    assert per_update[11] == per_update[0]

    result = outcome_of(process, phone)
    assert result.office_questions == [CONVERSATION[7]]
    assert len(result.to_officer) == 1 and CONVERSATION[7] in result.to_officer[0]
    assert result.question_log >= 3  # the two questions, the fallback, the one asked during the flow
    assert result.outbox == {"sent": len(result.to_user) + len(result.to_officer)}
    assert result.inbox == ["done"] * len(CONVERSATION)
    assert result == await baseline(tmp_path / "b")


# --- a crash at every point of every update --------------------------------------------------


def _crash(process: Process, point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrange for `process` to die at `point` of the next update it handles."""
    if point == "before_commit":
        add_outbox = TurnStore.add_outbox

        def add_then_die(self: TurnStore, rows, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
            add_outbox(self, rows, *args, **kw)  # the last write of the turn; the commit is next
            raise SimulatedCrash(point)

        monkeypatch.setattr(TurnStore, "add_outbox", add_then_die)
    elif point == "after_commit":
        async def die_instead(claimed: list, ids: list[int]) -> None:  # noqa: ARG001
            raise SimulatedCrash(point)

        monkeypatch.setattr(process.delivery, "send_turn", die_instead)
    elif point == "after_claim":
        async def die_in_flight(chat_id: str, reply: Reply, reply_to: str | None = None) -> None:
            raise SimulatedCrash(point)

        monkeypatch.setattr(process.channel, "deliver", die_in_flight)
    elif point == "after_send":
        process_turn: Callable[..., Awaitable] = process.pipeline.process

        async def then_die(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            await process_turn(*args, **kwargs)
            raise SimulatedCrash(point)

        monkeypatch.setattr(process.pipeline, "process", then_die)
    else:  # pragma: no cover
        raise AssertionError(point)


def _check_the_crash_left(process: Process, point: str, key: str) -> None:
    """The database after the crash is what the crash point says (else the test tests nothing)."""
    status = process.app.repo.update_status(CHANNEL, key)
    counts = process.app.outbox.counts()
    if point == "before_commit":
        assert status == "pending", (point, status)
        assert "pending" not in counts and "sending" not in counts, (point, counts)
    elif point == "after_commit":
        # The turn's replies are committed claimed by the process (sent at once unless it dies).
        assert status == "done" and counts.get("sending", 0) >= 1, (point, counts)
    elif point == "after_claim":
        assert status == "done" and counts.get("sending", 0) >= 1, (point, counts)
    else:
        assert status == "done" and set(counts) == {"sent"}, (point, counts)


def _first_difference(got: list[str], want: list[str]) -> str:
    for i, (g, w) in enumerate(zip(got, want, strict=False)):
        if g != w:
            return f"message {i}: got {g[:120]!r}, expected {w[:120]!r}"
    if len(got) != len(want):
        extra = got[len(want):] or want[len(got):]
        return f"{len(got)} messages instead of {len(want)}; first difference {extra[0][:120]!r}"
    return "no difference"


@pytest.mark.parametrize("point", CRASH_POINTS)
@pytest.mark.parametrize("k", range(len(CONVERSATION)), ids=[f"{k:02d}" for k in range(len(CONVERSATION))])
async def test_a_crash_at_any_point_changes_nothing_the_user_sees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  k: int, point: str):
    base = await baseline_run(tmp_path / "baseline")
    want = base.outcome
    where = f"crash {point} of update {k} ({CONVERSATION[k]!r})"
    settings = make_settings(tmp_path)
    copy, shown = base.before[k]  # updates 0..k-1 played normally
    db_file(settings).parent.mkdir(parents=True)
    shutil.copyfile(copy, db_file(settings))
    phone = Phone(list(shown))

    first = Process(settings, phone)
    with monkeypatch.context() as m:
        _crash(first, point, m)
        with pytest.raises(SimulatedCrash):
            await first.receive(key_of(k), CONVERSATION[k])
    _check_the_crash_left(first, point, key_of(k))
    first.die()

    second = Process(settings, phone)
    recovered = await second.recover()
    assert recovered == ([key_of(k)] if point == "before_commit" else []), where
    assert not await second.receive(key_of(k), CONVERSATION[k]), f"{where}: the redelivery was not recognised"
    for i in range(k + 1, len(CONVERSATION)):
        assert await second.receive(key_of(i), CONVERSATION[i]), where

    got = outcome_of(second, phone)
    assert got.to_user == want.to_user, f"{where}: {_first_difference(got.to_user, want.to_user)}"
    assert got.to_officer == want.to_officer, f"{where}: {_first_difference(got.to_officer, want.to_officer)}"
    assert got.office_questions == want.office_questions, where
    assert got.question_log == want.question_log, where
    assert got.outbox == want.outbox, where
    assert got.inbox == want.inbox, where
    second.die()


# --- a crash between claiming a row and sending it -----------------------------------------


@pytest.mark.parametrize("lease", [LEASE, timedelta(seconds=60)], ids=["short-lease", "production-lease"])
async def test_a_crash_between_claim_and_send_is_sent_once_when_the_lease_expires(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lease: timedelta):
    """The 'Gửi' turn (a reply to the user, a notice to the officer) dies while the
    messenger is being called for the reply. The officer's notice, another chat, goes
    at once after the restart; the user's reply, and the next reply to the same chat,
    wait for the lease, then go once each, in order. With the production lease (60 s,
    more than LATE_AFTER) they go out as late: the apology first, no choices."""
    want = await baseline(tmp_path / "baseline")
    settings = make_settings(tmp_path)
    phone = Phone()
    gui = CONVERSATION.index("cảm ơn") - 1

    first = Process(settings, phone, lease=lease)
    for i in range(gui):
        assert await first.receive(key_of(i), CONVERSATION[i])
    sent_before = len(phone.shown)
    calls: list[str] = []

    async def die_once(chat_id: str, reply: Reply, reply_to: str | None = None) -> None:
        calls.append(chat_id)
        raise SimulatedCrash("after claim")

    with monkeypatch.context() as m:
        m.setattr(first.channel, "deliver", die_once)
        with pytest.raises(SimulatedCrash):
            await first.receive(key_of(gui), CONVERSATION[gui])
    assert calls == [USER]
    [claimed] = first.app.outbox.rows(("sending",))
    assert claimed.chat_id == USER and claimed.lease_until is not None
    lease_until = claimed.lease_until if claimed.lease_until.tzinfo else claimed.lease_until.replace(tzinfo=UTC)
    first.die()

    # Passes "while the lease holds" run at its last moment, not at the real time, so that
    # a slow machine does not see the lease expire before the test looks.
    holding = lease_until - timedelta(milliseconds=1)
    second = Process(settings, phone, lease=lease)
    assert await second.recover(now=holding) == []
    assert phone.shown[sent_before:] == [(OFFICER, want.to_officer[0])], "the officer's notice goes at once"
    # The user writes again before the lease expires: that reply must not overtake the one in flight.
    assert await second.receive(key_of(gui + 1), CONVERSATION[gui + 1])
    assert await second.delivery.run_once(now=holding) == 0
    assert phone.of(USER) == want.to_user[:len(phone.of(USER))]
    assert len(phone.shown) == sent_before + 1, "nothing goes to the user while the lease holds"

    assert await second.delivery.run_once(now=lease_until + timedelta(milliseconds=1)) == 2
    assert await second.delivery.run_once(now=lease_until + timedelta(hours=1)) == 0
    assert second.app.outbox.counts() == {"sent": len(want.to_user[:-1]) + 1}
    got = [text for chat, text in phone.shown[sent_before + 1:]]
    expected = want.to_user[len(want.to_user) - 3:-1]  # the 'Gửi' reply, then the thanks
    if lease < timedelta(seconds=30):
        assert got == expected
    else:  # late: the apology names the message answered, the choices are gone
        assert got[0] == f"{late_notice(CONVERSATION[gui])}\n\n{expected[0].split(chr(10) + '1. ')[0]}"
        assert got[1] == f"{late_notice(CONVERSATION[gui + 1])}\n\n{expected[1]}"
    second.die()


# --- the recovery policy of `python -m bot run` ------------------------------------------


async def test_another_instance_answers_a_cut_off_update_before_the_users_next_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """As above, crash before_commit of update 5 ("1": Hỏi Văn phòng), but the user goes
    on with another instance that did not restart, built as `bot.runner.serve` builds it
    (recover_after=RECOVER_AFTER): its periodic sweep leaves the update alone (it is
    seconds old), the messenger's redelivery is refused by the inbox, and the user,
    answered nothing, writes on. Their next message first catches up the lost one, so
    "1" is read against the list it answered."""
    want = await baseline(tmp_path / "baseline")
    settings = make_settings(tmp_path)
    phone = Phone()
    k = 5
    first = Process(settings, phone)
    for i in range(k):
        assert await first.receive(key_of(i), CONVERSATION[i])
    with monkeypatch.context() as m:
        _crash(first, "before_commit", m)
        with pytest.raises(SimulatedCrash):
            await first.receive(key_of(k), CONVERSATION[k])
    first.die()

    # Only what the runner does is modelled, not how it does it: the test passes once
    # the runner's recovery gives the user the replies of the run without crashes.
    second = Process(settings, phone, recover_after=RECOVER_AFTER)
    assert await second.recover() == []  # the sweep: the update is seconds old, left alone
    assert not await second.receive(key_of(k), CONVERSATION[k])  # the redelivery: accepted already
    for i in range(k + 1, len(CONVERSATION)):
        assert await second.receive(key_of(i), CONVERSATION[i])
    real_utcnow = storage.repo.utcnow
    monkeypatch.setattr(storage.repo, "utcnow", lambda: real_utcnow() + RECOVER_AFTER + timedelta(seconds=1))
    assert await second.recover(now=utcnow()) == []  # the sweep, RECOVER_AFTER later: nothing left

    got = outcome_of(second, phone)
    assert got.to_user == want.to_user, _first_difference(got.to_user, want.to_user)
    assert got.office_questions == want.office_questions
    second.die()
