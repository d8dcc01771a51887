"""The Telegram channel's pure parts: update -> event, reply -> messages, retry policy."""

from __future__ import annotations

import html

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage

from bot.kernel.redact import Redactor
from bot.telegram.adapter import BotIdentity, parse_update
from bot.telegram.render import caption_html, measure, render, split_html
from bot.telegram.retry import api_retry, call_with_retry
from handlers.events import Choice, Reply
from tests.fake_telegram import parse_html

ME = BotIdentity(id=999, username="ThiDuaBot")


def _msg(text: str | None = None, chat_type: str = "private", **extra: object) -> dict:
    chat = {"id": -5 if chat_type != "private" else 42, "type": chat_type}
    msg = {"message_id": 7, "date": 0, "chat": chat, "from": {"id": 42, "is_bot": False, "first_name": "Hùng",
                                                             "last_name": "Trần Văn"}}
    if text is not None:
        msg["text"] = text
    msg.update(extra)
    return {"update_id": 1, "message": msg}


# --- adapter ---------------------------------------------------------------------------

def test_private_text_message() -> None:
    inbound = parse_update(_msg("hồ sơ mấy bộ"), ME)
    assert inbound is not None and inbound.callback_id is None and inbound.reply_to is None
    e = inbound.event
    assert (e.channel, e.chat_id, e.user_id, e.text, e.display_name, e.message_id) == (
        "telegram", "42", "42", "hồ sơ mấy bộ", "Hùng Trần Văn", "7")


def test_display_name_falls_back_to_username() -> None:
    update = _msg("hi")
    update["message"]["from"] = {"id": 42, "is_bot": False, "first_name": "", "username": "hung"}
    assert parse_update(update, ME).event.display_name == "hung"


def test_callback_query_becomes_a_choice() -> None:
    update = {"update_id": 2, "callback_query": {
        "id": "cq1", "from": {"id": 42, "is_bot": False, "first_name": "Hùng"}, "chat_instance": "x", "data": "e:ho-so",
        "message": {"message_id": 70, "date": 0, "chat": {"id": 42, "type": "private"}}}}
    inbound = parse_update(update, ME)
    assert inbound.callback_id == "cq1"
    assert (inbound.event.choice, inbound.event.chat_id, inbound.event.user_id, inbound.event.text) == (
        "e:ho-so", "42", "42", "")


def test_callback_without_data_is_only_answered() -> None:
    update = {"update_id": 2, "callback_query": {"id": "cq1", "from": {"id": 42, "is_bot": False, "first_name": "H"},
                                                 "chat_instance": "x", "game_short_name": "g"}}
    inbound = parse_update(update, ME)
    assert inbound.callback_id == "cq1" and inbound.event is None


def test_photo_takes_the_largest_size_and_the_caption() -> None:
    photo = [{"file_id": "s", "file_unique_id": "1", "width": 90, "height": 90, "file_size": 10},
             {"file_id": "l", "file_unique_id": "3", "width": 1280, "height": 1280, "file_size": 9000},
             {"file_id": "m", "file_unique_id": "2", "width": 320, "height": 320, "file_size": 900}]
    e = parse_update(_msg(photo=photo, caption="trao thưởng"), ME).event
    assert e.text == ""
    assert [(a.kind, a.file_id, a.size, a.caption) for a in e.attachments] == [("photo", "l", 9000, "trao thưởng")]


def test_document_keeps_name_and_type() -> None:
    doc = {"file_id": "d1", "file_unique_id": "u", "file_name": "a.docx", "mime_type": "application/msword",
           "file_size": 12}
    (a,) = parse_update(_msg(document=doc), ME).event.attachments
    assert (a.kind, a.file_id, a.file_name, a.mime_type, a.size) == ("document", "d1", "a.docx",
                                                                      "application/msword", 12)


@pytest.mark.parametrize(("extra", "kind"), [
    ({"sticker": {"file_id": "x"}}, "sticker"),
    ({"voice": {"file_id": "x"}}, "voice"),
    ({"video_note": {"file_id": "x"}}, "voice"),
    ({"location": {"latitude": 1, "longitude": 2}}, "unsupported"),
    ({"animation": {"file_id": "x"}, "document": {"file_id": "x"}}, "unsupported"),
])
def test_unusable_contents_are_named(extra: dict, kind: str) -> None:
    e = parse_update(_msg(**extra), ME).event
    assert e.unsupported == kind and not e.attachments


