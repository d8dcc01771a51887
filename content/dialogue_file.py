"""The shape of content/dialogue.yaml and what `content check` says of it; the code that
reads a conversation with it is content/dialogue.py."""

from __future__ import annotations

from pydantic import Field

from content.normalize import tokens
from content.schema import Strict

DIALOGUE_FILE = "dialogue.yaml"


class Subject(Strict):
    say: str = Field(min_length=1)
    also: list[str] = []
    topics: list[str] = []


class Aspect(Strict):
    id: str = Field(min_length=1)
    say: str = Field(min_length=1)
    phrases: list[str] = Field(min_length=1)
    within: str | None = None  # a wider aspect whose entries answer this one too (copies: dossier)


class DialogueFile(Strict):
    subjects: list[Subject] = []
    aspects: list[Aspect] = []
    openers: list[str] = []
    closers: list[str] = []
    clause_openers: list[str] = []
    references: list[str] = []
    question_words: list[str] = []
    final_question_words: list[str] = []
    weak_question_words: list[str] = []
    asking_statements: list[str] = []
    negations: list[str] = []
    never_words: list[str] = []
    story_references: list[str] = []
    final_particles: list[str] = []
    features: dict[str, list[str]] = {}


def problems(data: DialogueFile, topic_ids: set[str]) -> list[str]:
    out = []
    seen = set()
    for a in data.aspects:
        if a.id in seen:
            out.append(f"aspects: {a.id}: duplicate id")
        seen.add(a.id)
    out.extend(f"aspects: {a.id}: within unknown aspect {a.within!r}" for a in data.aspects
               if a.within is not None and a.within not in seen)
    for s in data.subjects:
        out.extend(f"subjects: {s.say}: unknown topic {t!r}" for t in s.topics if t not in topic_ids)
    for name, words in data.features.items():
        out.extend(f"features: {name}: {w!r} has no words" for w in words if not tokens(w))
    for name in ("openers", "closers", "clause_openers", "references", "question_words", "final_question_words",
                 "final_particles", "story_references", "weak_question_words", "asking_statements", "negations",
                 "never_words"):
        out.extend(f"{name}: {w!r} has no words" for w in getattr(data, name) if not tokens(w))
    return out
