"""Migrations and queries on a real SQLite file and, when CI provides it, real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from storage import db
from storage.repo import Repository

TABLES = {"users", "conversation_states", "question_log", "processed_updates", "alembic_version"}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'nested' / 'bot.sqlite3'}"


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A throw-away schema in the CI database, so runs never see each other's rows."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def test_migrations_create_every_table_and_are_idempotent(url: str):
    db.upgrade(url)
    db.upgrade(url)  # a second start must not fail
    names = set(inspect(db.make_engine(url)).get_table_names())
    assert TABLES <= names


def test_users_state_and_question_log(url: str):
    db.upgrade(url)
    repo = Repository(db.make_engine(url))
    u1 = repo.get_or_create_user("zalo", "6ede9afa66", "Nguyễn Văn A")
    u2 = repo.get_or_create_user("zalo", "6ede9afa66", "Nguyễn Văn A (Phòng 1)")
    assert u1.id == u2.id and u2.display_name == "Nguyễn Văn A (Phòng 1)"
    other = repo.get_or_create_user("telegram", "6ede9afa66")
    assert other.id != u1.id  # the same id on another channel is another person

    repo.save_state(u1.id, {"choices": [{"id": "e:x", "label": "X"}]})
    assert repo.load_state(u1.id)["choices"][0]["id"] == "e:x"
    repo.save_state(u1.id, {"choices": []})
    assert repo.load_state(u1.id) == {"choices": []}
    assert repo.load_state(other.id) == {}

    for _ in range(3):
        repo.log_question(user_id=u1.id, channel="zalo", text="Lương cơ sở?", normalized="luong co so",
                          outcome="fallback", entry_id=None, score=0.1)
    repo.log_question(user_id=u1.id, channel="zalo", text="BK TTg?", normalized="bang khen",
                      outcome="clarify", entry_id="ho-so-bk-ttg", score=0.5)
    repo.log_question(user_id=u1.id, channel="zalo", text="HCLĐ mấy bộ", normalized="hcld",
                      outcome="answer", entry_id="ho-so-hcld", score=0.9)
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


def test_kept_replies_are_handed_out_apart_from_pending_updates_and_given_up_in_time(url: str):
    db.upgrade(url)
    repo = Repository(db.make_engine(url))
    repo.accept_update("zalo", "m2", {"message": "raw"})
    kept = {"chat_id": "c1", "replies": [{"text": "Trả lời", "choices": [], "documents": []}], "question": "hỏi"}
    repo.defer_delivery("zalo", "m2", "c1", kept["replies"], "hỏi")
    assert repo.update_status("zalo", "m2") == "undelivered"
    assert repo.pending_updates("zalo") == []  # the message is not handled again
    for _ in range(2):
        assert repo.undelivered("zalo", max_attempts=2) == [("m2", kept)]
    assert repo.undelivered("zalo", max_attempts=2) == []
    assert repo.update_status("zalo", "m2") == "failed"
    assert repo.prune_updates(older_than=timedelta(0)) == 1


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
