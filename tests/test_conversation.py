"""The messenger-agnostic conversation, driven in-process with a real SQLite file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.settings import load_settings
from handlers import texts
from handlers.commands import help_text
from tests.conftest import REAL_CONTENT, Talk

_TALKS: dict[int, Talk] = {}


def say(app: App, text: str = "", user: str = "u1", choice: str | None = None, **kw):
    talk = _TALKS.setdefault(id(app), Talk(app))
    return talk(text, user=user, choice=choice, **kw)


def test_start_shows_the_main_menu(app: App):
    [reply] = say(app, "/start", display_name="Lan")
    assert "Lan" in reply.text
    labels = [c.label for c in reply.choices]
    assert labels == [texts.MENU_QA, texts.MENU_CRITERIA, texts.MENU_FORMS, texts.MENU_DOSSIER,
                      texts.MENU_REPORT, texts.MENU_DEADLINES, texts.MENU_HELP]


def test_numbered_answers_follow_the_last_offered_list(app: App):
    say(app, "xin chào")
    [topic] = say(app, "4")  # Hồ sơ - thủ tục
    assert topic.choices and all(c.id.startswith(("e:", "menu", "pg:")) for c in topic.choices)
    first = topic.choices[0]
    [entry] = say(app, "1")
    assert "Nguồn:" in entry.text
    picked = app.knowledge.kb.by_id[first.id[2:]]
    assert app.knowledge.kb.short_text(picked) in entry.text  # the direct answer first...
    assert entry.choices[0].label == texts.SEE_DETAILS
    [details] = say(app, "1")  # ... the whole of it behind "Xem chi tiết"
    assert picked.answer in details.text
    # A choice can also be picked by typing its label.
    [menu] = say(app, texts.BACK_TO_MENU)
    assert menu.choices[0].label == texts.MENU_QA


def test_state_lives_in_the_database_not_in_memory(app: App):
    say(app, "/menu")
    fresh = Talk(build_app(app.settings))  # e.g. after a restart
    [reply] = fresh("7")
    assert reply.text == help_text(officer=False)


def test_users_are_separate(app: App):
    say(app, "/menu", user="a")
    [reply] = say(app, "7", user="b")  # b was offered nothing: "7" is no choice for b
    assert reply.text != help_text(officer=False)


def test_clarify_then_pick(app: App):
    [reply] = say(app, "bằng khen")
    assert reply.text.startswith(texts.CLARIFY)
    entries = [c for c in reply.choices if c.id.startswith("e:")]
    [picked] = say(app, "2")
    assert app.knowledge.kb.by_id[entries[1].id[2:]].source in picked.text
    rows = app.repo.question_log()
    assert rows[-1].outcome == "clarify" and rows[-1].text == "bằng khen"


def test_button_choice_and_stale_choice(app: App):
    entry = app.knowledge.kb.entries[0]
    [reply] = say(app, choice=f"e:{entry.id}")
    assert entry.source in reply.text
    [stale] = say(app, choice="e:khong-ton-tai")
    assert stale.text == texts.STALE_CHOICE


def test_the_menu_item_opens_the_report_form(app: App):
    [form] = say(app, choice="m:report")
    assert "Gửi gương người tốt" in form.text and "Họ và tên" in form.text


@pytest.mark.parametrize("text,expected", [
    ("", texts.EMPTY_MESSAGE),
    ("   ", texts.EMPTY_MESSAGE),
    ("🚗🚗🚗", texts.NOT_TEXT),  # symbols that are no small talk ("🙏🙏🙏" is thanks: test_understanding)
    ("x" * 10_000, "10.000 ký tự"),
])
def test_bad_input_gets_a_polite_reply(app: App, text: str, expected: str):
    [reply] = say(app, text)
    assert expected in reply.text


def test_markup_and_foreign_language_fall_back_politely(app: App):
    for text in ["<script>alert(1)</script>", "Where is the nearest bank?", "你好，请问"]:
        [reply] = say(app, text)
        assert reply.text == texts.FALLBACK or reply.text == texts.NOT_TEXT


def test_sticker_and_unsupported_events(app: App):
    [reply] = say(app, unsupported="sticker")
    assert "sticker" in reply.text


def test_reload_is_for_admins_and_keeps_old_content_when_broken(tmp_path: Path):
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    app = build_app(load_settings(data_dir=tmp_path / "data", content_dir=content, admin_ids="zalo:boss"))
    [refused] = say(app, "/reload", user="someone")
    assert refused.text == texts.NOT_ADMIN

    extra = content / "entries" / "zz_new.yaml"
    extra.write_text("entries:\n  - id: muc-moi\n    topic: ho-so\n    title: Mục mới về lễ trao tặng\n"
                     "    questions: [lễ trao tặng tổ chức ở hội trường nào]\n"
                     "    answer: Hội trường tầng 3.\n    source: Thông báo thử nghiệm\n", encoding="utf-8")
    [ok] = say(app, "/reload", user="boss")
    assert "Đã nạp lại" in ok.text
    [answer] = say(app, "lễ trao tặng tổ chức ở hội trường nào")
    assert "Hội trường tầng 3" in answer.text

    extra.write_text("entries:\n  - id: muc-moi\n    topic: khong-co\n", encoding="utf-8")
    [bad] = say(app, "/reload", user="boss")
    assert "vẫn giữ nội dung cũ" in bad.text and "zz_new.yaml" in bad.text
    [still] = say(app, "lễ trao tặng tổ chức ở hội trường nào")
    assert "Hội trường tầng 3" in still.text


def test_a_photo_with_a_question_under_it_gets_the_answer(app: App):
    from handlers.events import Attachment

    photo = Attachment(kind="photo", url="https://example.invalid/p.jpg", caption="bằng khen thủ tướng cần mấy bộ hồ sơ")
    note, answer = say(app, attachments=(photo,))[:2]
    assert note.text == texts.PHOTO_CAPTION_READ
    assert "04 bộ" in answer.text and "Nguồn:" in answer.text
    # A caption that only describes the photo is not taken for a question.
    for caption in (None, "Ảnh trao thưởng"):
        [bare] = say(app, attachments=(Attachment(kind="photo", url="https://example.invalid/q.jpg", caption=caption),))
        assert bare.text == texts.UNSUPPORTED["photo"]


def test_replies_kept_for_later_delivery_survive_json():
    import json

    from handlers.events import Choice, Document, Reply, reply_from_dict, reply_to_dict

    reply = Reply("Danh sách", [Choice("e:x", "Mục X")], [Document("bao-cao.xlsx", b"\x00\xffPK", "application/zip",
                                                                     "Báo cáo")])
    assert reply_from_dict(json.loads(json.dumps(reply_to_dict(reply)))) == reply


def test_asked_who_it_is_the_bot_introduces_itself(app: App):
    for text in ("bạn là ai?", "chào bạn, bạn tên gì vậy", "bot lam duoc gi"):
        [reply] = say(app, text)
        assert texts.BOT_NAME in reply.text and reply.choices, text


def test_a_comparison_gets_both_answers_with_their_sources(app: App):
    replies = say(app, "bằng khen VKSTC khác giấy khen thế nào")
    assert len(replies) == 2 and all("Nguồn:" in r.text for r in replies)
    assert replies[0].heading != replies[1].heading
