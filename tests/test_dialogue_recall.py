"""The conversation as a candidate source (content/recall.py): corrections, "cái kia" and
"mức đó" pointing back one or two turns, a long message leaning on the last turn, the
document the last answer named, and a complete new question that ignores all of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from content import recall
from content.explain import explain
from content.service import Knowledge
from tests.conftest import REAL_CONTENT


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return Knowledge(Path(REAL_CONTENT))


def talk(knowledge: Knowledge, *messages: str) -> tuple[list[str], dict | None]:
    """The title answered to each message, read in one conversation (as the chat keeps it)."""
    about, titles = None, []
    for m in messages:
        reading = knowledge.read(m, about)
        result = reading.parts[0][1]
        titles.append(result.entry.title if result.kind == "answer" and result.entry else result.kind)
        about = reading.about
    return titles, about


def test_a_correction_asks_the_last_aspect_again_of_the_award_it_names(knowledge: Knowledge):
    titles, _ = talk(knowledge, "Huân chương Lao động nộp mấy bộ hồ sơ?", "à không, ý em là giấy khen cơ")
    assert titles[1] == "Hồ sơ đề nghị Giấy khen"
    titles, _ = talk(knowledge, "tiêu chuẩn bằng khen thủ tướng là gì",
                     "nhầm, em hỏi bằng khen của Viện trưởng VKSTC chứ")
    assert titles[1] == "Tiêu chuẩn Bằng khen Viện trưởng VKSND tối cao"


def test_cai_kia_is_the_award_before_the_last_and_muc_do_the_last(knowledge: Knowledge):
    titles, about = talk(knowledge, "Bằng khen Thủ tướng cần mấy bộ hồ sơ?", "còn giấy khen thì sao",
                         "thế tiêu chuẩn của cái kia thì sao")
    assert titles[2] == "Tiêu chuẩn Bằng khen Thủ tướng Chính phủ"
    assert len(about["recent"]) == 2
    titles, _ = talk(knowledge, "tiêu chuẩn huân chương lao động", "mức đó nộp mấy bộ hồ sơ")
    assert titles[1] == "Hồ sơ đề nghị Huân chương Lao động"


def test_a_long_message_leaning_on_the_last_turn(knowledge: Knowledge):
    titles, _ = talk(knowledge, "tiêu chuẩn bằng khen thủ tướng chính phủ",
                     "em đang làm hồ sơ cho một đồng chí ở phòng 2, đồng chí ấy đi chốt kiểm dịch hơn hai tháng, "
                     "lãnh đạo bảo đề nghị mức khen này, vậy mức khen này cần mấy bộ ạ")
    assert titles[1] == "Hồ sơ đề nghị Bằng khen Thủ tướng Chính phủ"


def test_the_document_named_in_the_answer(knowledge: Knowledge):
    # The question asked which plan: "kế hoạch đó" is the one the answer named (127), not 515.
    titles, about = talk(knowledge, "Kế hoạch 515 căn cứ vào văn bản nào?", "kế hoạch đó ký ngày nào")
    assert titles[1] == "Kế hoạch 127/KH-VKSTC ngày 28/10/2021"
    # ...while after a question about 515 itself, it is 515.
    titles, _ = talk(knowledge, "Ai ký Kế hoạch 515?", "kế hoạch đó ban hành ngày nào")
    assert titles[1] == "Kế hoạch 515/KH-VKS ngày 08/11/2021"


def test_the_first_subject_asked_and_the_one_asked_before(knowledge: Knowledge):
    # "cái đầu tiên em hỏi": the first of the subjects remembered, with words between the thing and its word.
    titles, _ = talk(knowledge, "ho so de nghi HCLD nop may bo", "còn BK Viện trưởng VKSTC?",
                     "thế cái đầu tiên em hỏi thì tiêu chuẩn như thế nào")
    assert titles[2] == "Tiêu chuẩn Huân chương Lao động"
    titles, _ = talk(knowledge, "tiêu chuẩn bằng khen viện trưởng vkstc", "thế giấy khen?",
                     "ok, vậy cái mức em hỏi trước đó cần mấy bộ hồ sơ")
    assert titles[2] == "Hồ sơ đề nghị Bằng khen Viện trưởng VKSND tối cao"
    # "cái đầu tiên trong số đó" is the first of a list the last answer gave, not the first subject.
    titles, _ = talk(knowledge, "hồ sơ giấy khen mấy bộ", "còn huân chương lao động",
                     "cái đầu tiên trong số đó thì tiêu chuẩn thế nào")
    assert titles[2] != "Tiêu chuẩn Giấy khen"


def test_an_abbreviated_document_points_back_too(knowledge: Knowledge):
    titles, _ = talk(knowledge, "KH thực hiện CT 19 của VKSTC căn cứ vào kế hoạch nào của Hội đồng TĐKT Trung ương?",
                     "kh do ban hanh ngay nao")
    assert titles[1] == "Kế hoạch 16/KH-HĐTĐKT ngày 31/8/2021"
    # The question named no plan, the answer's title did (KH 515): "kế hoạch đó" is the one the answer told.
    titles, _ = talk(knowledge, "Kế hoạch của VKS tỉnh Tây Ninh về phong trào thi đua đặc biệt căn cứ vào văn bản nào?",
                     "kế hoạch đó ký ngày nào")
    assert titles[1] == "Kế hoạch 127/KH-VKSTC ngày 28/10/2021"


def test_a_complete_new_question_ignores_the_conversation(knowledge: Knowledge):
    titles, _ = talk(knowledge, "hồ sơ giấy khen mấy bộ", "Tiêu chuẩn để được tặng Huân chương Lao động là gì?")
    assert titles[1] == "Tiêu chuẩn Huân chương Lao động"
    titles, _ = talk(knowledge, "bằng khen vkstc mấy bộ hồ sơ", "thế còn lương cơ sở năm nay bao nhiêu")
    assert titles[1] == "fallback"


def test_explain_shows_the_conversations_candidates(knowledge: Knowledge):
    _, about = talk(knowledge, "Bằng khen Thủ tướng cần mấy bộ hồ sơ?", "còn giấy khen thì sao")
    text = explain(knowledge, "thế tiêu chuẩn của cái kia thì sao", about).text()
    assert "conversation: subject-0 giấy khen; subject-1 bằng khen thủ tướng chính phủ; aspect copies" in text
    assert "pointed back (earlier subject bằng khen thủ tướng chính phủ)" in text
    # Without a conversation there is nothing to offer.
    assert "conversation:" not in explain(knowledge, "tiêu chuẩn giấy khen").text()


# Today's figures of tests/qa_dialogues_N.yaml (turns passed, turns): the floor.
DIALOGUE_FLOORS = {
    2: (58, 58),
    3: (43, 43),
    4: (72, 72),
    5: (98, 98),
    6: (101, 105),
    7: (96, 100),
    8: (96, 98),
    9: (93, 97),
    10: (94, 98),
    11: (91, 94),
    12: (94, 102),
    13: (99, 105),
    14: (103, 107),
    15: (93, 95),
    16: (93, 98),
    17: (106, 110),
    18: (97, 102),
    19: (108, 110),
    20: (96, 99),
    21: (100, 103),
    22: (95, 99),
    23: (96, 98),
    24: (96, 100),
    25: (93, 102),
    26: (101, 106),
}


@pytest.mark.parametrize("number", sorted(DIALOGUE_FLOORS), ids=lambda n: f"qa_dialogues_{n}")
def test_the_dialogue_sets_do_not_drop(knowledge: Knowledge, number: int):
    """tests/qa_dialogues_*.yaml, read turn by turn in one conversation: today's figures are the floor.
    (One case a set: the sets' 15 s of CPU spread over the run's workers.)"""
    from tests.qa_dialogues import HERE, run

    assert run(HERE / f"qa_dialogues_{number}.yaml", knowledge=knowledge)[:2] >= DIALOGUE_FLOORS[number]


def test_every_dialogue_set_has_a_floor():
    from tests.qa_dialogues import HERE

    assert {int(p.stem.split("_")[-1]) for p in HERE.glob("qa_dialogues_*.yaml")} == set(DIALOGUE_FLOORS)


def test_the_fitted_gate_decides_when_the_ranker_answers_what_the_lexical_engine_did_not(knowledge: Knowledge):
    """The learned ranker always names an entry. Where the lexical engine did not answer, the gate
    (content/ranker_gate.yaml, fitted by benchmarks/qa_eval.py) weighs both sources' figures: a message
    sharing almost no words with any entry, which the ranker reads as outside the plans, is declined;
    an indirect one the ranker reads well is answered."""
    from content.dialogue import RankerRule
    from content.ranker_gate import RankerGate

    dialogue = knowledge.dialogue
    unsure = "Dạo này em hay mất ngủ, sáng dậy đau đầu, uống thuốc gì thì đỡ ạ"
    sure = ("Anh em trong viện hay tổ chức họp trực tuyến qua phần mềm để khỏi tiếp xúc trong mùa dịch, "
            "kế hoạch của tỉnh có khuyến khích việc này không vậy")
    figures = {}
    for message in (unsure, sure):
        own = knowledge.matcher.match(message)
        assert own.kind != "answer"  # the lexical engine alone does not answer either
        figures[message] = dialogue.gate_figures(message, own)
    gate = dialogue.ranker_rule.gate
    assert gate.probability(figures[unsure][1]) < gate.threshold <= gate.probability(figures[sure][1])
    assert knowledge.read(unsure, None).parts[0][1].kind == "fallback"
    answered = knowledge.read(sure, None).parts[0][1]
    assert (answered.kind, answered.entry.id) == ("answer", figures[sure][0].id)
    # The trace shows the gate's figure against its threshold, and who named the entry.
    trace = explain(knowledge, sure).text()
    assert f"ranker_gate={gate.probability(figures[sure][1]):.3f} for {figures[sure][0].id} " \
           f"(takes at {gate.threshold})" in trace and "named first by: ranker" in trace
    # A deadline (dialogue.yaml `features`: the Office's calendar; the plans set none) is not the ranker's
    # to answer: it would name the dossier entry.
    deadline = "Hạn chót nộp hồ sơ đề nghị khen thưởng chống dịch là ngày nào vậy ạ?"
    assert dialogue.gate_figures(deadline, knowledge.matcher.match(deadline)) is None
    # Without the gate (the ranker taken whenever consulted), the first was answered too; the deadline not.
    kept = dialogue.ranker_rule
    try:
        dialogue.ranker_rule = RankerRule(RankerGate.always())
        assert knowledge.read(unsure, None).parts[0][1].kind == "answer"
        assert knowledge.read(deadline, None).parts[0][1].kind == "fallback"
    finally:
        dialogue.ranker_rule = kept


def test_a_gate_fitted_for_other_figures_is_refused(tmp_path: Path):
    from content import ranker_gate

    shipped = ranker_gate.load()
    assert len(shipped.weights) == len(ranker_gate.FEATURES) and 0 < shipped.threshold <= 1
    other = tmp_path / "ranker_gate.yaml"
    other.write_text("features: [score, words]\nweights: [1, 2]\nintercept: 0\nthreshold: 0.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="refit"):
        ranker_gate.load(other)


def test_a_document_named_as_where_to_look_is_not_what_is_asked(knowledge: Knowledge):
    """dialogue.yaml document_setting: "chủ đề thi đua trong kế hoạch thực hiện Chỉ thị 19" asks for the
    theme, which that plan states, not for the plan: the question is also read without the document."""
    dialogue = knowledge.dialogue
    asked = "Chủ đề thi đua giai đoạn 2021-2025 trong kế hoạch thực hiện Chỉ thị 19/CT-TTg là gì?"
    assert dialogue.without_setting(asked) == ("Chủ đề thi đua giai đoạn 2021-2025 là gì?", {"19"})
    assert talk(knowledge, asked)[0] == ["Chủ đề thi đua 2021-2025"]
    # The document as what says something about a topic named before it.
    assert dialogue.without_setting("Về cải cách thủ tục hành chính, KH thực hiện CT19 của VKSTC yêu cầu gì?") \
        == ("Về cải cách thủ tục hành chính, yêu cầu gì?", {"19"})
    # Not a setting: the document is what is asked about, or no document is numbered ("COVID-19" is no document).
    assert dialogue.without_setting("Kế hoạch thực hiện CT 19 của VKSTC đặt ra mục đích, yêu cầu gì") is None
    assert dialogue.without_setting("khen thưởng trong phòng chống COVID-19 theo kế hoạch") is None
    assert talk(knowledge, "KH 515 do ai ký")[0] == ["Người ký và nơi nhận KH 515"]
    text = explain(knowledge, asked).text()
    assert "without the document «Chủ đề thi đua giai đoạn 2021-2025 là gì?»: chu-de-thi-dua" in text
    # Without the second reading, the plan's own entries win on the document's name.
    kept = dialogue.setting
    try:
        dialogue.setting = re.compile(r"(?!)")
        assert talk(knowledge, asked)[0] != ["Chủ đề thi đua 2021-2025"]
    finally:
        dialogue.setting = kept


def test_a_place_in_the_list_the_last_answer_gave(knowledge: Knowledge):
    listing = "Trong phong trào thi đua phòng, chống COVID-19 có những hình thức khen thưởng nào?"
    titles, about = talk(knowledge, listing, "cái đầu tiên trong số đó thì tiêu chuẩn thế nào")
    assert titles[1] == "Tiêu chuẩn Huân chương Lao động"
    assert talk(knowledge, listing, "hình thức thứ hai cần mấy bộ hồ sơ")[0][1] == "Hồ sơ đề nghị Bằng khen Thủ tướng Chính phủ"
    assert talk(knowledge, listing, "còn cái cuối cùng ở trên thì ai tặng")[0][1] == "Giấy khen - ai tặng, tiêu chuẩn"
    # An answer listing no awards gives no list to point into.
    _, about = talk(knowledge, "Kế hoạch 515 ai ký?")
    assert about["listed"] == []


def test_pointing_back_in_other_ways(knowledge: Knowledge):
    # "phong trào đó" with the plan named again ("tỉnh"): the movement just answered about.
    titles, _ = talk(knowledge, "Phong trào thi đua đặc biệt phòng, chống và chiến thắng đại dịch Covid-19 do ai phát động?",
                     "ở VKS Tây Ninh thì triển khai phong trào đó bằng kế hoạch số mấy?")
    assert titles[1] != "fallback"
    # "trong đó" opens a follow-up on the plan just answered about.
    titles, _ = talk(knowledge, "Theo KH thực hiện CT 19 của VKSTC, khen thưởng phải đảm bảo những yêu cầu gì?",
                     "trong đó cần chú trọng khen thưởng những đối tượng nào?")
    assert titles[1] != "fallback"
    # "phương châm đó": a word of the last answer's title, and the lexical engine's first is that entry.
    titles, _ = talk(knowledge, "Phương châm phòng chống dịch nêu trong KH 515 là gì?",
                     "phuong cham do nham gop phan thuc hien muc tieu gi")
    assert titles[1] == "Phương châm phòng, chống dịch"
    # "cái KH đầu tiên": the first subject asked, a plan called by its abbreviation.
    titles, _ = talk(knowledge, "KH 515 của VKS Tây Ninh căn cứ vào văn bản nào?",
                     "còn KH thực hiện Chỉ thị 19 của VKSTC thì căn cứ vào đâu", "quay lại cái KH đầu tiên, ai ký vậy")
    assert titles[2] == "Người ký và nơi nhận KH 515"
    # "cái chỉ thị nêu trong đó": a document the last answer named.
    titles, _ = talk(knowledge, "Đối tượng khen thưởng trong phong trào chống dịch gồm những ai",
                     "cái chỉ thị nêu trong đó ban hành ngày nào vậy")
    assert titles[1].startswith("Chỉ thị 03/CT-VKSTC")
    # An award named in a question not answered is what "nó" means next.
    titles, about = talk(knowledge, "tiền thưởng kèm huân chương lao động là bao nhiêu", "tiêu chuẩn của nó?")
    assert titles == ["fallback", "Tiêu chuẩn Huân chương Lao động"]


def test_what_a_story_quotes_is_what_it_asks_about(knowledge: Knowledge):
    message = ('Chị ơi e là người mới vào ngành, đọc KH chống dịch của tỉnh cứ thấy nhắc đi nhắc lại cụm '
               '"mục tiêu kép" mà ko hiểu lắm. Nó gồm hai việc gì ạ?')
    assert talk(knowledge, message)[0] == ["Mục tiêu kép là gì"]


def test_a_later_part_naming_nothing_asks_about_what_the_part_before_it_did(knowledge: Knowledge):
    # "..., về nội dung gì" after "chỉ thị đó ban hành ngày nào": the directive's content, not the plan's.
    _, about = talk(knowledge, "KH của VKSTC giai đoạn 2021-2025 là để thực hiện chỉ thị nào của Thủ tướng?")
    reading = knowledge.read("chỉ thị đó ban hành ngày nào, về nội dung gì", about)
    assert {r.entry.id for _, r in reading.parts if r.entry is not None} == {"vb-ct-19"}
    # Parts answered by one entry are one answer: "in mấy bộ, bản chính hay bản sao" is the dossier's.
    message = ("Em làm ở VKS huyện, đơn vị muốn đề nghị Huân chương Lao động cho 1 đ/c trực tiếp tham gia chống "
               "dịch ở khu cách ly suốt 3 tháng. Em đang chuẩn bị hồ sơ mà không rõ phải in mấy bộ, bản chính hay "
               "bản sao ạ, cho em hỏi với")
    reading = knowledge.read(message, None)
    assert [(r.kind, r.entry.title) for _, r in reading.parts] == [("answer", "Hồ sơ đề nghị Huân chương Lao động")]


def test_pointing_at_the_last_subject_where_the_engine_ranks_the_last_answer_first(knowledge: Knowledge):
    # "mức ấy" is HCLĐ, and the lexical engine's first for the question so completed is the entry just shown.
    titles, _ = talk(knowledge, "HCLĐ thì thành tích phải đạt mức nào?", "mức ấy thì phạm vi ảnh hưởng phải rộng tới đâu")
    assert titles[1] == "Tiêu chuẩn Huân chương Lao động"
    # ...but not for what the content leaves out.
    titles, _ = talk(knowledge, "HCLĐ thì thành tích phải đạt mức nào?", "mức đó được thưởng bao nhiêu tiền vậy ạ")
    assert titles[1] == "fallback"
    # "cái hỏi trước nữa": two subjects back.
    titles, _ = talk(knowledge, "giay khen nop may bo", "bk vien truong vkstc thi sao", "the cai hoi truoc nua do ai tang")
    assert titles[2] == "Giấy khen - ai tặng, tiêu chuẩn"


def test_more_ways_of_pointing_back_and_correcting(knowledge: Knowledge):
    # A correction naming another document asks the last aspect of it.
    titles, _ = talk(knowledge, "Thông tư 01/2019/TT-VKSTC ban hành ngày nào?", "Ấy chết, tôi hỏi nhầm, là Thông tư 01/2020/TT-VKSTC")
    assert titles[1].startswith("Thông tư 01/2020/TT-VKSTC")
    # "quay lại" opens a follow-up, and "cái bằng khen lúc nãy" is the award before the last.
    titles, _ = talk(knowledge, "Bằng khen Thủ tướng trong phong trào covid xét theo tiêu chuẩn gì?", "Giấy khen thì do ai tặng?",
                     "quay lại cái bằng khen lúc nãy, hồ sơ cần mấy bộ?")
    assert titles[2] == "Hồ sơ đề nghị Bằng khen Thủ tướng Chính phủ"
    # A pointer agreeing with what the message names ("truy tặng" is said of the Labour Order).
    titles, _ = talk(knowledge, "tiêu chuẩn HCLĐ trong PT chống covid", "còn BK của Viện trưởng VKSTC?",
                     "cái e hỏi đầu tiên có được truy tặng ko a")
    assert titles[2] == "Tiêu chuẩn Huân chương Lao động"


def test_what_a_document_says_about_a_topic_and_a_document_named_by_number(knowledge: Knowledge):
    dialogue = knowledge.dialogue
    assert dialogue.without_setting("KH thực hiện CT 19/CT-TTg của VKSTC nói gì về công tác điển hình tiên tiến?") \
        == ("nói gì về công tác điển hình tiên tiến?", {"19"})
    assert talk(knowledge, "KH thực hiện CT 19/CT-TTg của VKSTC nói gì về công tác điển hình tiên tiến?")[0] \
        == ["4 khâu xây dựng điển hình tiên tiến"]
    # The lexical engine's first never names KH 515; the runner-up does and the ranker puts it first.
    assert talk(knowledge, "ke hoach 515 can cu vao ke hoach so may cua vks toi cao")[0] == ["KH 515 căn cứ văn bản nào"]


def test_a_message_whose_one_real_question_is_not_covered_is_not_answered_by_its_other_clauses(knowledge: Knowledge):
    for message in ("Xin cho biết tiêu chí đánh giá, xếp loại chất lượng công chức cuối năm gồm những gì?",
                    "Tôi làm lái xe, hồi dịch được điều đi chở hàng cứu trợ mấy tháng liền. Hỏi kế toán mà chưa rõ. "
                    "Phụ cấp chống dịch cho lái xe là bao nhiêu một ngày?"):
        assert [r.kind for _, r in knowledge.read(message, None).parts] == ["fallback"]
    # Two real questions, one covered: the covered one is answered, the other said unanswered.
    parts = knowledge.read("HCLĐ nộp mấy bộ hồ sơ? còn phụ cấp trực chốt bao nhiêu một ngày?", None).parts
    assert [r.kind for _, r in parts] == ["answer", "fallback"]


def test_where_the_last_answer_comes_from_and_the_plan_of_the_first_question(knowledge: Knowledge):
    # "nội dung đó nằm trong kế hoạch nào": the last answer again, which shows its source.
    titles, _ = talk(knowledge, "Bốn khâu xây dựng điển hình tiên tiến gồm những gì?", "nội dung đó nằm trong kế hoạch nào vậy ạ?")
    assert titles == ["4 khâu xây dựng điển hình tiên tiến"] * 2
    # Naming a document, it is a question of its own.
    titles, _ = talk(knowledge, "Bốn khâu xây dựng điển hình tiên tiến gồm những gì?", "KH 515 theo văn bản nào")
    assert titles[1] != "4 khâu xây dựng điển hình tiên tiến"
    # "cái kế hoạch ở câu đầu" with one plan remembered: that plan.
    titles, _ = talk(knowledge, "Ai ký Kế hoạch 515/KH-VKS?", "phong trào triển khai từ ngày nào?",
                     "cái kế hoạch ở câu đầu căn cứ vào văn bản nào?")
    assert titles[2] == "KH 515 căn cứ văn bản nào"


def test_an_entry_answered_two_turns_back_pointed_at_by_a_word_of_its_title(knowledge: Knowledge):
    titles, about = talk(knowledge, "Phương châm phòng chống dịch trong KH 515 là gì?", "mục tiêu kép là gì?",
                         "cái phương châm lúc nãy, vế sau nói về chống thế nào?")
    assert titles[2] == "Phương châm phòng, chống dịch"
    assert about["entries"][:2] == ["pt-phuong-cham", "muc-tieu-kep"]


def test_the_highest_of_the_forms_just_listed(knowledge: Knowledge):
    listing = "Trong phong trào thi đua phòng, chống COVID-19 có những hình thức khen thưởng nào?"
    assert talk(knowledge, listing, "cao nhất trong số đó thì tiêu chuẩn ra sao?")[0][1] == "Tiêu chuẩn Huân chương Lao động"
    # Without the list's words "thứ hai" alone points at nothing.
    assert knowledge.dialogue.recall_words.place_pointed("thu hai co hop khong") is None


def test_who_signed_a_document_whose_entry_names_no_signer_is_not_answered(knowledge: Knowledge):
    """dialogue.yaml aspects' `told_by`: the entry on KH 127 gives its date and basis, not its signer."""
    assert talk(knowledge, "Kế hoạch 127/KH-VKSTC do ai ký?")[0] == ["fallback"]
    assert talk(knowledge, "Kế hoạch 127/KH-VKSTC ban hành ngày nào?")[0] == ["Kế hoạch 127/KH-VKSTC ngày 28/10/2021"]
    assert talk(knowledge, "Kế hoạch 515/KH-VKS do ai ký?")[0] == ["Người ký và nơi nhận KH 515"]
    # Without a document's number the rule does not apply: "giấy khen ai ký" asks who awards it.
    assert talk(knowledge, "giấy khen do ai ký tặng")[0] != ["fallback"]


