"""The Office's documents from good-example reports, opened as the Office opens them:
the CSV (Excel's BOM), the XLSX (header, frozen panes, widths, wrapped story, real
dates), the Danh sách đề nghị khen thưởng (groups in the content's award order,
copies from the content), the Bản tóm tắt thành tích drafts (A4, margins, Times New
Roman in every font slot, the motto block), the filters, and `python -m bot export`."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from docx import Document
from docx.enum.text import WD_TAB_LEADER
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import load_workbook
from sqlmodel import Session

from bot import cli
from bot.settings import load_settings
from content.loader import KnowledgeBase, load
from handlers.reports.exports import ExportError, build_export
from storage import db
from storage import reports as q
from storage.files import FileStore
from storage.models import User
from storage.reports import ReportStore
from tests.conftest import FIXTURE_CONTENT
from tests.incli import run_cli
from tests.procs import clean_env

VN = ZoneInfo("Asia/Ho_Chi_Minh")

HEADERS = ["Mã báo cáo", "Ngày gửi", "Người gửi", "Đơn vị người gửi", "Gương (cá nhân/tập thể)", "Đơn vị", "Tiêu chí",
           "Thời gian diễn ra", "Thành tích", "Trạng thái", "Hình thức đề xuất", "Ý kiến của người duyệt",
           "Ngày quyết định", "Người duyệt", "Số tệp"]
# The content's order and copies differ from the shipped report_form.yaml on purpose:
# the export must follow the content, not an order or figures of its own.
FORM = {
    "subjects": [{"id": "self", "label": "Bản thân tôi"}, {"id": "colleague", "label": "Một đồng nghiệp"},
                 {"id": "collective", "label": "Một tập thể"}],
    "criteria": [{"id": "2.1", "label": "2.1 Hoàn thành xuất sắc nhiệm vụ phòng, chống dịch"},
                 {"id": "khac", "label": "Khác (không thuộc các mục trên)"}],
    "awards": [{"id": "giay-khen", "name": "Giấy khen của Viện trưởng VKSND tỉnh", "copies": 3},
               {"id": "bk-ttg", "name": "Bằng khen của Thủ tướng Chính phủ", "copies": 4},
               {"id": "hcld", "name": "Huân chương Lao động", "copies": 7}],
}
UNITS = {"note": "Danh sách mẫu.", "units": [
    {"id": "vks-tinh", "name": "VKSND tỉnh Tây Ninh"},
    {"id": "phong-a", "name": "Phòng Kiểm sát điều tra", "parent": "vks-tinh"},
    {"id": "vks-b", "name": "VKSND huyện Bến Cầu", "parent": "vks-tinh"}]}


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    d = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, d)
    (d / "report_form.yaml").write_text(yaml.safe_dump(FORM, allow_unicode=True), encoding="utf-8")
    (d / "units.yaml").write_text(yaml.safe_dump(UNITS, allow_unicode=True), encoding="utf-8")
    return d


@pytest.fixture
def kb(content_dir: Path) -> KnowledgeBase:
    return load(content_dir)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'data' / 'bot.sqlite3'}"
    (tmp_path / "data").mkdir(exist_ok=True)
    db.upgrade(url)
    return url


def _report(s: Session, user: User, key: str, *, kind: str, name: str, unit: str | None, criterion: str,
            story: str, at: datetime, file_ids: tuple[int, ...] = ()) -> int:
    new = q.NewReport(user_id=user.id, channel="telegram", chat_id=user.external_id,  # type: ignore[arg-type]
                      submitter_name="Phạm Thị Gửi", submitter_unit_id="vks-tinh", subject_kind=kind,
                      subject_name=name, subject_unit_id=unit, criterion=criterion, story=story,
                      happened_on=date(2026, 2, 20), submit_key=key)
    return q.submit(s, new, file_ids, by=f"telegram:{user.external_id}", now=at, tz=VN).id  # type: ignore[return-value]


OFFICER = {"by": "telegram:900", "name": "Lê Văn Duyệt"}
STORY_AN = "Đồng chí An trực chốt kiểm dịch 30 ngày liền, không nghỉ ngày nào.\nGiúp dân vùng cách ly."
ADDITION = "Có thêm giấy xác nhận của UBND xã."


@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> dict[str, str]:
    """Six reports: four approved (two Giấy khen, one HCLĐ, one without award), one
    pending, one rejected; the created times straddle local midnight of 2 March."""
    engine = db.make_engine(db_url)
    files = FileStore(tmp_path / "data", engine)
    codes = {}
    with Session(engine) as s:
        u = User(channel="telegram", external_id="501", display_name="Gửi")
        s.add(u)
        s.flush()
        photo = files.put(b"\xff\xd8\xff photo", mime_type="image/jpeg", original_name="anh.jpg",
                          owner_user_id=u.id, session=s)
        proof = files.put(b"%PDF-1.4 proof", mime_type="application/pdf", original_name="xac-nhan.pdf",
                          owner_user_id=u.id, session=s)
        # 16:30 UTC is 23:30 on 1 March in Vietnam; 17:30 UTC is 00:30 on 2 March.
        an = _report(s, u, "k1", kind="colleague", name="Nguyễn Văn An", unit="phong-a", criterion="2.1",
                     story=STORY_AN, at=datetime(2026, 3, 1, 16, 30, tzinfo=UTC), file_ids=(photo.id,))
        assert q.decide(s, an, "needs_info", note="Xin giấy xác nhận", **OFFICER)
        assert q.add_more(s, an, u.id, ADDITION, [proof.id], by="telegram:501", name="Phạm Thị Gửi")
        assert q.decide(s, an, "approved", award="hcld", **OFFICER)
        to = _report(s, u, "k2", kind="collective", name="Tổ công tác số 3", unit="vks-b", criterion="khac",
                     story="=HYPERLINK(\"http://x\") tổ công tác hỗ trợ người dân khai báo y tế.",
                     at=datetime(2026, 3, 1, 17, 30, tzinfo=UTC))
        assert q.decide(s, to, "approved", award="giay-khen", **OFFICER)
        binh = _report(s, u, "k3", kind="self", name="Trần Thị Bình", unit=None, criterion="2.1",
                       story="Tôi làm thêm giờ\x07 để số hóa hồ sơ vụ án trong thời gian giãn cách.",
                       at=datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
        assert q.decide(s, binh, "approved", **OFFICER)
        pend = _report(s, u, "k4", kind="colleague", name="Võ Văn Chờ", unit="vks-b", criterion="2.1",
                       story="Câu chuyện đang chờ duyệt, đủ dài để hợp lệ.", at=datetime(2026, 3, 4, 2, 0, tzinfo=UTC))
        rej = _report(s, u, "k5", kind="colleague", name="Đỗ Văn Không", unit="vks-b", criterion="2.1",
                      story="Câu chuyện không được duyệt vì trùng lặp.", at=datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
        assert q.decide(s, rej, "rejected", note="Trùng báo cáo khác", **OFFICER)
        hai = _report(s, u, "k6", kind="colleague", name="Lý Thị Hai", unit="vks-b", criterion="khac",
                      story="Đồng chí Hai vận động quyên góp cho khu cách ly.",
                      at=datetime(2026, 3, 6, 2, 0, tzinfo=UTC))
        assert q.decide(s, hai, "approved", award="giay-khen", **OFFICER)
        s.commit()
        for key, rid in (("an", an), ("to", to), ("binh", binh), ("pend", pend), ("rej", rej), ("hai", hai)):
            codes[key] = q.get(s, rid).code  # type: ignore[union-attr]
    engine.dispose()
    return codes


def _export(db_url: str, kb: KnowledgeBase, kind: str, **kw):  # noqa: ANN003, ANN202
    engine = db.make_engine(db_url)
    try:
        with Session(engine) as s:
            return build_export(ReportStore(s), kb, kind, today=date(2026, 3, 10), **{"tz": VN, **kw})
    finally:
        engine.dispose()


# --- CSV -----------------------------------------------------------------------------

def test_csv_has_a_bom_the_columns_and_one_row_per_report(db_url: str, kb: KnowledgeBase, seeded: dict):
    out = _export(db_url, kb, "csv")
    assert out.file_name == "guong-nguoi-tot-2026-03-10.csv" and out.mime_type.startswith("text/csv")
    assert out.data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
    rows = list(csv.reader(io.StringIO(out.data.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert out.count == 6 and len(rows) == 7
    by_code = {r[0]: dict(zip(HEADERS, r, strict=True)) for r in rows[1:]}
    an = by_code[seeded["an"]]
    assert an["Ngày gửi"] == "01/03/2026"  # the local date, not the UTC one
    assert an["Người gửi"] == "Phạm Thị Gửi"
    assert an["Gương (cá nhân/tập thể)"] == "Nguyễn Văn An (Cá nhân)"
    assert an["Đơn vị"] == "Phòng Kiểm sát điều tra"
    assert an["Tiêu chí"] == "2.1 Hoàn thành xuất sắc nhiệm vụ phòng, chống dịch"
    assert an["Thành tích"].startswith(STORY_AN) and ADDITION in an["Thành tích"]
    assert an["Trạng thái"] == "đã duyệt" and an["Hình thức đề xuất"] == "Huân chương Lao động"
    assert an["Người duyệt"] == "Lê Văn Duyệt" and an["Số tệp"] == "2"
    assert by_code[seeded["to"]]["Ngày gửi"] == "02/03/2026"
    assert by_code[seeded["to"]]["Thành tích"].startswith("'=HYPERLINK")  # not run as a formula
    assert by_code[seeded["pend"]]["Trạng thái"] == "chờ duyệt"
    assert by_code[seeded["pend"]]["Người duyệt"] == "" and by_code[seeded["pend"]]["Hình thức đề xuất"] == ""
    assert by_code[seeded["rej"]]["Trạng thái"] == "không duyệt"


def _console_officer_decides(db_url: str) -> str:
    """A report approved from the console by an officer whose messenger gives no name:
    only the profile says who it is."""
    from storage.models import Profile

    engine = db.make_engine(db_url)
    with Session(engine) as s:
        officer = User(channel="console", external_id="vanphong", display_name=None)
        staff = User(channel="telegram", external_id="502", display_name="Gửi")
        s.add(officer)
        s.add(staff)
        s.flush()
        s.add(Profile(user_id=officer.id, full_name="Trần Thị Văn Phòng"))  # type: ignore[arg-type]
        new = q.NewReport(user_id=staff.id, channel="telegram", chat_id="502",  # type: ignore[arg-type]
                          submitter_name="Hồ Văn Gửi", submitter_unit_id="vks-b", subject_kind="self",
                          subject_name="Hồ Văn Gửi", subject_unit_id="vks-b", criterion="2.1", story=STORY_AN,
                          happened_on=date(2026, 1, 1), happened_precision="month", submit_key="console-k")
        rid = q.submit(s, new, (), by="telegram:502", now=datetime(2026, 3, 7, 2, 0, tzinfo=UTC), tz=VN).id
        assert q.decide(s, rid, "approved", by="console:vanphong", name=None, note="Đủ điều kiện",  # type: ignore[arg-type]
                        award="giay-khen")
        code = q.get(s, rid).code  # type: ignore[arg-type, union-attr]
        s.commit()
    engine.dispose()
    return code


def test_exports_say_when_it_happened_why_when_decided_by_whom_and_the_senders_unit(
        db_url: str, kb: KnowledgeBase, seeded: dict):
    console = _console_officer_decides(db_url)
    today = datetime.now(UTC).astimezone(VN).strftime("%d/%m/%Y")
    rows = list(csv.reader(io.StringIO(_export(db_url, kb, "csv").data.decode("utf-8-sig"))))
    by_code = {r[0]: dict(zip(HEADERS, r, strict=True)) for r in rows[1:]}
    an, rej, pend, by_console = by_code[seeded["an"]], by_code[seeded["rej"]], by_code[seeded["pend"]], by_code[console]
    assert an["Thời gian diễn ra"] == "20/02/2026" and an["Đơn vị người gửi"] == "VKSND tỉnh Tây Ninh"
    assert an["Ý kiến của người duyệt"] == "Yêu cầu bổ sung: Xin giấy xác nhận"
    assert an["Ngày quyết định"] == today
    assert rej["Ý kiến của người duyệt"] == "Lý do không duyệt: Trùng báo cáo khác"
    assert pend["Ngày quyết định"] == "" and pend["Ý kiến của người duyệt"] == "" and pend["Người duyệt"] == ""
    # Told as a month, shown as a month; the officer by name, never "console:vanphong".
    assert by_console["Thời gian diễn ra"] == "tháng 01/2026"
    assert by_console["Người duyệt"] == "Trần Thị Văn Phòng"
    assert by_console["Ý kiến của người duyệt"] == "Ý kiến khi duyệt: Đủ điều kiện"
    assert by_console["Đơn vị người gửi"] == "VKSND huyện Bến Cầu"
    assert not any("console:" in v for r in by_code.values() for v in r.values())

    ws = load_workbook(io.BytesIO(_export(db_url, kb, "xlsx").data)).active
    first = {h: c.value for h, c in zip(HEADERS, ws[2], strict=True)}
    assert first["Thời gian diễn ra"].date() == date(2026, 2, 20) and first["Đơn vị người gửi"] == "VKSND tỉnh Tây Ninh"
    assert first["Ngày quyết định"].strftime("%d/%m/%Y") == today

    text = _text(Document(io.BytesIO(_export(db_url, kb, "docx").data)))
    assert "4. Thành tích (thời gian diễn ra: tháng 01/2026):" in text
    ref = next(line for line in text if line.startswith(f"Mã báo cáo: {console};"))
    assert "người gửi: Hồ Văn Gửi (VKSND huyện Bến Cầu)" in ref and f"duyệt ngày {today}" in ref
    assert "người duyệt: Trần Thị Văn Phòng" in ref and "Ý kiến khi duyệt: Đủ điều kiện" in ref


def test_a_unit_gone_from_the_list_is_shown_readable_never_as_its_id(db_url: str, content_dir: Path, seeded: dict):
    # The Office replaced units.yaml (the 2025 reorganisation) before mapping the stored ids.
    (content_dir / "units.yaml").write_text(yaml.safe_dump({"units": [
        {"id": "vks-tinh", "name": "VKSND tỉnh Tây Ninh"}, {"id": "vks-kv-1", "name": "VKSND khu vực 1",
                                                             "parent": "vks-tinh"}]}, allow_unicode=True),
        encoding="utf-8")
    kb = load(content_dir)
    rows = list(csv.reader(io.StringIO(_export(db_url, kb, "csv").data.decode("utf-8-sig"))))
    units = {r[5] for r in rows[1:]}
    assert "VKS B (đơn vị cũ)" in units and "Phong A (đơn vị cũ)" in units
    assert not {"vks-b", "phong-a"} & units
    doc = Document(io.BytesIO(_export(db_url, kb, "docx").data))
    assert doc.tables[0].rows[0].cells[0].paragraphs[0].text == "PHONG A (ĐƠN VỊ CŨ)"


# --- XLSX ----------------------------------------------------------------------------

def test_xlsx_header_frozen_widths_wrapped_story_and_real_dates(db_url: str, kb: KnowledgeBase, seeded: dict):
    out = _export(db_url, kb, "xlsx")
    ws = load_workbook(io.BytesIO(out.data)).active
    assert [c.value for c in ws[1]] == HEADERS
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.max_row == 7 and out.count == 6
    assert ws.column_dimensions["I"].width >= 60 and ws.column_dimensions["A"].width >= 12
    first = {h: c for h, c in zip(HEADERS, ws[2], strict=True)}
    assert first["Mã báo cáo"].value == seeded["an"]
    assert isinstance(first["Ngày gửi"].value, datetime) and first["Ngày gửi"].value.date() == date(2026, 3, 1)
    assert first["Ngày gửi"].number_format == "dd/mm/yyyy"
    assert first["Thành tích"].alignment.wrap_text
    assert first["Số tệp"].value == 2
    to = ws[3]
    assert to[8].value.startswith("=HYPERLINK") and to[8].data_type == "s"  # text, not a formula
    binh = ws[4]
    assert "\x07" not in binh[8].value and "làm thêm giờ" in binh[8].value  # a control character dropped


def test_filters_by_status_since_and_award(db_url: str, kb: KnowledgeBase, seeded: dict):
    def codes(**kw) -> list[str]:  # noqa: ANN003
        ws = load_workbook(io.BytesIO(_export(db_url, kb, "xlsx", **kw).data)).active
        return [r[0].value for r in ws.iter_rows(min_row=2)]

    assert codes(status="pending") == [seeded["pend"]]
    assert codes(status="approved") == [seeded[k] for k in ("an", "to", "binh", "hai")]
    # 2 March local starts at 17:00 UTC on 1 March: "to" (17:30 UTC) is in, "an" (16:30 UTC) is out.
    assert codes(since=date(2026, 3, 2)) == [seeded[k] for k in ("to", "binh", "pend", "rej", "hai")]
    assert codes(award="giay-khen") == [seeded["to"], seeded["hai"]]
    assert codes(award="bk-ttg") == []
    assert codes(status="approved", since=date(2026, 3, 4), award="giay-khen") == [seeded["hai"]]


def test_bad_kind_status_award_and_a_draft_of_an_unapproved_report_are_refused(db_url: str, kb: KnowledgeBase,
                                                                                seeded: dict):
    with pytest.raises(ExportError, match="Định dạng không hợp lệ"):
        _export(db_url, kb, "pdf")
    with pytest.raises(ExportError, match="Trạng thái không hợp lệ: 'duyet'"):
        _export(db_url, kb, "csv", status="duyet")
    with pytest.raises(ExportError, match="không có trong report_form.yaml: 'bk-abc'.*giay-khen, bk-ttg, hcld"):
        _export(db_url, kb, "xlsx", award="bk-abc")
    with pytest.raises(ExportError, match="chỉ gồm các báo cáo đã duyệt"):
        _export(db_url, kb, "docx", status="pending")


# --- Danh sách đề nghị khen thưởng ------------------------------------------------------

def test_award_list_groups_in_content_order_with_copies_from_the_content(db_url: str, kb: KnowledgeBase,
                                                                         seeded: dict):
    out = _export(db_url, kb, "list", status=None)
    assert out.count == 4  # approved only, whatever the filter said
    ws = load_workbook(io.BytesIO(out.data)).active
    assert ws["A1"].value == "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG"
    assert [c.value for c in ws[4]] == ["STT", "Họ tên / Tập thể", "Đơn vị", "Thành tích", "Mã báo cáo"]
    groups: list[tuple[str, str | None, list[tuple]]] = []
    for row in ws.iter_rows(min_row=5, values_only=True):
        if isinstance(row[0], str):  # a heading: I, II, ...
            groups.append((row[1], row[2], []))
        elif row[0] is not None:
            groups[-1][2].append(row)
    # report_form.yaml's order (giay-khen, bk-ttg, hcld), bk-ttg left out as it has nobody, no award last.
    assert [g[0] for g in groups] == ["Giấy khen của Viện trưởng VKSND tỉnh", "Huân chương Lao động",
                                      "Chưa đề xuất hình thức"]
    assert [g[1] for g in groups] == ["Hồ sơ: 03 bộ (bản chính)", "Hồ sơ: 07 bộ (bản chính)", None]
    giay_khen = groups[0][2]
    assert [(r[0], r[1], r[2], r[4]) for r in giay_khen] == [
        (1, "Tổ công tác số 3", "VKSND huyện Bến Cầu", seeded["to"]),
        (2, "Lý Thị Hai", "VKSND huyện Bến Cầu", seeded["hai"])]
    assert [(r[0], r[1], r[4]) for r in groups[1][2]] == [(1, "Nguyễn Văn An", seeded["an"])]
    assert groups[1][2][0][3].startswith(STORY_AN)
    assert [(r[0], r[1], r[4]) for r in groups[2][2]] == [(1, "Trần Thị Bình", seeded["binh"])]
    assert ws.freeze_panes == "A5"


def test_award_list_of_one_award_and_the_shipped_copies(db_url: str, seeded: dict):
    shipped = load(Path(__file__).resolve().parent.parent / "content")
    out = _export(db_url, shipped, "list", award="hcld")
    ws = load_workbook(io.BytesIO(out.data)).active
    headings = [r for r in ws.iter_rows(min_row=5, values_only=True) if isinstance(r[0], str)]
    hcld = shipped.report_form.award("hcld")
    assert out.count == 1 and headings == [("I", hcld.name, f"Hồ sơ: {hcld.copies:02d} bộ (bản chính)",
                                            "Số đề nghị: 1", None)]


# --- Bản tóm tắt thành tích (DOCX) ------------------------------------------------------

def _text(doc) -> list[str]:  # noqa: ANN001
    return [p.text for p in doc.paragraphs]


def test_docx_one_summary_per_approved_report_laid_out_per_decree_30(db_url: str, kb: KnowledgeBase,
                                                                     seeded: dict):
    out = _export(db_url, kb, "docx")
    assert out.count == 4 and out.file_name.endswith(".docx")
    doc = Document(io.BytesIO(out.data))
    # One section per report, each starting a new page, each A4 with the decree's margins.
    assert len(doc.sections) == 4
    for sec in doc.sections:
        # Word stores twentieths of a point: a millimetre is not a whole number of them.
        assert (round(sec.page_width.mm, 1), round(sec.page_height.mm, 1)) == (210, 297)
        assert 20 <= round(sec.top_margin.mm, 1) <= 25 and 20 <= round(sec.bottom_margin.mm, 1) <= 25
        assert 30 <= round(sec.left_margin.mm, 1) <= 35 and 15 <= round(sec.right_margin.mm, 1) <= 20
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman" and Pt(13) <= normal.font.size <= Pt(14)
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert {slot: fonts.get(qn(f"w:{slot}")) for slot in ("ascii", "hAnsi", "eastAsia", "cs")} == dict.fromkeys(
        ("ascii", "hAnsi", "eastAsia", "cs"), "Times New Roman")
    # No run picks another face.
    assert not [r.font.name for p in doc.paragraphs for r in p.runs if r.font.name not in (None, "Times New Roman")]

    text = _text(doc)
    assert text.count("BẢN TÓM TẮT THÀNH TÍCH") == 4
    # The motto block top right, the unit top left (body above it, unit itself in bold), no borders.
    assert len(doc.tables) == 8  # heading and signature table per report
    head = doc.tables[0]
    left, right = (c.paragraphs for c in head.rows[0].cells)
    assert [p.text for p in left[:2]] == ["VKSND TỈNH TÂY NINH", "PHÒNG KIỂM SÁT ĐIỀU TRA"]
    assert left[1].runs[0].bold and not left[0].runs[0].bold
    assert [p.text for p in right[:2]] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    borders = head._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"nil"}

    # The reports in order, each with its fields; the story and the addition as "thành tích".
    codes = [line for line in text if line.startswith("Mã báo cáo: ")]
    assert [c.split(";")[0].removeprefix("Mã báo cáo: ") for c in codes] == [
        seeded[k] for k in ("an", "to", "binh", "hai")]
    first = text[:text.index(codes[0]) + 1]
    assert "1. Họ và tên: Nguyễn Văn An" in first and "2. Đơn vị: Phòng Kiểm sát điều tra" in first
    assert "3. Tiêu chí thi đua: 2.1 Hoàn thành xuất sắc nhiệm vụ phòng, chống dịch" in first
    assert "Đề nghị tặng: Huân chương Lao động" in first
    assert "6. Hình thức khen thưởng đề nghị: Huân chương Lao động" in first
    story_at = first.index("4. Thành tích (thời gian diễn ra: 20/02/2026):")
    assert first[story_at + 1:story_at + 4] == ["Đồng chí An trực chốt kiểm dịch 30 ngày liền, không nghỉ ngày nào.",
                                                "Giúp dân vùng cách ly.", f"Bổ sung: {ADDITION}"]
    affect = first.index("5. Cấp độ và phạm vi ảnh hưởng của thành tích:")
    # Left for the officer: dotted lines to the right margin (a tab with a dot leader).
    blanks = doc.paragraphs[affect + 1:affect + 4]
    assert [p.text for p in blanks] == ["\t"] * 3
    for p in blanks:
        (stop,) = p.paragraph_format.tab_stops
        assert stop.leader == WD_TAB_LEADER.DOTS and round(stop.position.mm) == 165
    assert first[affect + 4].startswith("6. Hình thức khen thưởng đề nghị")
    collective = text[text.index(codes[0]) + 1:text.index(codes[1]) + 1]
    assert "1. Tên tập thể: Tổ công tác số 3" in collective
    no_award = text[text.index(codes[1]) + 1:text.index(codes[2]) + 1]
    assert any(line.startswith("Đề nghị tặng: ....") for line in no_award)


def test_docx_and_list_with_nothing_approved_say_so(db_url: str, kb: KnowledgeBase):
    out = _export(db_url, kb, "docx")
    assert out.count == 0
    assert "Không có báo cáo đã duyệt nào phù hợp với bộ lọc." in _text(Document(io.BytesIO(out.data)))
    ws = load_workbook(io.BytesIO(_export(db_url, kb, "list").data)).active
    assert ws["A5"].value == "Không có báo cáo đã duyệt nào phù hợp với bộ lọc."


# --- the command line ------------------------------------------------------------------

@pytest.fixture
def use_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content_dir: Path, db_url: str) -> None:
    settings = load_settings(data_dir=tmp_path / "data", database_url=db_url, content_dir=content_dir)
    monkeypatch.setattr(cli, "load_settings", lambda: settings)


@pytest.mark.usefixtures("use_settings")
def test_cli_writes_each_format_and_says_how_many(tmp_path: Path, seeded: dict, capsys: pytest.CaptureFixture):
    for fmt, extra, count in (("csv", [], 6), ("xlsx", ["--status", "pending"], 1), ("list", [], 4),
                              ("docx", ["--since", "2026-03-04"], 1), ("xlsx", ["--award", "giay-khen"], 2)):
        out = tmp_path / f"out-{fmt}-{count}.{ {'csv': 'csv', 'docx': 'docx'}.get(fmt, 'xlsx')}"
        assert cli.main(["export", "reports", "--format", fmt, "--out", str(out), *extra]) == 0
        assert capsys.readouterr().out == f"Đã ghi {count} báo cáo vào {out}\n"
        assert out.stat().st_size > 0
    assert [r[0].value for r in load_workbook(tmp_path / "out-xlsx-1.xlsx").active.iter_rows(min_row=2)] == [
        seeded["pend"]]
    assert not list(tmp_path.glob(".export-*.tmp"))  # no temporary file left behind


@pytest.mark.usefixtures("use_settings")
@pytest.mark.parametrize(("args", "code", "message"), [
    (["--status", "duyet"], 2, "Trạng thái không hợp lệ: 'duyet'"),
    (["--award", "bk-abc"], 2, "Hình thức khen thưởng không có trong report_form.yaml: 'bk-abc'"),
    (["--since", "2026-13-01"], 2, "--since '2026-13-01': ngày không hợp lệ"),
    (["--since", "01/03/2026"], 2, "--since '01/03/2026': ngày không hợp lệ"),
    (["--format", "docx", "--status", "rejected"], 2, "Định dạng docx chỉ gồm các báo cáo đã duyệt"),
])
def test_cli_bad_input_is_one_line_and_a_non_zero_exit(tmp_path: Path, args: list[str], code: int, message: str,
                                                       capsys: pytest.CaptureFixture):
    out = tmp_path / "x.xlsx"
    argv = ["export", "reports", "--format", "xlsx", "--out", str(out), *args]
    if "--format" in args:
        argv = ["export", "reports", "--out", str(out), *args]
    assert cli.main(argv) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message) and captured.err.count("\n") == 1, captured.err
    assert not out.exists()


@pytest.mark.usefixtures("use_settings")
def test_cli_unwritable_paths(tmp_path: Path, seeded: dict, capsys: pytest.CaptureFixture):
    missing = tmp_path / "no-such-dir" / "x.csv"
    assert cli.main(["export", "reports", "--format", "csv", "--out", str(missing)]) == 2
    assert capsys.readouterr().err == f"--out {missing}: thư mục {missing.parent} không tồn tại.\n"
    assert cli.main(["export", "reports", "--format", "csv", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"--out {tmp_path}: đây là một thư mục, cần đường dẫn tới tệp.\n"
    # A name the file system refuses (too long).
    too_long = tmp_path / ("x" * 300 + ".csv")
    assert cli.main(["export", "reports", "--format", "csv", "--out", str(too_long)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"--out {too_long}: không ghi được tệp (") and err.count("\n") == 1
    # A folder nobody may create files in, even root: the write itself fails, nothing is left behind.
    if Path("/proc").is_dir():
        assert cli.main(["export", "reports", "--format", "csv", "--out", "/proc/bao-cao.csv"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("--out /proc/bao-cao.csv: không ghi được tệp (") and err.count("\n") == 1


@pytest.mark.usefixtures("use_settings")
def test_cli_refuses_a_file_name_of_another_format(tmp_path: Path, seeded: dict, capsys: pytest.CaptureFixture):
    out = tmp_path / "list.docx"
    assert cli.main(["export", "reports", "--format", "list", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith(f"--out {out}: định dạng list ghi tệp .xlsx, cần tên tệp đuôi .xlsx")
    assert not out.exists()
    assert cli.main(["export", "reports", "--format", "docx", "--out", str(tmp_path / "tom-tat.xlsx")]) == 2
    assert "định dạng docx ghi tệp .docx" in capsys.readouterr().err


@pytest.mark.usefixtures("use_settings")
def test_cli_a_filter_that_matches_nothing_writes_nothing(tmp_path: Path, seeded: dict,
                                                         capsys: pytest.CaptureFixture):
    for fmt, args, which in (("xlsx", ["--since", "2027-01-01"], "báo cáo nào"),
                             ("list", ["--award", "bk-ttg"], "báo cáo đã duyệt nào")):
        out = tmp_path / f"empty.{'xlsx'}"
        assert cli.main(["export", "reports", "--format", fmt, "--out", str(out), *args]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == f"Không có {which} phù hợp với bộ lọc; không ghi tệp {out}.\n"
        assert not out.exists()


def test_cli_end_to_end_through_python_m_bot(tmp_path: Path, content_dir: Path, db_url: str, seeded: dict):
    out = tmp_path / "danh-sach.xlsx"
    done = subprocess.run([sys.executable, "-m", "bot", "export", "reports", "--format", "list", "--out", str(out)],
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120,
                          env=clean_env(DATA_DIR=tmp_path / "data", DATABASE_URL=db_url, CONTENT_DIR=content_dir))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Đã ghi 4 báo cáo vào {out}\n"
    assert load_workbook(out).active["A1"].value == "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG"
    # The refusal in process: the entry point itself is what the call above checks.
    bad = run_cli(["export", "reports", "--format", "csv", "--out", str(out), "--award", "khong-co"],
                  Path(__file__).resolve().parent.parent,
                  clean_env(DATA_DIR=tmp_path / "data", DATABASE_URL=db_url, CONTENT_DIR=content_dir))
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().startswith("Hình thức khen thưởng không có trong report_form.yaml: 'khong-co'")


def test_a_report_sent_after_local_midnight_on_new_year_takes_the_new_years_code(db_url: str):
    from zoneinfo import ZoneInfo

    engine = db.make_engine(db_url)
    with Session(engine) as s:
        u = User(channel="telegram", external_id="777", display_name="Gửi")
        s.add(u)
        s.flush()
        # 17:30 UTC on 31 December is 00:30 on 1 January in Vietnam.
        new = q.NewReport(user_id=u.id, channel="telegram", chat_id="777", submitter_name="Gửi",  # type: ignore[arg-type]
                          submitter_unit_id=None, subject_kind="self", subject_name="Gửi", subject_unit_id=None,
                          criterion="2.1", story=STORY_AN, happened_on=date(2026, 12, 30), submit_key="ny")
        row = q.submit(s, new, (), by="telegram:777", now=datetime(2026, 12, 31, 17, 30, tzinfo=UTC),
                       tz=ZoneInfo("Asia/Ho_Chi_Minh"))
        assert (row.code, row.year) == ("GT-2027-0001", 2027)
        s.commit()
