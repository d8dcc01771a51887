"""Score dialogue sets (tests/qa_dialogues*.yaml): each dialogue's turns read in one
conversation, its state carried from turn to turn as in a chat, each turn judged as the
acceptance scorer judges `ask --json` (tests/qa_record.judge: the kind, every fact group).

    .venv/bin/python -m tests.qa_dialogues tests/qa_dialogues_2.yaml [-v]

`ask` reads every line on its own (it keeps no conversation), so dialogues need this runner.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import yaml

HERE = Path(__file__).resolve().parent


class _Turn(SimpleNamespace):
    """The part of a chat turn's context that answering a question reads: the conversation state."""


def run(path: Path, verbose: bool = False, knowledge=None) -> tuple[int, int, int, int]:  # noqa: ANN001
    """(turns passed, turns, dialogues passed, dialogues); `knowledge`: the real content's, built here
    when not given."""
    sys.path.insert(0, str(HERE.parent))
    from content.service import Knowledge
    from handlers.conversation import Conversation
    from storage.state import ChatState
    from tests.qa_record import fold

    conversation = Conversation(knowledge or Knowledge(HERE.parent / "content"))
    from bot.rendering import numbered

    dialogues = yaml.safe_load(path.read_text(encoding="utf-8"))
    ok_turns = n_turns = ok_dialogues = 0
    for d in dialogues:
        ctx = _Turn(state=ChatState())
        all_ok = True
        for item in d["turns"]:
            result = conversation.answer(item["q"], ctx=ctx, record=False, full=True)
            if item["kind"] == "fallback":
                ok, why = result.kind == "fallback", f"expected fallback, got {result.kind}"
            elif result.kind != "answer":
                ok, why = False, f"expected answer, got {result.kind}"
            else:
                text = fold("\n".join(numbered(r) for r in result.reply_list))
                missing = [g[0] for g in item.get("facts", []) if not any(fold(a) in text for a in g)]
                ok, why = not missing, f"missing {missing}"
            ok_turns += ok
            n_turns += 1
            all_ok &= ok
            if verbose and not ok:
                shown = fold("\n".join(numbered(r) for r in result.reply_list))[:120]
                print(f"MISS {d['name']} {item['q']!r}: {why} | {result.kind}: {shown}")
        ok_dialogues += all_ok
    return ok_turns, n_turns, ok_dialogues, len(dialogues)


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "-v"]
    for p in args or sorted(str(p) for p in HERE.glob("qa_dialogues_*.yaml")):
        t, nt, d, nd = run(Path(p), "-v" in sys.argv)
        print(f"{Path(p).name}: turns {t}/{nt} ({t / nt:.3f}), dialogues {d}/{nd} ({d / nd:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
