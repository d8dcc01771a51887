"""The good-example report form as the Office writes it in content/report_form.yaml:
whose story, the criteria, the awards (with the dossier copies each needs), the
words for relative dates, and the phrases that open the form. Plus the language the
form needs: telling whether a message asks to report (or already tells a story), and
showing a date as precisely as it was told (content/dates.py reads it)."""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property

from pydantic import Field, field_validator, model_validator

from content.dates import DAY, MONTH, YEAR, RelativeDate
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
    # How a typed line ends when it is a question, not an answer ("... là gì", "... không ạ"):
    # content/questions.py reads them.
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


def when_label(on: date, precision: str = DAY) -> str:
    """A date shown as precisely as it was told: 15/03/2026, tháng 03/2026, năm 2025."""
    if precision == YEAR:
        return f"năm {on.year}"
    if precision == MONTH:
        return f"tháng {on.month:02d}/{on.year}"
    return on.strftime("%d/%m/%Y")
