"""The Office's documents made from good-example reports: a CSV and an XLSX of every
report, the "Danh sách đề nghị khen thưởng" that goes with the Tờ trình (KH 515 mục
IV.4), and one "Bản tóm tắt thành tích" draft per approved report (DOCX).

Pure domain code: it reads the caller's report store and the knowledge base and returns
bytes. The CLI (`python -m bot export reports`) writes them to a file; the chat
handler (/xuat) sends them as a document or as a one-time link.

Awards, their order and the dossier copies each needs, criterion labels and unit
names all come from the content (report_form.yaml, units.yaml), never from here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from content.loader import KnowledgeBase
from content.report_form import when_label
from handlers.reports.texts import EXPORT_FORMATS
from storage.files import DOCX, XLSX
from storage.models import Report, aware
from storage.reports import STATUSES, ReportStore

APPROVED_ONLY = ("list", "docx")  # documents for the Tờ trình: only what an officer approved
SUFFIXES = {"csv": ".csv", "xlsx": ".xlsx", "list": ".xlsx", "docx": ".docx"}  # the file each format is
CSV_MIME = "text/csv; charset=utf-8"

STATUS_LABELS = {
    "pending": "chờ duyệt",
    "needs_info": "cần bổ sung",
    "approved": "đã duyệt",
    "rejected": "không duyệt",
    "withdrawn": "đã rút",
}
SUBJECT_KINDS = {"self": "Bản thân", "colleague": "Cá nhân", "collective": "Tập thể"}
NO_AWARD = "Chưa đề xuất hình thức"

HEADERS = ("Mã báo cáo", "Ngày gửi", "Người gửi", "Đơn vị người gửi", "Gương (cá nhân/tập thể)", "Đơn vị",
           "Tiêu chí", "Thời gian diễn ra", "Thành tích", "Trạng thái", "Hình thức đề xuất",
           "Ý kiến của người duyệt", "Ngày quyết định", "Người duyệt", "Số tệp")
# Characters wide, per column of HEADERS: the story gets the room, short codes little.
WIDTHS = (14, 12, 24, 30, 28, 32, 36, 14, 80, 13, 30, 40, 13, 24, 8)
WRAPPED = ("Đơn vị người gửi", "Gương (cá nhân/tập thể)", "Đơn vị", "Tiêu chí", "Thành tích",
           "Ý kiến của người duyệt")
# What each decision event's note is, as the officer who files the export reads it.
NOTE_LABELS = {"asked_more": "Yêu cầu bổ sung", "rejected": "Lý do không duyệt", "approved": "Ý kiến khi duyệt"}
UNNAMED_OFFICER = "(không rõ tên)"
LIST_HEADERS = ("STT", "Họ tên / Tập thể", "Đơn vị", "Thành tích", "Mã báo cáo")
LIST_WIDTHS = (7, 30, 34, 80, 15)

# XML 1.0 cannot hold most control characters; openpyxl and python-docx refuse them.
# A story pasted from another app may carry one, and must not break the export.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class ExportError(ValueError):
    """Bad filter or kind; the message is in Vietnamese, for the officer or the CLI user."""


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    data: bytes
    mime_type: str
    count: int  # reports in the file


@dataclass(frozen=True)
class Row:
    """One report as every export shows it, names resolved from the content."""

    report: Report
    submitted: date  # local date the report was sent
    subject_kind: str
    unit: str
    submitter_unit: str
    criterion: str
    happened: date | str  # a date when told to the day, else "tháng 03/2026", "năm 2025"
    story: str  # with the submitter's additions after "cần bổ sung"
    status: str
    award: str
    review_notes: str  # the officers' requests, reasons and remarks, in order
    decided: date | None  # local date of the last decision
    reviewer: str  # a name, never a channel id
    files: int


def _clean(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


def _award_name(kb: KnowledgeBase, award_id: str | None) -> str:
    if not award_id:
        return ""
    a = kb.report_form.award(award_id) if kb.report_form else None
    return a.name if a else award_id


def _criterion_label(kb: KnowledgeBase, cid: str) -> str:
    c = kb.report_form.criterion(cid) if kb.report_form else None
    return c.label if c else cid


def _story(store: ReportStore, r: Report) -> str:
    extra = store.additions(r.id)  # type: ignore[arg-type]
    parts = [r.story.strip()] + [f"Bổ sung: {a.strip()}" for a in extra]
    return _clean("\n\n".join(parts))


def _review_notes(store: ReportStore, r: Report) -> str:
    lines = [f"{NOTE_LABELS[e.kind]}: {e.note.strip()}" for e in store.events_of(r.id)  # type: ignore[arg-type]
             if e.kind in NOTE_LABELS and e.note and e.note.strip()]
    return _clean("\n".join(lines))


def _reviewer(store: ReportStore, r: Report) -> str:
    if not r.reviewed_by:
        return ""
    return _clean(r.reviewer_name or store.person_name(r.reviewed_by) or UNNAMED_OFFICER)


def check_filters(kb: KnowledgeBase, kind: str, status: str | None, award: str | None) -> None:
    """ExportError naming the first bad value, so the CLI and the chat can say it in one line."""
    if kind not in EXPORT_FORMATS:
        raise ExportError(f"Định dạng không hợp lệ: {kind!r} (chọn một trong: {', '.join(EXPORT_FORMATS)}).")
    if status is not None and status not in STATUSES:
        raise ExportError(f"Trạng thái không hợp lệ: {status!r} (chọn một trong: {', '.join(STATUSES)}).")
    if kind in APPROVED_ONLY and status not in (None, "approved"):
        raise ExportError(f"Định dạng {kind} chỉ gồm các báo cáo đã duyệt (approved); "
                          f"bỏ --status hoặc dùng --status approved.")
    if award is not None:
        known = [a.id for a in kb.report_form.awards] if kb.report_form else []
        if award not in known:
            raise ExportError(f"Hình thức khen thưởng không có trong report_form.yaml: {award!r} "
                              f"(có: {', '.join(known) or 'không có'}).")


def rows_for(store: ReportStore, kb: KnowledgeBase, *, status: str | None = None, since: date | None = None,
             award: str | None = None, tz: ZoneInfo) -> list[Row]:
    return [row_of(store, kb, r, tz) for r in store.select_for_export(status, since, award, tz=tz)]


def row_of(store: ReportStore, kb: KnowledgeBase, r: Report, tz: ZoneInfo) -> Row:
    """One report as the exports show it (the console selects its reports itself)."""
    return Row(
        report=r,
        submitted=aware(r.created_at).astimezone(tz).date(),
        subject_kind=SUBJECT_KINDS.get(r.subject_kind, r.subject_kind),
        unit=_clean(kb.unit_name(r.subject_unit_id or r.submitter_unit_id)),
        submitter_unit=_clean(kb.unit_name(r.submitter_unit_id)),
        criterion=_clean(_criterion_label(kb, r.criterion)),
        happened=r.happened_on if r.happened_precision == "day" else when_label(r.happened_on,
                                                                                 r.happened_precision),
        story=_story(store, r),
        status=STATUS_LABELS.get(r.status, r.status),
        award=_award_name(kb, r.proposed_award),
        review_notes=_review_notes(store, r),
        decided=aware(r.reviewed_at).astimezone(tz).date() if r.reviewed_at else None,
        reviewer=_reviewer(store, r),
        files=store.file_count(r.id),  # type: ignore[arg-type]
    )


def build_export(store: ReportStore, kb: KnowledgeBase, kind: str, *, status: str | None = None,
                 since: date | None = None, award: str | None = None, tz: ZoneInfo,
                 today: date | None = None) -> ExportFile:
    """The export `kind` (csv, xlsx, list, docx) of the reports matching the filters.
    "list" and "docx" always take approved reports only. ExportError for a bad kind,
    status or award. `today` (local) only dates the file name."""
    check_filters(kb, kind, status, award)
    if kind in APPROVED_ONLY:
        status = "approved"
    rows = rows_for(store, kb, status=status, since=since, award=award, tz=tz)
    return export_file(kb, kind, rows, today or datetime.now(tz).date())


def export_file(kb: KnowledgeBase, kind: str, rows: Sequence[Row], today: date) -> ExportFile:
    """The file `kind` of these rows (the caller keeps "list" and "docx" to approved ones);
    `today` (local) dates the file name."""
    stamp = today.isoformat()
    if kind == "csv":
        return ExportFile(f"guong-nguoi-tot-{stamp}.csv", _csv(rows), CSV_MIME, len(rows))
    if kind == "xlsx":
        return ExportFile(f"guong-nguoi-tot-{stamp}.xlsx", _xlsx(rows), XLSX, len(rows))
    if kind == "list":
        return ExportFile(f"danh-sach-de-nghi-khen-thuong-{stamp}.xlsx", _award_list(kb, rows), XLSX, len(rows))
    return ExportFile(f"ban-tom-tat-thanh-tich-{stamp}.docx", _summaries(kb, rows), DOCX, len(rows))


# --- CSV and XLSX: one row per report ---------------------------------------------

def _values(r: Row) -> list:
    rep = r.report
    return [rep.code, r.submitted, _clean(rep.submitter_name), r.submitter_unit,
            _clean(f"{rep.subject_name} ({r.subject_kind})"), r.unit, r.criterion, r.happened, r.story, r.status,
            r.award, r.review_notes, r.decided or "", r.reviewer, r.files]


def _csv_cell(v: object) -> str:
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    text = str(v)
    # Excel runs a cell that starts like a formula; a story typed by anyone must stay text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(rows: Sequence[Row]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADERS)
    for r in rows:
        w.writerow([_csv_cell(v) for v in _values(r)])
    # The BOM is what makes Excel read the file as UTF-8 rather than the Windows code page.
    return buf.getvalue().encode("utf-8-sig")


def _put(ws, row: int, col: int, value: object):  # noqa: ANN001, ANN202
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
    return cell


def _xlsx(rows: Sequence[Row]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Gương người tốt"
    bold = Font(bold=True)
    for c, h in enumerate(HEADERS, 1):
        cell = _put(ws, 1, c, h)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    top = Alignment(vertical="top")
    wrap = Alignment(wrap_text=True, vertical="top")
    wrapped = {HEADERS.index(h) + 1 for h in WRAPPED}
    for i, r in enumerate(rows, 2):
        for c, v in enumerate(_values(r), 1):
            cell = _put(ws, i, c, v)
            cell.alignment = wrap if c in wrapped else top
            if isinstance(v, date):
                cell.number_format = "dd/mm/yyyy"
    for c, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(1, len(rows) + 1)}"
    return _save(wb)


def _save(wb) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- Danh sách đề nghị khen thưởng -------------------------------------------------

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


@dataclass(frozen=True)
class AwardGroup:
    name: str
    copies: int | None  # original dossier copies the award needs; None: no award proposed yet
    rows: list[Row]


def copies_text(copies: int | None) -> str:
    return f"{copies:02d} bộ (bản chính)" if copies else ""


def award_groups(kb: KnowledgeBase, rows: Sequence[Row]) -> list[AwardGroup]:
    """Approved reports by proposed award, in the order of report_form.yaml; those
    without an award last; an award no longer in the content after the known ones."""
    awards = kb.report_form.awards if kb.report_form else []
    groups = []
    for a in awards:
        mine = [r for r in rows if r.report.proposed_award == a.id]
        if mine:
            groups.append(AwardGroup(a.name, a.copies, mine))
    known = {a.id for a in awards}
    for gone in sorted({r.report.proposed_award for r in rows if r.report.proposed_award
                        and r.report.proposed_award not in known}):
        groups.append(AwardGroup(f"{gone} (không còn trong report_form.yaml)", None,
                                 [r for r in rows if r.report.proposed_award == gone]))
    none = [r for r in rows if not r.report.proposed_award]
    if none:
        groups.append(AwardGroup(NO_AWARD, None, none))
    return groups


def _award_list(kb: KnowledgeBase, rows: Sequence[Row]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    ncol = len(LIST_HEADERS)
    last = get_column_letter(ncol)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    _put(ws, 1, 1, "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG").font = Font(bold=True, size=14)
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].alignment = Alignment(horizontal="center")
    _put(ws, 2, 1, "(Kèm theo Tờ trình số ....../TTr-...... ngày ...... tháng ...... năm ......)").font = Font(
        italic=True)
    ws.merge_cells(f"A2:{last}2")
    ws["A2"].alignment = Alignment(horizontal="center")
    header_row = 4
    for c, h in enumerate(LIST_HEADERS, 1):
        cell = _put(ws, header_row, c, h)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = box
    fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    at = header_row + 1
    for gi, g in enumerate(award_groups(kb, rows)):
        heading = [ROMAN[gi] if gi < len(ROMAN) else str(gi + 1), g.name,
                   f"Hồ sơ: {copies_text(g.copies)}" if g.copies else "",
                   f"Số đề nghị: {len(g.rows)}", ""]
        for c, v in enumerate(heading, 1):
            cell = _put(ws, at, c, v)
            cell.font = Font(bold=True)
            cell.fill = fill
            cell.border = box
        at += 1
        for n, r in enumerate(g.rows, 1):
            who = _clean(r.report.subject_name)
            for c, v in enumerate((n, who, r.unit, r.story, r.report.code), 1):
                cell = _put(ws, at, c, v)
                cell.alignment = wrap
                cell.border = box
            at += 1
    if not rows:
        _put(ws, at, 1, "Không có báo cáo đã duyệt nào phù hợp với bộ lọc.").font = Font(italic=True)
    for c, width in enumerate(LIST_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return _save(wb)


# --- Bản tóm tắt thành tích (DOCX), Nghị định 30/2020/NĐ-CP ----------------------------

FONT = "Times New Roman"
SIZE = 14  # pt; the decree allows 13-14 for the body
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
TITLE = "BẢN TÓM TẮT THÀNH TÍCH"
AFFECT = "Cấp độ và phạm vi ảnh hưởng của thành tích"
TEXT_WIDTH_MM = 210 - 30 - 15  # A4 less the left and right margins


def _set_fonts(style, name: str) -> None:  # noqa: ANN001
    """All four rFonts slots: without eastAsia/cs, Word picks another font for
    characters it classes as Asian or complex script, and some Vietnamese letters
    then render in a different face."""
    from docx.oxml.ns import qn

    style.font.name = name
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)


def _no_borders(table) -> None:  # noqa: ANN001
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = tbl_pr.makeelement(qn("w:tblBorders"), {})
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = borders.makeelement(qn(f"w:{edge}"), {qn("w:val"): "nil"})
        borders.append(el)
    tbl_pr.append(borders)


def _page_setup(section) -> None:  # noqa: ANN001
    from docx.shared import Mm

    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)


def _summaries(kb: KnowledgeBase, rows: Sequence[Row]) -> bytes:
    from copy import deepcopy

    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    _set_fonts(normal, FONT)
    normal.font.size = Pt(SIZE)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    _page_setup(doc.sections[0])
    doc.core_properties.title = TITLE.capitalize()
    body = doc.element.body
    last = body.sectPr  # the document's own section properties close the body
    if not rows:
        doc.add_paragraph("Không có báo cáo đã duyệt nào phù hợp với bộ lọc.")
    # Each draft is written into a scratch document and moved over: python-docx looks
    # for the closing sectPr among all the body's children on every paragraph it adds,
    # which made 500 drafts take 20 s; the scratch body stays one draft long.
    scratch = Document()
    _page_setup(scratch.sections[0])  # the same text width for the tables
    for i, r in enumerate(rows):
        if i:
            # A section break (a paragraph carrying a copy of the page setup): each
            # draft is its own section and starts on a new page.
            brk, ppr = OxmlElement("w:p"), OxmlElement("w:pPr")
            ppr.append(deepcopy(last))
            brk.append(ppr)
            last.addprevious(brk)
        _summary(scratch, kb, r)
        for el in list(scratch.element.body.iterchildren()):
            if el.tag != qn("w:sectPr"):
                last.addprevious(el)  # lxml moves the element
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _summary(doc, kb: KnowledgeBase, r: Row) -> None:  # noqa: ANN001
    from docx.enum.text import WD_ALIGN_PARAGRAPH as ALIGN  # noqa: N811
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.shared import Mm, Pt

    rep = r.report
    unit_id = rep.subject_unit_id or rep.submitter_unit_id
    unit = next((u for u in kb.units if u.id == unit_id), None)
    parent = next((u for u in kb.units if unit and u.id == unit.parent), None)

    head = doc.add_table(rows=1, cols=2)
    _no_borders(head)
    left, right = head.rows[0].cells

    def line(cell, text: str, *, bold: bool = False, italic: bool = False, size: float = 13,  # noqa: ANN001
             first: bool = False) -> None:
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        p.alignment = ALIGN.CENTER
        p.paragraph_format.space_after = Pt(0)
        run = p.add_run(_clean(text))
        run.bold, run.italic, run.font.size = bold, italic, Pt(size)

    # Top left: the body above (regular) and the unit (bold), upper case, per the decree.
    if parent:
        line(left, parent.name.upper(), size=12, first=True)
        line(left, (unit.name if unit else r.unit).upper(), bold=True, size=12)
    else:
        line(left, (r.unit or "TÊN ĐƠN VỊ").upper(), bold=True, size=12, first=True)
    line(left, "________")
    line(right, MOTTO, bold=True, size=12, first=True)
    line(right, MOTTO_2, bold=True, size=13)
    line(right, "________________")

    date_line = doc.add_paragraph()
    date_line.alignment = ALIGN.RIGHT
    date_line.add_run("............, ngày ...... tháng ...... năm ......").italic = True

    title = doc.add_paragraph()
    title.alignment = ALIGN.CENTER
    title.paragraph_format.space_before = Pt(12)
    title.paragraph_format.space_after = Pt(0)
    t = title.add_run(TITLE)
    t.bold, t.font.size = True, Pt(14)
    award = kb.report_form.award(rep.proposed_award) if kb.report_form else None
    sub = doc.add_paragraph()
    sub.alignment = ALIGN.CENTER
    sub.add_run(f"Đề nghị tặng: {award.name if award else (r.award or '......................')}").bold = True

    def field(label: str, value: str) -> None:
        p = doc.add_paragraph()
        p.alignment = ALIGN.JUSTIFY
        p.add_run(f"{label}: ").bold = True
        p.add_run(value)

    who = "Tên tập thể" if rep.subject_kind == "collective" else "Họ và tên"
    field(f"1. {who}", _clean(rep.subject_name))
    field("2. Đơn vị", r.unit or "......................")
    field("3. Tiêu chí thi đua", r.criterion)
    heading = doc.add_paragraph()
    heading.add_run(f"4. Thành tích (thời gian diễn ra: {when_label(rep.happened_on, rep.happened_precision)}):"
                    ).bold = True
    for para in (p.strip() for p in r.story.split("\n")):
        if para:
            body = doc.add_paragraph(para)
            body.alignment = ALIGN.JUSTIFY
            body.paragraph_format.first_line_indent = Pt(28)
    affect = doc.add_paragraph()
    affect.add_run(f"5. {AFFECT}:").bold = True
    for _ in range(3):
        # Left for the officer to fill in: a tab with a dotted leader to the right margin
        # makes a full dotted line whatever the font's metrics.
        dots = doc.add_paragraph()
        dots.paragraph_format.space_after = Pt(0)
        dots.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        dots.add_run("\t")
    field("6. Hình thức khen thưởng đề nghị", award.name if award else (r.award or "......................"))

    sign = doc.add_table(rows=1, cols=2)
    _no_borders(sign)
    sl, sr = sign.rows[0].cells
    line(sl, "", first=True)
    line(sr, "THỦ TRƯỞNG ĐƠN VỊ", bold=True, first=True)
    line(sr, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True)

    ref = doc.add_paragraph()
    ref.paragraph_format.space_before = Pt(18)
    sender = _clean(rep.submitter_name) + (f" ({r.submitter_unit})" if r.submitter_unit else "")
    decided = f"; duyệt ngày {r.decided:%d/%m/%Y}" if r.decided else ""
    decided += f", người duyệt: {r.reviewer}" if r.reviewer else ""
    notes = f"; {r.review_notes.replace(chr(10), '; ')}" if r.review_notes else ""
    note = ref.add_run(f"Mã báo cáo: {rep.code}; người gửi: {sender}, ngày gửi {r.submitted:%d/%m/%Y}{decided}{notes}; "
                       "bản nháp do bot lập từ báo cáo đã duyệt.")
    note.italic, note.font.size = True, Pt(11)
