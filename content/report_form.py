"""The good-example report form as the Office writes it in content/report_form.yaml:
whose story, the criteria, the awards (with the dossier copies each needs), the
words for relative dates, and the phrases that open the form. Plus the two pieces
of language the form needs: reading a date as staff type it, and telling whether a
message asks to report (or already tells a story)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cached_property

from pydantic import Field, field_validator, model_validator

from content.normalize import fold, fold_aligned
from content.schema import Strict

_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{0,31}$")


def _check_form_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError("id must be 1-32 lowercase ASCII letters, digits, '.' or '-'")
    return value


class FormOption(Strict):
    id: str
    label: str = Field(min_length=1, max_length=80)
    words: list[str] = []
    source: str | None = None

    _id = field_validator("id")(_check_form_id)


class Award(Strict):
    id: str
    name: str = Field(min_length=1, max_length=120)
    copies: int = Field(ge=1, le=20)
    entry: str | None = None  # the knowledge entry that states the copies

    _id = field_validator("id")(_check_form_id)


class RelativeDate(Strict):
    days: int = Field(default=0, ge=0, le=3660)
    months: int = Field(default=0, ge=0, le=120)


class StartPhrases(Strict):
    asks: list[str] = []
    tells: list[str] = []


class ReportForm(Strict):
    subjects: list[FormOption] = Field(min_length=1)
    criteria: list[FormOption] = Field(min_length=1)
    awards: list[Award] = Field(min_length=1)
    relative_dates: dict[str, RelativeDate] = {}
    future_dates: list[str] = []
    start_phrases: StartPhrases = StartPhrases()
    # How a typed line ends when it is a question, not an answer ("... là gì", "... không ạ").
    question_endings: list[str] = []
    # Words before a name in a story told straight away ("anh", "chị", "đồng chí").
    name_titles: list[str] = []

    @model_validator(mode="after")
    def _unique(self) -> ReportForm:
        for name in ("subjects", "criteria", "awards"):
            ids = [o.id for o in getattr(self, name)]
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                raise ValueError(f"{name}: duplicate id {', '.join(dup)}")
        return self

    # --- lookups ---------------------------------------------------------------
    def criterion(self, cid: str | None) -> FormOption | None:
        return next((c for c in self.criteria if c.id == cid), None)

    def award(self, aid: str | None) -> Award | None:
        return next((a for a in self.awards if a.id == aid), None)

    def subject(self, sid: str | None) -> FormOption | None:
        return next((o for o in self.subjects if o.id == sid), None)

    # --- language --------------------------------------------------------------
    def ends_like_question(self, text: str) -> bool:
        folded = " " + " ".join(fold(text).split())
        return text.rstrip().endswith("?") or any(folded.endswith(" " + fold(e)) for e in self.question_endings)

    def told_story(self, text: str) -> tuple[str, str | None]:
        """A story told straight away, without its opening ("em muốn kể về"), and the
        name it starts with when it names a person ("anh Nguyễn Văn A, ...")."""
        aligned = fold_aligned(text)
        titles = {fold(t) for t in self.name_titles}
        end = 0
        for p in self.start_phrases.tells:
            phrase = fold(p)
            m = re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", aligned)
            if m:
                # "kể về anh", "kể về đồng chí": the title stays with the name it introduces.
                title = next((t for t in sorted(titles, key=len, reverse=True)
                              if phrase == t or phrase.endswith(" " + t)), "")
                end = max(end, m.end() - len(title))
        rest = text[end:].strip(" ,.:;-")
        return (rest if len(rest) >= 30 else text.strip()), self._name_in(rest)

    def _name_in(self, text: str) -> str | None:
        """"anh Nguyễn Văn A, trực chốt..." -> "Nguyễn Văn A": a title, then capitalised words."""
        words = text.split()
        folded = [fold(w) for w in words]
        titles = {fold(t) for t in self.name_titles}
        for size in (2, 1):  # "đồng chí" before "anh"
            for i in range(min(3, len(words))):
                if " ".join(folded[i:i + size]) in titles:
                    name = []
                    for w in words[i + size:i + size + 5]:
                        clean = w.strip(",.;:!?()")
                        if not clean[:1].isupper() or not clean.replace("-", "").isalpha():
                            break
                        name.append(clean)
                        if clean != w:  # punctuation ends the name
                            break
                    return " ".join(name) or None
        return None

    def wants_report(self, text: str) -> str | None:
        """"tells" when the message already tells a story (to prefill it), "asks" when
        it asks to send one, None otherwise."""
        folded = " " + " ".join(fold(text).split()) + " "
        tells, asks = self._folded_starts
        if any(p in folded for p in tells):
            return "tells"
        if any(p in folded for p in asks):
            return "asks"
        return None

    @cached_property
    def _folded_starts(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        # Every plain message is checked against these: folded once, not per message.
        return (tuple(f" {fold(p)} " for p in self.start_phrases.tells),
                tuple(f" {fold(p)} " for p in self.start_phrases.asks))


_DMY = re.compile(r"^(?:ngay\s*)?(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2,4}))?$")
_MY = re.compile(r"^(?:thang\s*)?(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDY = re.compile(r"^ngay (\d{1,2}) thang (\d{1,2})(?: nam (\d{2,4}))?$")
_MONTH = re.compile(r"^thang (\d{1,2})(?: nam (\d{4}))?$")
_YEAR = re.compile(r"^nam (\d{4})$")


class DateNotUnderstood(ValueError):
    pass


class DateInFuture(ValueError):
    pass


DAY, MONTH, YEAR = "day", "month", "year"


def when_label(on: date, precision: str = DAY) -> str:
    """A date shown as precisely as it was told: 15/03/2026, tháng 03/2026, năm 2025."""
    if precision == YEAR:
        return f"năm {on.year}"
    if precision == MONTH:
        return f"tháng {on.month:02d}/{on.year}"
    return on.strftime("%d/%m/%Y")


def _year(raw: str | None, today: date) -> int:
    if raw is None:
        return today.year
    y = int(raw)
    return 2000 + y if y < 100 else y


def _months_back(today: date, months: int) -> date:
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(y, m + 1, min(today.day, 28))


def parse_date(text: str, today: date, relative: dict[str, RelativeDate],
               future: list[str] | None = None) -> tuple[date, str]:
    """A date as staff type it, and how precise it is (day, month, year): 12/3/2024,
    12-03, 2024-03-12, "ngày 12 tháng 3", "tháng 3/2024" (month), or a word from
    `relative` ("hôm qua"; "tháng trước" is a month, "năm ngoái" a year). A date
    without a year that would be in the future is read as last year's. A word of
    `future` ("ngày mai") raises DateInFuture."""
    folded = " ".join(fold(text).strip(" .!").split())
    if future and any(folded == f or folded.startswith(f + " ")  # "ngày mai nhé"
                      for f in (" ".join(fold(w).split()) for w in future)):
        raise DateInFuture(text)
    if folded in relative:
        r = relative[folded]
        if r.months:
            back = _months_back(today, r.months)
            if r.months % 12 == 0:
                return date(back.year, 1, 1), YEAR
            return back.replace(day=1), MONTH
        return today - timedelta(days=r.days), DAY
    try:
        if m := _ISO.match(folded):
            return date(int(m[1]), int(m[2]), int(m[3])), DAY
        for pattern in (_DMY, _WORDY):
            if m := pattern.match(folded):
                found = date(_year(m[3], today), int(m[2]), int(m[1]))
                if m[3] is None and found > today:
                    found = found.replace(year=found.year - 1)
                return found, DAY
        if m := _MY.match(folded):
            return date(int(m[2]), int(m[1]), 1), MONTH
        if m := _MONTH.match(folded):
            return date(_year(m[2], today), int(m[1]), 1), MONTH
        if m := _YEAR.match(folded):
            return date(int(m[1]), 1, 1), YEAR
    except ValueError as exc:  # 31/2, month 13
        raise DateNotUnderstood(str(exc)) from None
    raise DateNotUnderstood(text)