def test_a_short_follow_up_the_engine_reads_as_a_choice_is_settled_by_the_last_answer(knowledge: Knowledge):
    """"ký ngày nào?" alone is a choice (the signer entries, the plan); after "KH 515 ai ký" the last
    answer's entry, among that choice, answers (Dialogue._offered_again); alone it stays a choice."""
    titles, _ = talk(knowledge, "KH 515 ai ký vậy", "ký ngày nào?")
    assert titles == ["Người ký và nơi nhận KH 515", "Người ký và nơi nhận KH 515"]
    assert talk(knowledge, "ký ngày nào?")[0] == ["clarify"]


def test_kieu_do_points_back_at_the_story_and_a_civil_paper_is_not_completed_from_the_plan(knowledge: Knowledge):
    """"kế hoạch có cho phát động kiểu đó không" asks about the story (dialogue.yaml story_references);
    a question about an identity card after a CT 19 answer is not completed with that plan."""
    text = ("Viện tôi vừa có đợt cao điểm giải quyết án tồn, định phát động thi đua ngắn hạn chỉ 3 tháng, "
            "kế hoạch có cho phát động kiểu đó không?")
    assert talk(knowledge, text)[0] == ["Thi đua theo đợt, theo chuyên đề"]
    titles, _ = talk(knowledge, "Theo kế hoạch thực hiện Chỉ thị 19, việc khen thưởng trong phòng chống dịch "
                     "Covid-19 phải làm như thế nào?", "Cho hỏi thủ tục làm lại căn cước công dân bị mất thế nào?")
    assert titles[1] == "fallback"


