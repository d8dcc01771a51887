"""Score every labelled question set, leave-one-set-out wherever anything is fitted.

    .venv/bin/python -m benchmarks.qa_eval                  # the decision, per set and the mean
    .venv/bin/python -m benchmarks.qa_eval --ranker         # + the learned ranker's top-1/top-3 per set
    .venv/bin/python -m benchmarks.qa_eval --fit            # + the rule to ship, fitted on every fittable set
    .venv/bin/python -m benchmarks.qa_eval --public ../shared/eval/questions.yaml

The labelled sets are tests/qa_heldout*.yaml (and the public set when given). Two
things are fitted, and each set is scored by a fit that never saw it:

- the learned ranker (content/ranker.py) is trained on the entries; `--ranker` also
  trains it on the entries plus the other sets' answerable questions (labelled with
  the entries whose text holds every fact), scoring each set left out;
- the rule that lets the ranker answer where the lexical engine did not
  (content/dialogue.py RankerRule): its seven thresholds are chosen on every fittable
  set but the one scored.

The public set and the short held-out set (tests/qa_heldout.yaml) are scored but never
used for fitting. A question's verdict is the acceptance scorer's: the expected kind
and every fact group in the reply's text (tests/qa_record.py judge).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETS = sorted((ROOT / "tests").glob("qa_heldout*.yaml"))
NEVER_FITTED = {"qa_heldout.yaml", "questions.yaml"}  # the short held-out set and the public set
GRID = [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 1.01]  # 1.01: never
WORDS = [10, 15, 20, 25, 30, 40, 1000]
GAPS = [-1.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15]  # -1: never
COVERAGES = [0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]
SURES = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]  # 1.01: the coverage floor is never waived


@dataclass
class Item:
    off: bool  # the verdict without the ranker's rule
    on: bool  # ...with the ranker answering every time it is asked
    fires: list  # what RankerRule.takes was asked, each time the rule was consulted


def load_sets(public: Path | None) -> dict[str, list[dict]]:
    sets = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in SETS}
    if public is not None:
        sets[public.name] = yaml.safe_load(public.read_text(encoding="utf-8"))
    return sets


def outcomes(sets: dict[str, list[dict]]) -> dict[str, list[Item]]:
    """Every question answered twice: without the rule, and with the ranker always taken."""
    from content.dialogue import RankerRule
    from content.service import Knowledge
    from handlers.conversation import Conversation
    from tests.qa_record import judge

    knowledge = Knowledge(ROOT / "content")
    dialogue = knowledge.dialogue
    conversation = Conversation(knowledge)
    out = {}
    for name, items in sets.items():
        rows = []
        for it in items:
            dialogue.ranker_rule, dialogue.ranker_log = None, None
            off = judge(conversation, it).passed
            dialogue.ranker_rule, dialogue.ranker_log = RankerRule(0.0, 0.0, 0, 0.0, 1.0, 0.0), []
            on = judge(conversation, it).passed
            rows.append(Item(off, on, dialogue.ranker_log))
        out[name] = rows
    dialogue.ranker_rule, dialogue.ranker_log = RankerRule(), None
    return out


def verdict(item: Item, rule: tuple) -> bool:
    """The verdict under a rule, from the two runs: taken when the rule fires on every
    consultation (a message consulted twice rarely splits; it then counts as not taken)."""
    if not item.fires:
        return item.off
    from content.dialogue import RankerRule

    fired = [RankerRule(*rule).decides(asked) for asked in item.fires]
    return item.on if all(fired) else item.off


def fit(results: dict[str, list[Item]], names: list[str]) -> tuple:
    """The rule (offered, first, long_words, switch, switch_gap, coverage, sure) passing the most
    questions of these sets (ties: the stricter rule, tried first). The rescue of unanswered messages
    and the switch of answered ones are consulted on different messages, so each is fitted
    on its own; `sure` (the ranker's confidence that waives the coverage floor) is fitted last,
    the rescue's other thresholds held."""
    consulted = [i for n in names for i in results[n] if i.fires and i.on != i.off]
    takes = [i for i in consulted if all(a[0] == "takes" for a in i.fires)]
    switches = [i for i in consulted if all(a[0] == "switches" for a in i.fires)]
    best, rescue = -1, (1.01, 1.01, 1000, 0.0)
    for cover in reversed(COVERAGES):
        for offered in reversed(GRID):
            for first in reversed(GRID):
                for words in reversed(WORDS):
                    passed = sum(verdict(i, (offered, first, words, 1.01, -1.0, cover, 1.01)) for i in takes)
                    if passed > best:
                        best, rescue = passed, (offered, first, words, cover)
    best, sure = -1, 1.01
    for waived in reversed(SURES):
        passed = sum(verdict(i, (*rescue[:3], 1.01, -1.0, rescue[3], waived)) for i in takes)
        if passed > best:
            best, sure = passed, waived
    best, switch = -1, (1.01, -1.0)
    for prob in reversed(GRID):
        for gap in GAPS:
            passed = sum(verdict(i, (1.01, 1.01, 1000, prob, gap, 0.0, 1.01)) for i in switches)
            if passed > best:
                best, switch = passed, (prob, gap)
    return (*rescue[:3], *switch, rescue[3], sure)


def decision_report(results: dict[str, list[Item]]) -> None:
    fittable = [n for n in results if n not in NEVER_FITTED]
    print("\nDecision, leave-one-set-out (rule fitted on the other fittable sets):")
    print(f"{'set':22} {'n':>4} {'without':>8} {'with':>8}  rule (offered, first, long_words, switch, switch_gap, "
          "coverage, sure)")
    scores = []
    for name, items in results.items():
        rule = fit(results, [n for n in fittable if n != name])
        off = sum(i.off for i in items) / len(items)
        on = sum(verdict(i, rule) for i in items) / len(items)
        scores.append((off, on))
        print(f"{name:22} {len(items):4} {off:8.3f} {on:8.3f}  {rule}")
    n = len(scores)
    print(f"{'mean':22} {'':4} {sum(s[0] for s in scores) / n:8.3f} {sum(s[1] for s in scores) / n:8.3f}"
          f"  lowest {min(s[1] for s in scores):.3f}")


def gold(entries, item: dict) -> set[str]:  # noqa: ANN001
    """The entries whose text holds every fact of an answerable question."""
    from tests.qa_record import fold

    return {e.id for e in entries
            if all(any(fold(a) in fold(" ".join([e.title, e.answer, e.short or ""])) for a in g)
                   for g in item.get("facts", []))}


def ranker_report(sets: dict[str, list[dict]]) -> None:
    from content.concepts import Concepts
    from content.loader import load
    from content.ranker import Ranker, training_texts

    kb = load(ROOT / "content")
    entries = kb.entries
    expand = Concepts(kb.concepts).expand  # as the matcher reads texts (content/concepts.yaml)
    texts, labels = training_texts(entries, expand)
    start = time.perf_counter()
    base = Ranker.fit(texts, labels)
    base.expand = expand
    print(f"\nLearned ranker: trained on {len(texts)} texts of {len(entries)} entries in "
          f"{time.perf_counter() - start:.1f} s")
    labelled = {name: [(it["q"], gold(entries, it)) for it in items if it["kind"] == "answer"]
                for name, items in sets.items()}
    print(f"{'set':22} {'n':>4} {'top-1':>6} {'top-3':>6} {'LOSO top-1':>10} {'LOSO top-3':>10}")
    rows = []
    for name, qs in labelled.items():
        qs = [(q, g) for q, g in qs if g]
        # The other fittable sets' questions with one gold entry join the training.
        extra = [(q, next(iter(g))) for other, oqs in labelled.items()
                 if other != name and other not in NEVER_FITTED for q, g in oqs if len(g) == 1]
        loso = Ranker.fit([*texts, *(expand(q) for q, _ in extra)], [*labels, *(e for _, e in extra)])
        loso.expand = expand
        row = []
        for model in (base, loso):
            tops = [[r.entry_id for r in model.rank(q, 3)] for q, _ in qs]
            row += [sum(t[0] in g for t, (_, g) in zip(tops, qs, strict=True)) / len(qs),
                    sum(bool(g & set(t)) for t, (_, g) in zip(tops, qs, strict=True)) / len(qs)]
        rows.append(row)
        print(f"{name:22} {len(qs):4} {row[0]:6.3f} {row[1]:6.3f} {row[2]:10.3f} {row[3]:10.3f}")
    means = [sum(r[i] for r in rows) / len(rows) for i in range(4)]
    print(f"{'mean':22} {'':4} {means[0]:6.3f} {means[1]:6.3f} {means[2]:10.3f} {means[3]:10.3f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--public", type=Path, default=None, help="the public question set (scored, never fitted)")
    ap.add_argument("--ranker", action="store_true", help="report the ranker's top-1/top-3 per set")
    ap.add_argument("--fit", action="store_true", help="print the rule fitted on every fittable set")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sets = load_sets(args.public)
    results = outcomes(sets)
    decision_report(results)
    if args.fit:
        rule = fit(results, [n for n in results if n not in NEVER_FITTED])
        print(f"\nRule fitted on every fittable set: RANKER_OFFERED = {rule[0]}, RANKER_FIRST = {rule[1]}, "
              f"RANKER_LONG_WORDS = {rule[2]}, RANKER_SWITCH = {rule[3]}, RANKER_SWITCH_GAP = {rule[4]}, "
              f"RANKER_COVERAGE = {rule[5]}, RANKER_SURE = {rule[6]}")
    if args.ranker:
        ranker_report(sets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
