"""How a message's parts are read (issue 12): a clause opening with "và" goes on
from the one before it, two questions joined by "và" are answered each, the story
told around a question helps choose its entry, a closing request ("nhờ anh chị chỉ
giúp") says nothing about the content, and questions about staff life outside the
plans (leave, insurance, complaints) are declined. Phrasings here are the tests'
own, not those of any held-out set."""

from __future__ import annotations

import pytest

from content.longtext import windows
from handlers.conversation import Conversation
from tests.conftest import shared_knowledge


@pytest.fixture(scope="module")
def conversation() -> Conversation:
    return Conversation(shared_knowledge())


def ask(conversation: Conversation, text: str):
    return conversation.answer(text, record=False)


def test_a_last_clause_opening_with_va_is_not_read_alone(conversation: Conversation):
    lexicon = conversation.knowledge.matcher.lexicon
    text = ("Em công tác ở VKS huyện, sắp chuyển nhà nên bận, cho em hỏi chế độ thai sản của nữ công chức "
            "được bao lâu, và cần nộp giấy tờ gì cho ai")
    assert "và cần nộp giấy tờ gì cho ai" not in [part for part, _ in windows(text, lexicon)]
    assert ask(conversation, text).kind == "fallback"


def test_two_questions_joined_by_va_are_answered_each(conversation: Conversation):
    # The second ("hồ sơ nộp mấy bộ") names no award: it is read with the first as its context.
    result = ask(conversation, "Bằng khen Thủ tướng cần đạt tiêu chuẩn gì và hồ sơ nộp mấy bộ")
    assert result.kind == "answer"
    assert len(result.reply_list) == 2
    assert "04 bộ" in result.reply_list[1].text


def test_what_follows_va_after_an_out_of_scope_question_is_declined(conversation: Conversation):
    text = ("Cơ quan em sắp tổ chức giải bóng bàn nhân ngày thành lập ngành, em định đăng ký đánh đôi với "
            "chị cùng phòng. Cho em hỏi hạn chót nộp danh sách khi nào và liên hệ ai")
    assert ask(conversation, text).kind == "fallback"


@pytest.mark.parametrize("text", [
    "cho em hỏi nghỉ thai sản được mấy tháng",
    "thủ tục giải quyết đơn khiếu nại ở VKS tỉnh ra sao",
    "em muốn hỏi về bảo hiểm xã hội khi nghỉ hưu",
    "vợ sinh thì chồng được nghỉ mấy ngày và làm giấy tờ gì",
])
def test_staff_life_outside_the_plans_is_declined(conversation: Conversation, text: str):
    assert ask(conversation, text).kind == "fallback"


def test_a_closing_request_does_not_blur_the_question(conversation: Conversation):
    result = ask(conversation, "đơn vị đang làm hồ sơ khen cho hai đồng chí, em không biết bản tóm tắt thành "
                               "tích do ai xác nhận, nhờ anh chị chỉ giúp em với")
    assert result.kind == "answer"
    assert result.match.entry.id == "ban-tom-tat-thanh-tich"


@pytest.mark.parametrize("text, entry", [
    # Everyday words for what the plans name otherwise.
    ("đồng chí ấy qua đời khi đang làm nhiệm vụ chống dịch, có được xét huân chương lao động không",
     "tieu-chuan-hcld"),
    ("ai là người chịu trách nhiệm chính trong khen thưởng ở đơn vị", "khen-thuong-chinh-xac"),
    ("phong trào thi đua theo CT19 gắn với học tập những gì", "tu-tuong-hcm-thi-dua"),
])
def test_everyday_words_reach_the_plans_terms(conversation: Conversation, text: str, entry: str):
    result = ask(conversation, text)
    assert result.kind == "answer"
    assert result.match.entry.id == entry
