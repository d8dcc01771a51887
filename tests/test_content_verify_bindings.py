"""`content verify` binds each fact to what it is about (issue 20, item 7): realistic wrong
facts, made one at a time in a copy of the shipped content, are refused against the two
plans (tests/fixtures/plans, the texts of shared/seeds); the shipped content passes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from content import DEFAULT_CONTENT_DIR
from content.loader import ContentError, load
from content.verify import verify

PLANS = Path(__file__).parent / "fixtures" / "plans"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return copy


def mutated(pristine: Path, tmp_path: Path, file: str, old: str, new: str, count: int = 1) -> Path:
    content = tmp_path / "content"
    shutil.copytree(pristine, content)
    path = content / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return content


def test_the_shipped_content_passes(pristine: Path):
    report = verify(pristine, PLANS)
    assert report.mismatches == []
    assert report.entries >= 90


MUTATIONS = {
    # A count of one award changed: "03" is the heading number of the cited section.
    "bk-ttg 04 -> 03 bộ": ("entries/hinh-thuc.yaml", "Hồ sơ đề nghị: 04 bộ", "Hồ sơ đề nghị: 03 bộ",
                           "'03 bộ' ("),
    # "04 bộ" is another award's count in the same section.
    "hcld 05 -> 04 bộ": ("entries/hinh-thuc.yaml", "Hồ sơ đề nghị: 05 bộ", "Hồ sơ đề nghị: 04 bộ",
                         "'04 bộ' is said of hcld, but the cited sections state it of bk-ttg"),
    "two counts swapped": ("entries/ho-so.yaml", "Huân chương Lao động 05 bộ; Bằng khen của Thủ tướng Chính phủ 04 bộ",
                           "Huân chương Lao động 04 bộ; Bằng khen của Thủ tướng Chính phủ 05 bộ",
                           "'05 bộ' is said of bk-ttg, but the cited sections state it of hcld"),
    # A document's date replaced by another document's date in the same section...
    "directive dated as the plan it rests on": ("entries/chi-thi-19.yaml", "Chỉ thị số 19/CT-TTg ngày 16/7/2021",
                                                "Chỉ thị số 19/CT-TTg ngày 31/8/2021",
                                                "date 31/08/2021 is given to document 19, which the plans date 16/07/2021"),
    # ... or by the plan's own date.
    "directive dated as KH 515": ("entries/chi-thi-19.yaml", "Chỉ thị số 19/CT-TTg ngày 16/7/2021",
                                  "Chỉ thị số 19/CT-TTg ngày 08/11/2021",
                                  "date 08/11/2021 is given to document 19, which the plans date 16/07/2021"),
    "circulars swapped": ("entries/ho-so.yaml",
                          "Điều 48 Thông tư 01/2019/TT-VKSTC, sửa đổi, bổ sung bởi Thông tư 01/2020/TT-VKSTC",
                          "Điều 48 Thông tư 01/2020/TT-VKSTC, sửa đổi, bổ sung bởi Thông tư 01/2019/TT-VKSTC",
                          "says document 1/2019 amends or guides 1/2020; the plans say 1/2020 does so to 1/2019"),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_a_wrong_fact_is_refused(pristine: Path, tmp_path: Path, name: str):
    file, old, new, said = MUTATIONS[name]
    report = verify(mutated(pristine, tmp_path, file, old, new), PLANS)
    assert any(said in m for m in report.mismatches), report.mismatches


def test_a_criterion_number_is_bound_to_its_words(pristine: Path, tmp_path: Path):
    # "Tiêu chí 2.3" changed to "2.4" in the answer and in the source line alike.
    content = mutated(pristine, tmp_path, "entries/tieu-chi.yaml", "Tiêu chí 2.3 là thi đua",
                      "Tiêu chí 2.4 là thi đua")
    path = content / "entries/tieu-chi.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("source: KH 515/KH-VKS, mục II.2 (tiêu chí 2.3)",
                                 "source: KH 515/KH-VKS, mục II.2 (tiêu chí 2.4)", 1), encoding="utf-8")
    mismatches = verify(content, PLANS).mismatches
    assert any("mục II.2.4" in m and "mục II.2.3" in m for m in mismatches), mismatches


def test_a_section_reference_is_bound_to_the_text_it_supports(pristine: Path, tmp_path: Path):
    # "mục II.7.b" changed to "II.7.a" in the answer and in the source line.
    content = mutated(pristine, tmp_path, "entries/tieu-chi.yaml",
                      "19/CT-TTg của Viện kiểm sát nhân dân tối cao (mục II.7.b) đặc biệt quan tâm",
                      "19/CT-TTg của Viện kiểm sát nhân dân tối cao (mục II.7.a) đặc biệt quan tâm")
    path = content / "entries/tieu-chi.yaml"
    text = path.read_text(encoding="utf-8")
    old_source = "mục II.1 (nội dung 1.2); Kế hoạch thực hiện Chỉ thị 19/CT-TTg của VKSND tối cao, mục II.7.b"
    path.write_text(text.replace(old_source, old_source[:-1] + "a"), encoding="utf-8")
    mismatches = verify(content, PLANS).mismatches
    assert any("mục II.7.a" in m and "mục II.7.b" in m for m in mismatches), mismatches


def test_a_source_line_citing_a_wrong_section_is_refused(pristine: Path, tmp_path: Path):
    # The dossier counts entry cites IV.4 (the copies); IV.1 (who is eligible) exists but is wrong.
    content = mutated(pristine, tmp_path, "entries/ho-so.yaml", "source: KH 515/KH-VKS, mục IV.4 (thủ tục tại mục IV.3)",
                      "source: KH 515/KH-VKS, mục IV.1 (thủ tục tại mục IV.3)")
    mismatches = verify(content, PLANS).mismatches
    assert any("entry so-bo-ho-so" in m and "cites mục IV.1" in m for m in mismatches), mismatches


def test_the_forms_copies_are_bound_to_their_award(pristine: Path, tmp_path: Path):
    # The exported award list would print "04 bộ" for the Labour Order; "04 bộ" is in the
    # dossier entry, but for the Prime Minister's certificate.
    load(pristine)
    content = mutated(pristine, tmp_path, "report_form.yaml", "name: Huân chương Lao động\n    copies: 5",
                      "name: Huân chương Lao động\n    copies: 4")
    with pytest.raises(ContentError) as refused:
        load(content)
    assert any("award hcld" in p and "04 bộ" in p and "it says 05" in p for p in refused.value.problems), \
        refused.value.problems


def test_what_the_audit_of_entries_found_is_mended():
    # Issue 20 item 8: the Labour Order's condition, a start date's section, the standards'
    # section and two criterion labels (the last two are also checked by verify above).
    kb = load(DEFAULT_CONTENT_DIR)
    entries = {e.id: e for e in kb.entries}
    for entry_id in ("tieu-chuan-chung", "ho-so-hcld", "tieu-chuan-hcld"):
        assert "được cấp có thẩm quyền ghi nhận, đánh giá cao" in entries[entry_id].answer, entry_id
    assert "mục V" in entries["pt-ten-phong-trao"].source
    assert "IV.2.2" in entries["hinh-thuc-khen-thuong"].source
