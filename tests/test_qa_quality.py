"""Answer quality on the project's own held-out questions (tests/qa_heldout.yaml),
judged the way the acceptance scorer judges: the right kind, and every fact
group present in the reply text."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from bot.rendering import numbered
from handlers.conversation import Conversation
from tests.conftest import shared_knowledge

HELDOUT_SETS = sorted(Path(__file__).parent.glob("qa_heldout*.yaml"))


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(re.sub(r"[^\w/\-]+", " ", text).split())


@pytest.fixture(scope="module")
def conversation() -> Conversation:
    return Conversation(shared_knowledge())


def judge(conversation: Conversation, item: dict) -> str | None:
    result = conversation.answer(item["q"], record=False, full=True)  # as `ask --json` answers
    if item["kind"] == "fallback":
        return None if result.kind == "fallback" else f"expected fallback, got {result.kind}"
    if result.kind != "answer":
        return f"expected answer, got {result.kind}"
    text = _fold("\n".join(numbered(r) for r in result.reply_list))
    missing = [g[0] for g in item.get("facts", []) if not any(_fold(alt) in text for alt in g)]
    return f"missing {missing} in {result.match.entry.id}" if missing else None


@pytest.mark.parametrize("path", HELDOUT_SETS, ids=lambda p: p.name)
def test_heldout_accuracy(conversation: Conversation, path: Path):
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    misses = [(it["q"], why) for it in items if (why := judge(conversation, it))]
    accuracy = 1 - len(misses) / len(items)
    report = "\n".join(f"  {q!r}: {why}" for q, why in misses)
    assert accuracy >= 0.9, f"accuracy {accuracy:.3f} on {len(items)} questions; misses:\n{report}"


@pytest.mark.parametrize("question", [
    "Hồ sơ đăng ký kết hôn gồm những gì?",
    "thủ tục làm hộ chiếu",
    "hôm nay trời có mưa không",
    "lương cơ sở năm 2026",
    "mua vé tàu Tết ở đâu",
])
def test_out_of_scope_questions_fall_back(conversation: Conversation, question: str):
    assert conversation.answer(question, record=False).kind == "fallback"


def test_unaccented_and_accented_reach_the_same_entry(conversation: Conversation):
    a = conversation.answer("Tiêu chuẩn Huân chương Lao động", record=False)
    b = conversation.answer("tieu chuan huan chuong lao dong", record=False)
    assert a.kind == b.kind == "answer"
    assert a.match.entry.id == b.match.entry.id


def test_a_vague_question_offers_a_choice(conversation: Conversation):
    result = conversation.answer("bằng khen", record=False)
    assert result.kind == "clarify"
    choices = result.reply_list[0].choices
    assert 2 <= len([c for c in choices if c.id.startswith("e:")]) <= 3
