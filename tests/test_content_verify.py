"""`content verify` against small plans written here, and the rules of sources.yaml
that the loader applies (dated source lines, notes by topic and tag, no "hiện hành")."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from content.loader import ContentError, load
from content.sources import Document
from content.verify import parse_plan, verify

PLAN = """
Số: 9/KH-VT

Tây Ninh, ngày 05 tháng 3 năm 2021

KẾ HOẠCH
Thi đua thử nghiệm

Căn cứ Kế hoạch số 77/KH-TW ngày 01/02/2021 của Trung ương, Viện tỉnh xây dựng Kế hoạch như sau:

I. MỤC ĐÍCH

1. Mục đích

Khơi dậy tinh thần thi đua.

II. TIÊU CHÍ THI ĐUA

1. Nội dung

1.1. Hoàn thành nhiệm vụ được giao.

1.2 Phát huy sáng kiến.

2. Tiêu chí

2.1. Chấp hành quy định.

2.2. Ứng dụng công nghệ thông tin theo Nghị quyết số 12/NQ-CP ngày 11/10/2021.

2.3. Tuyên truyền.

III. HỒ SƠ

1. Hình thức

- Bằng khen;
- Giấy khen.

2. Số lượng hồ sơ

+ Bằng khen: 04 bộ (bản chính).
+ Giấy khen: 01 bộ (bản chính).

Nơi nhận:
- Các phòng;
- Lưu: VT.

Nguyễn Văn A
"""

OTHER_PLAN = "KẾ HOẠCH khác\n\nI. MỤC ĐÍCH\n\n1. Không liên quan.\n"

SOURCES = """
documents:
  - id: kh-9
    cite: KH 9/KH-VT
    short: KH 9
    dated: KH 9 ban hành ngày 05/3/2021
    find: "Số: 9/KH-VT"
    parts: {phần căn cứ: preamble, Nơi nhận: closing}
    closing_starts: ["Nơi nhận"]
    labels: {tiêu chí: II}
  - id: ngoai
    cite: Thông điệp của Bộ Y tế
    external: true
tags: [thu-tuc]
notes:
  - id: luat
    topics: [ho-so]
    tags: [thu-tuc]
    text: "Lưu ý: quy định hiện nay do Luật điều chỉnh; Văn phòng xác nhận."
    required_when: [bản chính]
outdated_claims: [hiện hành]
count_words: [tiêu chí, hình thức]
"""

GOOD_ENTRIES = """
entries:
  - id: so-bo
    topic: ho-so
    title: Số bộ hồ sơ
    questions: [mấy bộ]
    answer: "Bằng khen 04 bộ, Giấy khen 01 bộ (bản chính); có 2 hình thức (mục III.1)."
    source: KH 9/KH-VT, mục III.1 và III.2
  - id: tieu-chi
    topic: tieu-chi
    title: Tiêu chí
    questions: [tiêu chí]
    answer: "Có 3 tiêu chí; tiêu chí 2.2 theo Nghị quyết số 12/NQ-CP ngày 11/10/2021, KH 9 năm 2021."
    source: KH 9/KH-VT, mục II.2
  - id: can-cu
    topic: tieu-chi
    title: Căn cứ
    questions: [căn cứ]
    answer: "Căn cứ Kế hoạch số 77/KH-TW ngày 01/02/2021; người nhận: các phòng."
    source: KH 9/KH-VT, phần căn cứ; KH 9/KH-VT, Nơi nhận
  - id: ngoai
    topic: tieu-chi
    title: Ngoài kế hoạch
    questions: [ngoài]
    answer: "Thông điệp có 5 chữ."
    source: Thông điệp của Bộ Y tế
