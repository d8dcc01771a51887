"""The inbox's group commit (bot.pipeline.AcceptBatch): updates arriving together are
inserted in one transaction, and each caller still learns whether its own update is new."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.pipeline import AcceptBatch
from storage import db
from storage.repo import Repository


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest) -> Repository:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    db.upgrade(url)
    return Repository(db.make_engine(url))


async def test_a_burst_is_accepted_in_batches_each_caller_told_its_own_answer(repo: Repository,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert repo.accept_update("telegram", "5", {"update_id": 5})  # seen before the burst
    batches: list[int] = []
    many = repo.accept_many

    def counted(updates: list) -> list[bool]:  # noqa: ANN001
        batches.append(len(updates))
        return many(updates)

    monkeypatch.setattr(repo, "accept_many", counted)
    accepts = AcceptBatch(repo)
    keys = [str(i) for i in range(40)] + ["7"]  # "7" twice in one burst: only the first is new
    fresh = await asyncio.gather(*(accepts.accept("telegram", k, {"update_id": int(k)}, "u1") for k in keys))
    assert fresh == [k != "5" for k in keys[:-1]] + [False]
    assert batches == [len(keys)]  # all arrived before the writer ran: one transaction
    assert repo.update_status("telegram", "39") == "pending"


async def test_a_failed_batch_is_accepted_one_by_one(repo: Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(updates: list) -> list[bool]:  # noqa: ANN001
        raise RuntimeError("the batch's transaction failed")

    monkeypatch.setattr(repo, "accept_many", broken)
    single = repo.accept_update

    def refuse_13(channel: str, key: str, payload: dict | None = None, user_key: str | None = None) -> bool:
        if key == "13":
            raise RuntimeError("refused")
        return single(channel, key, payload, user_key)

    monkeypatch.setattr(repo, "accept_update", refuse_13)
    accepts = AcceptBatch(repo)
    results = await asyncio.gather(*(accepts.accept("zalo", str(k), None, None) for k in range(10, 16)),
                                   return_exceptions=True)
    assert [r if isinstance(r, bool) else "error" for r in results] == [True, True, True, "error", True, True]
    assert repo.update_status("zalo", "13") is None and repo.update_status("zalo", "15") == "pending"
