"""Zalo update shapes (tests/fixtures/zalo/*.json) → IncomingEvent, and rendering."""

from __future__ import annotations

import copy

import pytest

from bot.kernel.retry import Backoff
from bot.rendering import ZALO_LIMIT
from bot.zalo.adapter import render
from bot.zalo.parse import InvalidUpdate, parse_update, unwrap
from handlers.events import Attachment, Choice, Reply
from tests.fake_zalo import FIXTURES, load_fixture


def test_every_fixture_is_parsed_or_refused_cleanly() -> None:
    names = sorted(p.stem for p in FIXTURES.glob("*.json"))
    assert len(names) >= 10
    for name in names:
        data = load_fixture(name)
        if name == "missing_chat":
            with pytest.raises(InvalidUpdate):
                parse_update(data)
        else:
            assert parse_update(data).message_id


def test_text_from_the_reference_sample() -> None:
    p = parse_update(load_fixture("text"))
    assert p.message_id == "2d758cb5e0b0a2f5b8e1"
    e = p.event
    assert e is not None
    assert (e.channel, e.chat_id, e.user_id, e.text) == ("zalo", "6ede9afa66b14ec1a2a3", "6ede9afa66b14ec1a2a3",
                                                         "xin chào")
    assert e.display_name == "Nguyen Van A"
    assert e.message_id == "2d758cb5e0b0a2f5b8e1"
    assert e.choice is None and e.unsupported is None and e.attachments == ()


def test_bare_result_and_first_name() -> None:
    e = parse_update(load_fixture("text_bare_first_name")).event
    assert e is not None
    assert e.display_name == "Trần Thị Bình" and e.text == "ho so hcld nop may bo"


def test_text_without_event_name_and_name_field() -> None:
    p = parse_update(load_fixture("text_no_event_name"))
    assert p.event_name == "message.text.received"
    assert p.event is not None and p.event.text == "/start" and p.event.display_name == "Lê Văn Cường"


def test_envelope_and_bare_are_the_same() -> None:
    enveloped = load_fixture("text")
    assert unwrap(enveloped) == enveloped["result"]
    assert parse_update(enveloped) == parse_update(enveloped["result"])


def test_image_becomes_a_photo_attachment() -> None:
    e = parse_update(load_fixture("image")).event
    assert e is not None and e.text == ""
    assert e.attachments == (Attachment(kind="photo", url="https://photo-stal.zdn.vn/example/photo-1750316134000.jpg",
                                        caption="Ảnh buổi trao thưởng"),)


@pytest.mark.parametrize(("name", "kind"), [("sticker", "sticker"), ("voice", "voice"),
                                            ("unsupported", "unsupported")])
def test_sticker_voice_unsupported(name: str, kind: str) -> None:
    e = parse_update(load_fixture(name)).event
    assert e is not None and e.unsupported == kind and e.text == ""


def test_unknown_event_is_valid_but_not_for_us() -> None:
    p = parse_update(load_fixture("unknown_event"))
    assert p.event is None and p.event_name == "message.reaction.received" and p.message_id == "react-7788"


def test_group_chat_replies_to_the_chat_and_knows_the_sender() -> None:
    data = load_fixture("group_text")
    data["result"]["message"]["text"] = "@Bot Thi Đua: tieu chuan chien si thi dua"
    e = parse_update(data, ("bot.thidua", "Bot Thi Đua")).event
    assert e is not None and e.chat_id == "g-55aa66bb" and e.user_id == "6ede9afa66b14ec1a2a3"
    assert e.text == "tieu chuan chien si thi dua"


@pytest.mark.parametrize(("text", "expected"), [
    ("tieu chuan chien si thi dua", None),  # chatter among members
    ("@bot.thidua2 hỏi bot khác", None),
    ("email ai@bot.thidua", None),
    ("/menu", "/menu"),
    ("@BOT.THIDUA hồ sơ BK", "hồ sơ BK"),
    ("cho em hỏi @bot.thidua hồ sơ BK", "cho em hỏi hồ sơ BK"),
])
def test_group_messages_need_a_command_or_a_mention(text: str, expected: str | None) -> None:
    data = load_fixture("group_text")
    data["result"]["message"]["text"] = text
    e = parse_update(data, ("bot.thidua",)).event
    assert (e.text if e else None) == expected


