"""Migrations and queries on a real SQLite file and, when CI provides it, real PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session

from storage import db
from storage.models import utcnow
from storage.outbox import OutboxStore
from storage.repo import Repository
from storage.turns import OutboxRow, TurnStore
from tests.people import person, state_of

# These tests are about the migrations themselves: no copy of a migrated template.
pytestmark = pytest.mark.real_migrations

TABLES = {"users", "conversation_states", "question_log", "processed_updates", "alembic_version", "outbox",
          "office_questions", "stored_files"}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'nested' / 'bot.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def test_migrations_create_every_table_and_are_idempotent(url: str):
    db.upgrade(url)
    db.upgrade(url)  # a second start must not fail
    names = set(inspect(db.make_engine(url)).get_table_names())
    assert TABLES <= names


def test_a_leader_answer_never_asked_becomes_unknown_and_an_answered_one_stays(url: str):
    db.upgrade(url, "0005_reports")
    engine = db.make_engine(url)
    with engine.begin() as conn:
        for uid, seen in ((1, "2026-12-01 08:00:00+00"), (2, None)):  # begun by a report; by /nhacnho
            conn.execute(text("INSERT INTO users (id, channel, external_id, created_at, last_seen_at) "
                              "VALUES (:id, 'zalo', :ext, '2026-12-01', '2026-12-01')"), {"id": uid, "ext": f"u{uid}"})
            conn.execute(text("INSERT INTO profiles (user_id, unit_id, is_leader, reminders, invite_ok, notice_seen_at,"
                              " updated_at) VALUES (:id, 'van-phong', false, true, false, :seen, '2026-12-01')"),
                         {"id": uid, "seen": seen})
    db.upgrade(url)
    with engine.connect() as conn:
        assert dict(conn.execute(text("SELECT user_id, is_leader FROM profiles ORDER BY user_id")).all()) == {
            1: None, 2: False}


def test_users_state_and_question_log(url: str):
    db.upgrade(url)
    repo = Repository(db.make_engine(url))
    u1 = person(repo, "zalo", "6ede9afa66", "Nguyễn Văn A")
    u2 = person(repo, "zalo", "6ede9afa66", "Nguyễn Văn A (Phòng 1)")
    assert u1.id == u2.id and u2.display_name == "Nguyễn Văn A (Phòng 1)"
    other = person(repo, "telegram", "6ede9afa66")
    assert other.id != u1.id  # the same id on another channel is another person

    with repo.session() as s:
        store = TurnStore(s)
        assert store.load_state(u1.id) == ({}, None)
        assert store.save_state(u1.id, {"choices": [{"id": "e:x", "label": "X"}]}, None)
        s.commit()
    assert state_of(repo, u1.id)["choices"][0]["id"] == "e:x"
    assert state_of(repo, other.id) == {}

    # Versions: of two turns that read the same state, only the first to write wins.
    with repo.session() as a, repo.session() as b:
        state_a, version_a = TurnStore(a).load_state(u1.id)
        state_b, version_b = TurnStore(b).load_state(u1.id)
        a.rollback()
        b.rollback()
    assert version_a == version_b == 1
    with repo.session() as a:
        assert TurnStore(a).save_state(u1.id, {"choices": []}, version_a)
        a.commit()
    with repo.session() as b:
        assert not TurnStore(b).save_state(u1.id, {"lost": True}, version_b)
        b.rollback()
    assert state_of(repo, u1.id) == {"choices": []}

    with repo.session() as s:
        store = TurnStore(s)
        for _ in range(3):
            store.log_question(user_id=u1.id, channel="zalo", text="Lương cơ sở?", normalized="luong co so",
                               outcome="fallback", entry_id=None, score=0.1)
        store.log_question(user_id=u1.id, channel="zalo", text="BK TTg?", normalized="bang khen",
                           outcome="clarify", entry_id="ho-so-bk-ttg", score=0.5)
        store.log_question(user_id=u1.id, channel="zalo", text="HCLĐ mấy bộ", normalized="hcld",
                           outcome="answer", entry_id="ho-so-hcld", score=0.9)
        s.commit()
    rows = repo.unanswered()
    assert [(r.text, r.count) for r in rows] == [("Lương cơ sở?", 3), ("BK TTg?", 1)]
    assert len(repo.question_log()) == 5


def test_inbox_accepts_once_and_recovers_unfinished(url: str):
    db.upgrade(url)
    repo = Repository(db.make_engine(url))
    assert repo.accept_update("telegram", "101", {"update_id": 101})
    assert not repo.accept_update("telegram", "101", {"update_id": 101})
    assert repo.accept_update("zalo", "101", None)  # keys are per channel
    assert repo.accept_update("telegram", "102", {"update_id": 102})
    repo.finish_update("telegram", "102")
    assert repo.pending_updates("telegram") == [("101", {"update_id": 101})]
    repo.finish_update("telegram", "101")
    assert repo.pending_updates("telegram") == []
    assert repo.update_status("telegram", "101") == "done"


def test_an_update_that_keeps_failing_is_given_up(url: str):
    db.upgrade(url)
    repo = Repository(db.make_engine(url))
    repo.accept_update("zalo", "m1", {"x": 1})
    for _ in range(3):
        assert repo.pending_updates("zalo", max_attempts=3) == [("m1", {"x": 1})]
    assert repo.pending_updates("zalo", max_attempts=3) == []
    assert repo.update_status("zalo", "m1") == "failed"


def test_replies_kept_by_the_old_pipeline_become_outbox_messages_on_upgrade(url: str):
    db.upgrade(url, "0001")
    engine = db.make_engine(url)
    repo = Repository(engine)
    kept = {"chat_id": "c1", "replies": [{"text": "Trả lời", "choices": [], "documents": []}], "question": "hỏi"}
    with engine.begin() as conn:  # a row as the old schema and pipeline left it
        conn.execute(text("INSERT INTO processed_updates (channel, update_key, status, payload, attempts, created_at) "
                          "VALUES ('zalo', 'm2', 'undelivered', :p, 0, :at)"), {"p": json.dumps(kept), "at": utcnow()})
    db.upgrade(url)
    assert repo.update_status("zalo", "m2") == "done"
    [row] = OutboxStore(engine).rows()
    assert (row.channel, row.chat_id, row.status, row.payload["reply"]["text"]) == ("zalo", "c1", "pending", "Trả lời")
    assert repo.prune_updates(older_than=timedelta(0)) == 1


def test_outbox_rows_are_unique_claimed_once_and_sent_in_order_per_chat(url: str):
    db.upgrade(url)
    engine = db.make_engine(url)
    out = OutboxStore(engine)
    rows = [OutboxRow(f"k{i}", "telegram", chat, "notice", {"reply": {"text": f"m{i}"}})
            for i, chat in enumerate(["a", "a", "b"])]
    with Session(engine) as s:
        ids = TurnStore(s).add_outbox(rows + rows[:1])  # the same key twice: stored once
        s.commit()
    assert len(ids) == 3
    lease = timedelta(seconds=30)
    # Only the oldest unsent row of a chat can be claimed.
    assert out.due_heads() == [ids[0], ids[2]]
    assert out.claim(ids[1], lease) is None
    first = out.claim(ids[0], lease)
    assert first is not None and out.claim(ids[0], lease) is None  # a second worker gets nothing
    # A claim whose worker died is taken again once the lease has expired, not before.
    assert out.claim(ids[0], lease, now=utcnow() + timedelta(seconds=10)) is None
    assert out.claim(ids[0], lease, now=utcnow() + timedelta(seconds=31)) is not None
    out.mark_sent_many([ids[0]])
    assert out.claim(ids[0], lease, now=utcnow() + timedelta(hours=1)) is None  # sent: never again
    assert out.next_of_chat("telegram", "a") == ids[1]
    out.retry_later(ids[1], utcnow() + timedelta(minutes=5), "503", 1)
    assert out.due_heads() == [ids[2]]
    assert out.due_heads(now=utcnow() + timedelta(minutes=6)) == [ids[1], ids[2]]
    assert out.counts() == {"sent": 1, "pending": 2}


def test_a_row_deferred_to_later_does_not_hold_its_chat_but_a_due_or_retried_one_does(url: str):
    db.upgrade(url)
    engine = db.make_engine(url)
    out = OutboxStore(engine)
    morning = utcnow() + timedelta(hours=8)  # a reminder queued in quiet hours, for the morning
    with Session(engine) as s:
        store = TurnStore(s)
        [deferred] = store.add_outbox([OutboxRow("rem", "zalo", "a", "notice", {"reply": {"text": "nhắc"}},
                                                 not_before=morning)])
        assert not store.chat_has_unsent("zalo", "a")  # a turn now claims its replies at once
        [answer] = store.add_outbox([OutboxRow("r1", "zalo", "a", "reply", {"reply": {"text": "trả lời"}})])
        [console] = store.add_outbox([OutboxRow("c1", "console", "me", "notice", {"reply": {"text": "x"}})])
        s.commit()
    lease = timedelta(seconds=30)
    assert out.due_heads() == [answer, console]
    assert out.due_heads(channels=["zalo", "telegram"]) == [answer]  # a worker claims only its channels
    assert out.claim(answer, lease) is not None
    out.mark_sent_many([answer])
    # In the morning the reminder is due, and a reply after it waits for it.
    with Session(engine) as s:
        [later] = TurnStore(s).add_outbox([OutboxRow("r2", "zalo", "a", "reply", {"reply": {"text": "sau"}})])
        s.commit()
    assert out.claim(later, lease) is not None  # before the morning: nothing holds it
    out.mark_sent_many([later])
    with Session(engine) as s:
        [last] = TurnStore(s).add_outbox([OutboxRow("r3", "zalo", "a", "reply", {"reply": {"text": "cuối"}})])
        assert TurnStore(s).chat_has_unsent("zalo", "a", now=morning + timedelta(minutes=1))
        s.commit()
    assert out.claim(last, lease, now=morning + timedelta(minutes=1)) is None
    assert out.due_heads(now=morning + timedelta(minutes=1), channels=["zalo"]) == [deferred]
    # A row tried once and waiting for its retry keeps its place: the chat waits for it.
    assert out.claim(deferred, lease, now=morning) is not None
    out.retry_later(deferred, morning + timedelta(minutes=5), "503", 1)
    assert out.claim(last, lease, now=morning + timedelta(minutes=1)) is None
    assert out.claim(deferred, lease, now=morning + timedelta(minutes=6)) is not None


def test_a_blocked_recipient_gets_no_more_notices_and_the_sender_is_told(url: str):
    db.upgrade(url)
    engine = db.make_engine(url)
    repo, out = Repository(engine), OutboxStore(engine)
    person(repo, "zalo", "staff")
    tell = {"channel": "telegram", "user_id": "officer", "key": "told", "reply": {"text": "không gửi được"}}
    with Session(engine) as s:
        ids = TurnStore(s).add_outbox([
            OutboxRow("n1", "zalo", "staff", "notice", {"reply": {"text": "a"}, "on_blocked": tell}),
            OutboxRow("n2", "zalo", "staff", "notice", {"reply": {"text": "b"}})])
        s.commit()
    row = out.claim(ids[0], timedelta(seconds=30))
    assert row is not None
    [told] = out.mark_blocked(row, "Forbidden: bot was blocked by the user")
    assert out.recipient_unreachable("zalo", "staff")
    assert {r.dedup_key: r.status for r in out.rows()} == {"n1": "blocked", "n2": "blocked", "told": "pending"}
    assert out.get(told).chat_id == "officer"
    person(repo, "zalo", "staff")  # they write again: reachable again
    assert not out.recipient_unreachable("zalo", "staff")


def test_db_upgrade_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    from bot.cli import main

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "d"))
    assert main(["db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert (tmp_path / "d" / "bot.sqlite3").exists()


def test_recovery_claims_each_update_once_and_can_wait_for_live_instances(url: str):
    from datetime import timedelta

    db.upgrade(url)
    repo = Repository(db.make_engine(url))
    other = Repository(db.make_engine(url))  # a second instance on the same database
    repo.accept_update("telegram", "7", {"update_id": 7})
    # Just accepted: another instance may still be answering it.
    assert repo.pending_updates("telegram", older_than=timedelta(minutes=1)) == []
    first = repo.pending_updates("telegram")
    second = other.pending_updates("telegram")
    assert first == [("7", {"update_id": 7})]
    assert second == [("7", {"update_id": 7})]  # still pending: a later claim may retry it
    repo.finish_update("telegram", "7")
    assert other.pending_updates("telegram") == []


def test_the_outbox_statements_built_by_several_threads_at_once_are_never_half_built(monkeypatch):
    """OutboxStore builds its three statements once, lazily; a dispatcher sends from several threads.
    Built one by one into class attributes, a thread arriving in between took the later ones as None
    ("Executable SQL or text() construct expected, got None", seen once in the two-dispatcher test).
    Slowing the build down opens that window wide; every thread must still get all three."""
    import threading
    import time as _time

    from storage.outbox import OutboxStore

    built = OutboxStore._claimable

    def slow(now):  # noqa: ANN001, ANN202
        _time.sleep(0.05)
        return built(now)

    monkeypatch.setattr(OutboxStore, "_STMTS", None)
    monkeypatch.setattr(OutboxStore, "_claimable", staticmethod(slow))
    got = []

    def take(i: int) -> None:
        _time.sleep(i * 0.015)  # arriving while the first thread is still building (each part takes 50 ms)
        got.append(OutboxStore._stmts())

    threads = [threading.Thread(target=take, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # (The statements built one by one into three attributes gave 3 of 8 threads a None here.)
    assert len(got) == 8 and all(s is not None and None not in s for s in got)
