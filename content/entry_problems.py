"""What is wrong with one entry edited in the console, per field, in Vietnamese.

The checks are those of `content check` (content/loader.py: the entry's shape, its
topic, related entries, short answer, words the content leaves out, the report form's
counts, sources.yaml's rules) and, when the plans' text is at hand, `content verify`
(content/verify.py) for this entry: they run on the whole content with the edit
applied, and each problem they report about the entry is said here beside its field.
A problem elsewhere that the edit causes (a deadline pointing at an id no longer
there) is under GENERAL.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from content.loader import ContentError, load
from content.schema import Entry
from content.sources import SOURCES_FILE, SourcesFile
from content.yaml_reader import yaml_load

GENERAL = ""  # problems not about one field
FIELDS = {"id": "Mã mục", "topic": "Chủ đề", "title": "Tiêu đề", "short": "Trả lời ngắn", "answer": "Câu trả lời",
          "questions": "Cách hỏi", "examples": "Cách cán bộ hay viết", "keywords": "Từ khóa", "source": "Nguồn", "related": "Mục liên quan",
          "tags": "Loại mục"}
LIST_FIELDS = ("questions", "examples", "keywords", "related", "tags")

Problems = dict[str, list[str]]

# The loader's and verify's English, per entry, as the Office reads it: (pattern, field, Vietnamese).
_SAID = [
    (r"unknown topic '(?P<x>.+)'", "topic", "Chủ đề “{x}” không có trong danh sách chủ đề."),
    (r"related entry '(?P<x>.+)' does not exist", "related", "Mục liên quan “{x}” không có."),
    (r"related to itself", "related", "Một mục không thể liên quan đến chính nó."),
    (r"duplicate id", "id", "Mã mục này đã được dùng cho một mục khác."),
    (r"has (?P<n>\d+) characters, more than (?P<m>\d+)", "short",
     "Câu trả lời ngắn dài {n} ký tự, quá {m}: hãy viết phần Trả lời ngắn một hoặc hai câu."),
    (r"has more than (?P<m>\d+) sentences", "short",
     "Câu trả lời ngắn có hơn {m} câu: hãy viết phần Trả lời ngắn một hoặc hai câu."),
    (r"introduces a list", "short",
     "Câu trả lời ngắn kết thúc bằng dấu hai chấm (mở đầu một danh sách): hãy viết phần Trả lời ngắn "
     "tự trả lời được."),
    (r"repeats the answer's first paragraph", "short",
     "Trả lời ngắn lặp lại đoạn đầu của câu trả lời (đoạn đó đã là câu trả lời ngắn): hãy xóa phần này."),
    (r"an example asks about '(?P<x>.+)', which synonyms.yaml lists under not_covered", "examples",
     "Nhắc đến “{x}”, nội dung mà kho hỏi đáp cố ý không trả lời (synonyms.yaml, not_covered)."),
    (r"example ['\"](?P<x>.+)['\"] is also a phrasing or example of (?P<o>.+)$", "examples",
     "“{x}” đã là cách hỏi hoặc cách viết của mục {o}: bộ đọc học máy sẽ học một câu cho hai mục."),
    (r"asks about '(?P<x>.+)', which synonyms.yaml lists under not_covered", "questions",
     "Nhắc đến “{x}”, nội dung mà kho hỏi đáp cố ý không trả lời (synonyms.yaml, not_covered)."),
    (r"unknown tag '(?P<x>.+)'", "tags", "Loại mục “{x}” không có (sources.yaml liệt kê các loại)."),
    (r"does not state (?P<x>\d+) bộ", "answer",
     "Câu trả lời không nêu đúng số bộ hồ sơ ({x} bộ) như mẫu báo cáo (report_form.yaml)."),
    (r"source '(?P<x>.+)' names no known document", "source", "Nguồn “{x}” không nêu văn bản nào đã biết."),
    (r"cites mục (?P<x>\S+), which (?P<d>.+) does not have", "source", "Nguồn dẫn mục {x}, nhưng {d} không có mục này."),
    (r"cites the (?P<x>\w+) of (?P<d>.+), which was not found", "source",
     "Nguồn dẫn phần {x} của {d}, nhưng không tìm thấy phần đó."),
]
_SAID_RE = [(re.compile(p), f, t) for p, f, t in _SAID]

_PYDANTIC = {"missing": "Chưa điền.", "string_too_short": "Chưa điền.", "extra_forbidden": "Trường này không có.",
             "string_type": "Phải là chữ.", "list_type": "Phải là danh sách."}


def form_to_entry(form: dict) -> dict:
    """An entry's data from a form: list fields may come as text, one item a line (blank lines
    dropped); empty optional fields are left out, as the YAML leaves them out."""
    data = {}
    for key, value in form.items():
        if key in LIST_FIELDS and isinstance(value, str):
            value = [line.strip() for line in value.replace(",", "\n").splitlines()] if key in ("related", "tags") \
                else [line.strip() for line in value.splitlines()]
            value = [v for v in value if v]
        if key in ("short",) and isinstance(value, str) and not value.strip():
            continue
        if key in ("examples", "keywords", "related", "tags") and value == []:
            continue
        data[key] = value
    return data


def entry_data(entry: Entry) -> dict:
    """An entry as stored and exported: its fields, those left at their defaults out."""
    return entry.model_dump(exclude_defaults=True)


def shape_problems(data: dict) -> Problems:
    """The entry's own fields (content/schema.py), in Vietnamese."""
    try:
        Entry.model_validate(data)
    except ValidationError as exc:
        out: Problems = {}
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else GENERAL
            out.setdefault(field, []).append(_pydantic_vi(field, err))
        return out
    return {}