@pytest.mark.parametrize("update", [
    _msg(new_chat_members=[{"id": 1, "is_bot": False, "first_name": "A"}]),  # service message
    {"update_id": 3, "edited_message": _msg("x")["message"]},
    {"update_id": 4, "my_chat_member": {}},
    {"update_id": 5, "channel_post": {"message_id": 1, "date": 0, "chat": {"id": -1, "type": "channel"}, "text": "x"}},
    {"update_id": 6},
])
def test_updates_not_for_the_bot_are_ignored(update: dict) -> None:
    assert parse_update(update, ME) is None


def test_messages_from_bots_are_ignored() -> None:
    update = _msg("hi")
    update["message"]["from"]["is_bot"] = True
    assert parse_update(update, ME) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("hồ sơ mấy bộ", None),  # chatter
    ("/menu@OtherBot", None),  # another bot's command
    ("/menu", "/menu"),
    ("/menu@thiduabot", "/menu"),  # usernames are case-insensitive
    ("/hoi@ThiDuaBot hồ sơ mấy bộ", "/hoi hồ sơ mấy bộ"),
    ("@ThiDuaBot hồ sơ mấy bộ", "hồ sơ mấy bộ"),
    ("@thiduabot, hồ sơ mấy bộ?", "hồ sơ mấy bộ?"),
    ("cho hỏi @ThiDuaBot hồ sơ mấy bộ", "cho hỏi hồ sơ mấy bộ"),
    ("@ThiDuaBotFan hồ sơ", None),  # a different username that starts the same
    ("email a@ThiDuaBot.vn", None),
])
def test_group_messages_need_a_command_or_mention(text: str, expected: str | None) -> None:
    inbound = parse_update(_msg(text, chat_type="supergroup"), ME)
    if expected is None:
        assert inbound is None
    else:
        assert inbound.event.text == expected
        assert inbound.reply_to == 7


def test_group_reply_to_the_bot_is_addressed() -> None:
    update = _msg("thế còn HCLĐ?", chat_type="group",
                  reply_to_message={"message_id": 3, "date": 0, "chat": {"id": -5, "type": "group"},
                                    "from": {"id": ME.id, "is_bot": True, "first_name": "Bot"}})
    assert parse_update(update, ME).event.text == "thế còn HCLĐ?"
    update["message"]["reply_to_message"]["from"]["id"] = 123
    assert parse_update(update, ME) is None


def test_group_photo_with_mention_in_caption() -> None:
    photo = [{"file_id": "p", "file_unique_id": "1", "width": 1, "height": 1}]
    e = parse_update(_msg(chat_type="group", photo=photo, caption="@ThiDuaBot ảnh minh chứng"), ME).event
    assert e.attachments[0].caption == "ảnh minh chứng"


# --- rendering -------------------------------------------------------------------------

def test_text_is_escaped_and_the_source_line_set_in_italics() -> None:
    (m,) = render(Reply("A <b>x</b> & <script>\n\nNguồn: KH 515/KH-VKS, mục IV.4", [Choice("menu", "Menu")]))
    assert m.html == "A &lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;\n\n<i>Nguồn: KH 515/KH-VKS, mục IV.4</i>"
    assert parse_html(m.html) == "A <b>x</b> & <script>\n\nNguồn: KH 515/KH-VKS, mục IV.4"
    assert m.buttons == (Choice("menu", "Menu"),)


def test_long_text_splits_on_paragraphs_with_buttons_on_the_last_part() -> None:
    paragraphs = [f"Đoạn {i}. " + "x" * 900 for i in range(12)]
    messages = render(Reply("\n\n".join(paragraphs), [Choice("a", "A")]))
    assert len(messages) == 3
    assert all(measure(m.html) <= 4096 for m in messages)
    assert [bool(m.buttons) for m in messages] == [False, False, True]
    assert all(m.plain.startswith("Đoạn ") for m in messages)


