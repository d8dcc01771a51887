"""Words typed instead of commands and the conversation words, read from the content
directory (commands.yaml, smalltalk.yaml) rather than lists in the code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.settings import load_settings
from content.commands import default
from handlers import texts
from handlers.commands import help_text
from tests.conftest import REAL_CONTENT, Talk

# The words the code used to list, each still read as before.
OLD_WORD_COMMANDS = {
    "menu": "menu", "bat dau": "menu", "menu chinh": "menu", "start": "menu",
    "tro giup": "help", "huong dan": "help", "help": "help",
    "huy": "cancel", "huy bo": "cancel", "thoat": "cancel",
    "hoi van phong": "ask_office",
    "lich nhac han": "deadlines", "lich": "deadlines", "nhac han": "deadlines",
    "bao cao cua toi": "my_reports", "xem bao cao cua toi": "my_reports", "duyet bao cao": "review",
    "ho so cua toi": "profile", "xoa ho so": "delete_profile",
}
OLD_BACK_WORDS = ["quay lai", "tro lai", "lui lai", "buoc truoc", "quay lai buoc truoc"]
OLD_GREETINGS = ["xin chao", "chao", "chao ban", "chao bot", "hello", "hi", "alo", "chao anh", "chao chi", "chao em"]
OLD_THANKS = ["cam on", "cam on ban", "cam on nhieu", "thanks", "thank you", "ok cam on", "cam on a", "tks"]


def test_the_old_word_commands_mean_the_same():
    words = default()
    for typed, name in OLD_WORD_COMMANDS.items():
        assert words.of(typed) == name, typed
    assert all(words.of(w) == "back" for w in OLD_BACK_WORDS)
    # With diacritics and courtesy words too; more words make a question.
    assert words.of("Hủy giúp em với ạ") == "cancel" and words.of("cho em xem lịch nhắc hạn") == "deadlines"
    assert words.of("hủy bằng khen thì sao") is None and words.of("chi tiết hồ sơ bằng khen") is None


@pytest.mark.parametrize("text", OLD_GREETINGS)
def test_greetings_get_the_welcome(app: App, text: str):
    [reply] = Talk(app)(text)
    assert reply.choices and reply.choices[0].label == texts.MENU_QA


@pytest.mark.parametrize("text", OLD_THANKS)
def test_thanks_get_the_short_reply(app: App, text: str):
    [reply] = Talk(app)(text)
    assert reply.text == texts.SMALL_TALK["thanks"]


def test_the_office_can_add_a_typed_command(tmp_path: Path):
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = content / "commands.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  help: [", "  help: [bí quá, "), encoding="utf-8")
    app = build_app(load_settings(data_dir=tmp_path / "data", content_dir=content))
    [reply] = Talk(app)("bí quá ạ")
    assert reply.text == help_text(officer=False)


def test_the_words_of_a_comparison_are_the_lexicons(tmp_path: Path):
    question = "hcld với bk ttg khác nhau chăng"
    [alone] = Talk(build_app(load_settings(data_dir=tmp_path / "a", content_dir=REAL_CONTENT)))(question)
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = content / "lexicon.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  endings: [", "  endings: [chăng, "), encoding="utf-8")
    app = build_app(load_settings(data_dir=tmp_path / "b", content_dir=content))
    both = Talk(app)(question)
    assert [r.heading for r in both] == ["Tiêu chuẩn Huân chương Lao động", "Tiêu chuẩn Bằng khen Thủ tướng Chính phủ"]
    assert alone.heading not in [r.heading for r in both]  # without the word it was no comparison


def test_content_check_names_a_comparison_word_without_letters():
    from content.lexicon import LexiconFile, problems

    lexicon = LexiconFile(stopwords=["ạ"], default_aspect="tiêu chuẩn", comparison={"endings": ["thế nào", "?"]})
    assert problems(lexicon) == ["comparison.endings: '?' has no words"]