def test_which_document_of_a_kind_is_answered_by_an_entry_naming_one(knowledge: Knowledge):
    # The lexical engine reads "Chính phủ" and answers the Prime Minister's directive; a resolution was asked.
    titles, _ = talk(knowledge, "KH 515 có nhắc nghị quyết nào của Chính phủ không")
    assert titles == ["Nghị quyết 128/NQ-CP ngày 11/10/2021"]
    # An entry naming a directive in its answer is not overruled: the group prosecuted under Chỉ thị 03.
    titles, _ = talk(knowledge, "Đối tượng được đề nghị khen thưởng trong phong trào chống dịch gồm những ai?",
                     "quay lại nhóm đối tượng đầu tiên lúc nãy, nhóm đó theo chỉ thị số mấy")
    assert "03/CT-VKSTC" in knowledge.kb.by_id[next(e.id for e in knowledge.kb.entries if e.title == titles[1])].answer
    trace = explain(knowledge, "KH 515 có nhắc nghị quyết nào của Chính phủ không").text()
    assert "decision: answer vb-nq-128" in trace and "named first by: ranker" in trace, trace
    # "Kế hoạch 5 năm" is a five-year plan, not plan number 5; a date after a number leaves it a number.
    assert recall.document_numbers("xây dựng kế hoạch 5 năm cho khớp") == set()
    assert recall.document_numbers("Chỉ thị 19 ngày 16/7/2021, kế hoạch số 15 năm 2021") == {"19", "15"}


