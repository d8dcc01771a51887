"""Answer quality on the project's own held-out questions (tests/qa_heldout*.yaml),
judged the way the acceptance scorer judges `ask --json`: the right kind, and
every fact group present in the reply text. Each question's outcome, entry and
verdict are recorded in tests/qa_expected.yaml (`python -m tests.qa_record`);
any question answered differently from the record is reported, improvements
as well as regressions, so the record stays the honest figure."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.conversation import Conversation
from tests.conftest import shared_knowledge
from tests.qa_record import HELDOUT_SETS, diff, load_expected, run


@pytest.fixture(scope="module")
def conversation() -> Conversation:
    return Conversation(shared_knowledge())


@pytest.mark.parametrize("path", HELDOUT_SETS, ids=lambda p: p.name)
def test_heldout_answers_are_the_recorded_ones(conversation: Conversation, path: Path):
    # No tolerance: the engine is deterministic, so any difference is a question answered
    # differently. Regenerate the record (`python -m tests.qa_record`) when it is meant.
    now = run(conversation, path)
    changed = diff(path.name, now, load_expected().get(path.name))
    passed = sum(o.passed for o in now)
    assert not changed, (f"{path.name}: {passed}/{len(now)} pass now; {len(changed)} questions differ from "
                         "tests/qa_expected.yaml:\n  " + "\n  ".join(changed))


@pytest.mark.parametrize("question", [
    "Hồ sơ đăng ký kết hôn gồm những gì?",
    "thủ tục làm hộ chiếu",
    "hôm nay trời có mưa không",
    "lương cơ sở năm 2026",
    "mua vé tàu Tết ở đâu",
    # What the plans leave unsaid, asked by several blind sets' authors (synonyms.yaml not_covered):
    # the dossiers' deadline (the Office's calendar), who holds a post now, the council's members,
    # the classes of an order.
    "Cho em hỏi hạn cuối nộp hồ sơ đề nghị khen thưởng chống dịch là ngày nào ạ?",
    "Viện trưởng VKSND tối cao hiện nay là đồng chí nào?",
    "Hội đồng thi đua của viện tỉnh có những thành viên nào?",
    "Huân chương Lao động hạng nhất với hạng nhì khác nhau thế nào?",
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