def test_group_stickers_are_ignored() -> None:
    data = load_fixture("sticker")
    data["result"]["message"]["chat"]["chat_type"] = "GROUP"
    assert parse_update(data, ("bot.thidua",)).event is None


@pytest.mark.parametrize("mutate", [
    lambda r: r.pop("message"),
    lambda r: r["message"].pop("message_id"),
    lambda r: r["message"].__setitem__("message_id", ""),
    lambda r: r["message"].__setitem__("message_id", {"x": 1}),
    lambda r: r["message"].pop("chat"),
    lambda r: r["message"].__setitem__("chat", "oops"),
    lambda r: r["message"]["chat"].__setitem__("id", None),
    lambda r: r.__setitem__("message", []),
])
def test_missing_ids_are_refused_not_crashing(mutate) -> None:  # noqa: ANN001
    result = copy.deepcopy(load_fixture("text")["result"])
    mutate(result)
    with pytest.raises(InvalidUpdate):
        parse_update(result)


@pytest.mark.parametrize("body", [None, [], "text", 3])
def test_non_objects_are_refused(body) -> None:  # noqa: ANN001
    with pytest.raises(InvalidUpdate):
        parse_update(body)


def test_tolerant_details() -> None:
    result = copy.deepcopy(load_fixture("text")["result"])
    msg = result["message"]
    msg["message_id"] = 12345
    msg["from"] = {"id": 777, "first_name": "Phạm", "last_name": "Dũng"}
    msg["chat"]["id"] = 777
    msg["text"] = None
    e = parse_update(result).event
    assert e is not None
    assert (e.message_id, e.user_id, e.chat_id, e.display_name, e.text) == ("12345", "777", "777", "Phạm Dũng", "")
    # No sender at all: the chat is the user (private chats).
    msg.pop("from")
    e = parse_update(result).event
    assert e is not None and e.user_id == "777" and e.display_name is None
    # A bot's own message is ignored.
    msg["from"] = {"id": "b1", "is_bot": True}
    assert parse_update(result).event is None


def test_image_without_a_link_is_unsupported() -> None:
    result = copy.deepcopy(load_fixture("image")["result"])
    result["message"]["photo"] = "not a url"
    e = parse_update(result).event
    assert e is not None and e.unsupported == "unsupported" and e.attachments == ()


def test_render_numbers_choices_and_splits_long_text() -> None:
    menu = Reply("Chọn:", [Choice("a", "Một"), Choice("b", "Hai")])
    assert render(menu) == ["Chọn:\n\n1. Một\n2. Hai\n(Trả lời bằng số từ 1 đến 2.)"]
    paragraphs = [f"Đoạn {i}: " + "nội dung quy định về hồ sơ khen thưởng " * 12 for i in range(12)]
    long = Reply("\n\n".join(paragraphs), [Choice("menu", "Menu chính")])
    parts = render(long)
    assert len(parts) > 1
    assert all(0 < len(p) <= ZALO_LIMIT for p in parts)
    assert all(p.startswith("Đoạn ") for p in parts)  # cut on paragraph boundaries
    assert "1. Menu chính" in parts[-1] and all("1. Menu chính" not in p for p in parts[:-1])
    assert render(Reply("")) == []


def test_backoff_doubles_to_the_cap_and_resets() -> None:
    b = Backoff(1.0, 30.0)
    assert [b.next() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    b.reset()
    assert b.next() == 1


def test_a_heading_stays_with_the_long_list_that_follows_it() -> None:
    from bot.rendering import split_text

    items = "\n".join(f"- Nhóm {i}: " + "nội dung " * 20 for i in range(1, 15))
    text = f"Bảy nhóm nội dung\n\nKế hoạch đề ra các nhóm sau:\n\n{items}\n\nNguồn: KH"
    parts = split_text(text, ZALO_LIMIT)
    assert len(parts) == 2 and all(len(p) <= ZALO_LIMIT for p in parts)
    assert parts[0].startswith("Bảy nhóm nội dung\n\nKế hoạch đề ra các nhóm sau:\n\n- Nhóm 1:")
    assert " ".join("\n".join(parts).split()) == " ".join(text.split())