def test_a_short_follow_up_the_conversation_did_not_complete_is_read_as_any_other(knowledge: Knowledge):
    # "cái sửa đổi đó": the amending circular the answer named; the learned ranker names it too.
    titles, _ = talk(knowledge, "thông tư 01/2019/TT-VKSTC quy định về việc gì", "cái sửa đổi đó ban hành hôm nào")
    assert titles[1] == "Thông tư 01/2020/TT-VKSTC ngày 15/12/2020"
    # A bare subject is still a choice to offer, and a number the entry never names is another document.
    assert knowledge.read("HCLĐ").parts[0][1].kind == "clarify"
    assert knowledge.read("KH 200/KH-VKS ban hanh ngay nao").parts[0][1].kind == "fallback"


def test_a_bare_aspect_after_a_plan_named_with_its_full_symbol(knowledge: Knowledge):
    # "Kế hoạch 515/KH-VKS" names KH 515 (dialogue.yaml subjects) though its number comes after the symbol.
    titles, about = talk(knowledge, "kế hoạch 515/KH-VKS ban hành ngày nào", "đồng chí nào ký vậy")
    assert titles[1] == "Người ký và nơi nhận KH 515"
    assert knowledge.dialogue.subject_of(knowledge.dialogue._tokens("Chỉ thị 19/CT-TTg")) == 11  # not the plan (5)