"""

TOPICS = "topics:\n  - {id: ho-so, title: Hồ sơ}\n  - {id: tieu-chi, title: Tiêu chí}\n"


def make(tmp_path: Path, entries: str = GOOD_ENTRIES, sources: str = SOURCES,
         plans: dict[str, str] | None = None) -> tuple[Path, Path]:
    content = tmp_path / "content"
    (content / "entries").mkdir(parents=True)
    (content / "topics.yaml").write_text(TOPICS, encoding="utf-8")
    (content / "sources.yaml").write_text(sources, encoding="utf-8")
    (content / "entries" / "a.yaml").write_text(entries, encoding="utf-8")
    plan_dir = tmp_path / "plans"
    plan_dir.mkdir()
    for name, text in (plans if plans is not None else {"001.txt": PLAN, "002.txt": OTHER_PLAN}).items():
        (plan_dir / name).write_text(text, encoding="utf-8")
    return content, plan_dir


def test_plan_is_split_into_sections_parts_and_item_runs():
    plan = parse_plan(Document(id="x", cite="KH 9/KH-VT", find="9/KH-VT", closing_starts=["Nơi nhận"]),
                      Path("p.txt"), PLAN)
    assert all(plan.has(a) for a in ("I.1", "II.1.1", "II.1.2", "II.2.3", "III.1", "III.2", "preamble", "closing"))
    assert not plan.has("II.3")
    assert "77/KH-TW" in plan.section_text("preamble") and "Nguyễn Văn A" in plan.section_text("closing")
    assert "12/NQ-CP" in plan.section_text("II.2") and "12/NQ-CP" not in plan.section_text("II.1")
    assert plan.counts("II.2") == {3} and 2 in plan.counts("III.1") and 2 in plan.counts("III.2")


def test_content_that_matches_its_plans_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture):
    content, plans = make(tmp_path)
    report = verify(content, plans)
    assert report.mismatches == []
    assert report.entries == 3 and report.skipped == ["ngoai"]
    # "3 tiêu chí": II.2 lists three, no "3" in it; "2 hình thức": III.1 lists two (the "2." of the
    # next heading is not a fact of the plan).
    assert report.sections == 5 and report.counted == 2
    assert report.facts >= 10
    monkeypatch.setenv("CONTENT_DIR", str(content))
    assert cli.main(["content", "verify", "--sources", str(plans)]) == 0
    assert "0 mismatches" in capsys.readouterr().out


BAD_ENTRIES = """
entries:
  - id: sai-muc
    topic: ho-so
    title: Mục không có
    questions: [a]
    answer: "Hồ sơ nộp bản chính."
    source: KH 9/KH-VT, mục III.7
  - id: so-ngoai-muc
    topic: ho-so
    title: Số bộ dẫn sai mục
    questions: [b]
    answer: "Bằng khen 04 bộ (bản chính)."
    source: KH 9/KH-VT, mục III.1
  - id: ngay-sai
    topic: tieu-chi
    title: Ngày sai
    questions: [c]
    answer: "Theo Nghị quyết số 12/NQ-CP ngày 12/10/2021 và Nghị quyết số 13/NQ-CP."
    source: KH 9/KH-VT, mục II.2
  - id: muc-khong-dan
    topic: tieu-chi
    title: Mục không dẫn
    questions: [d]
    answer: "Xem thêm mục III.2 và tiêu chí 2.1; có 5 tiêu chí."
    source: KH 9/KH-VT, mục II.1
  - id: van-ban-la
    topic: tieu-chi
    title: Văn bản lạ
    questions: [e]
    answer: "Một câu."
    source: Công văn 5/CV
