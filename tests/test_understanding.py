"""Staff as they really write, through the in-process pipeline (the Zalo-like
console path): small talk, several questions in one message, follow-ups that
lean on the previous answer, numbers outside the list."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.app import App
from content.lexicon import LexiconFile
from content.lexicon import problems as lexicon_problems
from content.smalltalk import SmallTalkFile, is_small_talk, kind_of
from content.smalltalk import problems as smalltalk_problems
from handlers import texts
from tests.conftest import REAL_CONTENT, Talk

SMALL_TALK = [
    ("dạ vâng ạ", "agree"), ("oki", "agree"), ("ok", "agree"), ("👍", "agree"), ("Dạ em hiểu rồi ạ", "agree"),
    ("tks ad", "thanks"), ("em cảm ơn", "thanks"), ("cảm ơn bot nhiều nhé", "thanks"), ("vâng em cảm ơn ạ", "thanks"),
    ("cam on ad nhieu nha", "thanks"), ("thank you", "thanks"), ("🙏", "thanks"), ("ok cảm ơn nhé 😊", "thanks"),
    ("tạm biệt", "goodbye"), ("bye bot", "goodbye"), ("xin lỗi em gõ nhầm", "apology"), ("hahaha", "laughter"),
    ("hihi :))", "laughter"), ("không ạ", "decline"), ("thôi ạ", "decline"), ("hay quá", "praise"),
]


@pytest.mark.parametrize(("text", "kind"), SMALL_TALK)
def test_small_talk_gets_a_short_warm_reply_and_is_not_logged(app: App, text: str, kind: str):
    talk = Talk(app)
    [reply] = talk(text)
    assert reply.text == texts.SMALL_TALK[kind]
    assert not reply.choices
    assert app.repo.question_log() == []  # nothing for the curators' list of unanswered questions


@pytest.mark.parametrize("text", [
    "cảm ơn, cho em hỏi hồ sơ bằng khen thủ tướng gồm những gì",  # thanks, then a question
    "ok vậy giấy khen nộp mấy bộ",
    "không được khen thì sao",
    "hồ sơ",
])
def test_a_question_that_starts_like_small_talk_is_a_question(text: str):
    assert not is_small_talk(text)


def test_greetings_and_who_are_you_as_before(app: App):
    talk = Talk(app)
    for text in ("xin chào", "chào bạn", "hello"):
        [reply] = talk(text)
        assert reply.text.startswith("Kính chào đồng chí")
    assert kind_of("xin chào") == "greeting"


def test_the_shipped_word_lists_are_valid():
    lexicon = LexiconFile.model_validate(yaml.safe_load((REAL_CONTENT / "lexicon.yaml").read_text("utf-8")))
    assert lexicon_problems(lexicon) == []
    small = SmallTalkFile.model_validate(yaml.safe_load((REAL_CONTENT / "smalltalk.yaml").read_text("utf-8")))
    assert smalltalk_problems(small) == []


def test_content_check_names_a_broken_word_list(tmp_path: Path):
    from content.loader import ContentError, load

    content = tmp_path / "content"
    import shutil

    shutil.copytree(REAL_CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (content / "lexicon.yaml").write_text("stopwords: [ạ, 'hai từ']\ndefault_aspect: tiêu chuẩn\n", "utf-8")
    (content / "smalltalk.yaml").write_text("kinds:\n  thanks:\n    phrases: ['🙏']\n    patterns: ['(']\n",
                                            "utf-8")
    with pytest.raises(ContentError) as err:
        load(content)
    text = "\n".join(err.value.problems)
    assert "lexicon.yaml: stopwords: 'hai từ' must be one word" in text
    assert "smalltalk.yaml" in text and "pattern '('" in text
