"""The second opinion for long messages (issue 12, content/second_opinion.py): BM25 over
each entry's whole text, taken only when clear. Phrasings here are the tests' own, not
those of any held-out set."""

from __future__ import annotations

import pytest

from handlers.conversation import Conversation
from tests.conftest import shared_knowledge


@pytest.fixture(scope="module")
def conversation() -> Conversation:
    return Conversation(shared_knowledge())


def ask(conversation: Conversation, text: str):
    return conversation.answer(text, record=False)


def test_a_long_message_in_the_staffs_words_is_answered_from_the_answer_texts(conversation: Conversation):
    text = ("Anh em phòng em hay phải họp trực tuyến, em được giao viết tham luận. Kế hoạch thi đua có giải "
            "pháp nào đẩy mạnh làm việc trực tuyến, từ xa để bảo đảm an toàn không nhỉ")
    dialogue = conversation.knowledge._dialogue
    # The main engine alone does not answer it...
    assert dialogue.read_one(text, None, second=False)[0].kind != "answer"
    # ...the second opinion does, from the entry whose answer speaks of it.
    result = ask(conversation, text)
    assert result.kind == "answer"
    assert result.match.entry.id == "gp-lam-viec-truc-tuyen"


def test_a_long_out_of_scope_message_is_still_declined(conversation: Conversation):
    text = ("Tháng sau đơn vị em xét nâng ngạch cho mấy anh chị, phòng tổ chức bảo em hỏi luôn. Cho em hỏi "
            "thủ tục hồ sơ nâng ngạch kiểm sát viên trung cấp lên cao cấp gồm những giấy tờ nào và nộp ở đâu")
    assert ask(conversation, text).kind == "fallback"
    text = ("Đơn vị em đang rà soát nhân sự theo đề án mới, trưởng phòng hỏi em. Việc tinh giản biên chế "
            "trong ngành kiểm sát năm nay thực hiện theo kế hoạch nào và tiêu chí ra sao")
    assert ask(conversation, text).kind == "fallback"


def test_short_questions_and_generic_asking_words_get_no_second_opinion(conversation: Conversation):
    second = conversation.knowledge.matcher.second
    assert second.opinion("hồ sơ bằng khen thủ tướng mấy bộ") is None
    # "có đúng không", "nội dung nào" say that something is asked, not what about.
    assert second._words("có đúng không") == []
    assert second._words("những nội dung nào") == []


def test_numbered_questions_on_one_line_are_answered_each_with_the_shared_subject(conversation: Conversation):
    result = ask(conversation, "Em hỏi 2 việc: 1) BK TTg cần tiêu chuẩn gì 2) hồ sơ nộp mấy bộ")
    assert result.kind == "answer"
    assert len(result.reply_list) == 2
    assert "04 bộ" in result.reply_list[1].text
    # A number that is no list stays in its sentence.
    from content.sentences import number_lines

    assert number_lines("tiêu chí 2.5 gồm những gì") == "tiêu chí 2.5 gồm những gì"
    assert number_lines("theo Điều 48. Hồ sơ gồm 2 bộ") == "theo Điều 48. Hồ sơ gồm 2 bộ"


def test_a_question_relayed_from_the_boss_is_read_by_what_is_relayed(conversation: Conversation):
    # "sếp hỏi X" asks X, as "cho em hỏi X" does.
    text = ("Tuần này phòng em họp giao ban liên tục, sếp hỏi kế hoạch thi đua có giải pháp nào thúc đẩy "
            "làm việc trực tuyến không để em tổng hợp")
    result = ask(conversation, text)
    assert result.kind == "answer"
    assert result.match.entry.id == "gp-lam-viec-truc-tuyen"


def test_a_sports_day_is_declined_however_long_the_message(conversation: Conversation):
    # "hội thao" is no typo of "hội trao": the plans never speak of sports days (not_covered).
    text = ("Năm tới cơ quan em đăng cai giải thể thao của ngành, trưởng phòng giao em soạn thảo. Kế hoạch tổ "
            "chức hội thao phải có những nội dung nào và lấy kinh phí ở đâu")
    assert ask(conversation, text).kind == "fallback"