"""


def test_each_mismatch_is_named_with_file_and_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture):
    content, plans = make(tmp_path, entries=BAD_ENTRIES)
    where = f"{content / 'entries' / 'a.yaml'}: entry"
    found = verify(content, plans).mismatches
    expected = [
        f"{where} sai-muc: cites mục III.7, which KH 9/KH-VT does not have",
        f"{where} so-ngoai-muc: number 4 is not in the cited sections",  # "04 bộ" is no count: III.1 has 2 items
        # What an answer says is bound to the section whose text says it, a date to its document.
        f"{where} so-ngoai-muc: cites mục III.1, but what the answer draws from it is in mục III.2 "
        "(22% against 100% of its words)",
        f"{where} ngay-sai: date 12/10/2021 is not in the cited sections",
        f"{where} ngay-sai: date 12/10/2021 is given to document 12, which the plans date 11/10/2021",
        f"{where} ngay-sai: document number 13/NQ-CP is not in the cited sections",
        f"{where} muc-khong-dan: the answer names mục III.2, which the source line does not cite",
        f"{where} muc-khong-dan: the answer names mục II.2.1, which the source line does not cite",
        f"{where} muc-khong-dan: number 5 is not in the cited sections",
        f"{where} muc-khong-dan: cites mục II.1, but what the answer draws from it is in mục II.2 "
        "(0% against 36% of its words)",
        f"{where} van-ban-la: source 'Công văn 5/CV' names no known document",
    ]
    assert sorted(found) == sorted(expected)
    monkeypatch.setenv("CONTENT_DIR", str(content))
    assert cli.main(["content", "verify", "--sources", str(plans)]) == 1
    out = capsys.readouterr().out
    assert all(line in out for line in expected) and f"{len(expected)} mismatches" in out


def test_a_plan_missing_from_the_folder_is_a_mismatch(tmp_path: Path):
    content, plans = make(tmp_path, plans={"002.txt": OTHER_PLAN})
    found = verify(content, plans).mismatches
    assert found == [f"document kh-9 (KH 9/KH-VT): no file in {plans} holds 'Số: 9/KH-VT'"]


def test_loader_dates_source_lines_and_adds_notes_by_topic_and_tag(tmp_path: Path):
    entries = GOOD_ENTRIES + """
  - id: co-the
    topic: tieu-chi
    tags: [thu-tuc]
    title: Có thẻ
    questions: [f]
    answer: "Nộp bản chính."
    source: KH 9/KH-VT, mục III.2
"""
    content, _ = make(tmp_path, entries=entries)
    kb = load(content)
    note = "\n\nLưu ý: quy định hiện nay do Luật điều chỉnh; Văn phòng xác nhận."
    assert kb.answer_text(kb.by_id["so-bo"]).endswith(note)  # by topic
    assert kb.answer_text(kb.by_id["co-the"]).endswith(note)  # by tag
    assert kb.answer_text(kb.by_id["tieu-chi"]) == kb.by_id["tieu-chi"].answer  # neither
    assert kb.source_text(kb.by_id["so-bo"]) == "KH 9/KH-VT, mục III.1 và III.2. KH 9 ban hành ngày 05/3/2021."
    assert kb.source_text(kb.by_id["ngoai"]) == "Thông điệp của Bộ Y tế"


def test_content_check_refuses_current_claims_and_procedures_without_the_note(tmp_path: Path):
    entries = GOOD_ENTRIES + """
  - id: hien-hanh
    topic: tieu-chi
    title: Hiện hành
    questions: [g]
    answer: "Thông tư năm 2019 là văn bản hiện hành."
    source: KH 9/KH-VT, mục II.1
  - id: thieu-ghi-chu
    topic: tieu-chi
    tags: [khong-co]
    title: Thiếu ghi chú
    questions: [h]
    answer: "Nộp 04 bộ bản chính."
    source: KH 9/KH-VT, mục III.2
"""
    content, _ = make(tmp_path, entries=entries)
    with pytest.raises(ContentError) as err:
        load(content)
    text = "\n".join(err.value.problems)
    assert "entry hien-hanh: the answer calls a text 'hiện hành'" in text
    assert "entry thieu-ghi-chu: the answer mentions 'bản chính' but does not get note luat" in text
    assert "entry thieu-ghi-chu: unknown tag 'khong-co'" in text
