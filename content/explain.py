"""Why a message got its answer: the trace `python -m bot ask --explain` prints.

For each part the message was split into (content/dialogue.py `read`): the text as it
was matched (filled from the conversation when it was), the top candidates from each
source with their scores (the lexical engine, the windows of a long message and their
focus, the question without the document it names as where to look, BM25 over the
entries' whole text, the learned ranker), the features the
decision looks at, and the decision with its margin. The Office and developers locate
a wrong answer from this output alone, without reading the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from content import recall
from content.analysis import names_uncovered
from content.dialogue import NOTES
from content.match_result import MatchResult
from content.normalize import tokens

TOP = 3  # candidates shown per source


@dataclass
class PartTrace:
    text: str  # the part as written
    matched: str  # ...as matched (filled from the conversation when it was)
    result: MatchResult
    sources: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    features: dict[str, object] = field(default_factory=dict)
    decision: str = ""


@dataclass
class Trace:
    message: str
    parts: list[PartTrace]
    # What the conversation offered (content/recall.py): its subjects most recent first, the last
    # aspect, the documents of the last answer; and the message as read with them, if it pointed back.
    conversation: list[tuple[str, str]] = field(default_factory=list)
    recalled: tuple[str, str] | None = None
    # What the reading decided that the parts do not show (content/dialogue.py NOTES).
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"Message: {self.message}"]
        if self.conversation:
            lines.append("  conversation: " + "; ".join(f"{k} {v}" for k, v in self.conversation))
        if self.recalled is not None:
            lines.append(f"  pointed back ({self.recalled[1]}): {self.recalled[0]}")
        for i, p in enumerate(self.parts, 1):
            lines.append(f"Part {i}: {p.text}")
            if p.matched != p.text:
                lines.append(f"  matched as: {p.matched}")
            for name, cands in p.sources.items():
                shown = "; ".join(f"{e} {s:.3f}" for e, s in cands) or "-"
                lines.append(f"  {name}: {shown}")
            lines.append("  features: " + " ".join(f"{k}={_fmt(v)}" for k, v in p.features.items()))
            lines.append(f"  decision: {p.decision}")
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def explain(knowledge, message: str, context: dict | None = None) -> Trace:  # noqa: ANN001 - content.service.Knowledge
    dialogue, matcher = knowledge.dialogue, knowledge.matcher
    th = matcher.thresholds
    notes: list[str] = []
    token = NOTES.set(notes)
    try:
        reading = dialogue.read(message, context)
    finally:
        NOTES.reset(token)
    parts = []
    for n, (text, result) in enumerate(reading.parts):
        filled = reading.filled[n] if n < len(reading.filled) else None
        matched = filled or text
        ranked, _normalized = matcher.rank(matched)
        trace = PartTrace(text, matched, result)
        trace.sources["lexical"] = [(c.entry.id, c.score) for c in ranked[:TOP]]
        for w in matcher.windows(matched)[1:]:
            trace.sources[f"window «{w[:60]}»"] = [(c.entry.id, c.score) for c in matcher.rank(w)[0][:TOP]]
        setting = dialogue.without_setting(matched)
        if setting is not None:
            # The question without the document it names as where to look (dialogue.yaml document_setting).
            trace.sources[f"without the document «{setting[0][:60]}»"] = [
                (c.entry.id, c.score) for c in matcher.rank(setting[0])[0][:TOP]]
        focus = dialogue.sentences.focus(matched)
        question, story = focus[0] if focus else (matched, "")
        opinion = matcher.second.opinion(question, story, ranked[0].entry if ranked else None)
        trace.sources["bm25 (taken only when clear)"] = [(opinion.entry.id, opinion.score)] if opinion else []
        learned, outside = matcher.ranker.read(matched, TOP)
        trace.sources["ranker"] = [(r.entry_id, r.prob) for r in learned]

        best = ranked[0] if ranked else None
        runner = ranked[1].score if len(ranked) > 1 else 0.0
        words = len(tokens(matched))
        trace.features = {
            "score": best.score if best else 0.0,
            "coverage": best.coverage if best else 0.0,
            "gap": (best.score - runner) if best else 0.0,
            "words": words,
            "terse": matcher.terse(matched),
            "not_covered": names_uncovered(dialogue._tokens(matched)),
            "ranker_p": learned[0].prob if learned else 0.0,
            "ranker_margin": (learned[0].prob - learned[1].prob) if len(learned) > 1 else 0.0,
            "ranker_is_lexical_first": bool(learned and best and learned[0].entry_id == best.entry.id),
            # The ranker's share for messages the plans do not answer (content/out_of_scope.yaml).
            "ranker_outside": outside,
            "follow_up_filled": filled is not None,
        }
        # The gate that lets the ranker answer where the lexical engine did not (content/ranker_gate.py),
        # as it reads this part's lexical reading: its probability against its threshold.
        consulted = dialogue.gate_figures(matched, matcher.match(matched))
        if consulted is not None and dialogue.ranker_rule is not None:
            gate = dialogue.ranker_rule.gate
            trace.features["ranker_gate"] = f"{gate.probability(consulted[1]):.3f} for {consulted[0].id} " \
                                            f"(takes at {gate.threshold})"
        trace.decision = _decision(result, th, matcher.kb.out_of_scope)
        if result.entry is not None:
            # Which source put the answered entry first: the trace says who decided.
            firsts = [(name, c[0][0]) for name, c in trace.sources.items() if c]
            by = [name for name, first in firsts if first == result.entry.id]
            asked = recall.kinds_asked(matched)
            if not by and result.by_ranker and asked:
                # content/document_rules.py _kind_asked: which document of a kind, and the lexical first names none.
                by = [f"the ranker's first three, as the one naming a {' or '.join(sorted(asked))} (the kind asked)"]
            trace.decision += f"; named first by: {', '.join(by) or 'the conversation (a follow-up or a side)'}"
        parts.append(trace)
    context = context if isinstance(context, dict) else None
    return Trace(message, parts, dialogue.candidates(context), dialogue.recalled(message, context),
                 list(dict.fromkeys(notes)))


def _decision(result: MatchResult, th, marked: tuple[str, ...]) -> str:  # noqa: ANN001 - content.matcher.Thresholds
    """The outcome and how far it is from the next outcome (the margin). `marked`: the questions the
    Office marked "không thuộc phạm vi"; the other out-of-scope examples are content/out_of_scope.yaml's."""
    cands = result.candidates
    if result.out_of_scope is not None:
        where = ("the Office marked it \"không thuộc phạm vi\" in the console" if result.out_of_scope in marked
                 else "content/out_of_scope.yaml lists it")
        return (f"fallback: the out-of-scope example «{result.out_of_scope}» decided it ({where}; the question "
                "is nearly the same)")
    if result.kind == "answer":
        runner = next((c for c in cands if c.entry is not result.entry), None)
        ahead = f", {result.score - runner.score:+.3f} over {runner.entry.id}" if runner else ""
        return (f"answer {result.entry.id} (score {result.score:.3f}, {result.score - th.answer:+.3f} "
                f"from the answer threshold{ahead})")
    if result.kind == "clarify":
        offered = ", ".join(c.entry.id for c in cands)
        return f"clarify among {offered} (score {result.score:.3f}, {result.score - th.answer:+.3f} from answering)"
    return f"fallback (best score {result.score:.3f}, {result.score - th.clarify:+.3f} from offering a choice)"