def test_hc_alone_is_the_labour_order_the_conversation_goes_on_about(knowledge: Knowledge):
    titles, about = talk(knowledge, "bằng khen thủ tướng nộp mấy bộ hồ sơ", "còn HC thì sao", "thế tiêu chuẩn thì sao")
    assert titles[2] == "Tiêu chuẩn Huân chương Lao động"


def test_the_document_told_when_the_question_named_its_own(knowledge: Knowledge):
    # The question names CT 19 and asks which text of the Politburo: "văn bản ấy" is the one told (CT 34),
    # though the answer's title names it too.
    titles, _ = talk(knowledge, "theo kế hoạch thực hiện Chỉ thị 19, ngành phải tuyên truyền chỉ thị nào của Bộ Chính "
                     "trị về thi đua khen thưởng", "văn bản ấy ban hành ngày nào")
    assert titles[1] == knowledge.kb.by_id["vb-ct-34"].title


def test_a_bare_aspect_is_asked_as_the_aspect_says_it(knowledge: Knowledge):
    # "chức vụ?" after who signed: the signer's post, which the signer's entry gives.
    titles, _ = talk(knowledge, "KH thực hiện chỉ thị 19 của VKSTC do đồng chí nào ký", "thế chức vụ?")
    assert titles[1] == "Người ký Kế hoạch thực hiện CT 19 của VKSTC"