def test_escaping_and_emoji_are_counted_when_splitting() -> None:
    # Each "<" becomes "&lt;" and each emoji counts twice in UTF-16: 4,000 characters become 16,000.
    for text in ("<" * 4000, "😀" * 4000, "a&b " * 1000 + "\n\n" + "<>" * 1500):
        parts = split_html(text)
        assert len(parts) >= 2
        assert all(measure(h) <= 4096 for h, _ in parts)
        assert "".join(html.unescape(h) for h, _ in parts).replace(" ", "").replace("\n", "") == \
            text.replace(" ", "").replace("\n", "")


def test_reply_with_only_buttons_still_has_text() -> None:
    (m,) = render(Reply("", [Choice("menu", "Menu")]))
    assert m.html.strip() and m.buttons


def test_empty_reply_sends_nothing() -> None:
    assert render(Reply("  ")) == []


def test_captions() -> None:
    assert caption_html("a < b") == "a &lt; b"
    assert caption_html(None) is None
    assert caption_html("&" * 300) is None  # 1,500 characters once escaped: too long for a caption


# --- retry -------------------------------------------------------------------------------

METHOD = SendMessage(chat_id=1, text="x")


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


async def test_retry_after_is_waited_exactly() -> None:
    sleeps, calls = Sleeps(), []

    async def fn() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise TelegramRetryAfter(METHOD, "Too Many Requests", retry_after=7)
        return "ok"

    assert await call_with_retry(fn, what="sendMessage", policy=api_retry(), sleep=sleeps) == "ok"
    assert sleeps == [7.0] and len(calls) == 2


async def test_network_errors_back_off_exponentially_and_give_up() -> None:
    sleeps = Sleeps()

    async def fn() -> None:
        raise TelegramNetworkError(METHOD, "ClientConnectorError")

    policy = api_retry(attempts=5, initial=1.0, maximum=5.0)
    with pytest.raises(TelegramNetworkError):
        await call_with_retry(fn, what="sendMessage", policy=policy, sleep=sleeps)
    assert len(sleeps) == 4
    for got, nominal in zip(sleeps, [1, 2, 4, 5], strict=True):
        assert 0.75 * nominal <= got <= 1.25 * nominal


async def test_server_errors_are_retried_but_bad_requests_are_not() -> None:
    sleeps, calls = Sleeps(), []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TelegramServerError(METHOD, "Internal Server Error")
        return "ok"

    assert await call_with_retry(flaky, what="x", policy=api_retry(), sleep=sleeps) == "ok"

    async def bad() -> None:
        raise TelegramBadRequest(METHOD, "Bad Request: chat not found")

    with pytest.raises(TelegramBadRequest):
        await call_with_retry(bad, what="x", policy=api_retry(), sleep=sleeps)
    assert len(sleeps) == 2


async def test_an_unreasonable_retry_after_gives_up() -> None:
    async def fn() -> None:
        raise TelegramRetryAfter(METHOD, "Too Many Requests", retry_after=3600)

    with pytest.raises(TelegramRetryAfter):
        await call_with_retry(fn, what="x", policy=api_retry(max_retry_after=300), sleep=Sleeps())


def test_redactor_masks_secrets_in_errors() -> None:
    redact = Redactor(["123:ABC", None, "s3cret"])
    exc = TelegramNetworkError(METHOD, "ClientError: http://api/bot123:ABC/sendMessage?x=s3cret")
    assert redact(exc) == "TelegramNetworkError: HTTP Client says - ClientError: http://api/bot***/sendMessage?x=***"


async def test_an_accepted_call_with_an_unreadable_answer_is_not_repeated() -> None:
    from aiogram.exceptions import ClientDecodeError

    calls = []

    async def fn() -> None:
        calls.append(1)
        raise ClientDecodeError("Failed to deserialize object", ValueError("date"),
                                {"ok": True, "result": {"message_id": 1}})

    assert await call_with_retry(fn, what="sendMessage", policy=api_retry(), sleep=Sleeps()) == {"message_id": 1}
    assert len(calls) == 1

    async def html_page() -> None:
        calls.append(1)
        raise ClientDecodeError("Failed to decode object", ValueError("json"), "<html>502 Bad Gateway</html>")

    with pytest.raises(ClientDecodeError):
        await call_with_retry(html_page, what="sendMessage", policy=api_retry(attempts=3), sleep=Sleeps())
    assert len(calls) == 4