def _pydantic_vi(field: str, err: dict) -> str:
    msg = str(err.get("msg", ""))
    if err["type"] == "too_short" and field == "questions":
        return "Cần ít nhất một cách hỏi."
    if "blank item" in msg:
        return "Có dòng để trống."
    if "must not be blank" in msg:
        return "Chưa điền."
    if "id must be" in msg:
        return "Mã mục chỉ gồm chữ thường không dấu, chữ số và dấu “-”, tối đa 40 ký tự, bắt đầu bằng chữ hoặc số."
    return _PYDANTIC.get(err["type"], f"Chưa hợp lệ ({msg}).")


def said_in_vietnamese(entry_id: str, problem: str) -> tuple[str, str]:
    """(field, Vietnamese) of one line of `content check` or `content verify`."""
    m = re.search(rf"entry {re.escape(entry_id)}(?: \(edited by the Office\))?[:.] ?(.*)$", problem)
    detail = m.group(1) if m else problem
    for pattern, field, text in _SAID_RE:
        found = pattern.search(detail)
        if found:
            return field, text.format(**found.groupdict())
    if m is None:
        return GENERAL, f"Sửa đổi này làm phần khác của nội dung không hợp lệ: {problem}"
    if "source" in detail:
        return "source", f"Nguồn chưa đúng: {detail}"
    return "answer", f"Không khớp với văn bản nguồn hoặc quy tắc của nội dung: {detail}"


def content_problems(content_dir: Path, overlay: dict[str, dict | None], entry_id: str,
                     before: set[str] = frozenset()) -> Problems:
    """`content check` on the whole content with the edit in `overlay`: the problems not in
    `before` (those the content had already), by field."""
    try:
        load(content_dir, overlay)
    except ContentError as exc:
        out: Problems = {}
        for p in exc.problems:
            if p in before:
                continue
            field, text = said_in_vietnamese(entry_id, p)
            out.setdefault(field, []).append(text)
        return out
    return {}


def verify_problems(content_dir: Path, sources_dir: Path, entry: Entry) -> Problems:
    """`content verify` for this entry against the plans' text in `sources_dir`."""
    from content.verify import Report, verify_entry

    documents, plans, count_words, bindings = _plans(Path(content_dir), Path(sources_dir))
    report = Report()
    verify_entry(Path("entries"), entry, documents, plans, report, count_words, bindings)
    out: Problems = {}
    for p in report.mismatches:
        field, text = said_in_vietnamese(entry.id, p)
        out.setdefault(field, []).append(text)
    return out


@lru_cache(maxsize=4)
def _plans(content_dir: Path, sources_dir: Path):  # noqa: ANN202 - the plans, read once per process
    from content.verify import Bindings, find_plans

    sources = SourcesFile.model_validate(yaml_load((content_dir / SOURCES_FILE).read_text(encoding="utf-8")))
    plans, _ = find_plans(sources_dir, sources.documents)
    return sources.documents, plans, sources.count_words, Bindings(sources, plans)


def merge(*problems: Problems) -> Problems:
    out: Problems = {}
    for p in problems:
        for field, texts in p.items():
            out.setdefault(field, []).extend(t for t in texts if t not in out.get(field, []))
    return out
