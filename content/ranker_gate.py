"""Whether the learned ranker's first entry answers a message the lexical engine did not
answer: one fitted decision over both sources' figures.

The ranker (content/ranker.py) always names an entry, and is as sure of itself on many
questions the plans do not answer as on those they do; the lexical engine declines those
but misses many indirect or long messages it should answer. Neither figure alone says
which is which. A logistic model over the figures of both (FEATURES) gives the probability
that the ranker's entry is the right answer; it is taken at `threshold` or more.

The weights are not set by hand: `.venv/bin/python -m benchmarks.qa_eval --fit --write`
fits them on the labelled sets' questions where taking the ranker's entry changes the
verdict, chooses the threshold that passes the most of them, and writes
content/ranker_gate.yaml, which is committed and reviewed like any change. The same script
reports each set scored by a gate fitted on the other sets (leave-one-set-out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

GATE_FILE = Path(__file__).resolve().parent / "ranker_gate.yaml"
# Each feature in [0, 1] or near it, so that the weights compare.
FEATURES = (
    "score",  # the lexical engine's best score (0.6 answers on its own)
    "coverage",  # the share of the message's words (IDF-weighted) its best entry has
    "gap",  # its best score's lead over the next entry's
    "words",  # the message's length, in words, over WORDS_SCALE (at most 1)
    "ranker_p",  # the ranker's probability for its first entry
    "ranker_margin",  # ...less its probability for the second
    "outside",  # the ranker's probability that the plans do not answer the message (content/out_of_scope.yaml)
    "first",  # 1 when the ranker's first entry is the lexical engine's first (for the message or its best part)
    "offered",  # 1 when the lexical engine offered the ranker's first entry among its two choices
)
WORDS_SCALE = 80  # a message this long counts as long as any


def features(score: float, coverage: float, gap: float, words: int, ranker_p: float, ranker_margin: float,
             outside: float, first: bool, offered: bool) -> tuple[float, ...]:
    return (score, coverage, gap, min(words, WORDS_SCALE) / WORDS_SCALE, ranker_p, ranker_margin, outside,
            float(first), float(offered))


@dataclass(frozen=True)
class RankerGate:
    weights: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, figures: tuple[float, ...]) -> float:
        z = self.intercept + sum(w * x for w, x in zip(self.weights, figures, strict=True))
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def takes(self, figures: tuple[float, ...]) -> bool:
        return self.probability(figures) >= self.threshold

    @classmethod
    def always(cls) -> RankerGate:
        """Takes the ranker's entry every time it is consulted (for fitting: the verdict if taken)."""
        return cls(tuple(0.0 for _ in FEATURES), 0.0, 0.0)

    @classmethod
    def never(cls) -> RankerGate:
        """Never takes it (for fitting the switch alone)."""
        return cls(tuple(0.0 for _ in FEATURES), 0.0, 1.01)

    def dump(self, header: str) -> str:
        data = {"features": list(FEATURES), "weights": [round(w, 4) for w in self.weights],
                "intercept": round(self.intercept, 4), "threshold": self.threshold}
        return header + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=200)


def load(path: Path = GATE_FILE) -> RankerGate:
    """The committed gate. Its features must be this code's, in this order: a gate fitted for
    other features would weigh the wrong figures."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if list(data.get("features", [])) != list(FEATURES) or len(data.get("weights", [])) != len(FEATURES):
        raise ValueError(f"{path}: fitted for features {data.get('features')}, this code reads {list(FEATURES)}; "
                         "refit with `.venv/bin/python -m benchmarks.qa_eval --fit --write`")
    return RankerGate(tuple(float(w) for w in data["weights"]), float(data["intercept"]), float(data["threshold"]))
