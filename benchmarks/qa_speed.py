"""Matching time per question with a knowledge base of 1,000 entries.

The real entries plus generated variants (each variant mixes the phrasings of
two real entries and adds syllables of its own, so the vocabulary and the
posting lists grow as a larger real base would). Questions: the project's
held-out set, every real phrasing typed without diacritics, and a few
out-of-scope ones. Prints the median and p99 of the time spent in matching,
on one core, after the index is built: over all rounds, and the median of
the rounds' own figures (a shared machine's hiccups hit one round, not all).

    python benchmarks/qa_speed.py [--entries 1000] [--rounds 5]

Also prints the learned ranker's training time (content/ranker.py, trained afresh into a
temporary cache) and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from content import DEFAULT_CONTENT_DIR  # noqa: E402
from content.dialogue import DIALOGUE_FILE, Dialogue, DialogueFile  # noqa: E402
from content.loader import KnowledgeBase, load  # noqa: E402
from content.matcher import Matcher  # noqa: E402
from content.normalize import strip_diacritics  # noqa: E402
from content.ranker import Ranker  # noqa: E402
from content.schema import Entry  # noqa: E402

SYLLABLES = ("an binh cuong dung giang hai hanh hoa khang lam linh minh nam ngoc phuc quang son tam thanh "
             "thinh trung tuan viet xuan yen bao chau dao duc hieu hung khoa loc long my nhan phong quoc").split()


def grow(kb: KnowledgeBase, size: int, rng: random.Random) -> KnowledgeBase:
    entries = list(kb.entries)
    real = kb.entries
    i = 0
    while len(entries) < size:
        a, b = real[i % len(real)], real[(i * 7 + 3) % len(real)]
        extra = " ".join(rng.choice(SYLLABLES) for _ in range(3))
        questions = [f"{q} {extra}" for q in a.questions[:4]] + [f"{extra} {q}" for q in b.questions[:3]]
        entries.append(Entry(id=f"v{i}-{a.id}"[:40], topic=a.topic, title=f"{a.title} ({extra})",
                             questions=questions, keywords=[extra], answer=f"{a.answer}\n\n{b.answer}",
                             source=a.source, related=[]))
        i += 1
    return KnowledgeBase(entries=entries, topics=kb.topics, synonyms=kb.synonyms, units=kb.units, outside=kb.outside)


def questions(kb: KnowledgeBase) -> list[str]:
    heldout = yaml.safe_load((ROOT / "tests" / "qa_heldout.yaml").read_text(encoding="utf-8"))
    out = [item["q"] for item in heldout]
    for e in kb.entries:
        out.extend(strip_diacritics(q).lower() for q in e.questions)
    out += ["cách nấu phở bò", "giá vàng hôm nay", "thủ tục làm hộ chiếu", "x" * 900]
    return out


def p99_of(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(42)
    base = load(DEFAULT_CONTENT_DIR)
    kb = grow(base, args.entries, rng)
    t0 = time.perf_counter()
    matcher = Matcher(kb)
    build = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        # As the matcher trains it: with the messages the plans do not answer (content/out_of_scope.yaml).
        ranker = Ranker.for_entries(kb.entries, Path(cache), outside=(*kb.outside, *kb.out_of_scope))
        training = time.perf_counter() - t0
    matcher._ranker = ranker  # noqa: SLF001 - as a first use would fill it
    qs = questions(base)
    for q in qs[:50]:  # warm the typo cache as a running bot would be
        matcher.match(q)
    times: list[float] = []
    rounds: list[tuple[float, float]] = []
    for _ in range(args.rounds):
        this: list[float] = []
        for q in qs:
            start = time.perf_counter()
            matcher.match(q)
            this.append((time.perf_counter() - start) * 1000)
        rounds.append((statistics.median(this), p99_of(this)))
        times.extend(this)
    times.sort()
    print(f"entries: {len(kb.entries)} ({len(base.entries)} real), index build: {build * 1000:.0f} ms")
    print(f"learned ranker: {type(ranker.model).__name__.strip('_').lower()}, trained in {training:.1f} s")
    print(f"questions timed: {len(times)} ({len(qs)} distinct x {args.rounds} rounds)")
    print(f"matching per question, all rounds: median {statistics.median(times):.3f} ms, "
          f"p99 {p99_of(times):.3f} ms, max {times[-1]:.3f} ms")
    print(f"median of the rounds: median {statistics.median(r[0] for r in rounds):.3f} ms, "
          f"p99 {statistics.median(r[1] for r in rounds):.3f} ms")
    # The conversation reads a message through the dialogue layer (several questions, the
    # question of a long message, follow-ups), which may match more than once.
    dialogue = Dialogue(matcher, DialogueFile.model_validate(yaml.safe_load(
        (DEFAULT_CONTENT_DIR / DIALOGUE_FILE).read_text(encoding="utf-8"))))
    read = []
    for q in qs:
        start = time.perf_counter()
        dialogue.read(q, {"subject": 0, "aspect": "dossier"})
        read.append((time.perf_counter() - start) * 1000)
    print(f"reading in a conversation (one round, with a context): median {statistics.median(read):.3f} ms, "
          f"p99 {p99_of(read):.3f} ms")
    # Peak resident memory of the whole process (content, index build, matching), as Linux reports it in KB.
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