def test_the_procedure_is_an_aspect_of_its_own(knowledge: Knowledge):
    # "thủ tục?" asks how a proposal goes (the simplified procedure), not what the dossier holds.
    titles, _ = talk(knowledge, "phong trào thi đua đặc biệt của tỉnh khen những đối tượng nào", "có mấy hình thức?",
                     "thủ tục?")
    assert titles[2] == knowledge.kb.by_id["thu-tuc-don-gian"].title
    # Two aspects of an order the plans do not cover are not read as the Labour Order's.
    assert knowledge.read("Em định đề nghị Huân chương Chiến công cho anh ấy. Thủ tục và hồ sơ loại huân chương "
                          "này thế nào?").parts[0][1].kind == "fallback"


def test_a_word_of_two_syllables_does_not_lend_its_second_to_an_aspect(knowledge: Knowledge):
    """dialogue.yaml joined_words: "công chức Vụ Thi đua" holds the syllables of "chức vụ" (the signer's
    post), which made a question about Chỉ thị 19's plan a signer's, declined for want of one."""
    dialogue = knowledge.dialogue
    asked = ("Em là công chức Vụ Thi đua - Khen thưởng VKSTC mới chuyển công tác về. Em được giao theo dõi việc "
             "thực hiện kế hoạch Chỉ thị 19 toàn ngành. Vụ mình có vai trò gì theo kế hoạch này ạ?")
    assert dialogue.frame(asked).aspect != "signer"
    assert knowledge.read(asked).parts[0][1].kind == "answer"
    assert dialogue.frame("chức vụ người ký kế hoạch 515").aspect == "signer"


