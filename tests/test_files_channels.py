"""Files users send, through the real channels and a handler that keeps them:
a Telegram album reaches the handler as one event, its photos fetched by file_id
inside the turn; a Zalo image is downloaded as it arrives, so it is kept even
when its link has expired by the time the handler runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlmodel import select

from handlers.context import FileUnavailable, TurnContext
from handlers.conversation import Conversation
from handlers.events import Reply, Turn
from storage.models import ProcessedUpdate, StoredFile
from tests.fake_zalo import make_update
from tests.test_office_channels import both

JPEG = b"\xff\xd8\xff\xe0" + b"anh trao thuong " * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"giay khen " * 300


@dataclass
class Keeper:
    """What the stand-in handler saw: (number of attachments, what keep() gave) per turn,
    and hooks run on each attachment before it is kept."""

    seen: list[tuple[int, list]] = field(default_factory=list)
    hooks: list[Callable[[object], None]] = field(default_factory=list)


@pytest.fixture
def keeping(monkeypatch: pytest.MonkeyPatch) -> Keeper:
    """Replaces the conversation with a handler that keeps every attachment (at most
    4 KB each) and says how many it received."""
    keeper = Keeper()

    def handle(self: Conversation, ctx: TurnContext) -> Turn:
        kept: list = []
        for a in ctx.event.attachments:
            for hook in keeper.hooks:
                hook(a)
            try:
                kept.append(ctx.files.keep(a, 4096))  # type: ignore[union-attr]
            except FileUnavailable as exc:
                kept.append(exc.reason)
        keeper.seen.append((len(ctx.event.attachments), kept))
        return Turn([Reply(f"đã nhận {len(ctx.event.attachments)} tệp")], state=ctx.state)

    monkeypatch.setattr(Conversation, "handle", handle)
    return keeper


async def test_a_telegram_album_is_one_event_and_its_photos_are_kept(tmp_path: Path, keeping: Keeper):
    async with both(tmp_path) as b:
        b.tg.add_file("p1", JPEG)
        b.tg.add_file("p2", PNG)
        user = 5550002
        for file_id, data in (("p1", JPEG), ("p2", PNG)):
            photo = [{"file_id": file_id, "file_unique_id": f"u-{file_id}", "width": 800, "height": 600,
                      "file_size": len(data)}]
            b.tg.push(b.tg.message_update(user, photo=photo, media_group_id="album-1",
                                          **({"caption": "Ảnh lễ trao thưởng"} if file_id == "p1" else {})))
        [reply] = await b.tg.wait_for(lambda: b.tg.messages_to(user))
        assert "đã nhận 2 tệp" in reply.params["text"]
        [(count, rows)] = keeping.seen
        assert count == 2 and all(isinstance(r, StoredFile) for r in rows)
        assert [b.app.files.open(r.id) for r in rows] == [JPEG, PNG]
        assert [r.mime_type for r in rows] == ["image/jpeg", "image/png"]
        # Both parts' inbox rows are done with the one turn: a restart does not handle them again.
        with b.app.repo.session() as s:
            assert {r.status for r in s.exec(select(ProcessedUpdate))} == {"done"}


async def test_a_zalo_image_is_kept_as_it_arrives_and_survives_its_link(tmp_path: Path, keeping: Keeper):
    async with both(tmp_path) as b:
        url = b.zalo.serve_image(JPEG)
        keeping.hooks.append(lambda a: b.zalo.expire(url))  # the link is dead when the handler runs
        b.zalo.push(make_update("image", message_id="img-1", user="nv-lan", photo=url))
        await b.zalo.wait_texts("nv-lan", 1)
        [(count, [row])] = keeping.seen
        assert count == 1 and isinstance(row, StoredFile)
        assert b.app.files.open(row.id) == JPEG and row.channel == "zalo"
        assert b.zalo.image_requests.count(url.rsplit("/", 1)[-1]) == 1


async def test_a_file_over_the_limit_is_refused_before_it_is_downloaded(tmp_path: Path, keeping: Keeper):
    async with both(tmp_path) as b:
        big = b"%PDF-1.4 " + b"x" * 9000
        b.tg.add_file("d1", big)
        doc = {"file_id": "d1", "file_unique_id": "u-d1", "file_name": "to-trinh.pdf",
               "mime_type": "application/pdf", "file_size": len(big)}
        b.tg.push(b.tg.message_update(5550003, document=doc))
        await b.tg.wait_for(lambda: b.tg.messages_to(5550003))
        assert keeping.seen == [(1, ["too_large"])]
        assert b.tg.downloads == [] and not b.tg.calls_to("getFile")
