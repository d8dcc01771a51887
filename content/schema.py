"""The shape of the curated YAML files, validated with pydantic."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _check_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError("id must be 1-40 lowercase ASCII letters, digits or '-'")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Topic(Strict):
    id: str
    title: str = Field(min_length=1)
    description: str = ""

    _id = field_validator("id")(_check_id)


class Entry(Strict):
    id: str
    topic: str
    title: str = Field(min_length=1)
    questions: list[str] = Field(min_length=1)
    # How staff actually write: long messages with their context, situations, text
    # without diacritics. The learned ranker (content/ranker.py) trains on them; the
    # lexical matcher does not read them, since their many generic words would make
    # every entry look like a match for a message it does not answer.
    examples: list[str] = []
    keywords: list[str] = []
    answer: str = Field(min_length=1)
    # The answer read on a phone: one or two sentences, shown with the source and
    # "Xem chi tiết" (which opens the whole answer). Without it, the answer's
    # first paragraph is the short answer.
    short: str | None = None
    source: str = Field(min_length=1)
    related: list[str] = []
    # Kinds of entry (declared in sources.yaml) that rules apply by, e.g. "thu-tuc": the
    # note that the 2022 Law now governs procedures.
    tags: list[str] = []

    _id = field_validator("id")(_check_id)

    @field_validator("questions", "examples", "keywords")
    @classmethod
    def _no_blank(cls, values: list[str]) -> list[str]:
        if any(not v or not v.strip() for v in values):
            raise ValueError("blank item")
        return [v.strip() for v in values]

    @field_validator("answer", "source", "title", "short")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class Unit(Strict):
    id: str
    name: str = Field(min_length=1)
    parent: str | None = None

    _id = field_validator("id")(_check_id)


class SynonymFile(Strict):
    # Abbreviation token -> its expansion, e.g. "bk": "bằng khen".
    abbreviations: dict[str, str] = {}
    # Groups of interchangeable phrases; the first one is the canonical form.
    synonyms: list[list[str]] = []
    # Terms staff ask about that the content deliberately does not cover (other
    # titles and awards, other procedures); questions built on them fall back.
    not_covered: list[str] = []
    # Phrases always read as one word, because without diacritics one of their
    # words is another, weightier word: "mục đích" holds "đích", folded "dich"
    # like "dịch" (the epidemic).
    compounds: list[str] = []
    # Names of the setting every entry shares ("Tây Ninh"): a question may add
    # them or not, so they are left out of matching altogether.
    context: list[str] = []


class TopicFile(Strict):
    topics: list[Topic]


class UnitFile(Strict):
    # Said wherever units are offered: the shipped list is an example until the Office confirms it.
    note: str | None = None
    units: list[Unit]