def test_a_part_read_alone_does_not_overrule_the_whole_both_sources_agree_on(knowledge: Knowledge):
    """A long message whose question, read alone ("Hồ sơ chuẩn bị bao nhiêu bộ?": any dossier), names
    another entry than the whole message does, where the lexical engine's first and the ranker's agree on
    the whole (the Prime Minister's certificate, told as "tấm khen do người đứng đầu Chính phủ ký") and the
    fitted gate takes it: the whole is what is asked."""
    dialogue = knowledge.dialogue
    asked = ("Phòng em muốn xin tấm khen do người đứng đầu Chính phủ ký cho anh Hùng vì chống dịch giỏi. "
             "Hồ sơ chuẩn bị bao nhiêu bộ?")
    focused = dialogue._read_focused(asked, None)
    assert focused is not None and focused[0].entry.id != "ho-so-bk-ttg"  # the question, alone
    assert knowledge.matcher.rank(asked)[0][0].entry.id == "ho-so-bk-ttg"
    assert knowledge.matcher.ranker.rank(asked, 1)[0].entry_id == "ho-so-bk-ttg"
    assert knowledge.read(asked).parts[0][1].entry.id == "ho-so-bk-ttg"
    # ask --explain says what the parts do not show.
    assert ("Note: the whole message, ho-so-bk-ttg (both sources' first, the gate takes it), overruled a part read "
            "alone «Hồ sơ chuẩn bị bao nhiêu bộ?»") in explain(knowledge, asked).text()
    assert "Note:" not in explain(knowledge, "hồ sơ bằng khen thủ tướng mấy bộ").text()


def test_a_piece_of_the_story_read_alone_needs_both_sources(knowledge: Knowledge):
    """The story's last clause read without the question ("Em là phó phòng ở VKS tỉnh,") is taken for what
    was done only where the ranker reads it as the lexical engine does: alone, "phó phòng" read as the
    post of the plan's signer (Phó Viện trưởng)."""
    piece = "Em là phó phòng ở VKS tỉnh,"
    assert knowledge.matcher.match(piece).entry.id == "ct19-nguoi-ky"
    assert knowledge.matcher.ranker.rank(piece, 1)[0].entry_id != "ct19-nguoi-ky"
    asked = (f"{piece} em nghĩ ra cách chia ca làm việc để phòng dịch mà án vẫn đúng hạn. "
             "Việc này có được tính là sáng kiến không?")
    assert knowledge.read(asked).parts[0][1].entry.id == "nd-sang-kien"
    assert f"Note: a piece of the story read alone «{piece}» was left out" in explain(knowledge, asked).text()


def test_an_aspects_phrase_alone_is_asked_as_the_aspect_says_it(knowledge: Knowledge):
    """Not only one or two words ("chức vụ?"): an aspect's phrase with words the analyser leaves out
    ("thế chức vụ gì?", "căn cứ vào đâu?") is bare too, asked of the plan discussed as the aspect says it."""
    titles, _ = talk(knowledge, "KH thực hiện CT 19 của viện tối cao ai ký vậy", "thế chức vụ gì?")
    assert titles[1] == "Người ký Kế hoạch thực hiện CT 19 của VKSTC"
    titles, _ = talk(knowledge, "Kế hoạch thực hiện Chỉ thị 19 của VKSTC có mấy nhóm nhiệm vụ?", "căn cứ vào đâu?")
    assert titles[1] == "Kế hoạch thực hiện CT 19 căn cứ văn bản nào"


def test_a_body_the_last_answer_named_is_what_don_vi_do_points_at(knowledge: Knowledge):
    """dialogue.yaml pointing_back.bodies: "cơ quan đó", "vụ đó" after an answer naming an office or a
    department is that one, the first the answer named; a message naming one, or a long one, is read as it is."""
    titles, about = talk(knowledge, "Hồ sơ khen thưởng có chỗ chưa rõ thì hỏi ai?", "cơ quan đó làm những việc gì?")
    assert titles[1] == knowledge.kb.by_id["tham-dinh-ho-so"].title  # the Office's tasks
    assert about["bodies"][0] == "Văn phòng VKSND tỉnh"
    text = explain(knowledge, "cơ quan đó làm những việc gì?",
                   talk(knowledge, "Hồ sơ khen thưởng có chỗ chưa rõ thì hỏi ai?")[1]).text()
    assert "pointed back (body Văn phòng VKSND tỉnh): Văn phòng VKSND tỉnh làm những việc gì?" in text
    words = knowledge.dialogue.recall_words
    context = {"bodies": ["Văn phòng VKSND tỉnh"]}
    assert words.body_pointed("vụ đó làm gì", context)[1] == "Văn phòng VKSND tỉnh"
    assert words.body_pointed("Vụ TĐKT thì bên đó làm gì", context) is None  # names a body itself
    assert words.body_pointed("vụ đó làm gì", {"bodies": []}) is None
    story = ("Em ở VKS huyện, năm ngoái đơn vị đó của em được khen tập thể, năm nay muốn đề nghị tiếp thì "
             "cần những gì ạ")  # "đơn vị đó" is the one its own story told of
    assert knowledge.dialogue.recalled(story, {"bodies": ["Văn phòng VKSND tỉnh"], "entry": "hoi-ai-khi-vuong-mac"}) \
        is None


def test_a_short_follow_up_the_engine_offers_as_a_choice_is_asked_of_the_document_told(knowledge: Knowledge):
    """"sửa rồi à?" after the procedure's answer (which tells Thông tư 01/2019): of that circular, which the
    engine offered among its choices; a follow-up naming an aspect ("mấy bộ?") is not."""
    titles, _ = talk(knowledge, "Khen thưởng chống dịch làm theo thủ tục của thông tư nào vậy ạ?", "sửa rồi à?")
    assert titles[1] == "Thông tư 01/2019/TT-VKSTC ngày 14/5/2019"  # "đã được sửa đổi, bổ sung bởi ... 01/2020"
    titles, _ = talk(knowledge, "Khen thưởng chống dịch làm theo thủ tục của thông tư nào vậy ạ?", "mấy bộ?")
    assert titles[1] != "Thông tư 01/2019/TT-VKSTC ngày 14/5/2019"
